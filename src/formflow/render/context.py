"""What the record and blank-form templates print, as plain data (pure: no WeasyPrint, no files).

Each ``*_context`` function turns definitions, a record or tasks into dicts of strings and
lists that the Jinja2 templates lay out; every value is text (escaped by the templates),
except the QR code, which is SVG that segno made from the record number.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

from formflow.definitions.forms import Field, Form, Section, form_labels
from formflow.definitions.loader import Definitions
from formflow.definitions.schema import PAPER_ONLY
from formflow.engine.clocks import STATUS_LABELS, record_clocks
from formflow.engine.expressions import describe, holds
from formflow.engine.fieldtypes import is_empty
from formflow.engine.records import CREATE, Record, RecordView, Step, replay, typed_values

#: The page is cut into this many columns; a field of width 1/2 takes 12, its label 4.
GRID = 24
_WIDTHS = {"full": GRID, "1/2": GRID // 2, "1/3": GRID // 3, "2/3": GRID * 2 // 3, "1/4": GRID // 4}
#: Choice lists longer than this print as a line to write on, not as tick boxes.
MAX_TICKS = 16
#: Options longer than this (characters) print one per line.
LONG_OPTION = 8
#: Tick boxes inside a table row only when all options fit in about this many characters (□是 □否).
CELL_TICKS = 10
#: Blank rows of a table on paper when neither print.rows nor min_rows says.
DEFAULT_BLANK_ROWS = 3
_LONG = {"textarea"}
_COMB = {"mobile": 11, "id_number": 18}

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask(text: str) -> str:
    """Mobile and ID numbers in ``text`` masked for lists: 13812345678 → 138****5678."""
    text = _ID.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), text)
    return _PHONE.sub(r"\1****\2", text)


def local(moment: dt.datetime, tz) -> str:
    """A moment as the office reads it: ``2026-11-28 17:30`` in the office's time zone."""
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


@functools.lru_cache(maxsize=1024)
def qr_svg(text: str) -> Markup:
    """A QR code of ``text`` as inline SVG (segno: pure Python, vector, no image file to fetch).

    Cached: a record's PDF is printed again after each change, with the same number.
    """
    import segno

    code = segno.make(text, error="m", micro=False)
    return Markup(code.svg_inline(border=0, omitsize=True, svgclass="qr", lineclass=None, dark="#000"))


# ── values ──────────────────────────────────────────────────────────────────────────────

def _option_label(field: Field, value: Any) -> str:
    if field.choices is not None:
        for option in field.choices.options:
            if option.value == str(value):
                return option.label
    return str(value)


def _number(value: Any, places: int | None) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if places is None:
        return f"{number:,}" if number == number.to_integral_value() else f"{number:,f}"
    return f"{number:,.{places}f}"


def format_value(field: Field, value: Any, tz) -> str:
    """A stored (plain) value as printed text."""
    if is_empty(value):
        return ""
    kind = field.type
    if kind == "yesno":
        return "是" if value is True or str(value) in ("是", "true", "True") else "否"
    if kind == "choice":
        return _option_label(field, value)
    if kind == "multichoice":
        items = value if isinstance(value, (list, tuple)) else [value]
        return "、".join(_option_label(field, v) for v in items)
    if kind == "datetime":
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return local(moment if moment.tzinfo else moment.replace(tzinfo=tz), tz)
    if kind in ("integer", "decimal", "money"):
        places = 2 if kind == "money" else field.decimals if kind == "decimal" else None
        unit = field.unit_label or ("元" if kind == "money" else "")
        return _number(value, places) + (f" {unit}" if unit else "")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


# ── layout of a form's fields ───────────────────────────────────────────────────────────

def _width(field: Field) -> int:
    if field.print.width:
        return _WIDTHS[field.print.width]
    return GRID if field.type in _LONG or field.type == "table" else GRID // 2


def _label_span(span: int) -> int:
    return 3 if span <= GRID // 4 else 4


def _conditions(field: Field, labels: Mapping[str, str]) -> list[str]:
    out = []
    if field.show_if is not None:
        out.append(f"仅当{describe(field.show_if, labels)}时填写")
    if field.required is not True and field.required:
        out.append(f"当{describe(field.required, labels)}时必填")
    return out


def _blank_input(field: Field, settings) -> dict:
    """How a field is filled in by hand: a line, tick boxes, date parts, digit boxes."""
    return {"suffix": "", "note": "", "options": [], "multi": False, "long": False, "cells": 0,
            **_input_kind(field, settings)}


def _input_kind(field: Field, settings) -> dict:
    kind = field.type
    if kind == "yesno":
        return {"type": "ticks", "options": ["是", "否"]}
    if kind in ("choice", "multichoice") and field.choices is not None:
        if len(field.choices.options) <= MAX_TICKS:
            options = [o.label for o in field.choices.options]
            return {"type": "ticks", "options": options, "multi": kind == "multichoice",
                    "long": any(len(o) > LONG_OPTION for o in options)}
        return {"type": "line", "note": f"从「{field.choices.label or field.label}」清单中选填"}
    if kind in _COMB:
        return {"type": "comb", "cells": _COMB[kind]}
    if kind in ("date", "datetime", "time"):
        return {"type": kind}
    if kind in ("integer", "decimal", "money"):
        return {"type": "line", "suffix": field.unit_label or ("元" if kind == "money" else "")}
    if kind == "unit":
        return {"type": "line", "note": f"例 {settings.unit_example}"}
    return {"type": "line"}


def _cell(field: Field, span: int, values: Mapping[str, Any] | None, settings, labels) -> dict:
    cell = {
        "name": field.name, "label": field.label, "label_en": field.label_en, "type": field.type,
        "span": span, "label_span": _label_span(span), "required": field.required is True,
        "conditions": _conditions(field, labels), "guidance": field.print.guidance, "hint": field.hint,
        "max_length": field.max_length or "",
    }
    if values is None:
        cell["input"] = _blank_input(field, settings)
    else:
        cell["value"] = format_value(field, values.get(field.name), settings.timezone)
    return cell


def _table_block(field: Field, values: Mapping[str, Any] | None, settings, labels) -> dict:
    columns = [c for c in field.columns if c.type not in PAPER_ONLY and not c.print.hidden]
    column_labels = {**labels, **{c.name: c.label for c in field.columns}}
    inputs = {c.name: _blank_input(c, settings) for c in columns}
    notes = [f"「{c.label}」：{'；'.join(_conditions(c, column_labels))}" for c in columns if _conditions(c, column_labels)]
    for c in columns:
        ticks = inputs[c.name]
        if ticks["type"] == "ticks" and sum(len(o) + 2 for o in ticks["options"]) > CELL_TICKS:
            # Too long to repeat in every row: write the choice in the cell, the options once below the table.
            inputs[c.name] = {**ticks, "type": "line", "options": []}
            notes.append(f"「{c.label}」{'可多选' if ticks['multi'] else '填写其一'}：{'、'.join(ticks['options'])}")
    block = {
        "kind": "table", "name": field.name, "label": field.label, "label_en": field.label_en,
        "required": field.required is True, "conditions": _conditions(field, labels),
        "guidance": field.print.guidance, "hint": field.hint, "break_before": field.print.page_break_before,
        "columns": [{"name": c.name, "label": c.label, "required": c.required is True, "input": inputs[c.name]}
                    for c in columns],
        "notes": notes,
    }
    if values is None:
        block["rows"] = []
        block["blank_rows"] = field.print.rows or field.min_rows or DEFAULT_BLANK_ROWS
    else:
        rows = values.get(field.name) or []
        block["rows"] = [[format_value(c, row.get(c.name), settings.timezone) if isinstance(row, Mapping) else ""
                          for c in columns] for row in rows]
        block["blank_rows"] = 0
    return block


def _blocks(fields: Sequence[Field], values: Mapping[str, Any] | None, settings, labels,
            visible) -> list[dict]:
    """Fields grouped as printed: rows of short fields, long texts, tables, notes, sign-off boxes."""
    blocks: list[dict] = []
    row: list[dict] = []

    def close_row():
        if row:
            used = sum(c["span"] for c in row)
            row[-1]["span"] += GRID - used  # the last field takes what the row has left
            grid = blocks[-1] if blocks and blocks[-1]["kind"] == "grid" else None
            if grid is None:
                grid = {"kind": "grid", "rows": []}
                blocks.append(grid)
            grid["rows"].append(list(row))
            row.clear()

    for field in fields:
        if field.print.hidden or not visible(field):
            continue
        if field.print.page_break_before:
            close_row()
            blocks.append({"kind": "break"})
        if field.type == "signature":
            close_row()
            box = {"label": field.label, "seal": field.seal, "with_date": field.with_date,
                   "conditions": _conditions(field, labels)}
            if blocks and blocks[-1]["kind"] == "signatures":
                blocks[-1]["boxes"].append(box)
            else:
                blocks.append({"kind": "signatures", "boxes": [box]})
        elif field.type == "note":
            close_row()
            blocks.append({"kind": "note", "label": field.label, "text": field.text})
        elif field.type == "table":
            close_row()
            blocks.append(_table_block(field, values, settings, labels))
        elif field.type in _LONG and not field.print.width:
            close_row()
            block = _cell(field, GRID, values, settings, labels)
            block.update(kind="long", lines=field.print.lines or 3)
            blocks.append(block)
        else:
            span = _width(field)
            if sum(c["span"] for c in row) + span > GRID:
                close_row()
            row.append(_cell(field, span, values, settings, labels))
    close_row()
    for block in blocks:
        if block["kind"] == "grid":
            _merge_columns(block)
    return blocks


def _merge_columns(grid: dict) -> None:
    """Give a grid only the columns its cells need: the edges used by some label or value.

    A row of two half-width fields needs 4 columns (label 4/24, value 8/24, twice), not 24.
    WeasyPrint lays out, collapses borders and draws per column, so the 24-column grid cost a
    tenth of a record's render time. ``cols`` are the widths in 24ths; each cell gets
    ``label_cols`` and ``value_cols``, its label's and its value's colspan in those columns.
    """
    edges = {0, GRID}
    for row in grid["rows"]:
        start = 0
        for cell in row:
            edges.update((start, start + cell["label_span"], start + cell["span"]))
            start += cell["span"]
    ordered = sorted(edges)
    index = {edge: i for i, edge in enumerate(ordered)}
    grid["cols"] = [b - a for a, b in zip(ordered, ordered[1:])]
    for row in grid["rows"]:
        start = 0
        for cell in row:
            middle, end = start + cell["label_span"], start + cell["span"]
            cell["label_cols"] = index[middle] - index[start]
            cell["value_cols"] = index[end] - index[middle]
            start = end


def _section(section: Section, blocks: list[dict], condition: str = "") -> dict:
    return {"title": section.title, "title_en": section.title_en, "condition": condition,
            "break_before": section.print.page_break_before, "guidance": section.print.guidance, "blocks": blocks}


def settings_context(defs: Definitions) -> dict:
    s = defs.settings
    return {"office": s.office, "company": s.company, "station": s.station}


# ── record ──────────────────────────────────────────────────────────────────────────────

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


def _change(form: Form, step: Step, tz) -> str:
    if step.event.action == CREATE:
        return ""
    fields = form.fields
    parts = []
    for key, value in step.event.data.items():
        field = fields.get(key)
        if field is None:
            continue
        text = "（清空）" if is_empty(value) else (
            f"{len(value)} 行" if field.type == "table" else format_value(field, value, tz))
        if len(text) > 60:
            text = text[:58] + "…"
        parts.append(f"{field.label}：{text}")
    return "；".join(parts)


def record_context(defs: Definitions, record: Record, now: dt.datetime) -> dict:
    """Everything the record template prints for ``record`` at ``now``."""
    form = defs.forms[record.form]
    tz = defs.settings.timezone
    labels = form_labels(form)
    view, workflow = _view(defs, record)
    typed = typed_values(form, view.values, defs.settings, now)

    def shown(expr) -> bool:
        try:
            return expr is None or holds(expr, typed, now=now)
        except Exception:  # a condition that cannot be decided still prints the field
            return True

    def visible(field: Field) -> bool:
        return shown(field.show_if) or not is_empty(view.values.get(field.name))

    sections = []
    for section in form.sections:
        has_values = any(not is_empty(view.values.get(f.name)) for f in section.fields)
        if not shown(section.show_if) and not has_values:
            continue
        sections.append(_section(section, _blocks(section.fields, view.values, defs.settings, labels, visible)))

    history = []
    for step in view.steps:
        state = ""
        if workflow is not None and step.after != step.before and step.after in workflow.states:
            before = workflow.states[step.before].label if step.before in workflow.states else step.before
            state = f"{before} → {workflow.states[step.after].label}"
        elif workflow is not None and step.event.action == CREATE and step.after in workflow.states:
            state = workflow.states[step.after].label
        history.append({"at": local(step.event.at, tz), "by": _who(defs, step.event.by), "action": step.label,
                        "state": state, "change": _change(form, step, tz), "note": step.event.note})

    clocks = []
    if workflow is not None:
        for c in record_clocks(view, typed, workflow, defs.calendar, now, labels):
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
                   "created_by": _who(defs, record.events[0].by), "parent": record.parent, "qr": qr_svg(record.number)},
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
        sections.append(_section(section, _blocks(section.fields, None, defs.settings, labels, lambda f: True),
                                 condition))
    tag = f"formflow:{form.id}:v{form.version}"
    return {
        **settings_context(defs),
        "kind": "blank", "fillable": fillable, "title": f"{form.title}（空白表）",
        "form": {"id": form.id, "title": form.title, "title_en": form.title_en, "version": form.version,
                 "description": form.description, "tag": tag, "qr": qr_svg(tag)},
        "sections": sections,
        "meta": {"FormflowForm": form.id, "FormflowFormVersion": str(form.version)},
    }


__all__ = ["blank_context", "format_value", "local", "mask", "qr_svg", "record_context"]
