"""What-if runs on a fake clock (pure): a record, its actions at given times, its deadlines.

A supervisor who edits a deadline in YAML runs ``formflow simulate`` to see, before relying
on it, what the engine will now decide: each step's state, the follow-up records effects
create, and every clock with its explanation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from formflow.definitions.forms import form_labels
from formflow.definitions.loader import Definitions
from formflow.engine.actions import ActionRefused, apply_action, create_record
from formflow.engine.clocks import STATUS_LABELS, ClockState, fmt, record_clocks
from formflow.engine.numbering import format_number
from formflow.engine.records import Record, replay, typed_values


@dataclass(frozen=True)
class Step:
    """One action to simulate: ``action`` by ``by`` at ``at`` with ``data``."""

    action: str
    at: dt.datetime
    data: dict[str, Any]
    by: str = ""


def clock_lines(clocks: list[ClockState], roles: dict[str, str]) -> list[str]:
    """Clocks as the explain/simulate text shows them (``roles``: role key → Chinese name)."""
    lines = []
    for c in clocks:
        lines.append(f"  ⏱ {c.label}（{c.key}）：{STATUS_LABELS[c.status]}，期限 {fmt(c.due)}")
        lines.extend(f"      {text}" for text in c.explanation)
        if c.escalated_to:
            lines.append(f"      已升级告知 escalated to: {'、'.join(roles.get(r, r) for r in c.escalated_to)}")
    return lines


def _plain(value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, list):
        return f"{len(value)} 行" if value and isinstance(value[0], dict) else "、".join(map(str, value))
    return "是" if value is True else "否" if value is False else str(value)


def explain(defs: Definitions, record: Record, now: dt.datetime) -> list[str]:
    """Text lines explaining a record's state and every clock at ``now``."""
    workflow = defs.workflows[record.form]
    form = defs.forms[record.form]
    view = replay(record, workflow)
    typed = typed_values(form, view.values, defs.settings, now)
    lines = [f"{record.number} {form.title}：当前状态「{workflow.states[view.state].label}」（截至 {fmt(now)}）"]
    for step in view.steps:
        note = f"（{step.event.note}）" if step.event.note else ""
        lines.append(f"  {fmt(step.event.at)}  {step.event.by} {step.label}{note}"
                     f" → {workflow.states[step.after].label if step.after in workflow.states else step.after}")
        if step.replaced is not None:  # a correction: what it struck out
            labels = form_labels(form)
            lines.append("      " + "；".join(f"{labels.get(k, k)}：{_plain(step.replaced.get(k))} → {_plain(v)}"
                                              for k, v in step.event.data.items()))
    clocks = record_clocks(view, typed, workflow, defs.calendar, now, form_labels(form))
    lines.extend(clock_lines(clocks, defs.settings.roles) or ["  （没有计时 no clocks）"])
    return lines


def simulate(defs: Definitions, form_id: str, data: dict[str, Any], by: str, at: dt.datetime,
             steps: list[Step], until: dt.datetime | None = None) -> list[str]:
    """Run the what-if and return its report as text lines (problems included, never raised)."""
    lines = [f"模拟 simulate: {defs.forms[form_id].title}（{form_id}）"]
    try:
        # Numbered like a real record (station SIM), so effects that check the number's prefix
        # (a repair's callback names its WX- record) behave as they will for real.
        number = format_number(defs.forms[form_id].number, "SIM", at.astimezone(defs.settings.timezone).date(), 1)
        record, outcome = create_record(defs, number, form_id, by, at, data)
    except ActionRefused as exc:
        return lines + ["✗ 登记失败 cannot create:"] + [f"  - {p}" for p in exc.problems]
    lines.append(f"{fmt(at)}  {by} 登记 → {defs.workflows[form_id].states[outcome.state].label}")
    follow_ups = 0
    for step in sorted(steps, key=lambda s: s.at):
        try:
            # No role check: a what-if is about the procedure and its deadlines, not about who.
            outcome = apply_action(defs, record, step.action, step.by or by, step.at, step.data, system=True)
        except ActionRefused as exc:
            lines.append(f"✗ {fmt(step.at)}  {step.action}：")
            lines.extend(f"  - {p}" for p in exc.problems)
            continue
        record = record.with_event(outcome.event)
        workflow = defs.workflows[form_id]
        lines.append(f"{fmt(step.at)}  {workflow.actions[step.action].label}({step.action})"
                     f" → {workflow.states[outcome.state].label}")
        for follow in outcome.follow_ups:
            follow_ups += 1
            lines.append(f"  ↳ 生成后续记录 follow-up: {defs.forms[follow.form].title}（{follow.form}）"
                         f" {', '.join(f'{k}={v}' for k, v in follow.data.items())}")
            try:
                child, _ = create_record(defs, f"SIM-F{follow_ups:03d}", follow.form, follow.by, follow.at,
                                         follow.data, parent=record.number)
            except ActionRefused as exc:
                lines.extend(f"    ✗ {p}" for p in exc.problems)
            else:
                end = until or max([s.at for s in steps], default=at)
                lines.extend("  " + line for line in explain(defs, child, end)[1:] if line.startswith("  ⏱")
                             or line.startswith("      "))
        for parent in outcome.parent_actions:
            lines.append(f"  ↳ 上级记录 parent {parent.record}：{parent.action}（{parent.note}）")
    end = until or max([s.at for s in steps], default=at)
    lines.append("")
    lines.extend(explain(defs, record, end))
    return lines


def diagram(workflow, defs: Definitions) -> str:
    """The workflow as a Mermaid state diagram."""
    out = ["stateDiagram-v2"]
    for key, state in workflow.states.items():
        out.append(f"    {key}: {state.label}")
    out.append(f"    [*] --> {workflow.initial.key}")
    open_states = [k for k, s in workflow.states.items() if not s.final]
    for action in workflow.actions.values():
        sources = action.sources or open_states
        roles = "、".join(defs.settings.roles.get(r, r) for r in action.roles)
        label = action.label + (f"（{roles}）" if roles else "")
        for source in sources:
            out.append(f"    {source} --> {action.target or source}: {label}")
    for key, state in workflow.states.items():
        if state.final:
            out.append(f"    {key} --> [*]")
    return "\n".join(out) + "\n"
