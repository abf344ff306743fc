"""A unit's file (一户一档): its register entry, what records say since, and every record of the unit (pure).

The register (``units.yaml``) says who owned the flat when the supervisor last imported or edited it; records
say what happened since: a move-in names the new occupant and phone (the form's ``resident:`` fields, in a
workflow with a ``unit_status`` state) and, once it reaches that state, the unit's 入住状态. Both are kept
side by side as a history, newest first, so nothing the supervisor wrote is overwritten and every change can
be traced to the record that made it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from formflow.definitions.forms import Field
from formflow.definitions.loader import Definitions
from formflow.definitions.units import Unit
from formflow.engine.clocks import STATUS_LABELS, record_clocks
from formflow.engine.records import RecordView, typed_values


@dataclass(frozen=True)
class Deadline:
    """An open deadline of a record: what must be done by when, and how it stands."""

    label: str
    due: dt.datetime
    status: str

    @property
    def status_label(self) -> str:
        """逾期 / 即将到期 / 未到期, as lists say it."""
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Entry:
    """One record as a list of records shows it (search results, a unit's file)."""

    number: str
    form: str
    form_title: str
    created: dt.datetime
    state: str
    state_label: str
    final: bool
    unit: str
    name: str
    phone: str
    deadlines: tuple[Deadline, ...] = ()
    #: What the form's ``unit_file`` names, as (field, stored value): a fee call's amount and outcome, a repair's place.
    details: tuple[tuple[Field, Any], ...] = ()


@dataclass(frozen=True)
class Change:
    """One step of the unit's history: who lived there / how to reach them / 入住状态, and what says so."""

    at: dt.datetime | None  # None: the register, as of the file's last edit
    source: str              # a record number, or "" for the register
    owner: str = ""
    phones: tuple[str, ...] = ()
    status: str = ""
    note: str = ""


@dataclass(frozen=True)
class UnitFile:
    """Everything known of one unit."""

    unit: str
    registered: Unit | None
    owner: str
    phones: tuple[str, ...]
    status: str
    area: str
    history: tuple[Change, ...]   # newest first; the register's entry last
    records: tuple[Entry, ...]    # every record of the unit, newest first

    @property
    def open_records(self) -> tuple[Entry, ...]:
        """Records not closed yet."""
        return tuple(e for e in self.records if not e.final)


def entry(defs: Definitions, view: RecordView, now: dt.datetime, *, deadlines: bool = False) -> Entry:
    """``view`` as one line of a list; with ``deadlines``, its open deadlines too (computed on the calendar)."""
    record = view.record
    form = defs.forms.get(record.form)
    workflow = defs.workflows.get(record.form)
    values = view.values
    name_key = form.resident_field("name") if form else None
    phone_key = form.resident_field("phone") if form else None
    unit_key = form.unit_field if form else None
    state = workflow.states.get(view.state) if workflow else None
    found: tuple[Deadline, ...] = ()
    if deadlines and form and workflow and state and not state.final:
        typed = typed_values(form, values, defs.settings, now)
        found = tuple(Deadline(c.label, c.due, c.status)
                      for c in record_clocks(view, typed, workflow, defs.calendar, now, {}) if c.open)
    details = tuple((form.fields[k], values[k]) for k in form.unit_file if values.get(k) not in (None, "")) if form \
        else ()
    return Entry(record.number, record.form, form.title if form else record.form, record.created_at, view.state,
                 state.label if state else view.state, bool(state and state.final),
                 str(values.get(unit_key, "")) if unit_key else "", str(values.get(name_key, "") or "") if name_key
                 else "", str(values.get(phone_key, "") or "") if phone_key else "", found, details)


def _change(defs: Definitions, view: RecordView) -> Change | None:
    """What a record of a register-updating workflow (one with a ``unit_status`` state) says of its unit."""
    workflow = defs.workflows.get(view.record.form)
    form = defs.forms.get(view.record.form)
    if workflow is None or form is None or not any(s.unit_status for s in workflow.states.values()):
        return None
    status, at = "", view.record.created_at
    for step in view.steps:  # the latest state with a unit status the record went through
        reached = workflow.states.get(step.after)
        if reached is not None and reached.unit_status:
            status, at = reached.unit_status, step.event.at
    now = workflow.states.get(view.state)
    if not status and now is not None and now.final:
        return None  # closed (cancelled) before it changed anything: the occupant never moved in
    name_key, phone_key = form.resident_field("name"), form.resident_field("phone")
    owner = str(view.values.get(name_key) or "") if name_key else ""
    phone = str(view.values.get(phone_key) or "") if phone_key else ""
    if not (owner or phone or status):
        return None
    return Change(at, view.record.number, owner, (phone,) if phone else (), status)


def _area(value) -> str:
    """``89.50`` → ``89.5``, ``120`` → ``120`` (zeros after the point only)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def unit_file(defs: Definitions, unit: str, registered: Unit | None, views: Iterable[RecordView],
              now: dt.datetime) -> UnitFile:
    """The file of ``unit`` from its register entry and its records as they stand (any order)."""
    views = list(views)
    entries = sorted((entry(defs, v, now, deadlines=True) for v in views), key=lambda e: e.created, reverse=True)
    changes = sorted((c for v in views if (c := _change(defs, v)) is not None), key=lambda c: c.at, reverse=True)
    history = list(changes)
    if registered is not None:
        history.append(Change(None, "", registered.owner, registered.phones, registered.status, registered.note))
    owner = next((c.owner for c in history if c.owner), "")
    phones: list[str] = []
    for change in history:  # the newest phone first, older ones still listed (a resident may keep both)
        for phone in change.phones:
            if phone not in phones:
                phones.append(phone)
    status = next((c.status for c in history if c.status), "")
    area = _area(registered.area) if registered and registered.area is not None else ""
    return UnitFile(unit, registered, owner, tuple(phones), status, area, tuple(history), tuple(entries))
