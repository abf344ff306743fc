"""Workflows (workflows/*.yaml) as frozen objects, with lints (recurring duties: :mod:`formflow.definitions.duties`).

Beyond the schema: every state, action, role and field a workflow names must exist; states
must be reachable from the initial one; each clock must be able to stop; follow-up and
parent effects must point at forms, fields and actions that exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from formflow.definitions.checking import check_schema, suggest, untouched
from formflow.definitions.choices import unknown_options
from formflow.definitions.fees import DEFAULT_CALLING_HOURS
from formflow.definitions.workflowlint import lint
from formflow.definitions.forms import Form
from formflow.definitions.settings import Settings
from formflow.definitions.workflow_schema import WORKFLOW_SCHEMA
from formflow.definitions.yamlsource import Document, format_keys
from formflow.engine.expressions import Expression, ExpressionError, compile_expression
from formflow.errors import Problem

_DATE_TYPES = {"date", "datetime"}


@dataclass(frozen=True)
class State:
    key: str
    label: str
    initial: bool = False
    final: bool = False
    #: The unit's 入住状态 once a record has reached this state (``unit_status``; "" for none).
    unit_status: str = ""


@dataclass(frozen=True)
class Effect:
    """One effect: ``kind`` is ``set``, ``create`` or ``parent``."""

    kind: str
    form: str = ""
    copy: tuple[tuple[str, str], ...] = ()
    set: tuple[tuple[str, Expression], ...] = ()
    action: str = ""
    link: str = ""
    when: Expression | None = None
    note: str = ""


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    sources: tuple[str, ...] | None  # None = any open state ("*")
    target: str | None
    roles: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    guard: Expression | None = None
    guard_message: str = ""
    effects: tuple[Effect, ...] = ()
    #: ``once: true``: done at most once on a record.
    once: bool = False


@dataclass(frozen=True)
class Escalation:
    after: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class Clock:
    """A named deadline on a record; see the workflow reference for each key."""

    key: str
    label: str
    start: tuple[str, ...]
    stop: tuple[str, ...]
    task: str = ""
    who: tuple[str, ...] = ()
    applies_if: Expression | None = None
    pause: tuple[str, ...] = ()
    due: str | None = None
    due_by_field: str = ""
    due_by_rules: tuple[tuple[str, str], ...] = ()
    due_by_default: str | None = None
    deadline_field: str = ""
    deadline_offset: str = ""
    shows_in: str = ""
    remind: tuple[str, ...] = ()
    escalate: tuple[Escalation, ...] = ()
    source_line: int = 0
    #: ``within``: the periods of the day the deadline must fall in (the calling hours), in order; () for any time.
    within: tuple[tuple[dt.time, dt.time], ...] = ()


@dataclass(frozen=True)
class Workflow:
    form: str
    version: int
    states: Mapping[str, State]
    actions: Mapping[str, Action]
    clocks: Mapping[str, Clock]
    renamed_states: Mapping[str, str]
    change_note: str = ""
    source: str = ""
    #: ``corrections``: who may correct stored values (更正) and which (empty: every field); ``None``: nobody.
    corrections: Corrections | None = None
    #: ``responsible``: the fields naming the person and the department a record's tasks go to.
    responsible: Responsible | None = None

    @property
    def initial(self) -> State:
        return next(s for s in self.states.values() if s.initial)

    def correction(self, form: Form) -> Action | None:
        """The correction (更正, key ``correct``) as an action the desk can offer: any state, the ``corrections``
        roles, its fields (every field of ``form`` when it names none); ``None`` when nobody may correct."""
        if self.corrections is None:
            return None
        fields = self.corrections.fields or tuple(f.name for f in form.iter_fields() if f.holds_data)
        return Action("correct", "更正", None, None, self.corrections.roles, fields)

    def allowed(self, state: str) -> list[Action]:
        """Actions allowed in ``state``."""
        if self.states[state].final:
            return [a for a in self.actions.values() if a.sources is not None and state in a.sources]
        return [a for a in self.actions.values() if a.sources is None or state in a.sources]


@dataclass(frozen=True)
class Responsible:
    """Which fields say who a record's tasks go to (see ``responsible`` in the schema)."""

    person: str = ""
    department: str = ""
    department_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Corrections:
    """Who may correct a record's stored values (更正), and which fields (empty: all)."""

    roles: tuple[str, ...]
    fields: tuple[str, ...] = ()


def _points(raw: str | list[str]) -> tuple[str, ...]:
    return (raw,) if isinstance(raw, str) else tuple(raw)


class _WorkflowBuilder:
    def __init__(self, doc: Document, forms: Mapping[str, Form], settings: Settings | None,
                 broken: frozenset[str] = frozenset()):
        self.doc = doc
        self.forms = forms
        self.broken = broken
        self.settings = settings
        self.problems: list[Problem] = []
        self.form = forms.get(doc.data["form"])
        self.field_types: dict[str, str] = {}
        if self.form:
            for f in self.form.iter_fields():
                self.field_types[f.name] = f.type

    def error(self, keys: tuple, message: str, fix: str = "", *, warning: bool = False) -> None:
        self.problems.append(self.doc.problem(keys, message, fix, warning=warning))

    def expression(self, keys: tuple, source: str, names: set[str]) -> Expression | None:
        try:
            expr = compile_expression(source)
        except ExpressionError as exc:
            self.error(keys, str(exc))
            return None
        for name in sorted(expr.names - names):
            self.error(keys, f"表达式引用了不存在的字段 expression names an unknown field {name!r}", suggest(name, names))
        if self.form is not None:
            fields = self.form.fields
            for name, text, fix in unknown_options(expr, lambda n: fields[n].choices if n in fields else None):
                self.error(keys, f"「{fields[name].label}」没有选项“{text}” field {name!r} has no option {text!r}", fix)
        return expr

    def field(self, keys: tuple, name: str, *, form: Form | None = None, types: set[str] | None = None) -> None:
        form = form or self.form
        if form is None:
            return
        fields = {f.name: f for f in form.iter_fields()}
        if name not in fields:
            self.error(keys, f"表单 {form.id} 没有字段 form {form.id!r} has no field {name!r}", suggest(name, fields))
        elif types and fields[name].type not in types:
            self.error(keys, f"字段 {name!r} 的类型是 {fields[name].type}，这里需要 {' 或 '.join(sorted(types))} "
                       f"field {name!r} is {fields[name].type}, expected {' or '.join(sorted(types))}")

    def role(self, keys: tuple, role: str) -> None:
        if self.settings is not None and role not in self.settings.roles:
            self.error(keys, f"未知的角色 unknown role {role!r} (expected one of {', '.join(self.settings.roles)})",
                       suggest(role, self.settings.roles) or "先在 formflow.yaml 的 roles 中添加 add it to roles in formflow.yaml")

    def state(self, keys: tuple, key: str, states: Mapping) -> None:
        if key not in states:
            self.error(keys, f"未知的状态 unknown state {key!r}", suggest(key, states) or f"可用 available: {', '.join(states)}")

    def point(self, keys: tuple, point: str, states: Mapping, actions: Mapping) -> None:
        kind, _, name = point.partition(":")
        if kind == "state":
            self.state(keys, name, states)
        elif kind == "action" and name not in actions:
            self.error(keys, f"未知的操作 unknown action {name!r}", suggest(name, actions))
        elif kind == "field":
            self.field(keys, name, types=_DATE_TYPES)


def load_workflow(doc: Document, forms: Mapping[str, Form], settings: Settings | None,
                  file_stem: str, broken: frozenset[str] = frozenset()) -> tuple[Workflow | None, list[Problem]]:
    """A :class:`Workflow` from one ``workflows/*.yaml`` document, with its problems (and lint warnings).

    ``broken``: forms whose files are there but did not load. A workflow of such a form is not checked
    further: every field it names would be "unknown", a dozen messages for the one mistake in the form.
    """
    problems = check_schema(doc, WORKFLOW_SCHEMA)
    if problems:
        return None, problems + _actions_beside(doc, forms, settings, problems, broken)
    data = doc.data
    if data["form"] not in forms and data["form"] in broken:
        return None, [doc.problem(("form",), f"表单 {data['form']} 未能加载，先修正上面的错误 form {data['form']!r} did "
                                  "not load: fix its errors above first, then this workflow is checked")]
    b = _WorkflowBuilder(doc, forms, settings, broken)
    if data["form"] != file_stem:
        b.error(("form",), f"form 与文件名不符 form {data['form']!r} does not match the file name {file_stem}.yaml",
                f"把文件改名为 rename the file to {data['form']}.yaml")
    if b.form is None:
        b.error(("form",), f"没有这个表单 no form {data['form']!r} in forms/", suggest(data["form"], forms))
    names = set(b.field_types)

    states = {k: State(k, v["label"], v.get("initial", False), v.get("final", False), v.get("unit_status", ""))
              for k, v in data["states"].items()}
    initials = [s.key for s in states.values() if s.initial]
    if len(initials) != 1:
        b.error(("states",), f"需要恰好一个初始状态 exactly one state needs 'initial: true' (found {len(initials)})")

    actions: dict[str, Action] = {}
    for key, raw in data["actions"].items():
        keys = ("actions", key)
        sources = None if raw["from"] == "*" else tuple(raw["from"])
        guard = _check_action(b, keys, raw, states, names)
        effects = tuple(_effect(b, (*keys, "effects", i), e, names) for i, e in enumerate(raw.get("effects", ())))
        actions[key] = Action(key, raw["label"], sources, raw.get("to"), tuple(raw.get("roles", ())),
                              tuple(raw.get("fields", ())), tuple(raw.get("requires", ())), guard,
                              raw.get("guard_message", ""), effects, raw.get("once", False))

    clocks: dict[str, Clock] = {}
    for key, raw in data.get("clocks", {}).items():
        clocks[key] = _clock(b, ("clocks", key), key, raw, states, actions, names)

    renamed = data.get("renamed_states", {})
    for old, new in renamed.items():
        b.state(("renamed_states", old), new, states)
    corrections = None
    if "corrections" in data:
        raw = data["corrections"]
        for i, r in enumerate(raw["roles"]):
            b.role(("corrections", "roles", i), r)
        for i, f in enumerate(raw.get("fields", ())):
            b.field(("corrections", "fields", i), f)
        corrections = Corrections(tuple(raw["roles"]), tuple(raw.get("fields", ())))
    responsible = None
    if "responsible" in data:
        raw = data["responsible"]
        for part in ("person", "department"):
            if part in raw:
                b.field(("responsible", part), raw[part])
        for i, r in enumerate(raw.get("department_roles", ())):
            b.role(("responsible", "department_roles", i), r)
        responsible = Responsible(raw.get("person", ""), raw.get("department", ""),
                                  tuple(raw.get("department_roles", ())))
    if "correct" in actions and "corrections" in data:
        b.error(("actions", "correct"), "操作 correct 会遮住“更正” an action 'correct' hides the corrections",
                "改用其他键 rename the action", warning=True)
    workflow = Workflow(data["form"], data["version"], states, actions, clocks, renamed,
                        data.get("change_note", ""), doc.path, corrections, responsible)
    if len(initials) == 1 and not any(not p.warning for p in b.problems):
        lint(b.error, workflow)  # (after an unknown state, "cannot be reached" would only repeat it, a dozen times)
    return workflow, b.problems


def _check_action(b: _WorkflowBuilder, keys: tuple, raw: dict, states: Mapping | None,
                  names: set[str]) -> Expression | None:
    """The checks of one action against the states (``None``: not known), roles and fields; its guard compiled."""
    if states is not None:
        for i, s in enumerate(() if raw["from"] == "*" else raw["from"]):
            b.state((*keys, "from", i), s, states)
        if "to" in raw:
            b.state((*keys, "to"), raw["to"], states)
    for i, r in enumerate(raw.get("roles", ())):
        b.role((*keys, "roles", i), r)
    for part in ("fields", "requires"):
        for i, f in enumerate(raw.get(part, ())):
            b.field((*keys, part, i), f)
    return b.expression((*keys, "guard"), raw["guard"], names) if "guard" in raw else None


def _actions_beside(doc: Document, forms: Mapping[str, Form], settings: Settings | None, found: list[Problem],
                    broken: frozenset[str]) -> list[Problem]:
    """The action checks of a workflow whose structure is wrong elsewhere: each action the schema found sound
    is checked as usual, so a misspelt key in one does not hide an unknown role in another until the next run."""
    data = doc.data
    sound = untouched(found)
    if not (isinstance(data, dict) and isinstance(data.get("form"), str) and data["form"] in forms
            and isinstance(data.get("actions"), dict)) or data["form"] in broken:
        return []
    b = _WorkflowBuilder(doc, forms, settings, broken)
    states = data["states"] if isinstance(data.get("states"), dict) and sound("states") else None
    for key, raw in data["actions"].items():
        if sound(format_keys(("actions", key))):
            _check_action(b, ("actions", key), raw, states, set(b.field_types))
    return b.problems


def _effect(b: _WorkflowBuilder, keys: tuple, raw: dict, names: set[str]) -> Effect:
    kinds = [k for k in ("set", "create", "parent") if k in raw]
    if len(kinds) != 1:
        b.error(keys, "每个效果只能是 set、create、parent 之一 an effect is exactly one of set, create, parent")
        return Effect("none")
    kind = kinds[0]
    if kind == "set":
        pairs = []
        for field, source in raw["set"].items():
            b.field((*keys, "set", field), field)
            expr = b.expression((*keys, "set", field), source, names)
            if expr is not None:
                pairs.append((field, expr))
        return Effect("set", set=tuple(pairs))
    if kind == "create":
        spec = raw["create"]
        target = b.forms.get(spec["form"])
        if target is None and spec["form"] not in b.broken:  # (a form that failed to load has said why)
            b.error((*keys, "create", "form"), f"没有这个表单 no form {spec['form']!r}", suggest(spec["form"], b.forms))
        for to_field, from_field in spec.get("copy", {}).items():
            b.field((*keys, "create", "copy", to_field), from_field)
            if target is not None:
                b.field((*keys, "create", "copy", to_field), to_field, form=target)
        pairs = []
        for to_field, source in spec.get("set", {}).items():
            if target is not None:
                b.field((*keys, "create", "set", to_field), to_field, form=target)
            expr = b.expression((*keys, "create", "set", to_field), source, names)
            if expr is not None:
                pairs.append((to_field, expr))
        when = b.expression((*keys, "create", "when"), spec["when"], names) if "when" in spec else None
        return Effect("create", form=spec["form"], copy=tuple(spec.get("copy", {}).items()), set=tuple(pairs),
                      when=when)
    spec = raw["parent"]
    b.field((*keys, "parent", "link"), spec["link"])
    when = b.expression((*keys, "parent", "when"), spec["when"], names) if "when" in spec else None
    return Effect("parent", action=spec["action"], link=spec["link"], when=when, note=spec.get("note", ""))


def _clock(b: _WorkflowBuilder, keys: tuple, key: str, raw: dict, states, actions, names) -> Clock:
    start, stop = _points(raw["start"]), _points(raw["stop"])
    for part, points in (("start", start), ("stop", stop)):
        for p in points:
            b.point((*keys, part), p, states, actions)
    for i, s in enumerate(raw.get("pause", ())):
        b.state((*keys, "pause", i), s, states)
    for i, r in enumerate(raw.get("who", ())):
        b.role((*keys, "who", i), r)
    for i, step in enumerate(raw.get("escalate", ())):
        for j, r in enumerate(step["to"]):
            b.role((*keys, "escalate", i, "to", j), r)
    rules = ("due" in raw) + ("due_by" in raw)
    if rules > 1:
        b.error(keys, "'due' 与 'due_by' 只能用一个 use either 'due' or 'due_by'")
    if rules == 0 and "deadline_field" not in raw:
        b.error(keys, "缺少期限规则 no due rule", "添加 add 'due: 2d' (或 or 'due_by', 'deadline_field')")
    due_by = raw.get("due_by", {})
    if due_by:
        b.field((*keys, "due_by", "field"), due_by["field"])
        form_field = b.form.fields.get(due_by["field"]) if b.form else None
        if form_field is not None and form_field.choices is not None:
            for value in due_by["rules"]:
                if value not in form_field.choices.values:
                    b.error((*keys, "due_by", "rules", value),
                            f"“{value}”不是字段 {due_by['field']} 的选项 is not an option of {due_by['field']!r}",
                            suggest(value, form_field.choices.values))
    deadline = raw.get("deadline_field", {})
    if deadline:
        b.field((*keys, "deadline_field", "field"), deadline["field"], types=_DATE_TYPES)
    if "shows_in" in raw:
        b.field((*keys, "shows_in"), raw["shows_in"], types=_DATE_TYPES)
    applies_if = b.expression((*keys, "applies_if"), raw["applies_if"], names) if "applies_if" in raw else None
    return Clock(
        key=key, label=raw["label"], start=start, stop=stop, task=raw.get("task", raw["label"]),
        who=tuple(raw.get("who", ())), applies_if=applies_if, pause=tuple(raw.get("pause", ())), due=raw.get("due"),
        due_by_field=due_by.get("field", ""), due_by_rules=tuple(due_by.get("rules", {}).items()),
        due_by_default=due_by.get("default"), deadline_field=deadline.get("field", ""),
        deadline_offset=deadline.get("offset", ""), shows_in=raw.get("shows_in", ""), remind=tuple(raw.get("remind", ())),
        escalate=tuple(Escalation(e["after"], tuple(e["to"])) for e in raw.get("escalate", ())),
        source_line=b.doc.where(keys)[0], within=_within(b.settings) if raw.get("within") else (),
    )


def _within(settings: Settings | None) -> tuple[tuple[dt.time, dt.time], ...]:
    """The periods ``within: calling_hours`` names (the defaults when the settings did not load)."""
    return settings.fees.calling_hours if settings is not None else DEFAULT_CALLING_HOURS


def check_parent_effects(docs: Mapping[str, Document], workflows: Mapping[str, Workflow]) -> list[Problem]:
    """Cross-workflow check: a `parent` effect names an action of the parent form's workflow.

    The parent's form is not fixed (a callback may follow a repair or a complaint), so the
    action must exist in at least one workflow.
    """
    problems = []
    all_actions = {a for wf in workflows.values() for a in wf.actions}
    for form, wf in workflows.items():
        for key, action in wf.actions.items():
            for i, effect in enumerate(action.effects):
                if effect.kind == "parent" and effect.action not in all_actions:
                    problems.append(docs[form].problem(("actions", key, "effects", i, "parent", "action"),
                                                       f"没有任何流程有操作 no workflow has an action {effect.action!r}",
                                                       suggest(effect.action, all_actions)))
    return problems
