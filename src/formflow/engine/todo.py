"""The to-do list (pure): open clocks of open records and recurring duties, at ``now``.

Overdue first, then due soon, then upcoming; each task carries the explanation of its due
time, so the printed list answers "why is this due now?" without anyone opening YAML.
"""

from __future__ import annotations

import calendar as months
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from formflow.definitions.duties import Duty
from formflow.definitions.forms import form_labels
from formflow.engine.calendar import BusinessCalendar
from formflow.engine.clocks import DUE_SOON, OVERDUE, UPCOMING, ClockState, fmt, record_clocks
from formflow.engine.records import CONFLICT, CONFLICT_LABEL, Record, RecordView, replay, typed_values

_ORDER = {OVERDUE: 0, DUE_SOON: 1, UPCOMING: 2}


@dataclass(frozen=True)
class Task:
    """One line of the to-do list."""

    record: str
    form: str
    task: str
    who: tuple[str, ...]
    due: dt.datetime
    status: str
    explanation: tuple[str, ...]
    unit: str = ""
    clock: str = ""
    #: The resident's name and phone on the record (the form's ``resident:`` fields), for calling back.
    name: str = ""
    phone: str = ""
    #: Who it goes to beyond its roles (the workflow's ``responsible``): the person assigned, the department
    #: routed to, and which of ``who`` are held department by department.
    assignee: str = ""
    department: str = ""
    scoped: tuple[str, ...] = ()

    def as_json(self) -> dict:
        """The task as the JSON of ``formflow todo --format json``."""
        return {"record": self.record, "form": self.form, "task": self.task, "who": list(self.who),
                "due": self.due.isoformat(), "status": self.status, "unit": self.unit, "clock": self.clock,
                "name": self.name, "phone": self.phone, "assignee": self.assignee, "department": self.department,
                "explanation": list(self.explanation)}


#: Replayed views, typed values and labels of records read before, by record number: the to-do list is
#: recomputed at every pass and every minute, mostly over the same unchanged records. An entry is used only
#: for the very same (immutable) record, workflow, form and settings objects.
_READ: dict[str, tuple] = {}
_READ_MAX = 8192
_RELATIVE = ("today", "now")  # stored values read relative to ``now``: never cached


def _read(defs, record: Record, workflow, now: dt.datetime):
    """(view, typed values, labels) of ``record``; typed values are None for a closed record."""
    form, settings = defs.forms[record.form], defs.settings
    hit = _READ.get(record.number)
    if hit is not None and hit[0] is record and hit[1] is workflow and hit[2] is form and hit[3] is settings:
        return hit[4], hit[5], hit[6]
    view = replay(record, workflow)
    if workflow.states[view.state].final:
        typed, cacheable = None, True
    else:
        typed = typed_values(form, view.values, settings, now)
        cacheable = not any(isinstance(v, str) and v.strip() in _RELATIVE for v in view.values.values())
    labels = form_labels(form)
    if cacheable:
        if len(_READ) >= _READ_MAX:
            _READ.clear()
        _READ[record.number] = (record, workflow, form, settings, view, typed, labels)
    return view, typed, labels


def record_view(defs, record: Record, now: dt.datetime) -> RecordView:
    """``record`` replayed under its workflow, from the same cache :func:`record_tasks` reads (a page that
    shows a record and its tasks replays it once)."""
    return _read(defs, record, defs.workflows[record.form], now)[0]


def record_tasks(defs, record: Record, now: dt.datetime) -> list[Task]:
    """Open deadlines of one record (none when the record is closed)."""
    workflow = defs.workflows.get(record.form)
    if workflow is None:
        return []
    view, typed, labels = _read(defs, record, workflow, now)
    if typed is None:
        return []
    tasks = []
    form = defs.forms[record.form]
    resident = tuple(str(view.values.get(k) or "") if k else "" for k in (form.resident_field("name"),
                                                                         form.resident_field("phone")))
    rules = workflow.responsible
    assigned = ("", "", ())
    if rules is not None:
        assigned = (str(view.values.get(rules.person) or "") if rules.person else "",
                    str(view.values.get(rules.department) or "") if rules.department else "", rules.department_roles)
    for clock in record_clocks(view, typed, workflow, defs.calendar, now, labels):
        if clock.open:
            tasks.append(_task(record, clock, view.values.get("unit", ""), defs.settings.roles, resident, assigned))
    return tasks


def is_mine(task: Task, person, settings) -> bool:
    """Whether ``task`` is on ``person``'s own list.

    They must hold one of its roles. The roles of the person a record is assigned to are theirs alone (a repair
    dispatched to 张伟 is not 孙磊's; its 部门主管 and, once late, the supervisor are still told); a task whose
    roles held here are all department-bound (部门主管) goes only to that role in the department the record is
    routed to (工程维修部's head, not 秩序维护部's)."""
    matched = set(person.roles) & set(task.who)
    if not matched:
        return False
    if task.assignee:
        if person.name == task.assignee:
            return True
        assignee = settings.person(task.assignee)
        if assignee is not None:
            matched -= set(assignee.roles)
            if not matched:
                return False
    if task.department and matched <= set(task.scoped):
        return person.department == task.department
    return True


def _task(record: Record, clock: ClockState, unit: str, roles: Mapping[str, str],
          resident: tuple[str, str] = ("", ""), assigned: tuple[str, str, tuple[str, ...]] = ("", "", ())) -> Task:
    """One open clock as a task; ``assigned``: the record's assignee, its department and the department-bound
    roles (the workflow's ``responsible``)."""
    who = tuple(dict.fromkeys((*clock.who, *clock.escalated_to)))
    explanation = clock.explanation
    if clock.escalated_to:  # people read this line: role names, not keys (``who`` keeps the keys)
        explanation = (*explanation, "已逾期，升级告知：" + "、".join(roles.get(r, r) for r in clock.escalated_to))
    assignee, department, bound = assigned
    return Task(record.number, record.form, clock.task, who, clock.due, clock.status, explanation, unit, clock.key,
                *resident, assignee, department, tuple(r for r in who if r in bound))


def period_of(duty: Duty, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period of ``duty`` that holds ``day``."""
    if duty.every in ("week", "2weeks"):
        length = 7 if duty.every == "week" else 14
        anchor = dt.date.fromisoformat(duty.anchor)
        start = anchor + dt.timedelta(days=((day - anchor).days // length) * length)
        return start, start + dt.timedelta(days=length - 1)
    if duty.every == "month":
        return day.replace(day=1), day.replace(day=months.monthrange(day.year, day.month)[1])
    if duty.every == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        last = first + 2
        return dt.date(day.year, first, 1), dt.date(day.year, last, months.monthrange(day.year, last)[1])
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


def _due_day(duty: Duty, start: dt.date, end: dt.date) -> dt.date:
    """The day the period ``start``..``end`` of ``duty`` is due (its last day, or its Nth)."""
    return end if duty.due == "end" else min(end, start + dt.timedelta(days=int(duty.due[:-1]) - 1))


def _done_periods(duty: Duty, days: Iterable[dt.date]) -> set[dt.date]:
    """First days of the periods of ``duty`` that the completions on ``days`` account for.

    A completion counts for its own period, unless the previous period is still undone and its due
    day is nearer: then it was done late (November's summary handed in on 1 December) and the new
    period still needs its own. Decided in order of completion, so the answer never changes later.
    """
    done: set[dt.date] = set()
    for day in sorted(days):
        try:
            done.add(_counts_for(duty, day, done))
        except (OverflowError, ValueError):
            continue  # a completion dated at the edge of the calendar (stored by an older version) is no period's
    return done


def _counts_for(duty: Duty, day: dt.date, done: set[dt.date]) -> dt.date:
    """First day of the period a completion on ``day`` accounts for, ``done`` the periods already accounted for."""
    start, end = period_of(duty, day)
    previous = period_of(duty, start - dt.timedelta(days=1))
    late = previous[0] not in done and (day - _due_day(duty, *previous)) < abs(_due_day(duty, start, end) - day)
    return previous[0] if late else start


def period_words(duty: Duty, start: dt.date, end: dt.date) -> str:
    """A period of ``duty`` as the office names it: 2026年11月, 2026年第4季度, 2026年度, or its days."""
    if duty.every == "month":
        return f"{start.year}年{start.month}月"
    if duty.every == "quarter":
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    if duty.every == "year":
        return f"{start.year}年度"
    return f"{start.isoformat()} 至 {end.isoformat()}"  # weeks start on the duty's anchor day: no week number


def duty_done_words(duty: Duty, done: Sequence[dt.datetime], tz) -> str:
    """What the last completion in ``done`` (the one just noted) closed, as ``watch``/``process`` report it.

    Named like the to-do task it removes, with the period in words and the day it was done:
    ``callback_summary@2026-11-01（2026年11月，2026-12-01 完成）`` for November's summary handed in on 1 December.
    """
    *before, day = [t.astimezone(tz).date() for t in done]
    try:
        # As _done_periods counts: in order of day, this one after the others of its own day.
        start = _counts_for(duty, day, _done_periods(duty, [d for d in before if d <= day]))
        start, end = period_of(duty, start)
    except (OverflowError, ValueError):
        return f"{duty.key}@{day.isoformat()}"  # at the edge of the calendar there is no period to name
    return f"{duty.key}@{start.isoformat()}（{period_words(duty, start, end)}，{day.isoformat()} 完成）"


def duty_tasks(duties: Mapping[str, Duty], calendar: BusinessCalendar, now: dt.datetime,
               done: Mapping[str, Sequence[dt.datetime]], since: dt.date | None = None) -> list[Task]:
    """Recurring duties not yet done in the current period (and the previous one, then overdue).

    ``since``: the day the office started using formflow; a period that ended before it is not
    asked for (a new workspace does not start with last year's survey overdue).
    """
    today = now.astimezone(calendar.tz).date()
    tasks = []
    for duty in duties.values():
        first, last = period_of(duty, today)
        previous = period_of(duty, first - dt.timedelta(days=1))
        done_periods = _done_periods(duty, (t.astimezone(calendar.tz).date() for t in done.get(duty.key, ())))
        for start, end in (previous, (first, last)):
            if start in done_periods or (since is not None and end < since):
                continue
            due_day = _due_day(duty, start, end)
            due = calendar.end_of_day_of(dt.datetime.combine(due_day, dt.time(12), calendar.tz)).due
            if (start, end) == previous and now <= due:
                continue
            status = OVERDUE if now > due else DUE_SOON if due - now <= dt.timedelta(days=2) else UPCOMING
            why = (f"周期 {start.isoformat()} 至 {end.isoformat()}", f"期限：{fmt(due)}")
            tasks.append(Task(f"{duty.key}@{start.isoformat()}", "", duty.task, duty.who, due, status, why,
                              clock=duty.key))
    return tasks


def conflict_tasks(defs, records: Iterable[Record], now: dt.datetime) -> list[Task]:
    """同步冲突 to resolve: records whose latest event is an action of another station that no longer
    applied when the logs were merged; for the supervisor, due the day it happened, until an ordinary
    action on the record resolves it."""
    roles = defs.settings.roles
    who = ("supervisor",) if "supervisor" in roles else tuple(roles)[:1]
    tasks = []
    for record in records:
        last = record.events[-1]
        if last.action != CONFLICT:
            continue
        due = defs.calendar.end_of_day_of(last.at).due
        status = OVERDUE if now > due else DUE_SOON if due - now <= dt.timedelta(days=2) else UPCOMING
        tasks.append(Task(record.number, record.form, f"处理{CONFLICT_LABEL}", who, due, status,
                          (last.note, "办理任一操作（如补充说明）即视为已处理"), clock=CONFLICT))
    return tasks


def todo(defs, records: Iterable[Record], now: dt.datetime,
         duties_done: Mapping[str, Sequence[dt.datetime]] | None = None, since: dt.date | None = None,
         conflicted: Iterable[Record] = ()) -> list[Task]:
    """The whole office's to-do list at ``now``: overdue, due soon, upcoming; earliest due first.

    ``since`` (the workspace's first day in use) limits which past periods of duties are asked for;
    ``conflicted``: the records that were ever flagged with a 同步冲突 (open or closed).
    """
    tasks = [t for record in records for t in record_tasks(defs, record, now)]
    tasks += duty_tasks(defs.duties, defs.calendar, now, duties_done or {}, since)
    tasks += conflict_tasks(defs, conflicted, now)
    return sorted(tasks, key=lambda t: (_ORDER[t.status], t.due, t.record))
