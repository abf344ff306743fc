"""What the record and blank-form templates print, as plain data (pure: no WeasyPrint, no files).

Each ``*_context`` function turns definitions, a record or tasks into dicts of strings and
lists that the Jinja2 templates lay out; every value is text (escaped by the templates),
except the QR code, which is SVG that segno made from the record number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from formflow.definitions.forms import Field, Form, Section, form_labels
from formflow.definitions.loader import Definitions
from formflow.engine.clocks import STATUS_LABELS, record_clocks
from formflow.engine.expressions import describe, holds
from formflow.engine.fieldtypes import is_empty
from formflow.engine.records import CREATE, Record, RecordView, Step, replay, typed_values
from formflow.punctuation import join_clauses, tidy, trim
from formflow.render.layout import layout_blocks, layout_section
from formflow.render.values import format_value, local, qr_svg


def settings_context(defs: Definitions) -> dict:
    s = defs.settings
    return {"office": s.office, "company": s.company, "station": s.station}


# ── record ──────────────────────────────────────────────────────────────────────────────

def _added_since(form: Form, current: Form, values) -> tuple[Section, ...]:
    """Fields of today's form that ``form`` (an older version) lacks and the record holds values for (a later
    action filled them in), in today's sections: printed after the older version's."""
    if form is current:
        return ()
    known = set(form.fields)
    added = []
    for section in current.sections:
        fields = tuple(f for f in section.fields if f.name not in known and not is_empty(values.get(f.name)))
        if fields:
            added.append(dataclasses.replace(section, fields=fields, show_if=None))
    return tuple(added)


def _view(defs: Definitions, record: Record) -> tuple[RecordView, Any]:
    workflow = defs.workflows.get(record.form)
    if workflow is not None:
        return replay(record, workflow), workflow
    values: dict[str, Any] = {}
    steps = []
    for event in record.events:
        for key, value in event.data.items():
            if is_empty(value):
                values.pop(key, None)
            else:
                values[key] = value
        steps.append(Step(event, "登记" if event.action == CREATE else event.action, "", ""))
    return RecordView(record, "", values, tuple(steps)), None


def _who(defs: Definitions, name: str) -> str:
    person = next((p for p in defs.settings.staff if p.name == name), None)
    roles = "、".join(defs.settings.roles.get(r, r) for r in person.roles) if person else ""
    return f"{name}（{roles}）" if roles else name


def _change(form: Form, current: Form, step: Step, tz) -> str:
    if step.event.action == CREATE:
        return ""
    fields = {**current.fields, **form.fields}
    parts = []

    def shown(field, value) -> str:
        text = "（空）" if is_empty(value) else (
            f"{len(value)} 行" if field.type == "table" else format_value(field, value, tz))
        return text[:58] + "…" if len(text) > 60 else text

    for key, value in step.event.data.items():
        field = fields.get(key)
        if field is None:
            continue
        if step.replaced is not None:  # a correction: what was struck out, and what stands now
            parts.append(f"{field.label}：{shown(field, step.replaced.get(key))} → {shown(field, value)}")
        else:
            parts.append(f"{field.label}：{'（清空）' if is_empty(value) else shown(field, value)}")
    return join_clauses(parts)


def _state_label(defs: Definitions, record: Record) -> str:
    workflow = defs.workflows.get(record.form)
    if workflow is None:
        return ""
    state = replay(record, workflow).state
    return workflow.states[state].label if state in workflow.states else ""


def _related(defs: Definitions, record: Record, related: Sequence[Record]) -> list[dict]:
    """The record this one came from (来源) and those it made (生成): number, form title, current state.

    ``related`` are those records as the store has them; a parent not among them (not arrived from
    another station yet) is still named by its number.
    """
    out = []
    known = {r.number: r for r in related}
    for number, role in [*([(record.parent, "来源")] if record.parent else []),
                         *((r.number, "生成") for r in related if r.parent == record.number)]:
        other = known.get(number)
        form = defs.forms.get(other.form) if other is not None else None
        out.append({"role": role, "number": number, "title": form.title if form else "",
                    "state": _state_label(defs, other) if other is not None else ""})
    return out


def _clock_values(form: Form, workflow, clocks, tz) -> dict[str, str]:
    """The fields that show a clock's due time (``shows_in``), as stored values: 应回访日期 from the callback clock."""
    out = {}
    for c in clocks:
        field = form.fields.get(workflow.clocks[c.key].shows_in if c.key in workflow.clocks else "")
        if field is not None:
            due = c.due.astimezone(tz)
            out[field.name] = due.date().isoformat() if field.type == "date" else due.isoformat(timespec="minutes")
    return out


def record_context(defs: Definitions, record: Record, now: dt.datetime, related: Sequence[Record] = (),
                   made: Form | None = None) -> dict:
    """Everything the record template prints for ``record`` at ``now``.

    ``related``: the records it came from and made (its parent and children), listed under 关联记录.
    ``made``: the form version the record was made under (kept in the archive), whose labels, options and
    sections it prints; ``None`` when none is kept: today's form, with a note saying so."""
    current = defs.forms[record.form]
    form = made if made is not None and made.version == record.form_version else current
    tz = defs.settings.timezone
    # Today's workflow runs the clocks and may name fields the record's form version did not have yet.
    labels = {**form_labels(current), **form_labels(form)}
    view, workflow = _view(defs, record)
    typed = typed_values(current, view.values, defs.settings, now)
    typed_then = typed if form is current else typed_values(form, view.values, defs.settings, now)
    running = record_clocks(view, typed, workflow, defs.calendar, now, labels) if workflow is not None else []
    # A field nobody filled that shows a clock's due time (应回访日期) prints the time the clock computed.
    printed = {**_clock_values(current, workflow, running, tz),
               **{k: v for k, v in view.values.items() if not is_empty(v)}}

    def shown(expr) -> bool:
        try:
            return expr is None or holds(expr, typed_then, now=now)
        except Exception:  # a condition that cannot be decided still prints the field
            return True

    def visible(field: Field) -> bool:
        return shown(field.show_if) or not is_empty(view.values.get(field.name))

    sections = []
    for section in (*form.sections, *_added_since(form, current, view.values)):
        has_values = any(not is_empty(view.values.get(f.name)) for f in section.fields)
        if not shown(section.show_if) and not has_values:
            continue
        sections.append(layout_section(section, layout_blocks(section.fields, printed, defs.settings, labels, visible)))

    history = []
    for step in view.steps:
        state = ""
        if workflow is not None and step.after != step.before and step.after in workflow.states:
            before = workflow.states[step.before].label if step.before in workflow.states else step.before
            state = f"{before} → {workflow.states[step.after].label}"
        elif workflow is not None and step.event.action == CREATE and step.after in workflow.states:
            state = workflow.states[step.after].label
        history.append({"at": local(step.event.at, tz), "by": _who(defs, step.event.by), "action": step.label,
                        "state": state, "change": _change(form, current, step, tz), "note": tidy(step.event.note)})

    clocks = []
    for c in running:
        clocks.append({"label": c.label, "rule": c.rule, "start": local(c.started, tz), "due": local(c.due, tz),
                       "stopped": local(c.stopped, tz) if c.stopped else "", "status": STATUS_LABELS[c.status],
                       "status_key": c.status, "who": "、".join(defs.settings.roles.get(r, r) for r in c.who)})

    state = workflow.states[view.state].label if workflow is not None and view.state in workflow.states else ""
    version_note = "" if record.form_version == form.version else f"（按现行第 {form.version} 版表单打印）"
    return {
        **settings_context(defs),
        "kind": "record", "title": f"{form.title} {record.number}",
        "form": {"id": form.id, "title": form.title, "title_en": form.title_en, "version": record.form_version,
                 "version_note": version_note},
        "record": {"number": record.number, "state": state, "created": local(record.created_at, tz),
                   "created_by": _who(defs, record.events[0].by), "parent": record.parent,
                   "related": _related(defs, record, related), "qr": qr_svg(record.number)},
        "sections": sections, "history": history, "clocks": clocks,
        "printed": local(now, tz), "created_iso": now.isoformat(timespec="seconds"),
        "meta": {"FormflowForm": form.id, "FormflowFormVersion": str(record.form_version),
                 "FormflowRecord": record.number},
    }


# ── blank form ──────────────────────────────────────────────────────────────────────────

def blank_context(defs: Definitions, form_id: str, fillable: bool = False) -> dict:
    """Everything the blank (paper) form prints."""
    form = defs.forms[form_id]
    labels = form_labels(form)
    sections = []
    for section in form.sections:
        condition = f"仅当{describe(section.show_if, labels)}时填写本部分" if section.show_if else ""
        sections.append(layout_section(section, layout_blocks(section.fields, None, defs.settings, labels, lambda f: True),
                                 condition))
    tag = f"formflow:{form.id}:v{form.version}"
    return {
        **settings_context(defs),
        "kind": "blank", "fillable": fillable, "title": f"{form.title}（空白表）",
        "form": {"id": form.id, "title": form.title, "title_en": form.title_en, "version": form.version,
                 "description": f"{trim(form.description)}。" if form.description.strip() else "", "tag": tag, "qr": qr_svg(tag)},
        "sections": sections,
        "meta": {"FormflowForm": form.id, "FormflowFormVersion": str(form.version)},
    }
