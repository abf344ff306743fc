"""Which actions can be done on a record now (pure): what the desk offers, and what the CLI can list.

An action is possible when :func:`~formflow.engine.actions.apply_action` could accept it now: its ``from``
includes the record's state; it is not a ``once`` action already done; it changes something (an action whose
``to`` is the state the record is in, with no fields to fill and no effects, is left out: 回访后关闭 on a
closed repair is in ``from`` only for the callback's parent effect); and its guard holds on the record's
values — unless the guard reads a field the action lets the clerk fill, when the clerk's input may yet make it
hold. Roles are answered separately: what ``person`` may do, and what only other people may.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from formflow.definitions.loader import Definitions
from formflow.definitions.settings import Staff
from formflow.definitions.workflows import Action
from formflow.engine.expressions import holds
from formflow.engine.records import Record, RecordView, replay, typed_values


@dataclass(frozen=True)
class Possible:
    """The actions possible on a record now, in the workflow's order (the correction 更正, when the workflow
    allows one, last): ``mine`` for the person asking, ``others`` only for people of other roles."""

    mine: tuple[Action, ...]
    others: tuple[Action, ...]


def may_do(action: Action, person: Staff | None) -> bool:
    """Whether ``person``'s roles allow ``action`` (an action naming no roles: anyone on the roster)."""
    return person is not None and (not action.roles or bool(set(action.roles) & set(person.roles)))


def done_at(view: RecordView, action: Action) -> dt.datetime | None:
    """When ``action`` was done on the record of ``view``, if it is a ``once`` action already done (else ``None``)."""
    if not action.once:
        return None
    return next((s.event.at for s in view.steps if s.event.action == action.key), None)


def changes_nothing(view: RecordView, action: Action) -> bool:
    """Whether ``action`` would leave the record as it is: no state to move to, nothing to fill, no effect
    (回访后关闭 on a closed repair: in ``from`` only for the callback's parent effect)."""
    return action.target == view.state and not action.fields and not action.effects


def offered(defs: Definitions, view: RecordView, now: dt.datetime) -> list[Action]:
    """The actions of the record's workflow that can succeed on ``view`` now, whoever asks: allowed in its state,
    not a ``once`` action already done, not one that changes nothing, and with a guard that holds on the
    record's values — unless it reads a field the action lets the clerk fill, whose input may yet make it hold."""
    workflow = defs.workflows[view.record.form]
    typed = None
    found = []
    for action in workflow.allowed(view.state):
        if done_at(view, action) is not None or changes_nothing(view, action):
            continue
        if action.guard is not None and not action.guard.names & set(action.fields):
            if typed is None:
                typed = typed_values(defs.forms[view.record.form], view.values, defs.settings, now)
            if not holds(action.guard, typed, now=now):
                continue
        found.append(action)
    return found


def possible_now(defs: Definitions, record: Record, now: dt.datetime, person: Staff | None,
                 view: RecordView | None = None) -> Possible:
    """The actions that can succeed on ``record`` at ``now`` (see the module's docstring), split by whether
    ``person`` may do them; ``view``: the record already replayed under its workflow (else it is replayed here)."""
    workflow = defs.workflows[record.form]
    form = defs.forms[record.form]
    view = view if view is not None else replay(record, workflow)
    found: list[Action] = offered(defs, view, now)
    correction = workflow.correction(form)
    if correction is not None:  # in every state, closed records too
        found.append(correction)
    mine = tuple(a for a in found if may_do(a, person))
    return Possible(mine, tuple(a for a in found if a not in mine))
