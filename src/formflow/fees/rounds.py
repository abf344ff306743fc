"""A collection round (一轮催费): one 催缴档案 (form ``fee_collection``) per unit owing in an arrears snapshot.

:func:`plan` works out, from a snapshot and the unit register, which units get a record and which are skipped
because a record of the same round already exists (pure); :func:`submission` is the create-submission of one
unit, as a file the engine takes from ``inbox/`` like any other (the engine is the only way into the store);
:func:`existing_units` finds the units that already have a record of the round (store search, then each
candidate replayed and its 催费批次 compared exactly).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from formflow.fees.arrears import Item
from formflow.fees.owing import ZERO, UnitArrears, per_unit

#: The form of a collection record.
FORM = "fee_collection"
#: 入住状态 the form takes (the register may hold others, or none).
OCCUPANCY = ("已入住", "未入住", "空置")


def default_name(day: dt.date) -> str:
    """The round's name when none is given: 2026年12月催费."""
    return f"{day.year}年{day.month}月催费"


@dataclass(frozen=True)
class Planned:
    """What a round would create: the units owing (largest first) without a record of the round yet, and the
    units skipped because they have one (or their submission already waits in ``inbox/``)."""

    name: str
    snapshot_date: dt.date
    units: tuple[UnitArrears, ...]
    items: Mapping[str, tuple[Item, ...]]   # 房号 → the snapshot's rows owing something, in the list's order
    skipped: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum((u.owed for u in self.units), ZERO)


def plan(name: str, snapshot_date: dt.date, items: Iterable[Item], register: Mapping | None,
         existing: set[str]) -> Planned:
    """The round ``name`` from a snapshot's ``items``: every unit owing, moved in or not; those in ``existing``
    skipped."""
    items = list(items)
    owing = per_unit(items, register)
    rows: dict[str, list[Item]] = {}
    for item in items:
        if item.owed > 0:
            rows.setdefault(item.unit, []).append(item)
    return Planned(name, snapshot_date, tuple(u for u in owing if u.unit not in existing),
                   {u: tuple(r) for u, r in rows.items()}, tuple(u.unit for u in owing if u.unit in existing))


def submission(planned: Planned, unit: UnitArrears, by: str, collector: str, at: dt.datetime) -> dict:
    """The create-submission (``form``/``by``/``at``/``data``) of ``unit``'s collection record."""
    data = {"round": planned.name, "unit": unit.unit}
    if unit.owner:
        data["owner"] = unit.owner
    if unit.phones:
        data["phone"] = "、".join(unit.phones)
    if unit.status in OCCUPANCY:
        data["occupancy"] = unit.status
    data["items"] = [{"item": r.item or "（未写项目）", **({"period": r.period.text} if r.period.text else {}),
                      "owed": f"{r.owed:.2f}"} for r in planned.items[unit.unit]]
    data["amount"] = f"{unit.owed:.2f}"
    data["snapshot_date"] = planned.snapshot_date.isoformat()
    data["collector"] = collector
    return {"form": FORM, "by": by, "at": at.isoformat(), "data": data}


def existing_units(app, name: str) -> set[str]:
    """The units (office's spelling) that already have a collection record of the round ``name``."""
    from formflow.engine.records import replay
    from formflow.engine.unitspelling import canonical

    workflow = app.defs.workflows.get(FORM)
    if workflow is None:
        return set()
    pattern = app.defs.settings.unit_pattern
    found = set()
    for number in app.store.search(name, FORM):
        record = app.store.get(number)
        if record is None or record.form != FORM:
            continue
        values = replay(record, workflow).values
        if values.get("round") == name and values.get("unit"):
            found.add(canonical(str(values["unit"]), pattern) or str(values["unit"]))
    return found
