"""Deadlines kept inside the calling hours (engine/hours.py, ``within: calling_hours`` of a clock): pure."""

from __future__ import annotations

import datetime as dt

import pytest

from formflow.engine.hours import hours_text, within_hours
from formflow.engine.records import CREATE, Event, Record

from ..conftest import SHANGHAI
from .test_clocks import at, clocks

HOURS = ((dt.time(9), dt.time(12)), (dt.time(14), dt.time(20)))


@pytest.mark.parametrize("due, moved", [
    ("2026-12-09 23:59", "2026-12-09 20:00"),   # the end of the day before a promised date: the last period's end
    ("2026-12-03 20:30", "2026-12-03 20:00"),   # 2 days after a call made at 20:30
    ("2026-12-03 13:00", "2026-12-03 12:00"),   # lunch: the morning's end (earlier, never later)
    ("2026-12-03 08:00", "2026-12-02 20:00"),   # before 9:00: the evening before
    ("2026-12-03 09:00", "2026-12-03 09:00"),   # inside (the edges count): unchanged
    ("2026-12-03 20:00", "2026-12-03 20:00"),
    ("2026-12-03 15:30", "2026-12-03 15:30"),
])
def test_a_due_time_outside_the_hours_moves_earlier(due, moved):
    assert within_hours(at(due), HOURS, SHANGHAI) == at(moved)


def test_never_before_the_clock_started():
    # started at 20:30 with a short rule due 21:00: 20:00 would be before the start, so the next morning's 9:00
    assert within_hours(at("2026-12-03 21:00"), HOURS, SHANGHAI, start=at("2026-12-03 20:30")) == at("2026-12-04 09:00")
    assert within_hours(at("2026-12-03 12:40"), HOURS, SHANGHAI, start=at("2026-12-03 12:10")) == at("2026-12-03 14:00")
    assert within_hours(at("2026-12-03 21:00"), (), SHANGHAI) == at("2026-12-03 21:00")


def test_hours_text():
    assert hours_text(HOURS) == "9:00–12:00、14:00–20:00"
    assert hours_text(((dt.time(8, 30), dt.time(21, 0)),)) == "8:30–21:00"


def _collection(created: str, *events) -> Record:
    values = {"round": "2026年12月催费", "unit": "3-2-1502", "owner": "黄秀英", "collector": "王芳",
              "items": [{"item": "物业费", "period": "2026-11", "owed": "100.00"}], "amount": "100.00",
              "snapshot_date": "2026-11-28"}
    return Record("CJ-YG-202611-0001", "fee_collection",
                  (Event(CREATE, "王芳", at(created), values), *(Event(a, "王芳", at(t), d) for a, t, d in events)))


def test_the_promise_reminder_and_a_retry_fall_inside_the_calling_hours(defs):
    promised = _collection("2026-11-30 09:00", ("call_promise", "2026-11-30 10:00",
                                                {"promised_date": "2026-12-10", "attempts": 1, "outcome": "承诺缴费"}))
    reminder = clocks(defs, promised, "2026-12-01 10:00")["promise_reminder"]
    assert reminder.due == at("2026-12-09 20:00")
    assert reminder.explanation[-3:] == ("2026-12-09 23:59 (+08:00) 不在可拨打时间内，提前到 2026-12-09 20:00 (+08:00)",
                                         "可拨打时间 9:00–12:00、14:00–20:00", "期限：2026-12-09 20:00 (+08:00)")
    late_call = _collection("2026-11-30 09:00", ("call_no_answer", "2026-12-01 20:30",
                                                 {"outcome": "无人接听", "attempts": 1, "failed_calls": 1}))
    assert clocks(defs, late_call, "2026-12-02 10:00")["retry"].due == at("2026-12-03 20:00")
    lunch = _collection("2026-11-30 09:00", ("call_no_answer", "2026-12-01 12:40",
                                             {"outcome": "无人接听", "attempts": 1, "failed_calls": 1}))
    assert clocks(defs, lunch, "2026-12-02 10:00")["retry"].due == at("2026-12-03 12:00")


def test_the_office_sets_its_own_hours(workspace):
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + '\nfees:\n  calling_hours: ["08:30-21:00"]\n',
                        encoding="utf-8")
    late_call = _collection("2026-11-30 09:00", ("call_no_answer", "2026-12-01 20:30",
                                                 {"outcome": "无人接听", "attempts": 1, "failed_calls": 1}))
    retry = clocks(workspace.load(), late_call, "2026-12-02 10:00")["retry"]
    assert retry.due == at("2026-12-03 20:30") and "可拨打时间 8:30–21:00" in retry.explanation
