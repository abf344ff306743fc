"""The complaint rules of the work manual, end to end on a fixed clock.

Every due time below was worked out by hand from the manual's rule (see
/work/shared/domain/forms.md, "Rules from the manual") and the shipped calendar.yaml, and the
weekday / holiday facts each one relies on are asserted first (``_facts``), so a wrong
expectation cannot hide behind a changed calendar:

    重大  director the same day (eod = 23:59 in calendar.yaml) · clear reply in 2 days · resolved in 10 days
    重要  department head within 1 clock hour · handled within 3 days
    轻微  the resident's requested deadline when given, else 2 days
    all   the result told to the complainant the same day the result is recorded (eod)

"N天" is N calendar days at the same clock time (holidays are not skipped); the working-day
variants (``2wd``: end of the Nth working day after the start day, 17:30; ``1wh``: working
hours 08:30–12:00, 13:30–17:30) are switched on by a workspace-local edit of the workflow, as
the comment at the top of workflows/complaint.yaml tells an office to do.

Everything goes through the real pipeline: a file dropped into inbox/, ``formflow process``,
then ``todo --format json``, ``explain`` and ``show`` with ``--now``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from .desk import Desk

HOLIDAY_FRIDAY = "2026-04-03T17:50:00+08:00"  # the Friday before 清明节 2026 (04-04 .. 04-06)


# ---- helpers ----------------------------------------------------------------------------------


class ComplaintDesk(Desk):
    """A clerk at the desk of one workspace: drops files into inbox/ and reads the outputs."""

    form, pattern, clerk = "complaint", r"TS-YG-\d{6}-\d{4}", "李娜"

    def register(self, at: str, severity: str, **data) -> str:
        """A complaint received (and entered) at ``at``; returns its record number."""
        return self.create(at, {
            "channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678",
            "details": "楼上卫生间漏水，天花板有水渍", "category": "工程维修", "severity": severity,
            "receiver": "李娜", **data})

    def act(self, number: str, action: str, at: str, by: str = "李娜", *, ok: bool = True, **data):
        """Do ``action``; returns the ``process`` result either way (refusals are read from its output)."""
        self.drop({"record": number, "action": action, "by": by, "at": at, "data": data})
        return self.process(at, ok=ok)

    def due(self, number: str, now: str) -> dict[str, tuple[str, str]]:
        return {k: (t["due"], t["status"]) for k, t in self.tasks(number, now).items()}


def clock_block(lines: list[str], key: str) -> list[str]:
    """The lines of one clock in ``explain`` output: its header and the indented lines under it."""
    start = next(i for i, line in enumerate(lines) if line.startswith("  ⏱ ") and f"（{key}）" in line)
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("      "):
            break
        block.append(line.strip())
    return block


def working_day_rules(workspace) -> None:
    """Switch the workspace's complaint rules to working days / hours, the way the YAML comment says."""
    path = workspace.root / "workflows" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    edits = [(r"due: 1h\b", "due: 1wh"), (r"due: 2d\b", "due: 2wd"),
             (r"rules: \{重大: 10d, 重要: 3d, 轻微: 2d\}", "rules: {重大: 10wd, 重要: 3wd, 轻微: 2wd}")]
    for pattern, replacement in edits:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, pattern
    path.write_text(text, encoding="utf-8")
    assert workspace.cli("check").code == 0


@pytest.fixture
def desk(workspace) -> Desk:
    return ComplaintDesk(workspace)


@pytest.fixture
def cal(workspace):
    return workspace.load().calendar


def _facts(cal):
    """The calendar facts the expectations below are worked out from."""
    day = dt.date.fromisoformat
    assert day("2026-04-03").isoweekday() == 5 and cal.is_working_day(day("2026-04-03"))
    assert [cal.day_reason(day(f"2026-04-0{d}")) for d in (4, 5, 6)] == ["清明节"] * 3
    assert [cal.is_working_day(day(f"2026-04-{d:02d}")) for d in range(7, 21)] == \
        [True, True, True, True, False, False, True, True, True, True, True, False, False, True]
    # 2025-10-11 (Sat) and 2025-09-28 (Sun) are 国庆 调休 make-up working days.
    assert day("2025-10-11").isoweekday() == 6 and cal.is_working_day(day("2025-10-11"))
    assert day("2025-09-28").isoweekday() == 7 and cal.is_working_day(day("2025-09-28"))
    assert cal.day_reason(day("2025-10-12")) == "周日" and cal.day_reason(day("2025-09-27")) == "周六"
    assert day("2026-11-23").isoweekday() == 1


def test_calendar_facts_used_below(cal):
    _facts(cal)


# ---- 重大: Friday 17:50, right before 清明节 ------------------------------------------------------


def test_major_complaint_on_the_friday_before_a_holiday(desk):
    number = desk.register(HOLIDAY_FRIDAY, "重大")
    assert number == "TS-YG-202604-0001"
    tasks = desk.tasks(number, "2026-04-03T18:00+08:00")
    assert [(k, t["due"], t["status"], t["who"]) for k, t in tasks.items()] == [
        # the same day: 23:59 of that Friday, though the office closed at 17:30 and a holiday follows
        ("director_notice", "2026-04-03T23:59:00+08:00", "upcoming", ["clerk", "supervisor"]),
        # 2 calendar days: Sunday 17:50, inside 清明节 — the default rule does not skip holidays
        ("reply", "2026-04-05T17:50:00+08:00", "upcoming", ["supervisor"]),
        ("resolve", "2026-04-13T17:50:00+08:00", "upcoming", ["dept_head", "supervisor"]),
    ]
    lines = desk.explain(number, "2026-04-03T18:00+08:00")
    assert lines[0] == "TS-YG-202604-0001 投诉处理记录：当前状态「已登记」（截至 2026-04-03 18:00 (+08:00)）"
    assert clock_block(lines, "director_notice") == [
        "  ⏱ 呈送管理处主任（director_notice）：未到期，期限 2026-04-03 23:59 (+08:00)",
        "开始：2026-04-03 17:50 (+08:00)（「接待时间」）", "规则：当天内（eod）", "期限：2026-04-03 23:59 (+08:00)"]
    assert clock_block(lines, "reply")[2:] == ["规则：2天（日历日）（2d）", "期限：2026-04-05 17:50 (+08:00)"]
    assert clock_block(lines, "resolve")[2:] == [
        "规则：「投诉级别」为“重大” → 10天（日历日）（10d）", "期限：2026-04-13 17:50 (+08:00)"]
    assert not any("跳过" in line for line in lines)  # calendar days skip nothing

    # Reminder window (remind: 2h) and the escalation to the director just after midnight.
    assert desk.due(number, "2026-04-03T21:58+08:00")["director_notice"][1] == "upcoming"
    assert desk.due(number, "2026-04-03T22:00+08:00")["director_notice"][1] == "due_soon"
    late = desk.tasks(number, "2026-04-04T00:00+08:00")["director_notice"]
    assert (late["status"], late["who"]) == ("overdue", ["clerk", "supervisor", "director"])


def test_major_complaint_on_working_days_skips_the_holiday(workspace, desk):
    working_day_rules(workspace)
    number = desk.register(HOLIDAY_FRIDAY, "重大")
    assert desk.due(number, "2026-04-03T18:00+08:00") == {
        "director_notice": ("2026-04-03T23:59:00+08:00", "upcoming"),  # eod is not a working-day rule
        # Friday does not count; 04-04..06 清明节; 04-07 is the 1st working day, 04-08 the 2nd, at 17:30
        "reply": ("2026-04-08T17:30:00+08:00", "upcoming"),
        # 04-07..10 (4), weekend, 04-13..17 (9), weekend, 04-20 (10)
        "resolve": ("2026-04-20T17:30:00+08:00", "upcoming"),
    }
    lines = desk.explain(number, "2026-04-03T18:00+08:00")
    assert clock_block(lines, "reply") == [
        "  ⏱ 给住户明确答复（reply）：未到期，期限 2026-04-08 17:30 (+08:00)",
        "开始：2026-04-03 17:50 (+08:00)（「接待时间」）", "规则：2个工作日（2wd）",
        "跳过 2026-04-04（清明节）", "跳过 2026-04-05（清明节）", "跳过 2026-04-06（清明节）",
        "期限：2026-04-08 17:30 (+08:00)"]
    assert [line for line in clock_block(lines, "resolve") if line.startswith("跳过")] == [
        "跳过 2026-04-04（清明节）", "跳过 2026-04-05（清明节）", "跳过 2026-04-06（清明节）",
        "跳过 2026-04-11（周六）", "跳过 2026-04-12（周日）", "跳过 2026-04-18（周六）", "跳过 2026-04-19（周日）"]
    assert "规则：「投诉级别」为“重大” → 10个工作日（10wd）" in clock_block(lines, "resolve")


# ---- 重要: one hour to the department head, 3 days to handle -------------------------------------


def test_important_complaint_on_the_friday_before_a_holiday(desk):
    number = desk.register(HOLIDAY_FRIDAY, "重要")
    assert desk.due(number, "2026-04-03T18:00+08:00") == {
        "dept_head_notice": ("2026-04-03T18:50:00+08:00", "upcoming"),  # one clock hour, after hours or not
        "resolve": ("2026-04-06T17:50:00+08:00", "upcoming"),  # 3 calendar days: 清明 Monday
    }
    assert desk.due(number, "2026-04-03T18:20+08:00")["dept_head_notice"][1] == "due_soon"  # remind: 30m
    late = desk.tasks(number, "2026-04-03T18:51+08:00")["dept_head_notice"]
    assert (late["status"], late["who"]) == ("overdue", ["clerk", "supervisor"])


def test_important_complaint_in_working_hours_waits_for_the_holiday_to_end(workspace, desk):
    working_day_rules(workspace)
    number = desk.register(HOLIDAY_FRIDAY, "重要")
    assert desk.due(number, "2026-04-03T18:00+08:00") == {
        # 17:50 is after hours: the hour starts at 08:30 of the first working day after 清明
        "resolve": ("2026-04-09T17:30:00+08:00", "upcoming"),
        "dept_head_notice": ("2026-04-07T09:30:00+08:00", "upcoming"),
    }
    block = clock_block(desk.explain(number, "2026-04-03T18:00+08:00"), "dept_head_notice")
    assert block[2:] == ["规则：1个工作小时（1wh）", "跳过 2026-04-04（清明节）", "跳过 2026-04-05（清明节）",
                         "跳过 2026-04-06（清明节）", "期限：2026-04-07 09:30 (+08:00)"]


# ---- 调休: a make-up working Saturday / Sunday counts as a working day ------------------------------


def test_minor_complaint_across_a_make_up_saturday(workspace, desk):
    number = desk.register("2025-10-10T10:00:00+08:00", "轻微")
    # 2 calendar days: Sunday 10:00; whether Saturday is worked does not matter
    assert desk.due(number, "2025-10-10T10:30+08:00") == {"resolve": ("2025-10-12T10:00:00+08:00", "upcoming")}


def test_minor_complaint_across_a_make_up_saturday_in_working_days(workspace, desk):
    working_day_rules(workspace)
    number = desk.register("2025-10-10T10:00:00+08:00", "轻微")
    # Sat 10-11 is 国庆节调休上班: the 1st working day; Sun 10-12 is skipped; Mon 10-13 is the 2nd.
    # (Were 10-11 an ordinary Saturday this would be Tue 10-14.)
    assert desk.due(number, "2025-10-10T10:30+08:00") == {"resolve": ("2025-10-13T17:30:00+08:00", "upcoming")}
    block = clock_block(desk.explain(number, "2025-10-10T10:30+08:00"), "resolve")
    assert block[2:] == ["规则：「投诉级别」为“轻微” → 2个工作日（2wd）", "跳过 2025-10-12（周日）",
                         "期限：2025-10-13 17:30 (+08:00)"]


def test_important_complaint_across_a_make_up_sunday(workspace, desk):
    working_day_rules(workspace)
    number = desk.register("2025-09-26T16:00:00+08:00", "重要")
    # Fri 09-26 does not count; Sat 09-27 skipped; Sun 09-28 调休 (1); Mon 09-29 (2); Tue 09-30 (3)
    assert desk.due(number, "2025-09-26T16:10+08:00")["resolve"] == ("2025-09-30T17:30:00+08:00", "upcoming")
    block = clock_block(desk.explain(number, "2025-09-26T16:10+08:00"), "resolve")
    assert [line for line in block if line.startswith("跳过")] == ["跳过 2025-09-27（周六）"]


def test_important_complaint_received_on_a_make_up_saturday(workspace, desk):
    plain = desk.register("2025-10-11T11:30:00+08:00", "重要")
    assert desk.due(plain, "2025-10-11T11:31+08:00")["dept_head_notice"][0] == "2025-10-11T12:30:00+08:00"
    working_day_rules(workspace)
    number = desk.register("2025-10-11T11:30:00+08:00", "重要", complainant="李女士")
    # 30 minutes to 12:00, lunch 12:00–13:30 does not count, 30 more minutes from 13:30
    assert desk.due(number, "2025-10-11T11:31+08:00")["dept_head_notice"] == ("2025-10-11T14:00:00+08:00", "upcoming")


# ---- 轻微: the resident's requested deadline ------------------------------------------------------


def test_minor_complaint_two_days_or_the_residents_deadline(desk):
    plain = desk.register("2026-11-20T09:15:00+08:00", "轻微")
    sooner = desk.register("2026-11-20T09:16:00+08:00", "轻微", resident_deadline="2026-11-21")
    later = desk.register("2026-11-20T09:17:00+08:00", "轻微", resident_deadline="2026-11-27")
    now = "2026-11-20T10:00+08:00"
    assert desk.due(plain, now) == {"resolve": ("2026-11-22T09:15:00+08:00", "upcoming")}
    # A date means the end of that day; the resident's deadline replaces the 2 days, earlier or later.
    assert desk.due(sooner, now) == {"resolve": ("2026-11-21T23:59:00+08:00", "upcoming")}
    assert desk.due(later, now) == {"resolve": ("2026-11-27T23:59:00+08:00", "upcoming")}
    assert clock_block(desk.explain(sooner, now), "resolve")[2:] == [
        "规则：按「住户要求期限」（2026-11-21，取代默认规则）", "期限：2026-11-21 23:59 (+08:00)"]


def test_residents_deadline_only_for_minor_complaints(desk):
    desk.drop({"form": "complaint", "by": "李娜", "at": "2026-11-20T09:15:00+08:00", "data": {
        "channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678",
        "details": "电梯困人", "category": "工程维修", "severity": "重大", "receiver": "李娜",
        "resident_deadline": "2026-12-31"}})
    out = desk.process("2026-11-20T09:15+08:00", ok=False).out
    assert "    - 「住户要求期限」（第 13 行）：此项仅当「投诉级别」为“轻微”时填写，现在不适用，请删除或核对相关字段" \
        in out.splitlines()


def test_reclassified_as_major_the_residents_deadline_must_go(desk):
    """A minor complaint with a resident's deadline re-graded 重大 at assignment gets 10 days, not that date."""
    number = desk.register("2026-11-20T09:15:00+08:00", "轻微", resident_deadline="2026-12-20")
    out = desk.act(number, "assign", "2026-11-20T10:00:00+08:00", ok=False, routed_to="工程维修部",
                   severity="重大").out
    assert "    - 「住户要求期限」：此项仅当「投诉级别」为“轻微”时填写，现在不适用，请删除或核对相关字段" \
        in out.splitlines()
    desk.act(number, "assign", "2026-11-20T10:00:00+08:00", routed_to="工程维修部", severity="重大",
             resident_deadline="")
    assert desk.due(number, "2026-11-20T10:05+08:00")["resolve"] == ("2026-11-30T09:15:00+08:00", "upcoming")


# ---- breaches stay recorded; the result is told the same day -------------------------------------


def test_late_completion_stays_a_breach(workspace, desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "重要")  # a Monday
    desk.act(number, "assign", "2026-11-23T09:10:00+08:00", routed_to="工程维修部")
    desk.act(number, "escalate", "2026-11-23T10:30:00+08:00")  # due 10:00: 30 minutes late
    desk.act(number, "start", "2026-11-23T11:00:00+08:00", by="刘强", actions="上门查看")
    desk.act(number, "resolve", "2026-11-27T15:00:00+08:00", by="刘强", result="已更换楼上防水层")  # due 11-26 09:00

    # The result must be told the same day it is recorded: by 23:59 that day, by the clerk.
    tasks = desk.tasks(number, "2026-11-27T15:30+08:00")
    assert [(k, t["due"], t["status"], t["who"]) for k, t in tasks.items()] == [
        ("result_notice", "2026-11-27T23:59:00+08:00", "upcoming", ["clerk"])]
    desk.act(number, "notify_result", "2026-11-27T16:00:00+08:00", reply_method="电话")
    desk.act(number, "close", "2026-11-28T09:00:00+08:00", satisfaction="满意")
    assert desk.tasks(number, "2026-11-28T10:00+08:00") == {}

    for now in ("2026-11-28T10:00+08:00", "2026-12-31T10:00+08:00"):  # closed: the verdicts do not move
        lines = desk.explain(number, now)
        assert lines[0].startswith(f"{number} 投诉处理记录：当前状态「已关闭」")
        assert clock_block(lines, "dept_head_notice") == [
            "  ⏱ 转呈部门主管（dept_head_notice）：逾期完成，期限 2026-11-23 10:00 (+08:00)",
            "开始：2026-11-23 09:00 (+08:00)（「接待时间」）", "规则：1小时（1h）", "期限：2026-11-23 10:00 (+08:00)",
            "完成：2026-11-23 10:30 (+08:00)，逾期完成"]
        assert clock_block(lines, "resolve") == [
            "  ⏱ 投诉处理完毕（resolve）：逾期完成，期限 2026-11-26 09:00 (+08:00)",
            "开始：2026-11-23 09:00 (+08:00)（「接待时间」）", "规则：「投诉级别」为“重要” → 3天（日历日）（3d）",
            "期限：2026-11-26 09:00 (+08:00)", "完成：2026-11-27 15:00 (+08:00)，逾期完成"]
        assert clock_block(lines, "result_notice") == [
            "  ⏱ 当天通报处理结果（result_notice）：按时完成，期限 2026-11-27 23:59 (+08:00)",
            "开始：2026-11-27 15:00 (+08:00)（「处理完毕」）", "规则：当天内（eod）",
            "期限：2026-11-27 23:59 (+08:00)", "完成：2026-11-27 16:00 (+08:00)，按时完成"]

    shown = workspace.cli("show", number, "--now", "2026-11-28T10:00+08:00").out.splitlines()
    assert "  投诉级别：重要" in shown and "  处理结果：已更换楼上防水层" in shown
    assert "  是否有效投诉：是" in shown and "  是否正在造成损害：否" in shown  # yes/no in words, not True/False
    assert "  ⏱ 投诉处理完毕（resolve）：逾期完成，期限 2026-11-26 09:00 (+08:00)" in shown
    assert "  2026-11-27 15:00 (+08:00)  刘强 处理完毕 → 已解决（待通报结果）" in shown


def test_result_told_the_next_day_is_late(desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "轻微")
    desk.act(number, "assign", "2026-11-23T09:10:00+08:00", routed_to="秩序维护部")
    desk.act(number, "start", "2026-11-23T09:30:00+08:00", by="周涛")
    desk.act(number, "resolve", "2026-11-24T16:00:00+08:00", by="周涛", result="已上门提醒")
    assert desk.due(number, "2026-11-24T21:58+08:00") == {"result_notice": ("2026-11-24T23:59:00+08:00", "upcoming")}
    assert desk.due(number, "2026-11-24T22:00+08:00") == {"result_notice": ("2026-11-24T23:59:00+08:00", "due_soon")}
    overdue = desk.tasks(number, "2026-11-25T00:00+08:00")["result_notice"]
    assert (overdue["status"], overdue["who"]) == ("overdue", ["clerk", "supervisor"])
    desk.act(number, "notify_result", "2026-11-25T09:00:00+08:00", reply_method="上门")
    assert "完成：2026-11-25 09:00 (+08:00)，逾期完成" in clock_block(
        desk.explain(number, "2026-11-25T10:00+08:00"), "result_notice")


# ---- the reopen loop ----------------------------------------------------------------------------


def test_unsatisfied_resident_reopens_the_complaint(workspace, desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "轻微")
    desk.act(number, "assign", "2026-11-23T09:10:00+08:00", routed_to="环境部")
    desk.act(number, "start", "2026-11-23T09:30:00+08:00", by="吴静")
    desk.act(number, "resolve", "2026-11-24T10:00:00+08:00", by="吴静", result="已清理")
    desk.act(number, "notify_result", "2026-11-24T11:00:00+08:00", reply_method="电话")

    out = desk.act(number, "close", "2026-11-24T14:00:00+08:00", ok=False, satisfaction="不满意").out
    assert "    - 住户不满意，不能关闭；请用“重新处理”退回处理" in out.splitlines()
    out = desk.act(number, "reopen", "2026-11-24T14:00:00+08:00", by="吴静", ok=False, satisfaction="不满意").out
    assert "    - 「经办人」：吴静（部门主管、环境保洁员）没有权限「重新处理（住户不满意）」，需要角色：客服专员、客服中心主管" \
        in out.splitlines()
    desk.act(number, "reopen", "2026-11-24T14:00:00+08:00", satisfaction="不满意", demand="垃圾房每天清运两次")
    assert desk.explain(number, "2026-11-24T14:05+08:00")[0].endswith("当前状态「处理中」（截至 2026-11-24 14:05 (+08:00)）")

    desk.act(number, "resolve", "2026-11-25T10:00:00+08:00", by="吴静", result="已调整为每天清运两次")
    # The same-day notice restarts from the second resolution, not the first.
    assert desk.due(number, "2026-11-25T10:05+08:00") == {"result_notice": ("2026-11-25T23:59:00+08:00", "upcoming")}
    desk.act(number, "notify_result", "2026-11-25T16:00:00+08:00", reply_method="电话")
    desk.act(number, "close", "2026-11-26T09:00:00+08:00", satisfaction="满意")

    lines = desk.explain(number, "2026-11-26T10:00+08:00")
    history = [line.split("  ", 2)[2] for line in lines[1:] if not line.startswith("  ⏱") and not line.startswith("      ")]
    assert history == ["李娜 登记 → 已登记", "李娜 分派 → 已分派", "吴静 联系住户开始处理 → 处理中", "吴静 处理完毕 → 已解决（待通报结果）",
                       "李娜 通报处理结果 → 已通报（待回访）", "李娜 重新处理（住户不满意） → 处理中",
                       "吴静 处理完毕 → 已解决（待通报结果）", "李娜 通报处理结果 → 已通报（待回访）", "李娜 回访后关闭 → 已关闭"]
    # The 2-day resolution was met by the first resolution (due 11-25 09:00).
    assert clock_block(lines, "resolve")[-1] == "完成：2026-11-24 10:00 (+08:00)，按时完成"
    assert clock_block(lines, "result_notice")[1:] == [
        "开始：2026-11-25 10:00 (+08:00)（「处理完毕」）", "规则：当天内（eod）", "期限：2026-11-25 23:59 (+08:00)",
        "完成：2026-11-25 16:00 (+08:00)，按时完成"]


def test_reopened_complaint_is_on_the_todo_list(desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "轻微")
    desk.act(number, "assign", "2026-11-23T09:10:00+08:00", routed_to="环境部")
    desk.act(number, "start", "2026-11-23T09:30:00+08:00", by="吴静")
    desk.act(number, "resolve", "2026-11-24T10:00:00+08:00", by="吴静", result="已清理")
    desk.act(number, "notify_result", "2026-11-24T11:00:00+08:00", reply_method="电话")
    desk.act(number, "reopen", "2026-11-24T14:00:00+08:00", satisfaction="不满意")
    assert desk.tasks(number, "2026-11-24T15:00+08:00") != {}


# ---- escalation after the due time ----------------------------------------------------------------


def test_escalation_chain_of_an_unhandled_important_complaint(workspace, desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "重要")

    def seen(now: str) -> dict[str, tuple[str, list[str]]]:
        return {k: (t["status"], t["who"]) for k, t in desk.tasks(number, now).items()}

    assert seen("2026-11-23T09:29+08:00")["dept_head_notice"] == ("upcoming", ["clerk"])
    assert seen("2026-11-23T09:30+08:00")["dept_head_notice"] == ("due_soon", ["clerk"])  # remind: 30m
    assert seen("2026-11-23T10:00+08:00")["dept_head_notice"] == ("due_soon", ["clerk"])  # due, not yet late
    assert seen("2026-11-23T10:01+08:00")["dept_head_notice"] == ("overdue", ["clerk", "supervisor"])

    assert seen("2026-11-25T08:59+08:00")["resolve"] == ("upcoming", ["dept_head", "supervisor"])
    assert seen("2026-11-25T09:00+08:00")["resolve"] == ("due_soon", ["dept_head", "supervisor"])  # remind: 1d
    assert seen("2026-11-26T09:01+08:00")["resolve"] == ("overdue", ["dept_head", "supervisor"])
    assert seen("2026-11-27T09:00+08:00")["resolve"] == ("overdue", ["dept_head", "supervisor"])  # after: 1d
    assert seen("2026-11-27T09:01+08:00")["resolve"] == ("overdue", ["dept_head", "supervisor", "director"])

    late = desk.tasks(number, "2026-11-27T09:01+08:00")["resolve"]
    assert late["explanation"][-1] == "已逾期，升级告知：客服中心主管、管理处主任"  # role names, not keys
    text = workspace.cli("todo", "--now", "2026-11-27T09:01+08:00").out.splitlines()
    assert text[0].startswith("【逾期】")
    assert [line for line in text if number in line] == [
        f"  2026-11-23 10:00  {number} 3-2-1502 张先生 138****5678  重要投诉1小时内转呈部门主管  〔客服专员、客服中心主管〕",
        f"  2026-11-26 09:00  {number} 3-2-1502 张先生 138****5678  处理完毕投诉  〔部门主管、客服中心主管、管理处主任〕"]
    explained = desk.explain(number, "2026-11-27T09:01+08:00")
    assert clock_block(explained, "resolve")[-1] == "已升级告知 escalated to: 客服中心主管、管理处主任"


def test_escalation_of_an_unreported_major_complaint(desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "重大")
    assert {k: (t["status"], t["who"]) for k, t in desk.tasks(number, "2026-11-25T09:01+08:00").items()} == {
        "director_notice": ("overdue", ["clerk", "supervisor", "director"]),
        "reply": ("overdue", ["supervisor", "director"]),
        "resolve": ("upcoming", ["dept_head", "supervisor"]),
    }
    # Reporting to the director stops that clock (late); replying stops the reply clock (late).
    desk.act(number, "escalate", "2026-11-25T09:30:00+08:00", by="赵敏")
    desk.act(number, "assign", "2026-11-25T09:40:00+08:00", routed_to="工程维修部")
    desk.act(number, "reply", "2026-11-25T10:00:00+08:00", by="刘强", reply_method="上门")
    assert desk.due(number, "2026-11-25T10:05+08:00") == {"resolve": ("2026-12-03T09:00:00+08:00", "upcoming")}
    lines = desk.explain(number, "2026-11-25T10:05+08:00")
    assert clock_block(lines, "director_notice")[-1] == "完成：2026-11-25 09:30 (+08:00)，逾期完成"
    assert clock_block(lines, "reply")[-1] == "完成：2026-11-25 10:00 (+08:00)，逾期完成"


def test_reported_in_time_is_met(desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "重要")
    desk.act(number, "escalate", "2026-11-23T10:00:00+08:00")  # exactly at the due time still counts
    assert "dept_head_notice" not in desk.tasks(number, "2026-11-23T10:05+08:00")
    assert clock_block(desk.explain(number, "2026-11-23T10:05+08:00"), "dept_head_notice")[-1] == \
        "完成：2026-11-23 10:00 (+08:00)，按时完成"
    out = desk.act(number, "escalate", "2026-11-23T10:10:00+08:00", ok=False).out  # reported once (once: true)
    assert "已于 11月23日 10:00 呈报上级，不能重复办理" in out


def test_minor_complaint_cannot_be_escalated(desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "轻微")
    out = desk.act(number, "escalate", "2026-11-23T09:10:00+08:00", ok=False).out
    assert "    - 只有重大投诉和重要投诉需要呈报上级" in out.splitlines()


def test_invalid_complaint_stops_the_resolution_clock(desk):
    number = desk.register("2026-11-23T09:00:00+08:00", "重要")
    desk.act(number, "escalate", "2026-11-23T09:20:00+08:00")
    desk.act(number, "mark_invalid", "2026-11-23T11:00:00+08:00", by="赵敏", result="经核实非物业责任，已向住户解释")
    assert desk.tasks(number, "2026-12-10T10:00+08:00") == {}
    lines = desk.explain(number, "2026-12-10T10:00+08:00")
    assert lines[0].startswith(f"{number} 投诉处理记录：当前状态「无效投诉」")
    assert clock_block(lines, "resolve")[-1] == "完成：2026-11-23 11:00 (+08:00)，按时完成"


# ---- known problem --------------------------------------------------------------------------------


def test_clocks_count_from_the_time_the_complaint_was_received(desk):
    number = desk.register("2026-11-23T09:40:00+08:00", "重要", received_at="2026-11-23 09:00")
    assert desk.due(number, "2026-11-23T09:41+08:00")["dept_head_notice"][0] == "2026-11-23T10:00:00+08:00"
