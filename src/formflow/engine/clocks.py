"""Deadlines of a record (pure): record view, workflow, calendar and ``now`` in; clock states out.

Each clock is recomputed from the record's events every time: start (the first of its start
points that happened, the latest occurrence so a rework loop restarts it), stop (the first
stop point after the start), time spent in pause states (added back), and the due rule —
a field's date when filled (the resident's deadline), else a rule chosen by a field's value,
else the plain rule — applied on the business calendar. The explanation lists all of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from formflow.definitions.duetext import rule_text
from formflow.definitions.workflows import Clock, Workflow
from formflow.engine.calendar import MAX_GAP_DAYS, BusinessCalendar, DueResult, SkippedDay
from formflow.engine.expressions import holds
from formflow.engine.hours import hours_text, within_hours
from formflow.engine.records import RecordView

UPCOMING, DUE_SOON, OVERDUE, MET, MET_LATE = "upcoming", "due_soon", "overdue", "met", "met_late"
STATUS_LABELS = {UPCOMING: "未到期", DUE_SOON: "即将到期", OVERDUE: "已逾期", MET: "按时完成", MET_LATE: "逾期完成"}
#: The explanation line naming the calling hours (the to-do lists print it beside the task).
CALLING_HOURS = "可拨打时间 "
#: Without `remind`, a clock counts as due soon this long before it is due.
DEFAULT_SOON = dt.timedelta(hours=2)
#: Deadlines outside these are not computed (see :func:`record_clocks`): every list, PDF and calendar
#: file adds and subtracts spans to a deadline, and near year 1 or 9999 that leaves the calendar.
_FIRST, _LAST = (dt.datetime(y, 1, 1, tzinfo=dt.timezone.utc) for y in (2, dt.MAXYEAR - 1))


@dataclass(frozen=True)
class ClockState:
    """One clock of one record at ``now``."""

    key: str
    label: str
    task: str
    who: tuple[str, ...]
    started: dt.datetime
    due: dt.datetime
    stopped: dt.datetime | None
    status: str
    rule: str
    explanation: tuple[str, ...]
    escalated_to: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return self.stopped is None

    @property
    def breached(self) -> bool:
        """Late, whether still open or already done: a breach stays recorded."""
        return self.status in (OVERDUE, MET_LATE)


def fmt(moment: dt.datetime) -> str:
    """A time as lists and explanations show it: ``2026-11-28 17:30 (+08:00)``."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} ({offset[:3]}:{offset[3:]})"


def fmt_clerk(moment: dt.datetime) -> str:
    """A time as a clerk reads it on paper and in notes: ``2026-11-28 17:30``, in the zone it is given in (the
    office's: an offset means nothing to the people of one office)."""
    return f"{moment:%Y-%m-%d %H:%M}"


def parse_span(text: str) -> dt.timedelta:
    """``30m`` / ``2h`` / ``3d`` as a timedelta (for reminders and escalation delays)."""
    number, unit = int(text[:-1]), text[-1]
    return {"m": dt.timedelta(minutes=number), "h": dt.timedelta(hours=number), "d": dt.timedelta(days=number)}[unit]


def rule_words(rule: str) -> str:
    """A due rule in Chinese, as explanations say it: ``3wd`` → 3个工作日, ``2d`` → 2天（日历日）."""
    return rule_text(rule, in_full=True)


def apply_rule(calendar: BusinessCalendar, start: dt.datetime, rule: str) -> DueResult:
    """``start`` moved by ``rule`` on ``calendar``."""
    if rule == "eod":
        return calendar.end_of_day_of(start)
    number, unit = int(re.match(r"-?\d+", rule).group()), re.sub(r"^-?\d+", "", rule)
    if unit == "m":
        return calendar.add_hours(start, dt.timedelta(minutes=number))  # in the calendar's zone, like "h"
    if unit == "h":
        return calendar.add_hours(start, number)
    if unit == "d":
        return calendar.add_days(start, number)
    if number < 0 and unit in ("wh", "wd"):
        return _count_back(calendar, start, -number, unit)
    if unit == "wh":
        return calendar.add_working_hours(start, number)
    return calendar.add_working_days(start, number)


def _count_back(calendar: BusinessCalendar, start: dt.datetime, number: int, unit: str) -> DueResult:
    """A negative working-time offset (the schema allows ``-1wd``, the calendar only counts forward).

    ``-Nwd``: the end of the Nth working day before the start's day (the working day before a
    promised date); ``-Nwh``: N working hours earlier, counted back through the working periods.
    """
    local = start.astimezone(calendar.tz)
    skipped: list[SkippedDay] = []

    def worked(day: dt.date) -> dt.date:  # ``day`` or the last working day before it
        for _ in range(MAX_GAP_DAYS):
            if calendar.is_working_day(day):
                return day
            skipped.append(SkippedDay(day, calendar.day_reason(day) or ""))
            day -= dt.timedelta(days=1)
        raise ValueError(f"{MAX_GAP_DAYS} 天内没有工作日 no working day within {MAX_GAP_DAYS} days: check calendar.yaml")

    def at(day: dt.date, clock: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, clock, calendar.tz)

    day = local.date()
    if unit == "wd":
        for _ in range(number):
            day = worked(day - dt.timedelta(days=1))
        due = at(day, calendar.working_hours[-1][1])
    else:
        remaining, due = dt.timedelta(hours=number), None
        while due is None:
            day = worked(day)
            for period_start, period_end in reversed(calendar.working_hours):
                begin, end = at(day, period_start), min(at(day, period_end), local)
                if begin >= local:
                    continue
                if remaining <= end - begin:
                    due = end - remaining
                    break
                remaining -= end - begin
            day -= dt.timedelta(days=1)
    return DueResult(due, tuple(sorted(skipped, key=lambda s: s.day)), calendar._notes(due.date(), local.date()))


def _moment(value: Any, calendar: BusinessCalendar) -> dt.datetime | None:
    """A stored date or datetime value as a moment; a plain date means the end of that day."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if "T" in value or " " in value:
            moment = dt.datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=calendar.tz)
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return calendar.end_of_day_of(dt.datetime.combine(day, dt.time(12), calendar.tz)).due


def _point_times(point: str, view: RecordView, calendar: BusinessCalendar) -> list[dt.datetime]:
    kind, _, name = point.partition(":")
    if kind == "created":
        return [view.record.created_at]
    if kind == "state":
        return view.entered(name)
    if kind == "action":
        return view.done(name)
    moment = _moment(view.values.get(name), calendar)
    return [moment] if moment else []


def _point_words(point: str, workflow: Workflow, labels: Mapping[str, str]) -> str:
    kind, _, name = point.partition(":")
    if kind == "created":
        return "登记"
    if kind == "state":
        return f"进入「{workflow.states[name].label}」" if name in workflow.states else name
    if kind == "action":
        return f"「{workflow.actions[name].label}」" if name in workflow.actions else name
    return f"「{labels.get(name, name)}」"


def clock_state(clock: Clock, view: RecordView, typed: Mapping[str, Any], workflow: Workflow,
                calendar: BusinessCalendar, now: dt.datetime, labels: Mapping[str, str]) -> ClockState | None:
    """The state of ``clock`` on a record at ``now``, or ``None`` when it does not run for this record."""
    if clock.applies_if is not None and not holds(clock.applies_if, typed, now=now):
        return None
    start, start_point = None, ""
    for point in clock.start:
        times = _point_times(point, view, calendar)
        if times:
            start, start_point = times[-1], point
            break
    if start is None:
        return None
    # A date field starts the clock at the end of its day (so "3 days after the leak test" is whole days),
    # but what was done during that day already came after it: a callback the same afternoon stops it.
    stops_from = start
    start_value = view.values.get(start_point.partition(":")[2]) if start_point.startswith("field:") else None
    if isinstance(start_value, str) and "T" not in start_value and " " not in start_value:
        stops_from = dt.datetime.combine(start.astimezone(calendar.tz).date(), dt.time(0), calendar.tz)
    stops = [t for point in clock.stop for t in _point_times(point, view, calendar) if t >= stops_from]
    stopped = min(stops) if stops else None
    why = [f"开始：{fmt(start)}（{_point_words(start_point, workflow, labels)}）"]

    deadline = _moment(view.values.get(clock.deadline_field), calendar) if clock.deadline_field else None
    if deadline is not None:
        field_label = labels.get(clock.deadline_field, clock.deadline_field)
        rule = f"按「{field_label}」"
        if clock.deadline_offset:
            result = apply_rule(calendar, deadline, clock.deadline_offset)
            rule += f"{rule_words(clock.deadline_offset)}"
        else:
            result = DueResult(deadline)
        raw = view.values.get(clock.deadline_field)
        shown = raw if isinstance(raw, str) and len(raw) == 10 else fmt(deadline)  # a date as written, a time as times are
        why.append(f"规则：{rule}（{shown}，取代默认规则）")
    else:
        rule_code = clock.due
        if clock.due_by_field:
            value = view.values.get(clock.due_by_field)
            rule_code = dict(clock.due_by_rules).get(str(value), clock.due_by_default)
            if rule_code is None:
                return None
            rule = f"「{labels.get(clock.due_by_field, clock.due_by_field)}」为“{value}” → {rule_words(rule_code)}"
        elif rule_code is None:
            return None
        else:
            rule = rule_words(rule_code)
        result = apply_rule(calendar, start, rule_code)
        why.append(f"规则：{rule}（{rule_code}）")
    for skipped in result.skipped:
        why.append(f"跳过 {skipped.day.isoformat()}（{skipped.reason}）")
    why.extend(result.notes)

    due = result.due
    if clock.pause:
        paused = dt.timedelta()
        for a, b in sorted(view.intervals_in(clock.pause, stopped or now)):
            if b <= start:
                continue
            a = max(a, start)
            if a >= due + paused:  # put on hold once the deadline had passed: nothing is left to extend
                break
            paused += b - a
        if paused:
            due += paused
            names = "、".join(workflow.states[s].label for s in clock.pause if s in workflow.states)
            why.append(f"「{names}」期间共 {_span_words(paused)}，期限顺延")
    if clock.within:
        # (after the pause: the time the owner may be phoned is the time of the deadline actually kept)
        kept = within_hours(due, clock.within, calendar.tz, start)
        if kept != due:
            why.append(f"{fmt(due)} 不在可拨打时间内，{'提前' if kept < due else '推后'}到 {fmt(kept)}")
            due = kept
        why.append(f"{CALLING_HOURS}{hours_text(clock.within)}")
    why.append(f"期限：{fmt(due)}")

    if stopped is not None:
        status = MET if stopped <= due else MET_LATE
        why.append(f"完成：{fmt(stopped)}，{STATUS_LABELS[status]}")
    elif now > due:
        status = OVERDUE
    elif now >= due - (max(map(parse_span, clock.remind)) if clock.remind else DEFAULT_SOON):
        status = DUE_SOON
    else:
        status = UPCOMING
    escalated: list[str] = []
    if stopped is None:
        for step in clock.escalate:
            if now > due + parse_span(step.after):  # like OVERDUE: not yet at the due instant itself
                escalated.extend(r for r in step.to if r not in escalated)
    return ClockState(clock.key, clock.label, clock.task, clock.who, start, due, stopped, status, rule,
                      tuple(why), tuple(escalated))


def _span_words(span: dt.timedelta) -> str:
    hours, rest = divmod(int(span.total_seconds()) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{rest}分钟" if rest else ""]
    return "".join(parts) or "0分钟"


def record_clocks(view: RecordView, typed: Mapping[str, Any], workflow: Workflow, calendar: BusinessCalendar,
                  now: dt.datetime, labels: Mapping[str, str]) -> list[ClockState]:
    """Every clock that runs for the record, in the workflow's order."""
    if workflow.states[view.state].final:
        # A closed record keeps the verdicts of its clocks; open ones stop at closing.
        closed_at = view.steps[-1].event.at
        now = min(now, closed_at)
    states = []
    for clock in workflow.clocks.values():
        try:
            state = clock_state(clock, view, typed, workflow, calendar, now, labels)
            if state is not None and not all(_FIRST <= t <= _LAST for t in (state.started, state.due)):
                raise OverflowError(f"deadline out of range: {state.due!r}")
        except (OverflowError, ValueError):
            # One record with an impossible date (year 9999, stored by an older version) must not take the
            # to-do list, the PDFs and the desk down for everyone: its clock is shown as needing a look now.
            state = _uncomputable(clock, view, now)
        if state is not None:
            states.append(state)
    return states


def _uncomputable(clock: Clock, view: RecordView, now: dt.datetime) -> ClockState:
    """A clock whose deadline cannot be computed: listed as due now, saying why, until the record is corrected."""
    created = view.record.created_at.isoformat(sep=" ", timespec="minutes")[:16]
    why = (f"期限无法计算：记录中的日期超出了可以计算的范围（登记时间 {created}），或工作日历有误；"
           "请主管核对此记录，必要时关闭后重新登记；在此之前此项按已逾期列出",)
    return ClockState(clock.key, clock.label, clock.task, clock.who, now, now, None, OVERDUE, "无法计算", why)
