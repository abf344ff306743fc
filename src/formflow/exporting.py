"""Lists, search results and a unit's file as Excel tables: Chinese headers, values as a clerk reads them.

The tables are plain ``(headers, rows)``; :func:`formflow.adapters.spreadsheet.write_xlsx` writes them. A list
of one form carries every field of the form under its Chinese label (tables of a form as their rows joined
by "；"), so the sheet is the form's register; a list across forms carries what every form has in common.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from formflow.adapters.spreadsheet import write_xlsx
from formflow.definitions.loader import Definitions
from formflow.engine.clocks import STATUS_LABELS
from formflow.engine.records import Record, replay
from formflow.engine.unitfile import Entry, UnitFile, entry
from formflow.punctuation import join_clauses
from formflow.render.values import format_value, local

COMMON = ("登记时间", "表单", "编号", "房号", "姓名", "联系电话", "状态", "未完成的期限")
#: A unit's file adds what each form's ``unit_file`` names.
UNIT_FILE = (*COMMON, "摘要")


def summary(item: Entry, zone) -> str:
    """What the form's ``unit_file`` names, as a clerk reads it: ``接通情况：已接通；欠费金额：1,280.00 元``."""
    return join_clauses(f"{f.label}：{format_value(f, value, zone)}" for f, value in item.details)


def _deadlines(item: Entry, zone) -> str:
    return "；".join(f"{d.label} {local(d.due, zone)}（{d.status_label}）" for d in item.deadlines)


def entry_row(item: Entry, zone) -> list:
    """One line of a cross-form list."""
    return [local(item.created, zone), item.form_title, item.number, item.unit, item.name, item.phone,
            item.state_label, _deadlines(item, zone)]


def entries_table(items: Iterable[Entry], zone) -> tuple[list[str], list[list]]:
    """Search results (or any list of :class:`Entry`) as a table."""
    return list(COMMON), [entry_row(i, zone) for i in items]


_NUMBERS = ("integer", "decimal", "money")


def _header(f) -> str:
    unit = f.unit_label or ("元" if f.type == "money" else "")
    return f"{f.label}（{unit}）" if f.type in _NUMBERS and unit else f.label


def _number(value):
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return int(number) if number == number.to_integral_value() and abs(number) < 10**15 else number


def records_table(defs: Definitions, records: Iterable[Record], now: dt.datetime) -> tuple[list[str], list[list]]:
    """Records as a table: the common columns, and every field of the form when they are all of one form."""
    zone = defs.settings.timezone
    views = [replay(r, defs.workflows[r.form]) for r in records if r.form in defs.workflows]
    forms = {v.record.form for v in views}
    fields = []
    if len(forms) == 1:
        form = defs.forms[next(iter(forms))]
        fields = [f for f in form.iter_fields() if f.holds_data]
    headers = list(COMMON) + [_header(f) for f in fields]
    rows = []
    for view in views:
        row = entry_row(entry(defs, view, now, deadlines=True), zone)
        for f in fields:
            value = view.values.get(f.name)
            if f.type == "table" and isinstance(value, list):
                cells = ["，".join(format_value(c, r.get(c.name), zone) for c in f.columns
                                  if c.holds_data and r.get(c.name) not in (None, ""))
                         for r in value if isinstance(r, dict)]
                row.append("；".join(cells))
            elif f.type in _NUMBERS and value not in (None, ""):
                row.append(_number(value))  # a number Excel can add up, its unit in the header
            else:
                row.append(format_value(f, value, zone) if value not in (None, "") else "")
        rows.append(row)
    return headers, rows


def unit_file_table(file: UnitFile, zone) -> tuple[str, list[str], list[list]]:
    """A unit's file as a title line (the unit, its owner, phones, 入住状态) and its records."""
    bits = [f"房号 {file.unit}"] + [f"{k} {v}" for k, v in (("业主", file.owner), ("电话", "、".join(file.phones)),
                                                          ("入住状态", file.status), ("建筑面积", file.area and
                                                           f"{file.area} 平方米")) if v]
    rows = [[*entry_row(item, zone), summary(item, zone)] for item in file.records]
    return "　".join(bits), list(UNIT_FILE), rows


def todo_table(defs: Definitions, tasks: Iterable, zone) -> tuple[list[str], list[list]]:
    """The to-do list as a table (the office's screen copy: phones in full, as on the desk)."""
    roles = defs.settings.roles
    headers = ["状态", "期限", "记录编号", "表单", "事项", "负责", "房号", "住户", "联系电话"]
    rows = [[STATUS_LABELS[t.status], local(t.due, zone), t.record,
             defs.forms[t.form].title if t.form in defs.forms else "周期性工作", t.task,
             "、".join(roles.get(r, r) for r in t.who), t.unit, t.name, t.phone] for t in tasks]
    return headers, rows


def save(path: Path, headers: list[str], rows: list[list], *, title: str = "", sheet: str = "记录") -> Path:
    """Write the table to ``path`` (.xlsx), atomically; its path."""
    write_xlsx(path, headers, rows, title=title, sheet_name=sheet)
    return path
