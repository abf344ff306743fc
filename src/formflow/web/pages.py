"""What each page shows, as plain data for its template (no HTML here: templates escape everything)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from formflow.definitions.forms import Field, Form, form_labels
from formflow.definitions.loader import Definitions, ordered_forms
from formflow.definitions.settings import Settings, Staff
from formflow.engine.clocks import STATUS_LABELS, record_clocks
from formflow.engine.expressions import Expression, describe
from formflow.engine.fieldtypes import eligible
from formflow.engine.numbering import SAFE_NUMBER
from formflow.engine.possible import may_do, possible_now
from formflow.engine.records import Record, RecordView, replay, typed_values
from formflow.engine.todo import is_mine
from formflow.engine.unitspelling import canonical
from formflow.punctuation import tidy
from formflow.render.todolist import TODO_GROUPS, todo_group
from formflow.render.values import plain
from formflow.web import fields as fx

#: How many records the start page lists.
RECENT = 15


def short(moment: dt.datetime | None, settings: Settings) -> str:
    """``2026-11-28 10:00`` in the office's time zone."""
    return moment.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M") if moment else ""


def display(f: Field, value: Any, settings: Settings) -> str:
    """A stored value as a clerk reads it: 是/否, 、-joined options, local times, amounts with their unit."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if f.type == "datetime" and isinstance(value, str):
        try:
            return short(dt.datetime.fromisoformat(value), settings)
        except ValueError:
            return value
    text = str(value)
    return f"{text} {f.unit_label}" if f.unit_label else text


def who_words(defs: Definitions, roles: tuple[str, ...]) -> str:
    """Role keys as their Chinese names."""
    return "、".join(defs.settings.roles.get(r, r) for r in roles)


def start_context(defs: Definitions, app, now: dt.datetime, person: Staff | None = None, everyone: bool = False) -> dict:
    """Forms in the office's order, the to-do list (overdue first) and the most recent records; with ``person`` (and not
    ``everyone``) only their own tasks (:func:`~formflow.engine.todo.is_mine`)."""
    tasks = []
    office = app.todo(now)
    mine = [t for t in office if is_mine(t, person, defs.settings)] if person is not None else office
    zone = defs.settings.timezone
    shown = office if everyone or person is None else mine
    order = {key: i for i, (key, _) in enumerate(TODO_GROUPS)}
    shown = sorted(shown, key=lambda t: (order[todo_group(t, now, zone)], t.due, t.record))
    for task in shown:
        duty = defs.duties.get(task.clock) if not task.form else None
        tasks.append({"record": duty.label if duty else task.record, "link": bool(SAFE_NUMBER.match(task.record)),
                      "duty": duty.key if duty and person is not None and set(person.roles) & set(duty.who) else "",
                      "form": defs.forms[task.form].title if task.form in defs.forms else "周期性工作",
                      "task": task.task, "status": task.status, "status_label": STATUS_LABELS[task.status],
                      "due": short(task.due, defs.settings), "who": who_words(defs, task.who), "unit": task.unit,
                      "unit_link": unit_link(defs, task.unit), "name": task.name, "phone": task.phone,
                      "group": todo_group(task, now, zone),
                      "explanation": [plain(line) for line in task.explanation]})
    return {"forms": ordered_forms(defs), "tasks": tasks, "mine": person is not None and not everyone,
            "office_count": len(office), "mine_count": len(mine),
            "groups": [{"key": key, "label": label, "count": sum(1 for t in tasks if t["group"] == key)}
                       for key, label in TODO_GROUPS],
            "recent": [record_row(defs, r, state) for r, state in app.recent(RECENT)], "total": app.store.count()}


#: Records per page of the 全部记录 list.
PAGE_SIZE = 50


def records_context(defs: Definitions, app,
                    newest: Callable[[str, str, set[str] | None], list[tuple[str, str, str, float]]],
                    form_id: str, state: str, text: str, page_text: str, page_size: int | None = PAGE_SIZE) -> dict:
    """One page of the 全部记录 list: ``newest(form, state, among)`` gives those records (numbered in ``among``, a
    search's hits, unless ``None``) as :meth:`App.indexed` does, newest first (no record is read for that); ``text`` matches their numbers and every value written into
    them (房号, 姓名, 电话 ...: :meth:`Store.search`, no record read either; long free text is not searched); only the page's records are read."""
    form = form_id if form_id in defs.forms else ""
    workflows = [defs.workflows[form]] if form in defs.workflows else list(defs.workflows.values())
    labels: dict[str, list[str]] = {}
    for workflow in workflows:
        for key, st in workflow.states.items():
            if st.label not in labels.setdefault(key, []):
                labels[key].append(st.label)
    states = [{"key": k, "label": "/".join(v)} for k, v in labels.items()]
    chosen_state = state if state in labels else ""
    text = text.strip()[:100]
    found = newest(form, chosen_state, app.store.search(text, form or None) if text else None)
    total = len(found)
    if page_size is None:  # every record of the list (the Excel download), none read here
        return {"numbers": [row[0] for row in found], "total": total}
    pages = max(1, -(-total // PAGE_SIZE))
    try:
        page = int(page_text or 1)
    except ValueError:
        page = 1
    page = min(max(page, 1), pages)  # a page past the end shows the last one
    rows = [record_row(defs, app.store.get(number), current)
            for number, _, current, _ in found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    params = {k: v for k, v in (("form", form), ("state", chosen_state), ("q", text)) if v}
    link = lambda n: "/records?" + urlencode({**params, "page": n})  # noqa: E731
    return {"rows": rows, "xlsx": "/records.xlsx?" + urlencode(params), "total": total, "page": page, "pages": pages, "chosen": form, "chosen_state": chosen_state,
            "states": states, "q": text,
            "first": (page - 1) * PAGE_SIZE + 1 if rows else 0, "last": (page - 1) * PAGE_SIZE + len(rows),
            "prev_link": link(page - 1) if page > 1 else "", "next_link": link(page + 1) if page < pages else "",
            "forms": ordered_forms(defs)}


def unit_link(defs: Definitions, text: str) -> str:
    """The 房号 a unit page is named by ("" when ``text`` is not one)."""
    return (canonical(text, defs.settings.unit_pattern) or "") if text else ""


def todo_links(names: list[str], person: Staff | None) -> tuple[list[str], list[str]]:
    """The to-do files to offer first (the office's, the clerk's own, text and calendar) and the other people's."""
    first = ["待办-全部.pdf"] + ([f"待办-{person.name}.{kind}" for kind in ("pdf", "txt", "ics")] if person else [])
    names = [n for n in names if not n.endswith(".json")]  # for programs, not for the desk
    mine = [n for n in first if n in names] + [n for n in names if not n.startswith("待办-")]
    return mine, [n for n in names if n not in mine]


def todo_file_label(name: str) -> str:
    """A to-do file as the desk names it: 全管理处待办（PDF）, 李娜的待办（日历）, never its file name."""
    stem, _, kind = name.rpartition(".")
    who = stem.removeprefix("待办").removeprefix("-")
    whose = "全管理处待办" if who in ("", "全部") else f"{who}的待办"
    return f"{whose}（{ {'pdf': '打印', 'txt': '文本', 'ics': '日历'}.get(kind, kind) }）"


def record_row(defs: Definitions, record: Record, state: str) -> dict:
    """One line of a record list."""
    workflow = defs.workflows.get(record.form)
    form = defs.forms.get(record.form)
    values = replay(record, workflow).values if workflow else dict(record.events[0].data)
    unit = str(values.get(form.unit_field, "") or "") if form and form.unit_field else ""
    return {"number": record.number, "form": form.title if form else record.form,
            "state": workflow.states[state].label if workflow and state in workflow.states else state,
            "created": short(record.created_at, defs.settings), "unit": unit, "unit_link": unit_link(defs, unit),
            "final": bool(workflow and state in workflow.states and workflow.states[state].final)}


@dataclass
class Controls:
    """The values, problems and visibility the field macros draw from."""

    values: dict[str, Any]
    problems: dict[str, list[str]]
    hidden: set[str]
    settings: Settings
    prefix: str = "f"
    labels: dict[str, str] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)  # fields an action requires (marked like required fields)

    def value(self, name: str) -> Any:
        """The control value of ``name`` (a field key)."""
        return self.values.get(name, "")

    def problems_of(self, name: str) -> list[str]:
        """The engine's messages about control ``name``."""
        return self.problems.get(name, [])

    def is_hidden(self, name: str) -> bool:
        """``name`` does not apply now (its ``show_if`` is not met)."""
        return name in self.hidden

    def id(self, name: str) -> str:
        """The HTML id of control ``name``."""
        return f"{self.prefix}-{name.replace('.', '-')}"

    def condition(self, f: Field) -> str:
        """When a conditionally required field is required, in words (``「维修区域」为“户内”``)."""
        return describe(f.required, self.labels) if isinstance(f.required, Expression) else ""

    def people(self, f: Field) -> list[str]:
        """The names a ``staff`` field offers: the active people of the roster with its roles and department."""
        return [p.name for p in eligible(f, self.settings)]

    def placeholder(self, f: Field) -> str:
        """Grey example text."""
        return fx.placeholder(f, self.settings)

    def new_row(self, f: Field) -> dict[str, Any]:
        """Control values of a new row of table ``f`` (its columns' defaults)."""
        return {c.name: fx.control_value(c, c.default, self.settings) if c.default is not None else
                ([] if c.type == "multichoice" else "") for c in f.columns if c.holds_data}


def later_fields(defs: Definitions, form: Form) -> set[str]:
    """Fields some workflow action fills in later (shown folded on a new form)."""
    workflow = defs.workflows.get(form.id)
    return {n for a in workflow.actions.values() for n in a.fields} if workflow else set()


def form_sections(defs: Definitions, form: Form) -> list[dict]:
    """The sections of a new form; a section only later steps fill (nothing required now) comes folded."""
    later = later_fields(defs, form)
    out = []
    for section in form.sections:
        data = [f for f in section.fields if f.holds_data]
        folded = bool(data) and all(f.name in later and f.required is not True for f in data)
        out.append({"title": section.title, "title_en": section.title_en, "fields": section.fields,
                    "folded": folded})
    return out


def record_context(defs: Definitions, record: Record, now: dt.datetime, person: Staff | None,
                   made: Form | None = None) -> dict:
    """Fields, history, clocks and the actions ``person`` may do now (:func:`~formflow.engine.possible.possible_now`);
    the fields under the labels of ``made``, the form version the record was made under, when it is kept (actions
    are today's: they use today's form)."""
    form = defs.forms[record.form]
    then = made if made is not None and made.version == record.form_version else form
    workflow = defs.workflows[record.form]
    view = replay(record, workflow)
    settings = defs.settings
    labels = {**form_labels(form), **form_labels(then)}
    sections = []
    known = set(then.fields)
    added = [dataclasses.replace(s, fields=tuple(f for f in s.fields if f.name not in known))
             for s in form.sections] if then is not form else []  # filled in by a later action under today's form
    for section in (*then.sections, *added):
        shown = [(f, view.values[f.name]) for f in section.fields if f.holds_data and f.name in view.values]
        if shown:
            sections.append({"title": section.title, "fields": [
                {"field": f, "text": display(f, v, settings) if f.type != "table" else "",
                 "rows": [[display(c, row.get(c.name), settings) for c in f.columns if c.holds_data]
                          for row in v if isinstance(row, dict)] if f.type == "table" else []}
                for f, v in shown]})
    history = [_step(defs, workflow, {**form.fields, **then.fields}, step, labels) for step in view.steps]
    typed = typed_values(form, view.values, settings, now)
    clocks = [{"label": c.label, "task": c.task, "status": c.status, "status_label": STATUS_LABELS[c.status],
               "due": short(c.due, settings), "started": short(c.started, settings),
               "stopped": short(c.stopped, settings), "who": who_words(defs, c.who),
               "escalated": who_words(defs, c.escalated_to), "explanation": [plain(line) for line in c.explanation]}
              for c in record_clocks(view, typed, workflow, defs.calendar, now, labels)]
    possible = possible_now(defs, record, now, person, view)
    mine = list(possible.mine)
    others = [{"label": a.label, "roles": who_words(defs, a.roles)} for a in possible.others]
    unit = str(view.values.get(form.unit_field) or "") if form.unit_field else ""
    return {"record": record, "form": form, "state": workflow.states[view.state], "view": view,
            "unit": unit, "unit_link": unit_link(defs, unit),
            "sections": sections, "history": history, "clocks": clocks, "actions": mine, "others": others,
            "created": short(record.created_at, settings)}


def with_failed(defs: Definitions, record: Record, view: RecordView, person: Staff | None, actions: list,
                key: str) -> list:
    """``actions`` and the refused action ``key`` when it is no longer offered (a guard that failed on the stored
    values, a ``once`` action done meanwhile) but the state and ``person``'s roles still allow it: the page
    shows it again with what the clerk typed and why it was refused."""
    workflow = defs.workflows[record.form]
    action = workflow.actions.get(key)
    if action is None or action in actions or action not in workflow.allowed(view.state) or not may_do(action, person):
        return actions
    order = list(workflow.actions)
    return sorted([*actions, action], key=lambda a: order.index(a.key) if a.key in order else len(order))


def action_controls(defs: Definitions, form: Form, view: RecordView, action, now: dt.datetime) -> Controls:
    """An action's small form, filled with the record's stored values."""
    own = [form.fields[n] for n in action.fields if n in form.fields]
    values = {f.name: fx.control_value(f, view.values.get(f.name), defs.settings) for f in own}
    rows = {f.name: values[f.name] for f in own if f.type == "table"}
    hide = fx.hidden(form, view.values, rows, defs.settings, now)
    return Controls(values, {}, {n for n in hide if n.split(".")[0] in action.fields}, defs.settings,
                    prefix=f"a-{action.key}", labels=form_labels(form), required=set(action.requires))


def _step(defs: Definitions, workflow, fields: dict, step, labels: dict) -> dict:
    event = step.event
    changes = []
    def shown(f, value) -> str:
        if value is None or value == "":
            return "（空）"
        if f is not None and f.type == "table":
            return f"{len(value)} 行"
        return display(f, value, defs.settings) if f else str(value)

    if event.action != "create":
        for key, value in event.data.items():
            f = fields.get(key)
            label = f.label if f is not None else labels.get(key, key)
            if step.replaced is not None:  # a correction: old → new
                changes.append((label, f"{shown(f, step.replaced.get(key))} → {shown(f, value)}"))
            elif value is None or value == "":
                changes.append((label, "（清空）"))
            else:
                changes.append((label, shown(f, value)))
    name = lambda s: workflow.states[s].label if s in workflow.states else s  # noqa: E731
    return {"at": short(event.at, defs.settings), "label": step.label, "by": event.by, "before": name(step.before),
            "after": name(step.after), "moved": step.before != step.after or event.action == "create",
            "changes": changes, "note": tidy(event.note)}
