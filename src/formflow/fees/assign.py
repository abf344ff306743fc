"""Moving collection records to another collector (``formflow fees assign``): which open records a supervisor
means (by 房号, by building, or a round's records of one collector), and the correction (更正) of each record's
催费人 as an action file for ``inbox/`` — the engine is the only way into the store, so a rebuild reproduces it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from formflow.definitions.feecollectors import COLLECTION_FORM, building_of
from formflow.engine.records import CORRECT, Record, replay
from formflow.engine.unitspelling import canonical
from formflow.fees.owing import unit_order

#: The reason written on each correction when the supervisor gives none.
DEFAULT_REASON = "主管重新分配催费人"


@dataclass(frozen=True)
class Move:
    """One open collection record to move: its number, 房号, round and current collector."""

    number: str
    unit: str
    round: str
    collector: str


def moves(defs, records: Iterable[Record], to: str, *, unit: str = "", building: str = "", round_name: str = "",
          from_name: str = "") -> list[Move]:
    """The open collection records the supervisor means, not already ``to``'s, by 房号 order.

    ``unit`` (any spelling), ``building`` and ``round_name`` narrow the choice; ``from_name`` keeps only the
    records of that collector."""
    workflow = defs.workflows[COLLECTION_FORM]
    pattern = defs.settings.unit_pattern
    wanted_unit = (canonical(unit, pattern) or unit.strip()) if unit else ""
    wanted_building = building_of(building) or building.strip() if building else ""
    found = []
    for record in records:
        if record.form != COLLECTION_FORM:
            continue
        view = replay(record, workflow)
        if workflow.states[view.state].final:
            continue
        values = view.values
        own = str(values.get("unit") or "")
        who = str(values.get("collector") or "")
        if wanted_unit and (canonical(own, pattern) or own) != wanted_unit:
            continue
        if wanted_building and building_of(own) != wanted_building:
            continue
        if round_name and str(values.get("round") or "") != round_name:
            continue
        if (from_name and who != from_name) or who == to:
            continue
        found.append(Move(record.number, own, str(values.get("round") or ""), who))
    found.sort(key=lambda m: (unit_order(m.unit), m.number))
    return found


def correction(move: Move, to: str, by: str, at: dt.datetime, reason: str = "") -> dict:
    """The action file of one move: the correction of 催费人, with the reason the engine requires."""
    return {"record": move.number, "action": CORRECT, "by": by, "at": at.isoformat(), "data": {"collector": to},
            "note": reason.strip() or f"{DEFAULT_REASON}：{move.collector or '（无）'} → {to}"}
