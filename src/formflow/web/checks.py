"""Checking what a clerk typed, by the engine itself: a new record, or an action on a record.

A new record is checked by :func:`formflow.intake.read_content` on the very YAML text the
desk would drop into the inbox (the envelope and every field, as ``formflow validate`` and
the engine check it); an action by the same function for its envelope and then by
:func:`formflow.engine.actions.apply_action` (permission, state, fields, guard), exactly as
the engine will apply it. This module adds no rule: it only places the engine's problems
next to the controls they are about (:func:`formflow.web.fields.place`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from formflow.adapters.inbox import submission_text
from formflow.definitions.forms import Form
from formflow.definitions.loader import Definitions
from formflow.engine.actions import ActionRefused, apply_action
from formflow.engine.records import CORRECT, Record, replay
from formflow.engine.validate import DataProblem
from formflow.intake import read_content
from formflow.web import fields as fx

_BY_PREFIX = "「经办人」："


@dataclass
class Check:
    """The engine's verdict on a page's values, placed on the page."""

    doc: dict[str, Any]
    posted: fx.Posted
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    general: list[str] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)  # every problem in full, for the summary
    computed: dict[str, str] = field(default_factory=dict)  # control name → a computed value (calculate:)

    @property
    def shown_hidden(self) -> set[str]:
        """Fields to hide when the page is drawn again: a field with a problem stays in sight to be put right."""
        return self.hidden - set(self.problems)

    @property
    def ok(self) -> bool:
        """Nothing to fix."""
        return not self.problems and not self.general

    def add(self, problem: DataProblem) -> None:
        """Put ``problem`` beside its control, or in the general list."""
        self.texts.append(str(problem))
        name = fx.place(problem.key, self.posted.rows)
        if name:
            self.problems[name].append(problem.message)
        else:
            self.general.append(str(problem))

    def add_text(self, text: str) -> None:
        """An envelope problem as :func:`read_content` words it."""
        self.texts.append(text)
        if text.startswith(_BY_PREFIX):
            self.problems[fx.BY].append(text.removeprefix(_BY_PREFIX))
        else:
            self.general.append(text)

    def as_json(self) -> dict:
        """The answer of the live-check endpoints."""
        return {"ok": self.ok, "general": self.general, "hidden": sorted(self.hidden), "texts": self.texts,
                "problems": [{"name": n, "message": m} for n, messages in self.problems.items() for m in messages],
                "computed": self.computed}


def _moment(now: dt.datetime) -> str:
    return now.isoformat(timespec="seconds")


def computed_controls(form: Form, values: dict[str, Any], rows: dict[str, list[str]]) -> dict[str, str]:
    """What ``calculate:`` gave, by the control that shows it (``materials.7.mat_amount``), as plain text."""
    out = {}
    for f in form.iter_fields():
        if f.calculate is not None and f.name in values:
            out[f.name] = str(values[f.name])
        if f.type == "table" and isinstance(values.get(f.name), list):
            for i, row in enumerate(values[f.name], start=1):
                for c in f.columns:
                    if c.calculate is not None and c.name in row:
                        out[fx.place(f"{f.name}[{i}].{c.name}", rows)] = str(row[c.name])
    return out


def check_new(defs: Definitions, form: Form, values: fx.MultiDict, now: dt.datetime) -> Check:
    """A new record of ``form`` from posted ``values``, checked as the inbox will check it at ``now``."""
    posted = fx.parse(form.iter_fields(), values)
    doc = {"form": form.id, "version": form.version, "by": values.first(fx.BY).strip(), "at": _moment(now),
           "data": posted.data}
    check = Check(doc, posted)
    checked, problems = read_content(submission_text(doc).encode("utf-8"), "desk.yaml", defs, now, lines=False)
    validated = checked[0].validated if checked else None
    found = validated.problems if validated is not None else ()
    for problem in found:
        check.add(problem)
    if validated is not None:
        check.computed = computed_controls(form, validated.values, posted.rows)
    data_texts = {str(p) for p in found}
    for text in problems:
        if text not in data_texts:
            check.add_text(text)
    check.hidden = fx.hidden(form, posted.raw, fx.table_rows(posted), defs.settings, now)
    return check


def check_action(defs: Definitions, record: Record, action_key: str, values: fx.MultiDict,
                 now: dt.datetime) -> Check:
    """An action on ``record`` from posted ``values``, checked as the engine will apply it at ``now``.

    The page shows each action field filled with the stored value. What is sent: values that
    changed; ``""`` (clear) for a stored value the clerk emptied or that no longer applies;
    nothing for the rest, so the history shows what the action changed.
    """
    form = defs.forms[record.form]
    workflow = defs.workflows[record.form]
    view = replay(record, workflow)
    action = workflow.actions.get(action_key) or (workflow.correction(form) if action_key == CORRECT else None)
    names = action.fields if action is not None else ()
    own = [form.fields[n] for n in names if n in form.fields]
    posted = fx.parse(own, values)
    merged_raw = {**view.values, **{k: v for k, v in posted.raw.items() if k in posted.present}}
    rows = {f.name: fx.control_value(f, view.values.get(f.name), defs.settings)
            for f in form.iter_fields() if f.type == "table"}
    rows.update({k: v for k, v in fx.table_rows(posted).items() if k in posted.present})
    hide = fx.hidden(form, merged_raw, rows, defs.settings, now)
    data: dict[str, Any] = {}
    for f in own:
        stored = view.values.get(f.name)
        if f.name in posted.data:
            if f.type == "table" or posted.data[f.name] != fx.control_value(f, stored, defs.settings):
                data[f.name] = posted.data[f.name]
        elif stored is not None and (f.name in posted.present or f.name in hide):
            data[f.name] = ""
    by = values.first(fx.BY).strip()
    doc: dict[str, Any] = {"record": record.number, "action": action_key, "by": by, "at": _moment(now), "data": data}
    note = values.first("_note").strip()
    if note:
        doc["note"] = note
    check = Check(doc, posted)
    _, problems = read_content(submission_text(doc).encode("utf-8"), "desk.yaml", defs, now, lines=False)
    for text in problems:
        check.add_text(text)
    if check.ok:
        try:
            apply_action(defs, record, action_key, by, now, data, note=doc.get("note", ""))
        except ActionRefused as exc:
            for problem in exc.problems:
                check.add(problem)
    check.hidden = {n for n in hide if n.split(".")[0] in names}
    return check
