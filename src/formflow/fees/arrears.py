"""The billing system's arrears list (欠费明细) read into items, with the rows refused and why (pure).

:func:`find_columns` maps the file's headers to our keys (the office's own names from ``fees.columns``
first, then :data:`HEADERS`); :func:`read` takes the rows of a :class:`~formflow.adapters.spreadsheet.Sheet`
and returns an :class:`Arrears`: one :class:`Item` per row taken (房号 in the office's spelling, the amounts
to the fen), each refused row with its row number and a Chinese reason, the 合计 rows skipped, and the rows
whose 房号 the register does not hold (taken, flagged). Nothing here reads or writes a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from formflow.adapters.spreadsheet import RefusedRow, clean_header
from formflow.engine.unitspelling import canonical
from formflow.errors import FormflowError
from formflow.fees.values import NotAnAmount, Period, amount, period, yuan

#: Header names billing systems use for each column (compared after :func:`clean_header`).
HEADERS = {
    "unit": ("房号", "房间号", "房屋编号", "资源编号", "房屋号", "房产编号", "门牌号", "单元房号", "房间", "房屋",
             "房屋名称", "资源名称", "房产名称"),
    "owner": ("业主", "业主姓名", "客户名称", "客户姓名", "客户", "业主名称", "产权人", "住户姓名", "姓名", "缴费人"),
    "item": ("收费项目", "费用项目", "项目名称", "费项", "费项名称", "费用名称", "收费项目名称", "费用类型", "收费类型",
             "项目"),
    "period": ("所属期间", "费用期间", "账期", "计费月份", "所属月份", "计费期间", "所属期", "费用所属期", "账单月份",
               "计费周期", "期间", "月份"),
    "due": ("应收", "应收金额", "应收款", "应收费用", "应缴", "应缴金额", "应收合计"),
    "paid": ("已收", "实收", "已收金额", "实收金额", "已缴", "已缴金额", "实缴金额", "已收款"),
    "owed": ("欠费", "欠费金额", "欠款", "欠款金额", "未收金额", "未收", "欠缴金额", "欠缴", "未缴金额", "应欠金额"),
}
#: What a row of totals starts with (skipped, and the preview says so).
TOTAL_WORDS = ("合计", "总计", "小计", "共计")
_LABELS = {"due": "应收", "paid": "已收", "owed": "欠费"}


class ArrearsFileError(FormflowError):
    """The file cannot be read as an arrears list at all (no 房号 column, no amounts)."""


@dataclass(frozen=True)
class Item:
    """One row taken: what one unit owes for one 收费项目 and 所属期间 (``owed`` 0: paid up)."""

    row: int
    unit: str
    owner: str
    item: str
    period: Period
    owed: Decimal
    due: Decimal | None = None
    paid: Decimal | None = None
    registered: bool = True

    def as_data(self) -> dict:
        """The item as JSON-able data (amounts as text, exact to the fen)."""
        return {"row": self.row, "unit": self.unit, "owner": self.owner, "item": self.item,
                "period": self.period.text, "from": self.period.start, "to": self.period.end,
                "due": None if self.due is None else str(self.due), "paid": None if self.paid is None else str(self.paid),
                "owed": str(self.owed), "registered": self.registered}

    @classmethod
    def from_data(cls, data: Mapping) -> Item:
        """The inverse of :meth:`as_data`."""
        money = (lambda v: None if v is None else Decimal(v))
        return cls(int(data["row"]), data["unit"], data.get("owner", ""), data.get("item", ""),
                   Period(data.get("period", ""), data.get("from", ""), data.get("to", "")), Decimal(data["owed"]),
                   money(data.get("due")), money(data.get("paid")), bool(data.get("registered", True)))


@dataclass(frozen=True)
class Arrears:
    """What a file holds: items taken, rows refused, 合计 rows skipped, rows whose unit is not registered."""

    columns: dict[str, str]                      # our key -> the file's header
    items: list[Item] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)       # row numbers of 合计/总计 rows, skipped
    unregistered: list[Item] = field(default_factory=list)  # taken, flagged

    @property
    def total(self) -> Decimal:
        """All that is owed, in yuan."""
        return sum((i.owed for i in self.items), Decimal("0.00"))


def _candidates(key: str, own: Mapping[str, tuple[str, ...]]) -> list[str]:
    return [clean_header(n) for n in own.get(key, ())] + list(HEADERS[key])


def is_header(own: Mapping[str, tuple[str, ...]]):
    """A test for the header row (below any title lines): it names a 房号 column by one of the known names."""
    names = set(_candidates("unit", own))
    return lambda cells: any(clean_header(c) in names for c in cells)


def find_columns(headers: Iterable[str], own: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """Our keys mapped to the file's headers: the office's names (``fees.columns``) for every key first, then
    the built-in ones, each in its order; each header used once, names compared by :func:`clean_header`."""
    own = own or {}
    headers = list(headers)
    found: dict[str, str] = {}
    taken: set[str] = set()
    for ours in (True, False):
        for key, built_in in HEADERS.items():
            if key in found:
                continue
            names = [clean_header(n) for n in own.get(key, ())] if ours else list(built_in)
            for name in names:
                header = next((h for h in headers if h not in taken and clean_header(h) == name), None)
                if header is not None:
                    found[key] = header
                    taken.add(header)
                    break
    return found


def check_columns(columns: Mapping[str, str], headers: Iterable[str], source: str) -> None:
    """Raise :class:`ArrearsFileError` when the file lacks a 房号 or a way to know what is owed."""
    shown = "、".join(headers)
    if "unit" not in columns:
        raise ArrearsFileError(f"✗ {source}：找不到房号列 no unit column. 表头是 headers: {shown}\n"
                               "    修改建议 fix: 把房号所在列的表头改为“房号”，或在 formflow.yaml 的 fees.columns.unit "
                               "中写上收费系统用的列名")
    if "owed" not in columns and not {"due", "paid"} <= columns.keys():
        raise ArrearsFileError(f"✗ {source}：找不到欠费金额列（或应收、已收两列）no owed column (nor due and paid). "
                               f"表头是 headers: {shown}\n"
                               "    修改建议 fix: 在 formflow.yaml 的 fees.columns.owed 中写上收费系统用的列名")


def _is_total(cells: Mapping[str, str]) -> bool:
    first = next((v for v in cells.values() if v.strip()), "")
    return first.replace(" ", "").startswith(TOTAL_WORDS)


def _row(columns: Mapping[str, str], number: int, cells: Mapping[str, str], pattern: re.Pattern,
         example: str) -> Item | RefusedRow:
    def cell(key: str) -> str:
        return cells.get(columns[key], "").strip() if key in columns else ""

    typed = cell("unit")
    if not typed:
        return RefusedRow(number, "没有房号")
    unit = canonical(typed, pattern)
    if unit is None:
        return RefusedRow(number, f"房号“{typed}”读不出来，应写成 {example} 或 3栋2单元1502 这样")
    money: dict[str, Decimal | None] = {}
    for key in ("due", "paid", "owed"):
        try:
            money[key] = amount(cell(key))
        except NotAnAmount:
            return RefusedRow(number, f"{unit}：{_LABELS[key]}“{cell(key)}”不是金额")
        if money[key] is not None and money[key] < 0:
            return RefusedRow(number, f"{unit}：{_LABELS[key]} {yuan(money[key])} 元是负数（预收或退款不是欠费）")
    due, paid, owed = money["due"], money["paid"], money["owed"]
    if due is not None or paid is not None:
        if due is None:
            return RefusedRow(number, f"{unit}：有已收 {yuan(paid)} 元，没有应收金额")
        expected = due - (paid or 0)
        if owed is None:  # no 欠费 column, or its cell left blank: 应收 − 已收
            if expected < 0:
                return RefusedRow(number, f"{unit}：已收 {yuan(paid)} 元多于应收 {yuan(due)} 元")
            owed = expected
        elif owed is not None and owed != expected:
            return RefusedRow(number, f"{unit}：欠费 {yuan(owed)} 元，但应收 {yuan(due)} 元 − 已收 {yuan(paid or 0)} 元 "
                                   f"= {yuan(expected)} 元，两者不一致")
    if owed is None:
        return RefusedRow(number, f"{unit}：没有欠费金额")
    return Item(number, unit, cell("owner"), cell("item"), period(cell("period")), owed, due, paid)


def read(rows: Iterable[tuple[int, Mapping[str, str]]], columns: Mapping[str, str], pattern: re.Pattern,
         example: str, registered: Mapping | None = None) -> Arrears:
    """The arrears in ``rows`` (row number, cells by header): see the module's docstring. ``registered``: the
    unit register; while it holds units, a 房号 it lacks is taken and flagged."""
    out = Arrears(dict(columns))
    used = set(columns.values())
    for number, cells in rows:
        if not any(cells.get(h, "").strip() for h in used):
            continue  # blank where it matters (a row with only its 序号): nothing to say
        if _is_total(cells):
            out.totals.append(number)
            continue
        taken = _row(columns, number, cells, pattern, example)
        if isinstance(taken, RefusedRow):
            out.refused.append(taken)
            continue
        if registered and taken.unit not in registered:
            taken = Item(**{**taken.__dict__, "registered": False})
            out.unregistered.append(taken)
        out.items.append(taken)
    return out
