"""Who owes what: arrears items summed per unit with the register's phones and 入住状态 (pure).

The work manual has fees collected from units both moved in and not yet moved in, so every unit owing is
listed whatever its 入住状态; the phones come from the unit register where the unit is in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from formflow.fees.arrears import Item

ZERO = Decimal("0.00")
#: 入住状态 shown for a unit the register does not hold, or holds without one.
NOT_REGISTERED = "不在房屋清单中"
UNKNOWN_STATUS = "未登记"


@dataclass(frozen=True)
class UnitArrears:
    """One unit's arrears: who to call, how much, for how many months, since when, for what."""

    unit: str
    owner: str
    phones: tuple[str, ...]
    status: str
    registered: bool
    owed: Decimal
    months: int
    oldest: str
    by_item: tuple[tuple[str, Decimal], ...]   # 收费项目 and what is owed for it, largest first

    @property
    def items_text(self) -> str:
        """物业费 1200.00；水费 35.50 (as on the list)."""
        return "；".join(f"{name} {value:.2f}" for name, value in self.by_item)

    def as_data(self) -> dict:
        """The unit's arrears as JSON-able data (amounts as text, exact to the fen)."""
        return {"unit": self.unit, "owner": self.owner, "phones": list(self.phones), "status": self.status,
                "registered": self.registered, "owed": str(self.owed), "months": self.months, "oldest": self.oldest,
                "items": [{"item": name, "owed": str(value)} for name, value in self.by_item]}


def unit_order(unit: str) -> tuple:
    """3-2-902 before 3-2-1502 before 12-1-101: the parts compared as numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[-\s]+", unit))


def per_unit(items: Iterable[Item], register: Mapping | None) -> list[UnitArrears]:
    """Units that owe something, largest amount first (then by 房号); paid-up rows count for nothing."""
    grouped: dict[str, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.unit, []).append(item)
    out = []
    for unit, rows in grouped.items():
        owing = [r for r in rows if r.owed > 0]
        if not owing:
            continue
        flat = register.get(unit) if register else None
        by_item: dict[str, Decimal] = {}
        for row in owing:
            by_item[row.item or "（未写项目）"] = by_item.get(row.item or "（未写项目）", ZERO) + row.owed
        months = {m for row in owing for m in row.period.months()}
        starts = sorted(row.period.start or row.period.text for row in owing if row.period.start or row.period.text)
        out.append(UnitArrears(
            unit, next((r.owner for r in rows if r.owner), flat.owner if flat else ""), flat.phones if flat else (),
            (flat.status or UNKNOWN_STATUS) if flat else NOT_REGISTERED, flat is not None,
            sum((r.owed for r in owing), ZERO), len(months), starts[0] if starts else "",
            tuple(sorted(by_item.items(), key=lambda kv: (-kv[1], kv[0])))))
    return sorted(out, key=lambda u: (-u.owed, unit_order(u.unit)))


@dataclass(frozen=True)
class Summary:
    """The figures of an import's preview."""

    units: int                                      # units owing
    total: Decimal
    by_item: tuple[tuple[str, int, Decimal], ...]   # 收费项目, units owing for it, amount; largest first
    by_status: tuple[tuple[str, int], ...]          # 入住状态 of the units owing, and how many
    paid_up: int                                    # rows owing nothing


def summary(items: Iterable[Item], register: Mapping | None) -> Summary:
    """The preview's figures for ``items``."""
    items = list(items)
    units = per_unit(items, register)
    amounts: dict[str, Decimal] = {}
    owers: dict[str, set[str]] = {}
    for item in items:
        if item.owed > 0:
            name = item.item or "（未写项目）"
            amounts[name] = amounts.get(name, ZERO) + item.owed
            owers.setdefault(name, set()).add(item.unit)
    statuses: dict[str, int] = {}
    for unit in units:
        statuses[unit.status] = statuses.get(unit.status, 0) + 1
    order = ("已入住", "未入住", "空置", UNKNOWN_STATUS, NOT_REGISTERED)
    return Summary(len(units), sum((u.owed for u in units), ZERO),
                   tuple(sorted(((n, len(owers[n]), a) for n, a in amounts.items()), key=lambda t: (-t[2], t[0]))),
                   tuple((s, statuses[s]) for s in sorted(statuses, key=lambda s: order.index(s) if s in order else 9)),
                   sum(1 for i in items if i.owed == 0))
