"""A record as a list of events, and its state replayed from them (pure).

Nothing about a record is stored except its events: the state, the values and every
deadline are recomputed from them, so they are always right after a restart, a sleep or
a change of the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from formflow.definitions.forms import Form
from formflow.definitions.settings import Settings
from formflow.definitions.workflows import Workflow
from formflow.engine.fieldtypes import BadValue, is_empty

CREATE = "create"
#: An action of another station that no longer applied when the logs were merged: kept in the history
#: (its note says who did what and why it did not apply), changing neither state nor values.
CONFLICT = "sync_conflict"
CONFLICT_LABEL = "同步冲突"
#: A 房号 stored in another spelling of the same flat, rewritten in the office's one (``formflow units
#: normalise``): kept in the history like any correction (old → new, who, when), changing no state.
UNIT_SPELLING = "unit_spelling"
UNIT_SPELLING_LABEL = "房号写法统一"
#: Stored values corrected with a reason (the workflow's ``corrections``), changing no state; the step keeps
#: the values it replaced, so the history and the PDF show old → new.
CORRECT = "correct"
CORRECT_LABEL = "更正"
#: Built-in events and their Chinese names (never actions of a workflow: their keys are reserved).
BUILT_IN = {UNIT_SPELLING: UNIT_SPELLING_LABEL, CORRECT: CORRECT_LABEL}


@dataclass(frozen=True)
class Event:
    """Something that happened to a record: its creation or an action, with the data it set."""

    action: str
    by: str
    at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    #: The key ``(order, station, seq)`` of the log entry (accepted file) that made this event, in the
    #: office's one order (:mod:`formflow.adapters.stationlog`): a late file from another station undoes
    #: the events of the entries after it, and only those. None for events stored before keys were kept.
    entry: tuple[int, str, int] | None = None


@dataclass(frozen=True)
class Record:
    """A record: number, form, the versions it started under, its parent, and its events."""

    number: str
    form: str
    events: tuple[Event, ...]
    form_version: int = 1
    workflow_version: int = 1
    parent: str = ""

    @property
    def created_at(self) -> dt.datetime:
        return self.events[0].at

    def with_event(self, event: Event) -> Record:
        """This record with ``event`` appended."""
        return Record(self.number, self.form, (*self.events, event), self.form_version, self.workflow_version,
                      self.parent)


@dataclass(frozen=True)
class Step:
    """One event as history shows it: who did what, when, and the state before and after."""

    event: Event
    label: str
    before: str
    after: str
    #: For a correction (or a unified 房号): the values it replaced, by key (None: it was empty).
    replaced: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RecordView:
    """A record replayed: its current state, its values (plain data) and its history."""

    record: Record
    state: str
    values: dict[str, Any]
    steps: tuple[Step, ...]

    def entered(self, state: str) -> list[dt.datetime]:
        """Every time the record entered ``state``, oldest first."""
        return [s.event.at for s in self.steps if s.after == state and (s.before != state or s.event.action == CREATE)]

    @property
    def open_conflict(self) -> Event | None:
        """The conflict flagged by the latest event, until an ordinary action resolves it."""
        last = self.record.events[-1]
        return last if last.action == CONFLICT else None

    def done(self, action: str) -> list[dt.datetime]:
        """Every time ``action`` was done, oldest first."""
        return [s.event.at for s in self.steps if s.event.action == action]

    def intervals_in(self, states: tuple[str, ...], until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """Spans of time (up to ``until``) the record spent in any of ``states``."""
        spans = []
        for i, step in enumerate(self.steps):
            if step.after in states:
                end = self.steps[i + 1].event.at if i + 1 < len(self.steps) else until
                spans.append((step.event.at, min(end, until)))
        return spans


def current_state(workflow: Workflow, state: str) -> str:
    """``state`` mapped through the workflow's ``renamed_states`` (records made under older versions)."""
    seen = set()
    while state not in workflow.states and state in workflow.renamed_states and state not in seen:
        seen.add(state)
        state = workflow.renamed_states[state]
    return state


def replay(record: Record, workflow: Workflow) -> RecordView:
    """Fold the events of ``record`` into its state, values and history."""
    state = workflow.initial.key
    values: dict[str, Any] = {}
    steps = []
    for event in record.events:
        before, replaced = state, None
        if event.action == CREATE:
            label = "登记"
        elif event.action == CONFLICT:
            steps.append(Step(event, CONFLICT_LABEL, state, state))
            continue
        elif event.action in BUILT_IN and event.action not in workflow.actions:
            label, replaced = BUILT_IN[event.action], {key: values.get(key) for key in event.data}
        else:
            action = workflow.actions.get(event.action)
            label = action.label if action else event.action
            if action is not None and action.target:
                state = action.target
        for key, value in event.data.items():
            if is_empty(value):
                values.pop(key, None)
            else:
                values[key] = value
        state = current_state(workflow, state)
        steps.append(Step(event, label, before, state, replaced))
    return RecordView(record, state, values, tuple(steps))


def typed_values(form: Form, plain: Mapping[str, Any], settings: Settings, now: dt.datetime) -> dict[str, Any]:
    """Plain stored values read back into typed ones (dates, numbers) for expressions."""
    from formflow.engine.validate import read_value

    typed: dict[str, Any] = {}
    fields = form.fields
    for key, value in plain.items():
        f = fields.get(key)
        if f is None or f.type == "table":
            typed[key] = value
            continue
        try:
            typed[key] = read_value(f, value, settings, now)
        except BadValue:
            typed[key] = value
    return typed
