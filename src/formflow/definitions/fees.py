"""``fees:`` of formflow.yaml: how this office's billing-system export is read (its own header names).

Billing systems name their columns differently (欠费金额, 未收金额, 应欠金额 …). The built-in names
(:data:`formflow.fees.arrears.HEADERS`) cover the common ones; an office whose system says something else
lists its names here once, and they are tried before the built-in ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from formflow.definitions.feecollectors import COLLECTORS_SCHEMA, read_collectors
from formflow.definitions.yamlsource import Document
from formflow.errors import Problem

#: Our keys for the columns of an arrears list, with their Chinese names (what a supervisor reads).
FEE_COLUMNS = {"unit": "房号", "owner": "业主", "item": "收费项目", "period": "所属期间", "due": "应收",
               "paid": "已收", "owed": "欠费金额"}

#: The office's calling periods when formflow.yaml names none (the manual: not before 9:00, not 12:00–14:00,
#: not after 20:00).
DEFAULT_CALLING_HOURS = ((dt.time(9), dt.time(12)), (dt.time(14), dt.time(20)))
_PERIOD = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")

_NAMES = {"type": "array", "uniqueItems": True, "items": {"type": "string", "minLength": 1}}

FEES_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "description": "How `formflow fees import` reads the arrears list (欠费明细) exported from the office's billing "
                   "system: Excel or CSV, with a 房号, the 收费项目, the 所属期间 and the amounts.",
    "properties": {
        "calling_hours": {
            "type": "array", "minItems": 1, "items": {"type": "string"},
            "description": "When owners may be phoned about fees, as periods `HH:MM-HH:MM` in order, e.g. "
                           "`[\"09:00-12:00\", \"14:00-20:00\"]` (the default: not before 9:00, not at lunch, not "
                           "after 20:00), every day of the week. The to-do lists show them beside the collector's "
                           "calls, and a clock with `within: calling_hours` falls due inside them.",
        },
        "columns": {
            "type": "object",
            "additionalProperties": False,
            "description": "Header names this office's billing system uses, per column, tried before the built-in "
                           "ones (which cover 房号/房间号/房屋编号/资源编号, 业主/客户名称, 收费项目/费用项目/费项, "
                           "所属期间/账期/计费月份, 应收/应收金额, 已收/实收/实收金额, 欠费/欠费金额/欠款/未收金额). "
                           "A name is compared without spaces and without what is in brackets: `欠费金额` also "
                           "finds `欠费金额（元）`. Each name may be given for one column only.",
            "properties": {
                "unit": {**_NAMES, "description": "Names of the 房号 column, e.g. `[房产名称]`."},
                "owner": {**_NAMES, "description": "Names of the owner's column (业主), e.g. `[缴费人]`."},
                "item": {**_NAMES, "description": "Names of the 收费项目 column (物业费, 水费, 车位费 …)."},
                "period": {**_NAMES, "description": "Names of the 所属期间 column: a month (2026-11, 2026年11月, "
                           "202611) or a range (2026-01至2026-06)."},
                "due": {**_NAMES, "description": "Names of the 应收 column (the amount billed)."},
                "paid": {**_NAMES, "description": "Names of the 已收 column (the amount received)."},
                "owed": {**_NAMES, "description": "Names of the 欠费 column (still owed). A file without it is read "
                         "as 应收 − 已收; a file with all three must agree, row by row."},
            },
        },
        "collectors": COLLECTORS_SCHEMA,
    },
}


@dataclass(frozen=True)
class FeeSettings:
    """The validated ``fees:`` settings: for each of :data:`FEE_COLUMNS`, the office's own header names."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``collectors``: building (楼栋) → the collector's name (:mod:`~formflow.definitions.feecollectors`).
    collectors: Mapping[str, str] = field(default_factory=dict)
    #: ``calling_hours``: the periods of the day owners may be phoned, in order, not overlapping.
    calling_hours: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_CALLING_HOURS


def load_fee_settings(doc: Document, raw: dict, problems: list[Problem]) -> FeeSettings:
    """``fees:`` (the schema has checked its shape); a header name given for two columns is a problem."""
    columns = raw.get("columns") or {}
    seen: dict[str, str] = {}
    for key, names in columns.items():
        for i, name in enumerate(names):
            other = seen.get(name.strip())
            if other is not None and other != key:
                problems.append(doc.problem(
                    ("fees", "columns", key, i),
                    f"表头“{name}”同时列在 {other}（{FEE_COLUMNS[other]}）和 {key}（{FEE_COLUMNS[key]}）下 "
                    f"header {name!r} is named for two columns",
                    "每个表头只能对应一列 keep it under one column only"))
            seen[name.strip()] = key
    return FeeSettings({key: tuple(n.strip() for n in names) for key, names in columns.items()},
                       calling_hours=_calling_hours(doc, raw.get("calling_hours"), problems),
                       collectors=read_collectors(raw.get("collectors") or {}))


def _calling_hours(doc: Document, raw: list[str] | None, problems: list[Problem]) -> tuple[tuple[dt.time, dt.time], ...]:
    """``calling_hours`` as times; a period not written ``HH:MM-HH:MM``, one that ends before it starts or one that
    overlaps the one before is a problem (the default hours stand in)."""
    if not raw:
        return DEFAULT_CALLING_HOURS
    periods, previous, found = [], dt.time.min, len(problems)
    for i, text in enumerate(raw):
        if not _PERIOD.fullmatch(text.strip()):
            problems.append(doc.problem(("fees", "calling_hours", i), f"时段“{text}”应写成 时:分-时:分 period {text!r} "
                                        "is not HH:MM-HH:MM", "例如 e.g. 09:00-12:00（24 小时制 24-hour clock）"))
            continue
        start, end = (dt.time.fromisoformat(part) for part in text.strip().split("-"))
        if not start < end:
            problems.append(doc.problem(("fees", "calling_hours", i), f"时段“{text}”的结束不晚于开始 period {text!r} "
                                        "does not end after it starts", "写成 开始-结束 write it as start-end, "
                                        "e.g. 14:00-20:00"))
        elif start < previous:
            problems.append(doc.problem(("fees", "calling_hours", i), f"时段“{text}”与前一时段重叠或顺序颠倒 period "
                                        f"{text!r} overlaps or comes before the one above it",
                                        "按时间先后列出，互不重叠 list the periods in order, without overlap"))
        periods.append((start, end))
        previous = max(previous, end)
    return tuple(periods) if len(problems) == found else DEFAULT_CALLING_HOURS
