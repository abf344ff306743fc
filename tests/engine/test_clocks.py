"""Deadlines of a record (engine/clocks.py): the due rules on the shipped calendar, and clock states at a fixed now.

Expected times are worked out by hand from the rule and calendar.yaml (working periods 08:30–12:00 and
13:30–17:30, end_of_day 23:59, 2025 国庆+中秋 10-01..10-08, 2026-02-14 a 春节 调休 Saturday); the
weekday facts they rest on are asserted in ``test_calendar_facts``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from formflow.definitions.forms import form_labels
from formflow.engine.calendar import SkippedDay
from formflow.engine.clocks import (DUE_SOON, MET, MET_LATE, OVERDUE, UPCOMING, apply_rule, clock_state, fmt,
                                    parse_span, record_clocks, rule_words)
from formflow.engine.records import CREATE, Event, Record, replay, typed_values

from ..conftest import SHANGHAI

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    """'2026-11-28 10:00' in Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def complaint(severity: str, created: str, *events: tuple[str, str, str, dict], **data) -> Record:
    """A complaint record built from plain stored events: (action, by, time, data)."""
    values = {"received_at": at(created).isoformat(timespec="minutes"), "channel": "来电", "complainant": "张先生",
              "unit": "3-2-1502", "phone": "13812345678", "details": "漏水", "category": "工程维修",
              "severity": severity, "receiver": "李娜", **data}
    return Record("TS-YG-202611-0001", "complaint", (Event(CREATE, "李娜", at(created), values),
                                                      *(Event(a, by, at(t), d) for a, by, t, d in events)))


def clocks(defs, record: Record, now: str) -> dict:
    workflow, form = defs.workflows[record.form], defs.forms[record.form]
    view = replay(record, workflow)
    typed = typed_values(form, view.values, defs.settings, at(now))
    return {c.key: c for c in record_clocks(view, typed, workflow, defs.calendar, at(now), form_labels(form))}


def test_calendar_facts(defs):
    cal, day = defs.calendar, dt.date.fromisoformat
    assert day("2026-11-27").isoweekday() == 5 and day("2026-11-28").isoweekday() == 6
    assert all(cal.day_reason(day(f"2025-10-0{d}")) == "国庆节、中秋节" for d in range(1, 9))
    assert cal.is_working_day(day("2025-10-09")) and cal.is_working_day(day("2025-10-10"))
    assert day("2026-02-14").isoweekday() == 6 and cal.is_working_day(day("2026-02-14"))
    assert (cal.working_hours[0][0], cal.working_hours[-1][1], cal.end_of_day) == (
        dt.time(8, 30), dt.time(17, 30), dt.time(23, 59))


# ---- apply_rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "rule", "due", "skipped"), [
    # m / h: elapsed clock time, day or night, holiday or not
    ("2026-11-28 10:00", "30m", "2026-11-28T10:30:00+08:00", []),
    ("2026-11-28 23:30", "90m", "2026-11-29T01:00:00+08:00", []),
    ("2026-11-28 23:00", "2h", "2026-11-29T01:00:00+08:00", []),
    ("2025-10-01 09:00", "1h", "2025-10-01T10:00:00+08:00", []),
    # d: same clock time N calendar days later; 国庆 is not skipped
    ("2025-09-30 17:50", "2d", "2025-10-02T17:50:00+08:00", []),
    ("2026-12-05 23:59", "-1d", "2026-12-04T23:59:00+08:00", []),
    # wh: only working periods of working days
    ("2026-11-27 16:30", "3wh", "2026-11-30T10:30:00+08:00", [("2026-11-28", "周六"), ("2026-11-29", "周日")]),
    ("2026-11-27 11:30", "1wh", "2026-11-27T14:00:00+08:00", []),  # 30 min, lunch, 30 min
    ("2026-11-27 12:30", "1wh", "2026-11-27T14:30:00+08:00", []),  # starts in the lunch break
    ("2026-11-27 07:00", "1wh", "2026-11-27T09:30:00+08:00", []),  # before work
    ("2026-11-27 08:30", "7wh", "2026-11-27T17:00:00+08:00", []),  # 3.5 h + 3.5 h
    ("2026-11-27 08:30", "8wh", "2026-11-30T09:00:00+08:00", [("2026-11-28", "周六"), ("2026-11-29", "周日")]),
    # wd: the start day never counts; end of the Nth working day after it
    ("2025-09-30 17:50", "2wd", "2025-10-10T17:30:00+08:00", [(f"2025-10-0{d}", "国庆节、中秋节") for d in range(1, 9)]),
    ("2026-02-13 10:00", "1wd", "2026-02-14T17:30:00+08:00", []),  # the 调休 Saturday is a working day
    ("2026-11-27 10:00", "0wd", "2026-11-27T17:30:00+08:00", []),
    ("2026-11-27 18:00", "0wd", "2026-11-30T17:30:00+08:00", [("2026-11-28", "周六"), ("2026-11-29", "周日")]),
    ("2026-11-28 10:00", "0wd", "2026-11-30T17:30:00+08:00", [("2026-11-28", "周六"), ("2026-11-29", "周日")]),
    ("2026-11-28 10:00", "1wd", "2026-11-30T17:30:00+08:00", [("2026-11-29", "周日")]),  # Monday is the 1st
    # eod: the same day at end_of_day
    ("2026-11-28 10:00", "eod", "2026-11-28T23:59:00+08:00", []),
    ("2026-11-28 00:00", "eod", "2026-11-28T23:59:00+08:00", []),
])
def test_apply_rule(defs, start, rule, due, skipped):
    result = apply_rule(defs.calendar, at(start), rule)
    assert result.due.isoformat() == due
    assert list(result.skipped) == [SkippedDay(dt.date.fromisoformat(d), why) for d, why in skipped]


@pytest.mark.parametrize("rule", ["30m", "1h", "2d", "1wh", "1wd", "eod"])
def test_every_rule_answers_in_the_calendars_zone(defs, rule):
    """A start given in UTC (02:00Z = 10:00 in Shanghai) gives the same due time, shown at +08:00."""
    local = apply_rule(defs.calendar, at("2026-11-27 10:00"), rule).due
    utc = apply_rule(defs.calendar, dt.datetime(2026, 11, 27, 2, 0, tzinfo=UTC), rule).due
    assert utc == local and utc.utcoffset() == dt.timedelta(hours=8)
    assert fmt(utc).endswith("(+08:00)")


def test_end_of_day_already_past_is_noted(defs):
    result = apply_rule(defs.calendar, at("2026-11-28 23:59:30"), "eod")
    assert result.due.isoformat() == "2026-11-28T23:59:00+08:00"
    assert result.notes == ("开始时间已晚于当天截止时间 the start is after the end of its day",)


def test_working_time_in_a_provisional_year_is_noted(defs):
    assert apply_rule(defs.calendar, at("2026-12-31 10:00"), "1wd").notes == ("2027年安排为暂定 provisional",)
    assert apply_rule(defs.calendar, at("2026-12-30 10:00"), "1wd").notes == ()


@pytest.mark.parametrize(("rule", "words"), [
    ("eod", "当天内"), ("30m", "30分钟"), ("1h", "1小时"), ("2d", "2天（日历日）"), ("3wh", "3个工作小时"),
    ("10wd", "10个工作日"), ("-1d", "前1天（日历日）")])
def test_rule_words(rule, words):
    assert rule_words(rule) == words


def test_parse_span_and_fmt():
    assert [parse_span(s) for s in ("30m", "2h", "1d")] == [
        dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(days=1)]
    assert fmt(at("2026-11-28 17:30")) == "2026-11-28 17:30 (+08:00)"
    assert fmt(dt.datetime(2026, 11, 28, 9, 30, tzinfo=UTC)) == "2026-11-28 09:30 (+00:00)"


# ---- statuses at a fixed now ---------------------------------------------------------------------


@pytest.mark.parametrize(("now", "status", "escalated"), [
    ("2026-11-23 09:29", UPCOMING, ()),
    ("2026-11-23 09:30", DUE_SOON, ()),  # remind: [30m]
    ("2026-11-23 10:00", DUE_SOON, ()),  # at the due time it is not late yet, nor escalated
    ("2026-11-23 10:00:01", OVERDUE, ("supervisor",)),
    ("2026-12-31 10:00", OVERDUE, ("supervisor",)),
])
def test_open_clock_status(defs, now, status, escalated):
    state = clocks(defs, complaint("重要", "2026-11-23 09:00"), now)["dept_head_notice"]
    assert (state.status, state.escalated_to, state.open, state.due) == (status, escalated, True, at("2026-11-23 10:00"))
    assert state.breached is (status == OVERDUE)


@pytest.mark.parametrize(("done", "status"), [
    ("2026-11-23 09:59", MET), ("2026-11-23 10:00", MET), ("2026-11-23 10:30", MET_LATE)])
def test_stopped_clock_keeps_its_verdict(defs, done, status):
    record = complaint("重要", "2026-11-23 09:00", ("escalate", "李娜", done, {}))
    for now in (done, "2026-11-23 11:00", "2027-03-01 09:00"):
        state = clocks(defs, record, now)["dept_head_notice"]
        assert (state.status, state.stopped, state.escalated_to) == (status, at(done), ())
        assert state.breached is (status == MET_LATE)
        assert state.explanation[-1] == f"完成：{fmt(at(done))}，{'逾期完成' if status == MET_LATE else '按时完成'}"


def test_remind_defaults_to_two_hours(workspace):
    path = workspace.root / "workflows" / "complaint.yaml"
    text, count = re.subn(r"\n    remind: \[30m\]", "", path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")
    defs = workspace.load()
    record = complaint("重要", "2026-11-23 09:00")
    # With remind: [30m] 09:00 was upcoming (see test_open_clock_status); without it, 2 h before 10:00 is due soon.
    assert clocks(defs, record, "2026-11-23 09:00")["dept_head_notice"].status == DUE_SOON


def test_which_clocks_run_by_severity(defs):
    now = "2026-11-23 09:05"
    assert list(clocks(defs, complaint("重大", "2026-11-23 09:00"), now)) == ["director_notice", "reply", "resolve"]
    assert list(clocks(defs, complaint("重要", "2026-11-23 09:00"), now)) == ["dept_head_notice", "resolve"]
    assert list(clocks(defs, complaint("轻微", "2026-11-23 09:00"), now)) == ["resolve"]
    # A value the rules do not know (no `default`): that clock does not run rather than guess.
    assert list(clocks(defs, complaint("特急", "2026-11-23 09:00"), now)) == []


def test_due_by_the_severity(defs):
    now = "2026-11-23 09:05"
    due = {s: clocks(defs, complaint(s, "2026-11-23 09:00"), now)["resolve"].due for s in ("重大", "重要", "轻微")}
    assert due == {"重大": at("2026-12-03 09:00"), "重要": at("2026-11-26 09:00"), "轻微": at("2026-11-25 09:00")}
    assert clocks(defs, complaint("重要", "2026-11-23 09:00"), now)["resolve"].explanation == (
        "开始：2026-11-23 09:00 (+08:00)（「接待时间」）", "规则：「投诉级别」为“重要” → 3天（日历日）（3d）",
        "期限：2026-11-26 09:00 (+08:00)")


def test_a_deadline_field_replaces_the_rule(defs):
    state = clocks(defs, complaint("轻微", "2026-11-23 09:00", resident_deadline="2026-11-30"), "2026-11-23 09:05")
    assert state["resolve"].due == at("2026-11-30 23:59")
    assert state["resolve"].rule == "按「住户要求期限」"
    assert state["resolve"].explanation[1] == "规则：按「住户要求期限」（2026-11-30，取代默认规则）"
    # An unreadable stored value does not count: the rule applies.
    state = clocks(defs, complaint("轻微", "2026-11-23 09:00", resident_deadline="下周"), "2026-11-23 09:05")
    assert state["resolve"].due == at("2026-11-25 09:00")


def test_start_is_the_latest_occurrence_and_earlier_stops_do_not_count(defs):
    record = complaint(
        "轻微", "2026-11-23 09:00",
        ("assign", "李娜", "2026-11-23 09:10", {"routed_to": "环境部"}),
        ("start", "吴静", "2026-11-23 09:30", {}),
        ("resolve", "吴静", "2026-11-24 10:00", {"result": "已清理"}),
        ("notify_result", "李娜", "2026-11-24 11:00", {"reply_method": "电话"}),
        ("reopen", "李娜", "2026-11-24 14:00", {"satisfaction": "不满意"}),
        ("resolve", "吴静", "2026-11-25 22:00", {"result": "已调整"}))
    state = clocks(defs, record, "2026-11-26 00:30")["result_notice"]
    # Restarted by the second resolve; the notice of the first round (11-24 11:00) does not stop it.
    assert (state.started, state.due, state.stopped, state.status) == (
        at("2026-11-25 22:00"), at("2026-11-25 23:59"), None, OVERDUE)
    assert state.escalated_to == ("supervisor",)
    # The resolution clock was met by the first resolve and stays so.
    resolve = clocks(defs, record, "2026-11-26 00:30")["resolve"]
    assert (resolve.stopped, resolve.status) == (at("2026-11-24 10:00"), MET)


def test_a_pause_state_extends_the_deadline(workspace):
    path = workspace.root / "workflows" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "    stop: [action:resolve, state:invalid]\n"
    assert text.count(marker) == 1
    path.write_text(text.replace(marker, marker + "    pause: [replied]\n"), encoding="utf-8")
    defs = workspace.load()
    events = [("assign", "李娜", "2026-11-23 09:10", {"routed_to": "工程维修部"}),
              ("reply", "刘强", "2026-11-23 12:00", {"reply_method": "电话"})]
    # Still waiting in 已答复: the deadline (3 days, 11-26 09:00) moves on with the pause.
    paused = clocks(defs, complaint("重要", "2026-11-23 09:00", *events), "2026-11-24 12:00")["resolve"]
    assert paused.due == at("2026-11-27 09:00")
    assert "「已答复」期间共 1天，期限顺延" in paused.explanation
    done = complaint("重要", "2026-11-23 09:00", *events, ("resolve", "刘强", "2026-11-24 14:00", {"result": "好"}))
    state = clocks(defs, done, "2026-11-30 10:00")["resolve"]
    assert (state.due, state.status) == (at("2026-11-27 11:00"), MET)
    assert state.explanation[-3:] == ("「已答复」期间共 1天2小时，期限顺延", "期限：2026-11-27 11:00 (+08:00)",
                                      "完成：2026-11-24 14:00 (+08:00)，按时完成")


def test_a_closed_record_is_judged_at_closing(defs):
    """Marked invalid at 11:00: the open clocks stop there and never turn overdue afterwards."""
    record = complaint("重大", "2026-11-23 09:00",
                       ("mark_invalid", "赵敏", "2026-11-23 11:00", {"result": "非物业责任", "valid": False}))
    state = clocks(defs, record, "2026-12-31 10:00")
    assert state["director_notice"].status == UPCOMING and state["director_notice"].escalated_to == ()
    assert state["reply"].status == UPCOMING
    assert (state["resolve"].stopped, state["resolve"].status) == (at("2026-11-23 11:00"), MET)


def test_clock_state_is_none_when_its_start_never_happened(defs):
    workflow, form = defs.workflows["complaint"], defs.forms["complaint"]
    record = complaint("重要", "2026-11-23 09:00")
    view = replay(record, workflow)
    typed = typed_values(form, view.values, defs.settings, at("2026-11-23 10:00"))
    assert clock_state(workflow.clocks["result_notice"], view, typed, workflow, defs.calendar,
                       at("2026-11-23 10:00"), form_labels(form)) is None
