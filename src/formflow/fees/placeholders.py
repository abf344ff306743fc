"""The office's own texts with a unit's figures filled in: ``{业主}``, ``{欠费合计}`` … (pure).

The collection scripts (话术, ``fees/scripts.yaml``) and the written notice (催缴通知书, ``fees/notice.yaml``)
are written by the supervisor with the same Chinese placeholders in braces, filled with the same words
(an amount carries its 元: ``{欠费合计}`` is 1,235.50元). :data:`NAMES` is every name known; :func:`figures` gives
their values for one collection record (its stored values: the arrears items copied from the snapshot by
``formflow fees round``, the promise, the collector) and the office; :func:`fill` puts them in;
:func:`unknown` finds the names a text uses that are not known, for ``formflow check``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from formflow.fees.values import period, stored, yuan

#: Every placeholder, with what it is replaced by (for supervisors: the reference and ``check``).
NAMES: dict[str, str] = {
    "业主": "the owner's name (业主姓名); 业主 when the record has none",
    "房号": "the unit (房号)",
    "欠费合计": "the total still owed with its unit, e.g. 1,235.50元 (less the 实缴金额 of a part payment recorded)",
    "欠费合计大写": "the total still owed in 人民币大写, e.g. 壹仟贰佰叁拾伍元伍角",
    "欠费明细": "each item owed with its period and amount in words, e.g. 物业费（2026年1月至6月）1,200.00元、"
               "水费（2026年10月）35.50元 (then 已缴400.00元 after a part payment recorded)",
    "欠费月数": "how many months are owed (a number: write 共{欠费月数}个月)",
    "最早欠费期间": "the earliest month owed, e.g. 2026年1月",
    "承诺日期": "the date the owner promised to pay, e.g. 2026年12月10日",
    "承诺金额": "the amount the owner promised to pay, e.g. 1,235.50元 (the total owed when none was given)",
    "限期缴费日期": "the pay-by date of the written notice (限期缴费日期), e.g. 2026年12月20日",
    "管理处": "the office's name (office: in formflow.yaml)",
    "催费人": "the collector of the record (催费人), or who is making the call",
    "通知日期": "the day the written notice was given (发出催缴通知书), e.g. 2026年12月5日",
}
#: What a placeholder whose value is not known yet shows: a blank the collector fills in speaking.
BLANK = "＿＿"
PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")


def used(text: str) -> list[str]:
    """The placeholder names ``text`` uses, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


def unknown(text: str, known: Iterable[str] = NAMES) -> list[str]:
    """The placeholder names ``text`` uses that are not in ``known``."""
    known = set(known)
    return [name for name in used(text) if name not in known]


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every known placeholder replaced by its value (:data:`BLANK` when it has none); an unknown
    one is left as written (``check`` reports it)."""
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name not in NAMES:
            return match.group(0)
        return values.get(name) or BLANK
    return PLACEHOLDER.sub(one, text or "")


def money_words(value: Any) -> str:
    """An amount as a script says it: ``1,235.50元`` ("" for none)."""
    amount = stored(value)
    return f"{yuan(amount)}元" if amount is not None else ""


def date_words(value: Any) -> str:
    """A stored date (2026-12-10) as 2026年12月10日; other text as written."""
    try:
        day = dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _month_words(month: str) -> str:
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


def period_words(text: str) -> str:
    """A 所属期间 in words: 2026-11 → 2026年11月; 2026-01至2026-06 → 2026年1月至6月; 2025-11至2026-02 →
    2025年11月至2026年2月; what cannot be read, as written."""
    found = period(text or "")
    if not found.start:
        return found.text
    if found.start == found.end:
        return _month_words(found.start)
    end = _month_words(found.end)
    if found.start[:4] == found.end[:4]:
        end = end.split("年", 1)[1]
    return f"{_month_words(found.start)}至{end}"


def items_words(items: Any) -> str:
    """The arrears items (rows of 收费项目, 所属期间, 欠费金额) in words, 、-joined."""
    out = []
    for row in items if isinstance(items, list) else ():
        if not isinstance(row, Mapping):
            continue
        when = period_words(str(row.get("period") or ""))
        out.append(f"{row.get('item') or '费用'}{f'（{when}）' if when else ''}{money_words(row.get('owed'))}")
    return "、".join(out)


def months_owed(items: Any) -> tuple[int, str]:
    """How many distinct months the items cover, and the earliest (YYYY-MM; a period that cannot be read counts
    as one month and is its own text)."""
    months: set[str] = set()
    for row in items if isinstance(items, list) else ():
        if isinstance(row, Mapping) and (stored(row.get("owed")) or 0) > 0:   # a row owing nothing is no month owed
            months.update(period(str(row.get("period") or "")).months())
    readable = sorted(m for m in months if re.fullmatch(r"\d{4}-\d{2}", m))
    return len(months), (readable[0] if readable else min(months, default=""))


def part_paid(values: Mapping[str, Any], total: Decimal | None = None) -> Decimal | None:
    """The 实缴金额 recorded on an open record (核对部分缴费) when it is part of ``total`` (default: its 欠费合计),
    else ``None``: what the scripts, the letter and the call list take off the round's total (the items stay as
    the round copied them)."""
    total = stored(values.get("amount")) if total is None else total
    paid = stored(values.get("paid_amount"))
    return paid if total is not None and paid is not None and Decimal(0) < paid < total else None


def owed_now(values: Mapping) -> Decimal:
    """What the record still owes: the round's total less a part payment recorded (核对部分缴费)."""
    total = stored(values.get("amount")) or Decimal(0)
    return total - (part_paid(values, total) or Decimal(0))


def figures(values: Mapping[str, Any], office: str, caller: str = "", noticed: dt.date | None = None) -> dict[str, str]:
    """Every placeholder's value for a collection record's stored ``values`` (plain data, as replayed); ``caller``:
    who is calling, when the record names no collector; ``noticed``: the day of its latest written notice.
    Values not known are ``""`` (filled as :data:`BLANK`)."""
    # (the definitions import this module at every start; the renderer's package only when figures are wanted)
    from formflow.render.values import capital_rmb

    items = values.get("items")
    total = stored(values.get("amount"))
    if total is None and isinstance(items, list):
        owed = [stored(r.get("owed")) for r in items if isinstance(r, Mapping)]
        total = sum((o for o in owed if o is not None), Decimal("0.00")) if owed else None
    count, earliest = months_owed(items)
    paid = part_paid(values, total)
    owed = total - paid if paid else total
    return {
        "业主": str(values.get("owner") or "业主"),
        "房号": str(values.get("unit") or ""),
        "欠费合计": money_words(owed),
        "欠费合计大写": capital_rmb(owed) if owed is not None else "",
        "欠费明细": items_words(items) + (f"，已缴{money_words(paid)}" if paid else ""),
        "欠费月数": str(count) if count else "",
        "最早欠费期间": _month_words(earliest) if re.fullmatch(r"\d{4}-\d{2}", earliest) else earliest,
        "承诺日期": date_words(values.get("promised_date")),
        "承诺金额": money_words(values.get("promised_amount")) or money_words(owed),
        "限期缴费日期": date_words(values.get("pay_by")),
        "管理处": office,
        "催费人": str(values.get("collector") or caller),
        "通知日期": date_words(noticed),
    }
