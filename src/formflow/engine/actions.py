"""Doing an action on a record (pure): permission, state, data, guard, then the effects.

The outcome names everything that follows from the action — the event to append, and the
follow-up records and parent actions its effects ask for — and the caller (the inbox
engine, a simulation) carries them out. Problems are in Chinese, for the rejection slip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from formflow.definitions.forms import form_labels
from formflow.definitions.loader import Definitions
from formflow.engine.expressions import EVALUATION_ERRORS, describe, evaluate, holds
from formflow.engine.fieldtypes import is_empty
from formflow.engine.possible import changes_nothing, done_at, offered
from formflow.engine.records import (
    CORRECT,
    CREATE,
    UNIT_SPELLING,
    Event,
    Record,
    RecordView,
    replay,
    typed_values,
)
from formflow.engine.unitspelling import canonical
from formflow.engine.validate import (
    DataProblem,
    Validated,
    calculated_changes,
    to_plain,
    validate_data,
    without_calculated,
)


@dataclass(frozen=True)
class FollowUp:
    """A record to create because of an effect (e.g. the callback task of a completed repair)."""

    form: str
    data: dict[str, Any]
    by: str
    at: dt.datetime
    parent: str


@dataclass(frozen=True)
class ParentAction:
    """An action to do on another record because of an effect (e.g. send a repair back for rework)."""

    record: str
    action: str
    by: str
    at: dt.datetime
    note: str


@dataclass(frozen=True)
class Outcome:
    """What an accepted action or creation produces."""

    event: Event
    state: str
    follow_ups: tuple[FollowUp, ...] = ()
    parent_actions: tuple[ParentAction, ...] = ()


class ActionRefused(Exception):
    """The action cannot be done; ``problems`` says why, in Chinese."""

    def __init__(self, problems: list[DataProblem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


def _who(defs: Definitions, name: str) -> str:
    person = defs.settings.person(name)
    roles = "、".join(defs.settings.roles.get(r, r) for r in person.roles) if person else ""
    return f"{name}（{roles}）" if roles else name


def _minutes(moment: dt.datetime, defs: Definitions) -> str:
    """``2026-11-28 09:15`` in the office's time zone."""
    try:
        moment = moment.astimezone(defs.settings.timezone)
    except OverflowError:  # a stored time at the very edge of the calendar: shown as stored
        pass
    return moment.isoformat(sep=" ", timespec="minutes")[:16]


def _day_minutes(moment: dt.datetime, now: dt.datetime, defs: Definitions) -> str:
    """``11月18日 10:05`` in the office's time zone (with the year when it is not ``now``'s)."""
    zone = defs.settings.timezone
    local = moment.astimezone(zone)
    year = f"{local.year}年" if local.year != now.astimezone(zone).year else ""
    return f"{year}{local.month}月{local.day}日 {local:%H:%M}"


def create_record(defs: Definitions, number: str, form_id: str, by: str, at: dt.datetime,
                  data: dict[str, Any], *, parent: str = "", note: str = "",
                  validated: Validated | None = None) -> tuple[Record, Outcome]:
    """A new record from ``data``; raises :class:`ActionRefused` with every problem.

    ``validated``: ``data`` already validated against this form and ``defs.settings`` at ``at`` (the intake
    did it), so it is not checked twice; without it (records created by effects, a simulation) it is checked here.
    """
    form = defs.forms[form_id]
    result = validated if validated is not None else validate_data(form, data, defs.settings, at)
    if result.problems:
        raise ActionRefused(list(result.problems))
    workflow = defs.workflows.get(form_id)
    event = Event(CREATE, by, at, to_plain(result.values), note)
    record = Record(number, form_id, (event,), form.version, workflow.version if workflow else 0, parent)
    state = workflow.initial.key if workflow else ""
    return record, Outcome(event, state)


def apply_action(defs: Definitions, record: Record, action_key: str, by: str, at: dt.datetime,
                 data: dict[str, Any], *, note: str = "", system: bool = False) -> Outcome:
    """The outcome of ``by`` doing ``action_key`` on ``record`` at ``at``; raises :class:`ActionRefused`.

    ``system`` marks an action caused by another record's effect (no role check: the person
    acted on the other record, where their role was checked).
    """
    workflow = defs.workflows[record.form]
    if action_key == UNIT_SPELLING and action_key not in workflow.actions:
        return _unit_spelling(defs, record, by, at, data, note)
    if action_key == CORRECT and action_key not in workflow.actions:  # (an older workflow's own action wins)
        return _correct(defs, record, by, at, data, note)
    form = defs.forms[record.form]
    labels = form_labels(form)
    view = replay(record, workflow)
    state_label = workflow.states[view.state].label
    problems: list[DataProblem] = []

    def refuse(key: str, label: str, message: str) -> None:
        problems.append(DataProblem(key, label, message))

    action = workflow.actions.get(action_key)
    allowed = workflow.allowed(view.state)
    allowed_text = "、".join(a.label for a in offered(defs, view, at)) or (
        "无（记录已关闭）" if workflow.states[view.state].final else "无")
    if action is None:
        refuse("action", "「操作」", f"流程中没有操作“{action_key}”；{record.number} 当前状态「{state_label}」可做：{allowed_text}")
        raise ActionRefused(problems)
    if action not in allowed:
        refuse("action", "「操作」", f"{record.number} 当前状态为「{state_label}」，不能「{action.label}」；可做：{allowed_text}")
        raise ActionRefused(problems)
    # Refused when a clerk asks, never in a replay: the office's archive may hold what an older formflow took.
    strict = not system and defs.settings.plausibility
    done = done_at(view, action)
    if done is not None and strict:
        refuse("action", "「操作」", f"已于 {_day_minutes(done, at, defs)} {action.label}，不能重复办理")
        raise ActionRefused(problems)
    if strict and changes_nothing(view, action):
        refuse("action", "「操作」", f"{record.number} 已是「{state_label}」，「{action.label}」不会改变什么；可做：{allowed_text}")
        raise ActionRefused(problems)
    person = defs.settings.person(by)
    if not system and action.roles and (person is None or not set(person.roles) & set(action.roles)):
        need = "、".join(defs.settings.roles.get(r, r) for r in action.roles)
        refuse("by", "「经办人」", f"{_who(defs, by)}没有权限「{action.label}」，需要角色：{need}")
    early = _before_created(defs, record, at)
    if early:
        refuse("at", "「办理时间」", early)
    for key in data:
        if key not in action.fields:
            can = "、".join(f"「{labels.get(f, f)}」" for f in action.fields) or "无"
            refuse(key, f"「{labels.get(key, key)}」", f"「{action.label}」时不能填写此项；可填写：{can}")
    merged = {**without_calculated(form, view.values), **{k: v for k, v in data.items() if k in action.fields}}
    result = validate_data(form, merged, defs.settings, at)
    touched = set(data) | set(action.requires)
    # Also a stored value this action makes wrong (re-grading a complaint 重大 leaves the resident's deadline,
    # shown only for 轻微, in force); old problems and gaps of untouched fields are not the clerk's doing now.
    before = {str(p) for p in validate_data(form, view.values, defs.settings, at).problems}
    problems += [p for p in result.problems if (root := p.key.split(".")[0].split("[")[0]) in touched
                 or (root in view.values and str(p) not in before)]
    for key in action.requires:
        if is_empty(merged.get(key)) and key not in result.values:
            problem = DataProblem(key, f"「{labels.get(key, key)}」", f"「{action.label}」时必须填写")
            if str(problem) not in {str(p) for p in problems}:
                problems.append(problem)
    if problems:
        raise ActionRefused(problems)
    values = result.values
    if action.guard is not None and not holds(action.guard, values, now=at):
        refuse("", "", action.guard_message or f"不满足「{action.label}」的条件：{describe(action.guard, labels)}")
        raise ActionRefused(problems)

    changes = _recorded(form, view, data, values)
    follow_ups: list[FollowUp] = []
    parent_actions: list[ParentAction] = []
    def effect_value(key: str, expr) -> Any:
        # A workflow's `set:` expression that cannot be computed for these values (a type mix-up in the
        # YAML, a value too large to build) refuses this action with a reason, never crashes the pass.
        try:
            return evaluate(expr, values, now=at, number=record.number)
        except EVALUATION_ERRORS:
            raise ActionRefused([DataProblem(key, f"「{labels.get(key, key)}」",
                                             f"「{action.label}」时无法按流程定义计算此项，请告诉主管检查流程中"
                                             f"「{action.label}」的计算规则")]) from None

    for effect in action.effects:
        if effect.kind == "set":
            for key, expr in effect.set:
                values[key] = effect_value(key, expr)
                changes[key] = to_plain(values[key])
        elif effect.kind == "create":
            if effect.when is not None and not holds(effect.when, values, now=at):
                continue
            new = {to: to_plain(values.get(src)) for to, src in effect.copy if values.get(src) is not None}
            for to, expr in effect.set:
                new[to] = to_plain(effect_value(to, expr))
            follow_ups.append(FollowUp(effect.form, new, by, at, record.number))
        elif effect.kind == "parent":
            if effect.when is None or holds(effect.when, values, now=at):
                target = str(values.get(effect.link) or record.parent or "")
                if target:
                    parent_actions.append(ParentAction(target, effect.action, by, at,
                                                       effect.note or f"由 {record.number}「{action.label}」"))
    event = Event(action.key, by, at, changes, note)
    new_state = replay(record.with_event(event), workflow).state
    return Outcome(event, new_state, tuple(follow_ups), tuple(parent_actions))


#: Fewest characters a correction's reason has ("电话录错").
MIN_REASON = 4


def _before_created(defs: Definitions, record: Record, at: dt.datetime) -> str:
    """Why nothing may be done to ``record`` at ``at`` ("" when it may): not before it exists (deadlines would run
    backwards), unless it is the record's own date that is impossible (year 9999, stored by an older version):
    such a record must still be closable."""
    created = record.created_at
    if defs.settings.plausibility and at < created and created.date() <= defs.settings.dates.latest(at.date()):
        return f"{_minutes(at, defs)} 不能早于记录登记时间 {_minutes(created, defs)}（{record.number}），请核对日期和年份"
    return ""


def _recorded(form, view: RecordView, data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """What an event records: the values ``data`` gave (``None`` for one cleared), and the computed values
    (``calculate:``) that came out differently."""
    changes = to_plain({k: values[k] for k in data if k in values})
    changes.update({k: None for k in data if k not in values})
    changes.update({k: v for k, v in calculated_changes(form, view.values, values).items() if k not in changes})
    return changes


def _written(action) -> set[str]:
    """The fields ``action`` fills in or sets (``set:`` effects)."""
    return {*action.fields, *(key for effect in action.effects if effect.kind == "set" for key, _ in effect.set)}


def _guarded_fields(workflow, person) -> dict[str, str]:
    """Fields a correction by ``person`` may not change, with the label of the action that writes them: written
    only by actions ``person`` may not do — 更正 must not be a way round an action's roles."""
    theirs = [a for a in workflow.actions.values() if not a.roles or set(a.roles) & set(person.roles)]
    mine = set().union(*(_written(a) for a in theirs))
    guarded: dict[str, str] = {}
    for action in (a for a in workflow.actions.values() if a not in theirs):
        for key in _written(action) - mine:
            guarded.setdefault(key, action.label)  # the first action (in the workflow's order) that writes it
    return guarded


def _correct(defs: Definitions, record: Record, by: str, at: dt.datetime, data: dict[str, Any],
             note: str) -> Outcome:
    """Stored values of ``record`` corrected (更正), with the reason ``note``: in any state, by the roles the
    workflow's ``corrections`` names; the values replaced stay in the history (see :func:`replay`)."""
    workflow = defs.workflows[record.form]
    form = defs.forms[record.form]
    labels = form_labels(form)
    view = replay(record, workflow)
    problems: list[DataProblem] = []

    def refuse(key: str, label: str, message: str) -> None:
        problems.append(DataProblem(key, label, message))

    rules = workflow.corrections
    if rules is None:
        refuse("action", "「更正」", f"{form.title}的流程不允许更正已存的内容（请主管在流程定义中设置 corrections）")
        raise ActionRefused(problems)
    person = defs.settings.person(by)
    if person is None or not set(person.roles) & set(rules.roles):
        need = "、".join(defs.settings.roles.get(r, r) for r in rules.roles)
        refuse("by", "「经办人」", f"{_who(defs, by)}没有权限「更正」，需要角色：{need}")
    if len(note.strip()) < MIN_REASON:
        refuse("note", "「更正原因」", f"更正必须写明原因（至少 {MIN_REASON} 个字），例如：登记时电话号码录错，经住户核实更正")
    if not data:
        refuse("data", "「更正」", "没有写要更正的内容")
    allowed = set(workflow.correction(form).fields)
    guarded = _guarded_fields(workflow, person) if person is not None and not rules.fields else {}
    for key in data:
        if key not in allowed:
            refuse(key, f"「{labels.get(key, key)}」", "此项不能更正" if key in labels else "表单中没有这个字段")
        elif key in guarded:
            refuse(key, f"「{labels.get(key, key)}」", f"此项由「{guarded[key]}」填写，更正它需要能办理「{guarded[key]}」的人员")
    early = _before_created(defs, record, at)
    if early:
        refuse("at", "「办理时间」", early)
    if problems:
        raise ActionRefused(problems)
    merged = {**without_calculated(form, view.values), **data}
    result = validate_data(form, merged, defs.settings, at)
    before = {str(p) for p in validate_data(form, view.values, defs.settings, at).problems}
    problems += [p for p in result.problems if p.key.split(".")[0].split("[")[0] in data and str(p) not in before]
    if problems:
        raise ActionRefused(problems)
    changes = {k: v for k, v in _recorded(form, view, data, result.values).items() if v != view.values.get(k)}
    if not changes:
        raise ActionRefused([DataProblem("data", "「更正」", "要更正的内容与现在记录的相同，无需更正")])
    return Outcome(Event(CORRECT, by, at, changes, note.strip()), view.state)


def _unit_spelling(defs: Definitions, record: Record, by: str, at: dt.datetime, data: dict[str, Any],
                   note: str) -> Outcome:
    """The 房号 of ``record`` rewritten in the office's spelling of the same flat (never another flat), in any
    state, by anyone on the roster; the old spelling stays in the history."""
    workflow = defs.workflows[record.form]
    view = replay(record, workflow)
    key = defs.forms[record.form].unit_field
    old = str(view.values.get(key) or "") if key else ""
    new = str(data.get(key) or "") if key else ""
    problem = ""
    if defs.settings.person(by) is None:
        problem = f"{by} 不在人员名册中"
    elif key is None or set(data) != {key}:
        problem = f"「房号写法统一」只改房号（{key or '此表单没有房号'}）"
    elif new == old or canonical(old, defs.settings.unit_pattern) != new:
        problem = f"“{new}”不是“{old}”的统一写法（只能把同一户的另一种写法改为 {defs.settings.unit_example} 这样的写法）"
    if problem:
        raise ActionRefused([DataProblem(key or "unit", "「房号」", problem)])
    event = Event(UNIT_SPELLING, by, at, {key: new}, note or f"房号写法统一：{old} → {new}")
    return Outcome(event, view.state)


def intended_follow_ups(defs: Definitions, record: Record, action_key: str, by: str, at: dt.datetime,
                        data: dict[str, Any]) -> tuple[FollowUp, ...]:
    """The records ``action_key`` creates (``create`` effects) as if it applied to ``record`` now, whatever
    its state, roles or guard say — for an action of another station that no longer applied when the logs
    were merged: the numbers it gave then must still name records. Values that cannot be computed are left
    out (the record is flagged as made by a refused action)."""
    workflow = defs.workflows.get(record.form)
    action = workflow.actions.get(action_key) if workflow else None
    if action is None or not any(e.kind == "create" for e in action.effects):
        return ()
    view = replay(record, workflow)
    merged = {**view.values, **{k: v for k, v in data.items() if k in action.fields}}
    values = validate_data(defs.forms[record.form], merged, defs.settings, at).values

    def computed(expr) -> Any:
        try:
            return evaluate(expr, values, now=at, number=record.number)
        except EVALUATION_ERRORS:
            return None

    made = []
    for effect in action.effects:
        if effect.kind == "set":
            for key, expr in effect.set:
                values[key] = computed(expr)
        elif effect.kind == "create":
            if effect.when is not None and not holds(effect.when, values, now=at):
                continue
            new = {to: to_plain(values.get(src)) for to, src in effect.copy if values.get(src) is not None}
            new.update({to: to_plain(value) for to, expr in effect.set if (value := computed(expr)) is not None})
            made.append(FollowUp(effect.form, new, by, at, record.number))
    return tuple(made)


def view_of(defs: Definitions, record: Record) -> RecordView:
    """The replayed view of ``record`` under its form's current workflow."""
    return replay(record, defs.workflows[record.form])


def typed_record_values(defs: Definitions, view: RecordView, now: dt.datetime) -> dict[str, Any]:
    """The record's values as typed data (dates, numbers), for expressions and clocks."""
    return typed_values(defs.forms[view.record.form], view.values, defs.settings, now)
