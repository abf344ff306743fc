"""``fees:`` of formflow.yaml: how this office's billing-system export is read (its own header names).

Billing systems name their columns differently (欠费金额, 未收金额, 应欠金额 …). The built-in names
(:data:`formflow.fees.arrears.HEADERS`) cover the common ones; an office whose system says something else
lists its names here once, and they are tried before the built-in ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from formflow.definitions.feecollectors import COLLECTORS_SCHEMA, read_collectors
from formflow.definitions.yamlsource import Document
from formflow.errors import Problem

#: Our keys for the columns of an arrears list, with their Chinese names (what a supervisor reads).
FEE_COLUMNS = {"unit": "房号", "owner": "业主", "item": "收费项目", "period": "所属期间", "due": "应收",
               "paid": "已收", "owed": "欠费金额"}

_NAMES = {"type": "array", "uniqueItems": True, "items": {"type": "string", "minLength": 1}}

FEES_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "description": "How `formflow fees import` reads the arrears list (欠费明细) exported from the office's billing "
                   "system: Excel or CSV, with a 房号, the 收费项目, the 所属期间 and the amounts.",
    "properties": {
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
                       collectors=read_collectors(raw.get("collectors") or {}))
