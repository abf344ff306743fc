"""Between HTML form controls and the engine: posted values in, engine data and placement out.

Nothing here judges a value. The browser's controls are read into the same plain data a
YAML file would hold; the engine (:mod:`formflow.intake`, :mod:`formflow.engine.actions`)
says what is wrong, and this module only says *where on the page* each problem goes and
which fields currently apply (``show_if``, evaluated by the engine's own expression code).

Control names: a top-level field is named by its key (``phone``); a table cell by
``<table>.<row id>.<column>`` (``materials.3.mat_qty``), the row id being a counter the page
keeps (rows may be removed, so ids have gaps); the envelope's person is ``_by``. Every
table and tick-box group also posts an empty marker under its own name, so the server can
tell "present but empty" from "switched off because it does not apply".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from formflow.definitions.forms import Field, Form
from formflow.definitions.settings import Settings
from formflow.engine.expressions import holds
from formflow.engine.fieldtypes import BadValue, is_empty
from formflow.engine.validate import read_value

BY = "_by"
_CELL = re.compile(r"^([a-z][a-z0-9_]*)\.(\d{1,6})\.([a-z][a-z0-9_]*)$")
_KEY = re.compile(r"^([a-z][a-z0-9_]*)(?:\[(\d+)\]\.([a-z][a-z0-9_]*))?$")


class MultiDict(dict):
    """Posted pairs: ``name`` → every value sent under it, in order."""

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> MultiDict:
        """Collect ``(name, value)`` pairs (as ``urllib.parse.parse_qsl`` gives them)."""
        out = cls()
        for key, value in pairs:
            out.setdefault(key, []).append(value)
        return out

    def first(self, name: str, default: str = "") -> str:
        """The first value sent under ``name``."""
        values = self.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        """Every non-empty value sent under ``name`` (tick boxes)."""
        return [v for v in self.get(name, []) if v.strip()]


@dataclass
class Posted:
    """Values of some fields as posted: ``data`` for the engine, ``raw`` to show again."""

    data: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)  # table → ids of its non-empty rows, in order
    present: set[str] = field(default_factory=set)  # fields whose controls were switched on


def parse(fields: Iterable[Field], form: MultiDict) -> Posted:
    """Read the controls of ``fields`` from ``form``; empty values and empty table rows are left out."""
    posted = Posted()
    for f in fields:
        if not f.holds_data:
            continue
        if f.type == "table":
            _parse_table(f, form, posted)
            continue
        if f.name in form:
            posted.present.add(f.name)
        value: Any = form.all(f.name) if f.type == "multichoice" else form.first(f.name)
        posted.raw[f.name] = value
        if not is_empty(value):
            posted.data[f.name] = value
    return posted


def _parse_table(f: Field, form: MultiDict, posted: Posted) -> None:
    ids: set[int] = set()
    for key in form:
        match = _CELL.match(key)
        if match and match.group(1) == f.name:
            ids.add(int(match.group(2)))
    if f.name in form or ids:
        posted.present.add(f.name)
    rows, raw_rows, kept = [], [], []
    for row_id in sorted(ids):
        cells: dict[str, Any] = {}
        shown: dict[str, Any] = {}
        for col in f.columns:
            if not col.holds_data:
                continue
            name = f"{f.name}.{row_id}.{col.name}"
            value: Any = form.all(name) if col.type == "multichoice" else form.first(name)
            shown[col.name] = value
            if not is_empty(value):
                cells[col.name] = value
        raw_rows.append((str(row_id), shown))
        if cells:
            rows.append(cells)
            kept.append(str(row_id))
    posted.raw[f.name] = raw_rows
    posted.rows[f.name] = kept
    if rows:
        posted.data[f.name] = rows


def place(key: str, rows: Mapping[str, list[str]]) -> str:
    """The control name a problem's ``key`` belongs to (``materials[2].mat_qty`` → ``materials.7.mat_qty``).

    Row numbers in keys count the non-empty rows from 1, as the engine reads them; ``""``
    means the problem belongs to no single control.
    """
    if key == "by":
        return BY
    match = _KEY.match(key or "")
    if not match:
        return ""
    name, index, column = match.groups()
    if index is None:
        return name
    ids = rows.get(name, [])
    position = int(index) - 1
    return f"{name}.{ids[position]}.{column}" if 0 <= position < len(ids) else name


def _typed(fields: Iterable[Field], raw: Mapping[str, Any], settings: Settings, now: dt.datetime) -> dict[str, Any]:
    """Values read as the engine reads them (unreadable ones left out, defaults filled in)."""
    values: dict[str, Any] = {}
    for f in fields:
        if not f.holds_data or f.type == "table":
            continue
        value = raw.get(f.name)
        if is_empty(value):
            value = f.default
        if value is None:
            continue
        try:
            values[f.name] = read_value(f, value, settings, now)
        except BadValue:
            pass
    return values


def hidden(form: Form, raw: Mapping[str, Any], rows: Mapping[str, list[tuple[str, Mapping[str, Any]]]],
           settings: Settings, now: dt.datetime) -> set[str]:
    """Control names of the fields that do not apply to ``raw`` (all data, already merged with stored values).

    Mirrors the order of :func:`formflow.engine.validate.validate_data`: field conditions on the
    typed values, then section conditions, each judged by the engine's ``holds``. ``rows`` gives
    every table row on the page as ``(row id, raw cells)``, empty ones included.
    """
    today = now.astimezone(settings.timezone).date()
    all_fields = tuple(form.iter_fields())
    scope = _typed(all_fields, raw, settings, now)
    for f in all_fields:
        if f.type == "table":
            scope[f.name] = [{**_typed(f.columns, cells, settings, now)} for _, cells in rows.get(f.name, [])
                             if not all(is_empty(v) for v in cells.values())]
    shown = {f.name: f.show_if is None or holds(f.show_if, scope, today=today) for f in all_fields}
    provisional = {k: v for k, v in scope.items() if shown.get(k, True)}
    out: set[str] = set()
    for section in form.sections:
        applies = section.show_if is None or holds(section.show_if, provisional, today=today)
        for f in section.fields:
            if not (applies and shown[f.name]):
                out.add(f.name)
                continue
            for row_id, cells in rows.get(f.name, []) if f.type == "table" else ():
                row_scope = {**scope, **_typed(f.columns, cells, settings, now)}
                out.update(f"{f.name}.{row_id}.{c.name}" for c in f.columns
                           if c.show_if is not None and not holds(c.show_if, row_scope, today=today))
    return out


def table_rows(posted: Posted) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
    """Every posted table row as ``(row id, raw cells)``, for :func:`hidden`."""
    return {name: value for name, value in posted.raw.items() if isinstance(value, list)
            and all(isinstance(r, tuple) for r in value)}


# -- stored or default values as controls show them ---------------------------------------------


def control_value(f: Field, value: Any, settings: Settings) -> Any:
    """A stored (plain) value as the field's control takes it: 是/否, local ``YYYY-MM-DDTHH:MM``, lists, rows."""
    if value is None:
        return [] if f.type in ("multichoice", "table") else ""
    if f.type == "table":
        rows = value if isinstance(value, list) else []
        return [(str(i), {c.name: control_value(c, r.get(c.name), settings) for c in f.columns if c.holds_data})
                for i, r in enumerate(rows, start=1) if isinstance(r, dict)]
    if f.type == "multichoice":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if isinstance(value, bool):
        return "是" if value else "否"
    if f.type == "datetime" and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(settings.timezone)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return str(value)


def defaults(form: Form, settings: Settings) -> dict[str, Any]:
    """Initial control values of a new form: each field's default, except ``now``/``today``.

    Those two are left empty (the engine fills in the time of submission), so a page left open
    for an hour does not register the time it was opened.
    """
    values: dict[str, Any] = {}
    for f in form.iter_fields():
        if f.holds_data and f.default is not None and f.default not in ("now", "today"):
            values[f.name] = control_value(f, f.default, settings)
    return values


def placeholder(f: Field, settings: Settings) -> str:
    """Grey example text for a control."""
    if f.default in ("now", "today"):
        return "不填则为提交时的时间" if f.default == "now" else "不填则为提交当天"
    return {"unit": f"例：{settings.unit_example}", "mobile": "11 位手机号码", "id_number": "18 位身份证号码",
            "time": "例：14:30"}.get(f.type, "")
