"""Lint of a loaded workflow: what is valid but cannot be what the supervisor meant."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (workflows.py calls lint: a type only, no import at run time)
    from formflow.definitions.workflows import Workflow


def lint(error: Callable[..., None], wf: Workflow) -> None:
    """Unreachable states, actions that can never be done and clocks that can never stop: what a supervisor
    should see (``error(keys, message, fix)`` reports one)."""
    reachable = {wf.initial.key}
    used_actions: set[str] = set()
    changed = True
    while changed:
        changed = False
        for action in wf.actions.values():
            if action.key in used_actions:
                continue
            if any(s in reachable and (action.sources is not None or not wf.states[s].final)
                   for s in (action.sources or reachable)):
                used_actions.add(action.key)
                if action.target and action.target not in reachable and action.target in wf.states:
                    reachable.add(action.target)
                changed = True
    for key in wf.states:
        if key not in reachable:
            error(("states", key), f"状态 {key!r} 无法到达 state {key!r} cannot be reached from the initial state",
                    "添加一个 to: 指向它的操作，或删除此状态 add an action leading to it, or remove it")
    for key, action in wf.actions.items():
        if key not in used_actions and all(s in wf.states for s in action.sources or ()):
            error(("actions", key), f"操作 {key!r} 永远无法执行 action {key!r} can never be done "
                    "(none of its 'from' states can be reached)")
    for key, clock in wf.clocks.items():
        stoppable = False
        for point in clock.stop:
            kind, _, name = point.partition(":")
            if (kind == "state" and name in reachable) or (kind == "action" and name in used_actions) \
                    or kind in ("field", "created"):
                stoppable = True
        if not stoppable:
            error(("clocks", key, "stop"), f"计时 {key!r} 永远不会停止 clock {key!r} can never stop "
                    "(its stop states/actions cannot be reached)", "检查 stop 的状态和操作 check the stop points")
