"""Starting from a resident: search by 房号, name, phone or record number, and a unit's file (一户一档).

A clerk answering the phone has a 房号, a name or a number, never a record number. :func:`search` finds the
records through the store's search texts (:mod:`formflow.adapters.searchindex`: no record is read to find
them, only the ones shown), and the register's units by owner and phone; :func:`unit_file_of` gathers every
record of one unit with the register's entry (:mod:`formflow.engine.unitfile`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from formflow.definitions.units import Unit
from formflow.engine.records import RecordView, replay
from formflow.engine.unitfile import Entry, UnitFile, entry, unit_file
from formflow.engine.unitspelling import canonical
from formflow.errors import WorkspaceError

#: Most records a search shows (newest first); the total is still counted.
LIMIT = 200
#: Most records an Excel download of a search holds (each is read: ~10 s for all of them, cold).
EXPORT_LIMIT = 10_000
#: Most register units a search shows.
UNIT_LIMIT = 20


@dataclass(frozen=True)
class Found:
    """What a search found: records newest first (at most ``LIMIT``), how many in all, and register units."""

    query: str
    unit: str                  # the query read as a 房号 ("" when it is not one)
    entries: tuple[Entry, ...]
    total: int
    units: tuple[Unit, ...]


def read_unit(app, text: str) -> str | None:
    """``text`` as the office's 房号, in any spelling (``None`` when it is not one)."""
    return canonical(text, app.defs.settings.unit_pattern)


def _unit_of(app, view: RecordView) -> str:
    """The record's 房号 in the office's spelling ("" when it has none)."""
    form = app.defs.forms.get(view.record.form)
    value = view.values.get(form.unit_field) if form and form.unit_field else None
    return (read_unit(app, str(value)) or str(value)) if value else ""


def unit_views(app, unit: str, typed: str = "") -> list[RecordView]:
    """Every record of ``unit`` (the office's spelling) as it stands now, in no particular order.

    The search texts find the candidates (``3-2-1502`` is also inside ``13-2-1502``); each is then replayed once
    and its own 房号 compared. ``typed``, the spelling the clerk used, is looked for too: a record stored before
    spellings were unified ("03-02-1502") is found by the spelling it was stored in (``units normalise``
    rewrites those)."""
    numbers = app.store.search(unit)
    if typed and typed != unit:
        numbers |= app.store.search(typed)
    found = []
    for number in numbers:
        record = app.store.get(number)
        workflow = app.defs.workflows.get(record.form) if record is not None else None
        if workflow is not None and _unit_of(app, view := replay(record, workflow)) == unit:
            found.append(view)
    return found


def _register_units(app, text: str) -> list[Unit]:
    register = app.defs.settings.register
    if not register:
        return []
    needle = text.casefold()
    digits = re.sub(r"\D", "", text)
    out = []
    for unit in register.values():
        if (needle and needle in unit.owner.casefold()) or (len(digits) >= 4 and any(digits in p for p in unit.phones)):
            out.append(unit)
            if len(out) >= UNIT_LIMIT:
                break
    return out


def search(app, text: str, now: dt.datetime, *, form: str | None = None, limit: int = LIMIT) -> Found:
    """Records (of ``form``) whose 房号 (any spelling), name, phone (whole or its last digits), number or
    short values contain ``text``, newest first; and register units whose owner or phone match."""
    text = text.strip()[:100]
    if not text:
        return Found(text, "", (), 0, ())
    unit = read_unit(app, text) if re.search(r"\d", text) and not re.fullmatch(r"\d+", text) else None
    digits = re.sub(r"[\s\-()（）]", "", text)
    if re.fullmatch(r"\+?861[3-9]\d{9}", digits):  # +86 138 2651 7094
        digits = digits[-11:]
    if unit is None and digits.isdigit() and len(digits) >= 7:  # a phone as people write it: 138-2651-7094
        text = digits
    if unit:  # the unit's records were read to tell them from 13-2-1502's: listed from those views
        views = [v for v in unit_views(app, unit, text) if form is None or v.record.form == form]
        views.sort(key=lambda v: (v.record.created_at, v.record.number), reverse=True)
        register = app.defs.settings.register
        units = [register[unit]] if register and unit in register else []
        entries = [entry(app.defs, v, now) for v in views[:limit]]
        return Found(text, unit, tuple(entries), len(views), tuple(units))
    numbers = app.store.search(text, form)
    stamps = sorted(((app.store.created(n) or 0.0, n) for n in numbers), reverse=True)
    entries = []
    for _, number in stamps[:limit]:
        record = app.store.get(number)
        workflow = app.defs.workflows.get(record.form) if record else None
        if record is not None and workflow is not None:
            entries.append(entry(app.defs, replay(record, workflow), now))
    return Found(text, "", tuple(entries), len(numbers), tuple(_register_units(app, text)))


def unit_file_of(app, text: str, now: dt.datetime) -> UnitFile:
    """The file of the unit ``text`` names (any spelling); a :class:`WorkspaceError` when it names none."""
    unit = read_unit(app, text)
    if unit is None:
        raise WorkspaceError(f"不是房号 not a unit: “{text}”（应写成 write it like {app.defs.settings.unit_example}）")
    register = app.defs.settings.register
    registered = register.get(unit) if register else None
    views = unit_views(app, unit)
    if registered is None and not views:
        near = register.closest(unit) if register else []
        hint = f"；相近的房号 nearest: {'、'.join(near)}" if near else ""
        raise WorkspaceError(f"房屋清单和记录中都没有房号 no unit {unit} in the register or the records{hint}")
    return unit_file(app.defs, unit, registered, views, now)


def misspelled(app) -> list[tuple[str, str, str]]:
    """``(record, stored 房号, the office's spelling)`` of every record whose 房号 is another spelling of a flat
    (stored before spellings were unified); reads every record (a supervisor's rare clean-up)."""
    found = []
    pattern = app.defs.settings.unit_pattern
    for record in app.store.records():
        form = app.defs.forms.get(record.form)
        workflow = app.defs.workflows.get(record.form)
        key = form.unit_field if form else None
        if key is None or workflow is None:
            continue
        stored = str(replay(record, workflow).values.get(key) or "")
        unit = canonical(stored, pattern) if stored else None
        if unit and unit != stored:
            found.append((record.number, stored, unit))
    return found
