"""Deadlines quoted in hints and tasks, written from the workflow so they stay true when a rule changes.

A hint such as "其他维修完工后 2 天回访" is a copy of a rule in workflows/callback.yaml; when the
supervisor changes the rule to 3 working days, the copy goes on saying 2 days on every desk page and
blank form. Written instead as ``其他维修完工后 {due:callback.callback.其他} 回访``, the text is made
from the rule itself when the definitions load:

- ``{due:WORKFLOW.CLOCK}`` — the clock's rule (``2天``, ``3个工作日``, ``当天``); for a rule that depends
  on a field (``due_by``), every case: ``重大10天、重要3天、轻微2天``; for a date field's deadline, its
  offset (``前1天``);
- ``{due:WORKFLOW.CLOCK.CASE}`` — one case of a ``due_by`` rule;
- in a clock's own ``label`` and ``task``: ``{due}`` and ``{due:CASE}`` for that clock.

Form fields' ``hint``, ``text`` (notes) and option labels, and clocks' ``label`` and ``task`` may hold them; ``check``
names a placeholder that points at nothing, at its line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from formflow.definitions.checking import suggest
from formflow.definitions.forms import Field, Form
from formflow.definitions.workflows import Clock, Workflow
from formflow.definitions.yamlsource import Document
from formflow.errors import Problem

_PLACEHOLDER = re.compile(r"\{due(?::([^{}]*))?\}")
_UNITS = {"m": "分钟", "h": "小时", "d": "天", "wh": "个工作小时", "wd": "个工作日"}


def rule_text(rule: str, *, in_full: bool = False) -> str:
    """A due rule as a hint says it: ``2d`` → 2天, ``3wd`` → 3个工作日, ``-1d`` → 前1天, ``eod`` → 当天;
    ``in_full`` as an explanation says it, calendar days named as such (2天（日历日）, 当天内)."""
    if rule == "eod":
        return "当天内" if in_full else "当天"
    match = re.fullmatch(r"(-?)(\d+)(m|h|d|wh|wd)", rule)
    if not match:
        return rule
    unit = "天（日历日）" if in_full and match.group(3) == "d" else _UNITS[match.group(3)]
    return f"{'前' if match.group(1) else ''}{match.group(2)}{unit}"


def clock_text(clock: Clock, case: str = "") -> str | None:
    """What ``{due}`` says for ``clock`` (one ``case`` of a due_by rule, or all); ``None``: no such case."""
    if case:
        return rule_text(dict(clock.due_by_rules)[case]) if case in dict(clock.due_by_rules) else None
    if clock.due:
        return rule_text(clock.due)
    if clock.due_by_rules:
        return "、".join(f"{value}{rule_text(rule)}" for value, rule in clock.due_by_rules)
    if clock.deadline_field:  # a date the record holds, moved by the offset: 前1天, or the day itself
        return rule_text(clock.deadline_offset) if clock.deadline_offset else "当天"
    return None


class _Expander:
    def __init__(self, workflows: Mapping[str, Workflow], failed: frozenset[str]):
        self.workflows = workflows
        self.failed = failed
        self.problems: list[Problem] = []

    def text(self, doc: Document, keys: tuple, text: str, own: Clock | None = None) -> str:
        if "{due" not in text:
            return text

        def one(match: re.Match) -> str:
            target = (match.group(1) or "").strip()
            if own is not None and "." not in target:
                found = clock_text(own, target)
                if found is None:
                    self.fail(doc, keys, match.group(0), f"期限规则中没有“{target}” the rule has no case {target!r}",
                              suggest(target, dict(own.due_by_rules)))
                return found or match.group(0)
            parts = target.split(".")
            if len(parts) not in (2, 3):
                self.fail(doc, keys, match.group(0), "写法应为 {due:流程.期限} 或 {due:流程.期限.情形} expected "
                          "{due:WORKFLOW.CLOCK} or {due:WORKFLOW.CLOCK.CASE}", "例如 e.g. {due:callback.callback.其他}")
                return match.group(0)
            workflow = self.workflows.get(parts[0])
            clock = workflow.clocks.get(parts[1]) if workflow else None
            if workflow is None and parts[0] in self.failed:
                pass  # that workflow's file said what is wrong with it
            elif workflow is None:
                self.fail(doc, keys, match.group(0), f"没有流程 no workflow {parts[0]!r}", suggest(parts[0], self.workflows))
            elif clock is None:
                self.fail(doc, keys, match.group(0), f"流程 {parts[0]} 没有期限 no clock {parts[1]!r}",
                          suggest(parts[1], workflow.clocks))
            else:
                found = clock_text(clock, parts[2] if len(parts) == 3 else "")
                if found is not None:
                    return found
                self.fail(doc, keys, match.group(0), f"期限 {parts[1]} 的规则中没有“{parts[2]}” the rule has no case "
                          f"{parts[2]!r}" if len(parts) == 3 else f"期限 {parts[1]} 没有固定的规则 clock {parts[1]!r} "
                          "has no rule to quote", suggest(parts[-1], dict(clock.due_by_rules)))
            return match.group(0)

        return _PLACEHOLDER.sub(one, text)

    def fail(self, doc: Document, keys: tuple, placeholder: str, message: str, fix: str) -> None:
        self.problems.append(doc.problem(keys, f"{placeholder}: {message}", fix))


def _field(x: _Expander, doc: Document, keys: tuple, field: Field) -> Field:
    """``field`` with its hint, note and option labels written out; the very same object when none holds a
    placeholder (most do not: nothing is copied or compared for them, at every load of every version)."""
    changes: dict = {}
    for name in ("hint", "text"):
        if "{due" in getattr(field, name):
            changes[name] = x.text(doc, (*keys, name), getattr(field, name))
    choices = field.choices
    if choices is not None and any("{due" in o.label for o in choices.options):
        options = tuple(dataclasses.replace(o, label=x.text(doc, (*keys, "choices"), o.label)) for o in choices.options)
        changes["choices"] = dataclasses.replace(choices, options=options)
    return dataclasses.replace(field, **changes) if changes else field


def _clock(x: _Expander, doc: Document, key: str, clock: Clock) -> Clock:
    changes = {name: x.text(doc, ("clocks", key, name), getattr(clock, name), clock)
               for name in ("label", "task") if "{due" in getattr(clock, name)}
    return dataclasses.replace(clock, **changes) if changes else clock


def expand(forms: Mapping[str, Form], form_docs: Mapping[str, Document], workflows: Mapping[str, Workflow],
           workflow_docs: Mapping[str, Document], failed: frozenset[str] = frozenset(),
           ) -> tuple[dict[str, Form], dict[str, Workflow], list[Problem]]:
    """``forms`` and ``workflows`` with every ``{due…}`` written out, and the placeholders that point at nothing
    (``failed``: workflows whose files did not load; what points at them is not reported again)."""
    x = _Expander(workflows, failed)
    new_workflows = {}
    for key, workflow in workflows.items():
        clocks = {k: _clock(x, workflow_docs[key], k, c) for k, c in workflow.clocks.items()}
        changed = any(clocks[k] is not c for k, c in workflow.clocks.items())
        new_workflows[key] = dataclasses.replace(workflow, clocks=clocks) if changed else workflow
    new_forms = {}
    for key, form in forms.items():
        sections = []
        for s, section in enumerate(form.sections):
            fields = tuple(_field(x, form_docs[key], ("sections", s, "fields", i), f)
                           for i, f in enumerate(section.fields))
            same = all(a is b for a, b in zip(fields, section.fields))
            sections.append(section if same else dataclasses.replace(section, fields=fields))
        same = all(a is b for a, b in zip(sections, form.sections))
        new_forms[key] = form if same else dataclasses.replace(form, sections=tuple(sections))
    return new_forms, new_workflows, x.problems
