"""The fee-reminder workflow (workflows/fee_reminder.yaml), end to end on a fixed clock.

Rules covered (see /work/shared/domain/forms.md and the work manual):

* 催缴适用范围：入住、未入住均可 — a unit not yet moved in gets exactly the same deadlines;
* the resident promises a payment date → remind the day before: the promised date is a date, so
  its deadline is the end of that day (23:59, calendar.yaml's end_of_day) and the offset ``-1d``
  makes it 23:59 of the day before; a promise right after a holiday lands inside the holiday,
  and the switch the YAML comment offers (``-1wd``) moves it to the last working day before;
* refused / no answer / no promise → the next call, on the 「下次跟进日期」 when given, else 3 days;
* paid → closed (no more tasks); a new call filed → this card closed.

Every file goes through the real pipeline (inbox/ → ``formflow process``) and every due time was
worked out by hand from calendar.yaml; the calendar facts each one relies on are asserted first.
"""

from __future__ import annotations

import datetime as dt

import pytest

from .desk import Desk as BaseDesk


class Desk(BaseDesk):
    form = "fee_reminder"
    pattern = r"CF-YG-\d{6}-\d{4}"


def reminder(contacted: str, occupancy: str = "已入住", **extra) -> dict:
    """A telephone reminder that got through; ``extra`` overrides (outcome, promised_date ...)."""
    data = {"unit": "11-2-0706", "owner": "许卫东", "phone": "13602957718", "occupancy": occupancy,
            "items": ["物业服务费"], "period_from": "2026-05-01", "period_to": "2026-10-31", "amount": 1758.60,
            "attempt": 1, "contacted_at": contacted, "method": "电话", "outcome": "接通", "reason": "忘记/忙",
            "collector": "王芳"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def desk(workspace):
    return Desk(workspace)


@pytest.fixture
def calendar(defs):
    return defs.calendar


def _facts(calendar):
    """The calendar facts the due times below rely on."""
    day = dt.date.fromisoformat
    assert day("2026-11-29").isoweekday() == 7 and day("2026-11-30").isoweekday() == 1
    assert all(calendar.holidays.get(day(f"2026-10-0{d}")) == "国庆节" for d in range(1, 8))
    assert calendar.is_working_day(day("2026-10-08")) and calendar.is_working_day(day("2026-09-30"))
    assert calendar.working_hours[-1][1] == dt.time(17, 30) and calendar.end_of_day == dt.time(23, 59)


# ---- a promise: remind the day before --------------------------------------------------------


@pytest.mark.parametrize("occupancy", ["已入住", "未入住"])
def test_promise_is_followed_up_the_day_before_for_moved_in_and_empty_units(desk, calendar, occupancy):
    _facts(calendar)
    number = desk.create("2026-11-24T14:40+08:00", reminder("2026-11-24 14:30", occupancy,
                                                           promised_date="2026-11-30", next_followup="2026-11-29"))
    # the promised date 2026-11-30 (Mon) ends 23:59; one calendar day before: Sun 2026-11-29 23:59
    assert desk.due(number, "2026-11-28T10:00+08:00") == {
        "promise_reminder": ("2026-11-29T23:59:00+08:00", "upcoming", ["finance", "clerk"])}
    # remind: [1d] — the whole day before counts as due soon
    assert desk.due(number, "2026-11-29T08:30+08:00")["promise_reminder"][1] == "due_soon"
    assert desk.due(number, "2026-11-30T00:30+08:00") == {
        "promise_reminder": ("2026-11-29T23:59:00+08:00", "overdue", ["finance", "clerk", "supervisor"])}
    assert desk.explain(number, "2026-11-28T10:00+08:00")[2:] == [
        "  ⏱ 承诺缴费日前1天提醒（promise_reminder）：未到期，期限 2026-11-29 23:59 (+08:00)",
        "      开始：2026-11-24 14:30 (+08:00)（「联系时间」）",
        "      规则：按「承诺缴费日期」前1天（日历日）（2026-11-30，取代默认规则）",
        "      期限：2026-11-29 23:59 (+08:00)",
    ]


def test_a_promise_right_after_the_national_day_holiday(desk, calendar):
    _facts(calendar)
    number = desk.create("2026-09-29T14:40+08:00", reminder("2026-09-29 14:30", promised_date="2026-10-08"))
    # shipped default "-1d": calendar days, holidays not skipped → the last day of 国庆节
    assert desk.due(number, "2026-09-29T15:00+08:00") == {
        "promise_reminder": ("2026-10-07T23:59:00+08:00", "upcoming", ["finance", "clerk"])}


@pytest.mark.parametrize("offset, due, last_lines", [
    # the last working day before the promise, at close of business; the holiday is listed
    ("-1wd", "2026-09-30T17:30:00+08:00",
     ["      规则：按「承诺缴费日期」前1个工作日（2026-10-08，取代默认规则）"]
     + [f"      跳过 2026-10-0{d}（国庆节）" for d in range(1, 8)]
     + ["      期限：2026-09-30 17:30 (+08:00)"]),
    # counted back from 2026-10-08 23:59: 4h + 3.5h on 10-08, then 2.5h of 09-30 (17:30 → 15:00)
    ("-10wh", "2026-09-30T15:00:00+08:00",
     ["      规则：按「承诺缴费日期」前10个工作小时（2026-10-08，取代默认规则）"]
     + [f"      跳过 2026-10-0{d}（国庆节）" for d in range(1, 8)]
     + ["      期限：2026-09-30 15:00 (+08:00)"]),
])
def test_switching_the_offset_to_working_time_as_the_yaml_comment_says(desk, calendar, offset, due, last_lines):
    _facts(calendar)
    path = desk.ws.root / "workflows" / "fee_reminder.yaml"
    text = path.read_text("utf-8")
    assert text.count('offset: "-1d"') == 1
    path.write_text(text.replace('offset: "-1d"', f'offset: "{offset}"'), "utf-8")
    number = desk.create("2026-09-29T14:40+08:00", reminder("2026-09-29 14:30", promised_date="2026-10-08"))
    assert desk.due(number, "2026-09-29T14:50+08:00") == {
        "promise_reminder": (due, "upcoming", ["finance", "clerk"])}
    assert desk.explain(number, "2026-09-29T14:50+08:00")[4:] == last_lines
    # a promise after an ordinary weekend: Monday's reminder falls on Friday
    if offset == "-1wd":
        monday = desk.create("2026-11-24T14:40+08:00", reminder("2026-11-24 14:30", promised_date="2026-11-30"))
        assert desk.due(monday, "2026-11-24T15:00+08:00")["promise_reminder"][0] == "2026-11-27T17:30:00+08:00"


# ---- no promise: call again -----------------------------------------------------------------


@pytest.mark.parametrize("occupancy", ["已入住", "未入住"])
@pytest.mark.parametrize("outcome", ["无人接听", "拒接"])
def test_no_answer_or_refusal_means_another_call(desk, occupancy, outcome):
    number = desk.create("2026-11-27T19:05+08:00",
                         reminder("2026-11-27 19:00", occupancy, outcome=outcome, reason=None))
    assert desk.due(number, "2026-11-28T10:00+08:00") == {
        "next_call": ("2026-11-30T19:00:00+08:00", "upcoming", ["finance", "clerk"])}
    assert desk.explain(number, "2026-11-28T10:00+08:00")[3:] == [
        "      开始：2026-11-27 19:00 (+08:00)（「联系时间」）",
        "      规则：3天（日历日）（3d）",
        "      期限：2026-11-30 19:00 (+08:00)",
    ]


def test_a_planned_next_follow_up_date_sets_the_next_call(desk):
    number = desk.create("2026-11-27T19:05+08:00", reminder("2026-11-27 19:00", reason="经济困难",
                                                           next_followup="2026-12-01"))
    assert desk.due(number, "2026-11-28T10:00+08:00") == {
        "next_call": ("2026-12-01T23:59:00+08:00", "upcoming", ["finance", "clerk"])}


# ---- outcomes -------------------------------------------------------------------------------


def test_paid_closes_the_card_and_its_deadline_is_kept_as_met(desk):
    number = desk.create("2026-11-24T14:40+08:00", reminder("2026-11-24 14:30", promised_date="2026-11-30"))
    note = desk.act(number, "confirm_paid", "2026-11-26T11:00+08:00", by="张伟", ok=False)
    assert "  1. 「经办人」：张伟（维修人员）没有权限「确认已缴费」，需要角色：收费员、客服专员、客服中心主管\n" in note
    desk.act(number, "confirm_paid", "2026-11-26T11:00+08:00", by="郑丽")
    assert desk.state(number) == "已缴费（结案）"
    assert desk.tasks(number, "2026-11-30T09:00+08:00") == {}
    lines = desk.explain(number, "2026-11-30T09:00+08:00")
    assert lines[2] == "  2026-11-26 11:00 (+08:00)  郑丽 确认已缴费 → 已缴费（结案）"
    assert lines[3] == "  ⏱ 承诺缴费日前1天提醒（promise_reminder）：按时完成，期限 2026-11-29 23:59 (+08:00)"
    again = desk.act(number, "next_call", "2026-11-30T09:00+08:00", ok=False)
    assert "当前状态为「已缴费（结案）」，不能「已再次催缴」；可做：无（记录已关闭）" in again


def test_a_new_call_card_closes_the_old_one(desk):
    first = desk.create("2026-11-20T10:05+08:00", reminder("2026-11-20 10:00", outcome="无人接听", reason=None))
    # the next call got through with a promise: a new card, attempt 2; the old card is closed
    second = desk.create("2026-11-23T10:05+08:00", reminder("2026-11-23 10:00", attempt=2,
                                                           promised_date="2026-11-30"))
    desk.act(first, "next_call", "2026-11-23T10:10+08:00")
    assert desk.state(first) == "已再次催缴（见新记录）"
    assert desk.tasks(first, "2026-11-28T10:00+08:00") == {}
    assert set(desk.tasks(second, "2026-11-28T10:00+08:00")) == {"promise_reminder"}
    # the old card's next-call deadline was 2026-11-23 10:00; closing it at 10:10 was late, and stays so
    assert desk.explain(first, "2026-11-28T10:00+08:00")[3] == (
        "  ⏱ 再次催缴（next_call）：逾期完成，期限 2026-11-23 10:00 (+08:00)")


def test_only_a_supervisor_or_the_director_stops_reminders(desk):
    number = desk.create("2026-11-27T19:05+08:00", reminder("2026-11-27 19:00", outcome="拒接", reason=None))
    note = desk.act(number, "stop", "2026-11-28T09:00+08:00", ok=False)
    assert "「经办人」：王芳（客服专员、收费员）没有权限「终止催缴」，需要角色：客服中心主管、管理处主任" in note
    desk.act(number, "stop", "2026-11-28T09:30+08:00", by="陈建国")
    assert desk.state(number) == "终止催缴"
