"""The to-do list (engine/todo.py): grouping and order, tasks of records, periods and recurring duties.

All at the fixed NOW of conftest (Saturday 2026-11-28 10:00 +08:00) unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt

import pytest

from formflow.definitions.duties import Duty
from formflow.engine.records import CREATE, Event, Record
from formflow.engine.todo import Task, duty_tasks, period_of, record_tasks, todo

from ..conftest import NOW, SHANGHAI


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def complaint(number: str, severity: str, created: str, *events: tuple[str, str, str, dict]) -> Record:
    values = {"received_at": at(created).isoformat(timespec="minutes"), "channel": "来电", "complainant": "张先生",
              "unit": "3-2-1502", "phone": "13812345678", "details": "漏水", "category": "工程维修",
              "severity": severity, "receiver": "李娜"}
    return Record(number, "complaint", (Event(CREATE, "李娜", at(created), values),
                                        *(Event(a, by, at(t), d) for a, by, t, d in events)))


# ---- the whole list ---------------------------------------------------------------------------------


def test_overdue_then_due_soon_then_upcoming_earliest_first(defs):
    records = [
        complaint("TS-A", "重要", "2026-11-28 07:00"),  # head of dept by 08:00 (late); handled by 12-01 07:00
        complaint("TS-B", "重大", "2026-11-28 09:00"),  # director 23:59; reply 11-30 09:00; resolved 12-08 09:00
        complaint("TS-C", "轻微", "2026-11-26 12:00"),  # resolved by 11-28 12:00: within the 1-day reminder
        complaint("TS-D", "重要", "2026-11-20 09:00",  # closed: nothing left to do
                  ("mark_invalid", "赵敏", "2026-11-20 10:00", {"result": "重复", "valid": False})),
    ]
    tasks = todo(defs, records, NOW, {})
    assert [(t.status, t.record, t.clock, t.due.isoformat()) for t in tasks] == [
        ("overdue", "opinion_survey@2025-01-01", "opinion_survey", "2025-12-31T23:59:00+08:00"),
        ("overdue", "callback_summary@2026-10-01", "callback_summary", "2026-10-31T23:59:00+08:00"),
        ("overdue", "bulletin_board@2026-11-09", "bulletin_board", "2026-11-22T23:59:00+08:00"),
        ("overdue", "TS-A", "dept_head_notice", "2026-11-28T08:00:00+08:00"),
        ("due_soon", "TS-C", "resolve", "2026-11-28T12:00:00+08:00"),
        ("upcoming", "TS-B", "director_notice", "2026-11-28T23:59:00+08:00"),
        ("upcoming", "TS-B", "reply", "2026-11-30T09:00:00+08:00"),
        ("upcoming", "callback_summary@2026-11-01", "callback_summary", "2026-11-30T23:59:00+08:00"),
        ("upcoming", "TS-A", "resolve", "2026-12-01T07:00:00+08:00"),
        ("upcoming", "bulletin_board@2026-11-23", "bulletin_board", "2026-12-06T23:59:00+08:00"),
        ("upcoming", "TS-B", "resolve", "2026-12-08T09:00:00+08:00"),
        ("upcoming", "opinion_survey@2026-01-01", "opinion_survey", "2026-12-31T23:59:00+08:00"),
    ]


def test_a_record_task(defs):
    [task] = [t for t in record_tasks(defs, complaint("TS-A", "重要", "2026-11-28 07:00"), NOW)
              if t.clock == "dept_head_notice"]
    assert task == Task("TS-A", "complaint", "重要投诉1小时内转呈部门主管", ("clerk", "supervisor"),
                        at("2026-11-28 08:00"), "overdue", task.explanation, "3-2-1502", "dept_head_notice",
                        "张先生", "13812345678")  # the complaint's resident: whom to call
    assert task.explanation[:3] == ("开始：2026-11-28 07:00 (+08:00)（「接待时间」）", "规则：1小时（1h）",
                                    "期限：2026-11-28 08:00 (+08:00)")
    assert task.explanation[-1].startswith("已逾期，升级告知：")
    assert task.as_json() == {
        "record": "TS-A", "form": "complaint", "task": "重要投诉1小时内转呈部门主管", "who": ["clerk", "supervisor"],
        "due": "2026-11-28T08:00:00+08:00", "status": "overdue", "unit": "3-2-1502", "clock": "dept_head_notice",
        "name": "张先生", "phone": "13812345678", "assignee": "", "department": "", "explanation": list(task.explanation)}


UNCOMPUTABLE = ("期限无法计算：记录中的日期超出了可以计算的范围（登记时间 9999-12-31 10:00），或工作日历有误；"
                "请主管核对此记录，必要时关闭后重新登记；在此之前此项按已逾期列出",)


def test_a_record_dated_9999_does_not_take_the_list_down_for_everyone(defs):
    """Stored by an older version; counting a deadline from it leaves the calendar (OverflowError)."""
    broken = complaint("TS-Z", "重要", "9999-12-31 10:00")
    good = complaint("TS-A", "重要", "2026-11-28 07:00")
    done = {"bulletin_board": [at("9999-12-31 10:00")], "callback_summary": [at("0001-01-01 10:00")]}
    tasks = todo(defs, [broken, good], NOW, done)
    assert [(t.record, t.clock, t.status, t.due) for t in tasks if t.record.startswith("TS-")] == [
        ("TS-A", "dept_head_notice", "overdue", at("2026-11-28 08:00")),
        ("TS-Z", "dept_head_notice", "overdue", NOW),  # listed as needing a look now, saying why
        ("TS-Z", "resolve", "overdue", NOW),
        ("TS-A", "resolve", "upcoming", at("2026-12-01 07:00")),
    ]
    assert {t.explanation for t in tasks if t.record == "TS-Z"} == {UNCOMPUTABLE}
    # the impossible completions count for no period: the duties are still asked for
    assert {"bulletin_board@2026-11-23", "callback_summary@2026-11-01"} <= {t.record for t in tasks}


def test_escalated_roles_are_added_once(defs):
    record = complaint("TS-A", "重要", "2026-11-20 09:00")  # handled by 11-23 09:00; director told a day later
    [task] = record_tasks(defs, record, at("2026-11-24 09:01"))[1:]
    assert (task.clock, task.who) == ("resolve", ("dept_head", "supervisor", "director"))


def test_done_and_closed_records_have_no_tasks(defs):
    stopped = complaint("TS-A", "重要", "2026-11-28 07:00", ("escalate", "李娜", "2026-11-28 07:30", {}))
    assert [t.clock for t in record_tasks(defs, stopped, NOW)] == ["resolve"]
    closed = complaint("TS-D", "重要", "2026-11-20 09:00",
                       ("mark_invalid", "赵敏", "2026-11-20 10:00", {"result": "重复", "valid": False}))
    assert record_tasks(defs, closed, NOW) == []
    other = Record("X-1", "no_such_form", (Event(CREATE, "李娜", NOW, {}),))
    assert record_tasks(defs, other, NOW) == []


# ---- periods ----------------------------------------------------------------------------------------


def duty(every: str, due: str = "end", anchor: str = "2025-01-06") -> Duty:
    return Duty("d", "测试", every, ("clerk",), "测试任务", anchor, due)


@pytest.mark.parametrize(("every", "day", "first", "last"), [
    ("week", "2026-11-28", "2026-11-23", "2026-11-29"),
    ("week", "2026-11-23", "2026-11-23", "2026-11-29"),
    ("2weeks", "2026-11-28", "2026-11-23", "2026-12-06"),
    ("2weeks", "2026-12-06", "2026-11-23", "2026-12-06"),
    ("2weeks", "2026-12-07", "2026-12-07", "2026-12-20"),
    ("2weeks", "2025-01-05", "2024-12-23", "2025-01-05"),  # before the anchor
    ("month", "2026-11-28", "2026-11-01", "2026-11-30"),
    ("month", "2028-02-10", "2028-02-01", "2028-02-29"),  # leap year
    ("quarter", "2026-11-28", "2026-10-01", "2026-12-31"),
    ("quarter", "2026-02-15", "2026-01-01", "2026-03-31"),
    ("year", "2026-11-28", "2026-01-01", "2026-12-31"),
])
def test_period_of(every, day, first, last):
    assert period_of(duty(every), dt.date.fromisoformat(day)) == (dt.date.fromisoformat(first),
                                                                   dt.date.fromisoformat(last))


# ---- duties -----------------------------------------------------------------------------------------


def tasks_of(defs, d: Duty, now: str, *done: str) -> list[tuple[str, str, str]]:
    found = duty_tasks({"d": d}, defs.calendar, at(now), {"d": [at(t) for t in done]})
    return [(t.record, t.status, t.due.isoformat()) for t in found]


def test_a_duty_due_days_into_its_period(defs):
    monthly = duty("month", "3d")
    # Done on the 2nd, before its due day (the 3rd): November's own, though October was never done.
    assert tasks_of(defs, monthly, "2026-11-28 10:00", "2026-11-02 10:00") == [
        ("d@2026-10-01", "overdue", "2026-10-03T23:59:00+08:00")]
    assert tasks_of(defs, monthly, "2026-11-28 10:00") == [
        ("d@2026-10-01", "overdue", "2026-10-03T23:59:00+08:00"), ("d@2026-11-01", "overdue", "2026-11-03T23:59:00+08:00")]
    # The previous period is listed only while undone; this one is due soon two days ahead.
    assert tasks_of(defs, monthly, "2026-12-02 10:00", "2026-11-02 10:00") == [
        ("d@2026-12-01", "due_soon", "2026-12-03T23:59:00+08:00")]
    assert tasks_of(defs, monthly, "2026-12-02 10:00") == [
        ("d@2026-11-01", "overdue", "2026-11-03T23:59:00+08:00"),
        ("d@2026-12-01", "due_soon", "2026-12-03T23:59:00+08:00")]


def test_due_soon_is_two_days_before(defs):
    monthly = duty("month")
    done = "2026-10-31 10:00"
    assert tasks_of(defs, monthly, "2026-11-28 23:58", done)[0][1] == "upcoming"
    assert tasks_of(defs, monthly, "2026-11-28 23:59", done)[0][1] == "due_soon"
    assert tasks_of(defs, monthly, "2026-11-30 23:59", done)[0][1] == "due_soon"
    assert tasks_of(defs, monthly, "2026-12-01 00:00", done) == [
        ("d@2026-11-01", "overdue", "2026-11-30T23:59:00+08:00"), ("d@2026-12-01", "upcoming", "2026-12-31T23:59:00+08:00")]


def test_a_late_completion_is_the_overdue_periods(defs):
    monthly = duty("month")
    # Done 12-02 (first half of December) while November was undone: that was November's.
    assert tasks_of(defs, monthly, "2026-12-03 10:00", "2026-10-31 10:00", "2026-12-02 10:00") == [
        ("d@2026-12-01", "upcoming", "2026-12-31T23:59:00+08:00")]
    # ... and stays November's once December is over.
    assert tasks_of(defs, monthly, "2027-01-02 10:00", "2026-10-31 10:00", "2026-12-02 10:00") == [
        ("d@2026-12-01", "overdue", "2026-12-31T23:59:00+08:00"), ("d@2027-01-01", "upcoming", "2027-01-31T23:59:00+08:00")]
    # Done in the second half of December: that is December's; November stays overdue.
    assert tasks_of(defs, monthly, "2026-12-21 10:00", "2026-10-31 10:00", "2026-12-20 10:00") == [
        ("d@2026-11-01", "overdue", "2026-11-30T23:59:00+08:00")]
    # November done in time: an early December completion is December's.
    assert tasks_of(defs, monthly, "2026-12-03 10:00", "2026-11-30 10:00", "2026-12-02 10:00") == []


def test_duty_task_fields(defs):
    [task] = duty_tasks({"callback_summary": defs.duties["callback_summary"]}, defs.calendar, NOW,
                        {"callback_summary": [at("2026-10-30 10:00")]})
    assert task == Task("callback_summary@2026-11-01", "", "汇总本月回访记录，统计分析，经主管审核后报管理处主任",
                        ("supervisor",), at("2026-11-30 23:59"), "upcoming",
                        ("周期 2026-11-01 至 2026-11-30", "期限：2026-11-30 23:59 (+08:00)"), "", "callback_summary")
