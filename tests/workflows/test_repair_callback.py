"""The shipped repair and callback workflows end to end: files dropped in the inbox, `process`, then
`todo` / `show` / `explain` at fixed times — the manual's callback deadlines (safety 2 days, water leak
3 days after the leak test, any other 2 days), the 30-minute urgent arrival, pause and resume, a
breach that stays recorded, and the rework loop a callback starts."""

from __future__ import annotations

import json

import pytest

REPAIR = "WX-YG-202611-0001"
CALLBACK = "HF-YG-202611-0001"


def new_repair(category="给排水", urgency="一般", reported="2026-11-20 09:00", at="2026-11-20T09:00:00+08:00",
               **extra) -> str:
    lines = [
        "form: repair", "by: 李娜", f"at: {at}", "data:",
        f'  reported_at: "{reported}"', "  channel: 电话", "  area: 户内", "  reporter: 何丽萍",
        "  unit: 6-2-0901", '  phone: "13711458096"', "  location: 主卫洗手盆下方",
        f"  category: {category}", "  description: 洗手盆下方漏水", f"  urgency: {urgency}", "  clerk: 李娜",
    ]
    lines += [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def action(record: str, name: str, by: str, at: str, **data) -> str:
    doc = {"record": record, "action": name, "by": by, "at": at, "data": data}
    return json.dumps(doc, ensure_ascii=False)


class Desk:
    """The office as the tests drive it: drop files, run a pass, read the outputs."""

    def __init__(self, workspace):
        self.ws = workspace
        self.files = 0

    def submit(self, *texts: str, now: str) -> str:
        for text in texts:
            self.files += 1
            suffix = "json" if text.startswith("{") else "yaml"
            self.ws.write(f"inbox/{self.files:03d}.{suffix}", text)
        result = self.ws.cli("process", "--now", now)
        assert result.code == 0, result.out
        return result.out

    def refused(self, text: str, now: str) -> list[str]:
        self.files += 1
        self.ws.write(f"inbox/{self.files:03d}.json", text)
        result = self.ws.cli("process", "--now", now)
        assert result.code == 1, result.out
        return [line.removeprefix("    - ") for line in result.out.splitlines() if line.startswith("    - ")]

    def todo(self, now: str) -> list[dict]:
        result = self.ws.cli("todo", "--format", "json", "--now", now)
        assert result.code == 0, result.err
        return json.loads(result.out)

    def task(self, now: str, record: str, clock: str) -> dict:
        found = [t for t in self.todo(now) if t["record"] == record and t["clock"] == clock]
        assert len(found) == 1, found
        return found[0]

    def explain(self, record: str, now: str) -> list[str]:
        result = self.ws.cli("explain", record, "--now", now)
        assert result.code == 0, result.err
        return result.out.splitlines()

    def clock(self, record: str, key: str, now: str) -> list[str]:
        """The explain lines of one clock: its headline and the indented lines under it."""
        lines = self.explain(record, now)
        start = next(i for i, line in enumerate(lines) if line.startswith("  ⏱") and f"（{key}）" in line)
        block = [lines[start].strip()]
        for line in lines[start + 1:]:
            if not line.startswith("      "):
                break
            block.append(line.strip())
        return block

    def doc(self, record: str) -> dict:
        result = self.ws.cli("show", record, "--format", "json")
        assert result.code == 0, result.err
        return json.loads(result.out)

    def state(self, record: str) -> str:
        rows = json.loads(self.ws.cli("list", "--format", "json").out)
        return next(r["state_label"] for r in rows if r["record"] == record)

    def to_work(self, record: str = REPAIR, start: str = "2026-11-20T09:10:00+08:00",
                arrive: str = "2026-11-20T09:40:00+08:00") -> None:
        """Dispatch, arrival and start of work."""
        self.submit(action(record, "dispatch", "李娜", start, assignee="张伟", team="工程维修部"),
                    action(record, "arrive", "张伟", arrive),
                    action(record, "start_work", "张伟", arrive),
                    now=arrive)


@pytest.fixture
def desk(workspace) -> Desk:
    return Desk(workspace)


# -- every repair gets a callback ---------------------------------------------------------------


def test_completion_creates_the_callback_with_the_repairs_details(desk):
    desk.submit(new_repair(category="安全设施(消防/门禁/电梯)"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:30:00+08:00",
                       work_done="更换烟感探头", completed_at="2026-11-20 16:00"),
                now="2026-11-20T16:30+08:00")
    callback = desk.doc(CALLBACK)
    assert (callback["form"], callback["parent"]) == ("callback", REPAIR)
    created = callback["events"][0]
    assert (created["action"], created["by"], created["at"], created["note"]) == (
        "create", "张伟", "2026-11-20T16:30:00+08:00", f"由 {REPAIR} 生成")
    assert created["data"] == {
        "registered_at": "2026-11-20T16:00+08:00",   # the repair's completed time
        "source_form": "维修单",
        "source_record": REPAIR,
        "unit": "6-2-901",
        "person": "何丽萍",
        "phone": "13711458096",
        "method": "电话",
        "repair_class": "安全设施",
        "visitor": "李娜",
    }
    assert desk.state(REPAIR) == "待确认"
    assert desk.state(CALLBACK) == "待回访"


def test_a_callback_without_phone_is_a_home_visit_and_needs_a_unit(desk):
    patrol = new_repair(category="公共设施").replace("  area: 户内", "  area: 公共区域") \
        .replace("  channel: 电话", "  channel: 巡检发现").replace("  unit: 6-2-0901\n", "") \
        .replace('  phone: "13711458096"\n', "")
    desk.submit(patrol, now="2026-11-20T09:00+08:00")
    desk.to_work()
    problems = desk.refused(action(REPAIR, "complete", "张伟", "2026-11-20T15:00:00+08:00", work_done="更换灯具"),
                            now="2026-11-20T15:00+08:00")
    assert problems == ["完工后要生成回访记录：须有「房号」（公共区域报修填报修人房号）；渗漏水维修须先试漏，填写「试漏日期」"]
    assert desk.state(REPAIR) == "维修中"
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T15:05:00+08:00", work_done="更换灯具",
                       unit="5-1-1201"), now="2026-11-20T15:05+08:00")
    data = desk.doc(CALLBACK)["events"][0]["data"]
    assert (data["unit"], data["method"], data["repair_class"], "phone" in data) == ("5-1-1201", "上门", "其他", False)


# -- the callback deadlines of the manual -------------------------------------------------------


@pytest.mark.parametrize("category, extra, repair_class, explanation, due", [
    ("安全设施(消防/门禁/电梯)", {}, "安全设施",
     ["开始：2026-11-20 16:00 (+08:00)（「登记时间」）", "规则：「维修类别」为“安全设施” → 2天（日历日）（2d）",
      "期限：2026-11-22 16:00 (+08:00)"], "2026-11-22T16:00:00+08:00"),
    ("给排水", {}, "其他",
     ["开始：2026-11-20 16:00 (+08:00)（「登记时间」）", "规则：「维修类别」为“其他” → 2天（日历日）（2d）",
      "期限：2026-11-22 16:00 (+08:00)"], "2026-11-22T16:00:00+08:00"),
    ("渗漏水", {"leak_test_date": "2026-11-21"}, "渗漏水",
     ["开始：2026-11-21 23:59 (+08:00)（「试漏日期」）", "规则：「维修类别」为“渗漏水” → 3天（日历日）（3d）",
      "期限：2026-11-24 23:59 (+08:00)"], "2026-11-24T23:59:00+08:00"),
])
def test_callback_due_by_repair_class(desk, category, extra, repair_class, explanation, due):
    desk.submit(new_repair(category=category), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T17:00:00+08:00", work_done="已修复",
                       completed_at="2026-11-20 16:00", **extra), now="2026-11-20T17:00+08:00")
    data = desk.doc(CALLBACK)["events"][0]["data"]
    assert data["repair_class"] == repair_class
    assert data.get("leak_test_date") == extra.get("leak_test_date")
    task = desk.task("2026-11-21T09:00+08:00", CALLBACK, "callback")
    assert (task["task"], task["who"], task["due"], task["status"], task["unit"]) == (
        "维修完工后回访住户", ["clerk"], due, "upcoming", "6-2-901")
    assert task["explanation"] == explanation


def test_callback_reminds_one_day_before_and_escalates_to_the_supervisor(desk):
    desk.submit(new_repair(category="给排水"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="更换角阀"),
                now="2026-11-20T16:00+08:00")
    # No completed time given: the completion is when the action was done.
    assert desk.doc(CALLBACK)["events"][0]["data"]["registered_at"] == "2026-11-20T16:00+08:00"
    assert desk.task("2026-11-21T15:59+08:00", CALLBACK, "callback")["status"] == "upcoming"
    assert desk.task("2026-11-21T16:00+08:00", CALLBACK, "callback")["status"] == "due_soon"
    late = desk.task("2026-11-22T16:01+08:00", CALLBACK, "callback")
    assert (late["status"], late["who"]) == ("overdue", ["clerk", "supervisor"])
    assert late["explanation"][-1].startswith("已逾期，升级告知：")


def test_leak_callback_counts_from_the_leak_test_day_and_a_same_day_visit_is_on_time(desk):
    desk.submit(new_repair(category="渗漏水"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    problems = desk.refused(action(REPAIR, "complete", "张伟", "2026-11-20T11:00:00+08:00", work_done="更换软管"),
                            now="2026-11-20T11:00+08:00")
    assert problems == ["完工后要生成回访记录：须有「房号」（公共区域报修填报修人房号）；渗漏水维修须先试漏，填写「试漏日期」"]
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T11:05:00+08:00", work_done="更换软管",
                       leak_test_date="2026-11-20"), now="2026-11-20T11:05+08:00")
    assert desk.task("2026-11-20T12:00+08:00", CALLBACK, "callback")["due"] == "2026-11-23T23:59:00+08:00"
    desk.submit(action(CALLBACK, "visit", "赵敏", "2026-11-20T18:10:00+08:00", visited_at="2026-11-20 18:00",
                       resolved="是", satisfaction="满意"), now="2026-11-20T18:10+08:00")
    assert desk.clock(CALLBACK, "callback", "2026-11-28T10:00+08:00") == [
        "⏱ 维修回访（callback）：按时完成，期限 2026-11-23 23:59 (+08:00)",
        "开始：2026-11-20 23:59 (+08:00)（「试漏日期」）",
        "规则：「维修类别」为“渗漏水” → 3天（日历日）（3d）",
        "期限：2026-11-23 23:59 (+08:00)",
        "完成：2026-11-20 18:00 (+08:00)，按时完成",
    ]
    assert (desk.state(CALLBACK), desk.state(REPAIR)) == ("已回访", "已关闭")
    # 回访后关闭 is in `from: [closed]` for the callback's effect only: a clerk's file asking it again is refused.
    problems = desk.refused(action(REPAIR, "close", "赵敏", "2026-11-20T18:20:00+08:00"), now="2026-11-20T18:20+08:00")
    assert problems == [f"「操作」：{REPAIR} 已是「已关闭」，「回访后关闭」不会改变什么；可做：返工"]


# -- urgent repairs, pause and resume, breaches -------------------------------------------------


def test_urgent_repair_must_be_on_site_within_30_minutes_and_a_breach_stays_recorded(desk):
    desk.submit(new_repair(urgency="紧急", reported="2026-11-20 09:00"), now="2026-11-20T09:02+08:00")
    first = desk.task("2026-11-20T09:19+08:00", REPAIR, "urgent_arrival")
    assert (first["task"], first["due"], first["status"], first["who"]) == (
        "紧急维修30分钟内到场", "2026-11-20T09:30:00+08:00", "upcoming", ["clerk", "repair"])
    assert first["explanation"] == ["开始：2026-11-20 09:00 (+08:00)（「报修时间」）", "规则：30分钟（30m）",
                                    "期限：2026-11-20 09:30 (+08:00)"]
    assert desk.task("2026-11-20T09:20+08:00", REPAIR, "urgent_arrival")["status"] == "due_soon"
    late = desk.task("2026-11-20T09:31+08:00", REPAIR, "urgent_arrival")
    assert (late["status"], late["who"]) == ("overdue", ["clerk", "repair", "dept_head"])
    # Arrival recorded afterwards with the real time it happened.
    desk.submit(action(REPAIR, "dispatch", "李娜", "2026-11-20T09:05:00+08:00", assignee="张伟"),
                action(REPAIR, "arrive", "张伟", "2026-11-20T10:00:00+08:00", arrived_at="2026-11-20 09:45"),
                now="2026-11-20T10:00+08:00")
    assert [t["clock"] for t in desk.todo("2026-11-20T10:00+08:00") if t["record"] == REPAIR] == ["finish"]
    breach = [
        "⏱ 紧急维修到场（urgent_arrival）：逾期完成，期限 2026-11-20 09:30 (+08:00)",
        "开始：2026-11-20 09:00 (+08:00)（「报修时间」）",
        "规则：30分钟（30m）",
        "期限：2026-11-20 09:30 (+08:00)",
        "完成：2026-11-20 09:45 (+08:00)，逾期完成",
    ]
    assert desk.clock(REPAIR, "urgent_arrival", "2026-11-20T10:00+08:00") == breach
    # Finish the repair, the callback closes it: the late arrival is still on its record.
    desk.submit(action(REPAIR, "start_work", "张伟", "2026-11-20T10:00:00+08:00"),
                action(REPAIR, "complete", "张伟", "2026-11-20T11:00:00+08:00", work_done="更换水龙头"),
                action(REPAIR, "confirm", "李娜", "2026-11-20T11:30:00+08:00", resident_confirmed="是"),
                action(CALLBACK, "visit", "赵敏", "2026-11-21T10:00:00+08:00", resolved="是", satisfaction="满意"),
                now="2026-11-21T10:00+08:00")
    assert desk.state(REPAIR) == "已关闭"
    assert desk.clock(REPAIR, "urgent_arrival", "2026-12-01T10:00+08:00") == breach
    assert [t for t in desk.todo("2026-12-01T10:00+08:00") if t["record"] in (REPAIR, CALLBACK)] == []


def test_non_urgent_repair_has_no_arrival_clock(desk):
    desk.submit(new_repair(urgency="一般"), now="2026-11-20T09:00+08:00")
    assert [t["clock"] for t in desk.todo("2026-11-20T09:00+08:00") if t["record"] == REPAIR] == ["finish"]


def test_late_callback_is_recorded_as_met_late(desk):
    desk.submit(new_repair(category="安全设施(消防/门禁/电梯)"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="更换门禁读卡器"),
                now="2026-11-20T16:00+08:00")
    desk.submit(action(CALLBACK, "visit", "李娜", "2026-11-23T09:00:00+08:00", resolved="是", satisfaction="基本满意"),
                now="2026-11-23T09:00+08:00")
    assert desk.clock(CALLBACK, "callback", "2026-11-28T10:00+08:00") == [
        "⏱ 维修回访（callback）：逾期完成，期限 2026-11-22 16:00 (+08:00)",
        "开始：2026-11-20 16:00 (+08:00)（「登记时间」）",
        "规则：「维修类别」为“安全设施” → 2天（日历日）（2d）",
        "期限：2026-11-22 16:00 (+08:00)",
        "完成：2026-11-23 09:00 (+08:00)，逾期完成",
    ]


def test_waiting_for_parts_pauses_the_finish_deadline(desk):
    desk.submit(new_repair(urgency="一般", reported="2026-11-20 09:00"), now="2026-11-20T09:00+08:00")
    assert desk.task("2026-11-20T09:00+08:00", REPAIR, "finish")["due"] == "2026-11-23T09:00:00+08:00"
    desk.to_work()
    desk.submit(action(REPAIR, "hold", "张伟", "2026-11-21T10:00:00+08:00"), now="2026-11-21T10:00+08:00")
    assert desk.state(REPAIR) == "暂停（等配件）"
    # While on hold the due time moves with the clock: one day on hold so far.
    held = desk.task("2026-11-22T10:00+08:00", REPAIR, "finish")
    assert (held["due"], held["status"]) == ("2026-11-24T09:00:00+08:00", "upcoming")
    assert held["explanation"] == [
        "开始：2026-11-20 09:00 (+08:00)（「报修时间」）", "规则：「紧急程度」为“一般” → 3天（日历日）（3d）",
        "「暂停（等配件）」期间共 1天，期限顺延", "期限：2026-11-24 09:00 (+08:00)"]
    desk.submit(action(REPAIR, "resume", "张伟", "2026-11-22T16:30:00+08:00"), now="2026-11-22T16:30+08:00")
    resumed = desk.task("2026-11-24T10:00+08:00", REPAIR, "finish")
    assert (resumed["due"], resumed["status"]) == ("2026-11-24T15:30:00+08:00", "due_soon")
    assert resumed["explanation"][2:] == ["「暂停（等配件）」期间共 1天6小时30分钟，期限顺延", "期限：2026-11-24 15:30 (+08:00)"]
    # Without the pause it would have been overdue by now; with it, completion at 15:00 is on time.
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-24T15:00:00+08:00", work_done="更换配件"),
                now="2026-11-24T15:00+08:00")
    assert desk.clock(REPAIR, "finish", "2026-11-24T15:00+08:00")[0] == \
        "⏱ 维修完工（finish）：按时完成，期限 2026-11-24 15:30 (+08:00)"


def test_waiting_for_parts_after_the_deadline_passed_does_not_move_it(desk):
    """Put on hold two days after the 3 days ran out: the repair was late; the hold cannot make it on time."""
    desk.submit(new_repair(urgency="一般", reported="2026-11-20 09:00"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "hold", "张伟", "2026-11-25T10:00:00+08:00"), now="2026-11-25T10:00+08:00")
    held = desk.task("2026-11-26T10:00+08:00", REPAIR, "finish")
    assert (held["due"], held["status"]) == ("2026-11-23T09:00:00+08:00", "overdue")
    assert "期限：2026-11-23 09:00 (+08:00)" in held["explanation"] and not any("期间共" in line for line in held["explanation"])


def test_roles_and_resident_price_confirmation_are_enforced(desk):
    desk.submit(new_repair(), now="2026-11-20T09:00+08:00")
    desk.submit(action(REPAIR, "dispatch", "李娜", "2026-11-20T09:05:00+08:00", assignee="张伟"),
                action(REPAIR, "arrive", "张伟", "2026-11-20T09:30:00+08:00"), now="2026-11-20T09:30+08:00")
    assert desk.refused(action(REPAIR, "start_work", "张伟", "2026-11-20T09:35:00+08:00", chargeable="是"),
                        now="2026-11-20T09:35+08:00") == [
        "有偿维修须先经住户确认价格（「住户已确认价格」填“是”），再开始施工"]
    desk.submit(action(REPAIR, "start_work", "张伟", "2026-11-20T09:36:00+08:00", chargeable="是",
                       price_confirmed="是"), now="2026-11-20T09:36+08:00")
    assert desk.refused(action(REPAIR, "complete", "李娜", "2026-11-20T10:00:00+08:00", work_done="修好"),
                        now="2026-11-20T10:00+08:00") == [
        "「经办人」：李娜（客服专员）没有权限「完工」，需要角色：维修人员、部门主管"]


# -- the rework loop ----------------------------------------------------------------------------


def test_a_callback_that_finds_a_problem_sends_the_repair_back_for_rework(desk):
    desk.submit(new_repair(category="给排水"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="更换角阀"),
                action(REPAIR, "confirm", "李娜", "2026-11-20T16:10:00+08:00", resident_confirmed="是"),
                now="2026-11-20T16:10+08:00")
    assert desk.state(REPAIR) == "待回访"
    # A problem sent back for rework cannot be filed as a plain visit (which would close the repair).
    assert desk.refused(action(CALLBACK, "visit", "赵敏", "2026-11-21T10:00:00+08:00", resolved="否", rework="是",
                               satisfaction="不满意", problem_found="角阀仍渗水"), now="2026-11-21T10:00+08:00") == [
        "需返工的请用「退回返工」，把维修单退回维修人员整改；问题未解决而不返工的，「是否退回返工」填“否”"]
    assert desk.state(REPAIR) == "待回访"
    desk.submit(action(CALLBACK, "send_back", "赵敏", "2026-11-21T10:00:00+08:00", resolved="否", rework="是",
                       satisfaction="不满意", problem_found="角阀仍渗水", visited_at="2026-11-21 09:50"),
                now="2026-11-21T10:00+08:00")
    assert (desk.state(CALLBACK), desk.state(REPAIR)) == ("已回访（退回返工）", "返工")
    callback_event = desk.doc(CALLBACK)["events"][-1]
    assert callback_event["data"]["rework"] is True
    repair = desk.doc(REPAIR)
    rework = repair["events"][-1]
    assert (rework["action"], rework["by"], rework["at"], rework["note"]) == (
        "rework", "赵敏", "2026-11-21T10:00:00+08:00", f"由 {CALLBACK}「退回返工」")
    assert rework["data"] == {"completed_at": None, "leak_test_date": None, "resident_confirmed": None}
    # The repair staff's to-do list: rework within 2 days; the first callback is done.
    mine = [t for t in desk.todo("2026-11-21T11:00+08:00") if "repair" in t["who"]]
    assert [(t["record"], t["clock"], t["task"], t["due"], t["status"]) for t in mine] == [
        (REPAIR, "rework", "回访发现问题，返工整改", "2026-11-23T10:00:00+08:00", "upcoming")]
    assert mine[0]["who"] == ["repair", "dept_head"]
    assert mine[0]["explanation"] == ["开始：2026-11-21 10:00 (+08:00)（进入「返工」）", "规则：2天（日历日）（2d）",
                                      "期限：2026-11-23 10:00 (+08:00)"]
    assert not any(t["record"] == CALLBACK for t in desk.todo("2026-11-21T11:00+08:00"))
    # Rework done by another repairer: a second callback, due 2 days after the new completion.
    desk.submit(action(REPAIR, "complete", "孙磊", "2026-11-22T15:00:00+08:00", work_done="更换整套角阀",
                       completed_at="2026-11-22 14:30"), now="2026-11-22T15:00+08:00")
    assert desk.clock(REPAIR, "rework", "2026-11-22T15:00+08:00")[-1] == "完成：2026-11-22 14:30 (+08:00)，按时完成"
    second = "HF-YG-202611-0002"
    data = desk.doc(second)["events"][0]["data"]
    assert (data["source_record"], data["registered_at"], data["repair_class"]) == (
        REPAIR, "2026-11-22T14:30+08:00", "其他")
    task = desk.task("2026-11-23T09:00+08:00", second, "callback")
    assert (task["due"], task["status"]) == ("2026-11-24T14:30:00+08:00", "upcoming")
    desk.submit(action(second, "visit", "赵敏", "2026-11-23T10:00:00+08:00", resolved="是", satisfaction="满意"),
                now="2026-11-23T10:00+08:00")
    assert (desk.state(second), desk.state(REPAIR)) == ("已回访", "已关闭")
    history = [line.split("  ", 2)[-1] for line in desk.explain(REPAIR, "2026-11-23T10:00+08:00")[1:]
               if line.startswith("  2026")]
    assert history == [
        "李娜 登记 → 待派工", "李娜 派工 → 已派工", "张伟 到场 → 已到场", "张伟 开始维修 → 维修中",
        "张伟 完工 → 待确认", "李娜 住户确认完工 → 待回访",
        f"赵敏 返工（由 {CALLBACK}「退回返工」） → 返工",
        "孙磊 完工 → 待确认",
        f"赵敏 回访后关闭（由 {second}「回访完毕」） → 已关闭",
    ]


def test_rework_reopens_a_repair_closed_before_its_callback(desk):
    desk.submit(new_repair(category="电气照明"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="更换开关"),
                action(REPAIR, "close", "赵敏", "2026-11-20T17:00:00+08:00"), now="2026-11-20T17:00+08:00")
    assert desk.state(REPAIR) == "已关闭"
    desk.submit(action(CALLBACK, "send_back", "李娜", "2026-11-21T09:00:00+08:00", resolved="否",
                       problem_found="开关接触不良", rework="是"), now="2026-11-21T09:00+08:00")
    assert desk.state(REPAIR) == "返工"
    assert desk.task("2026-11-21T09:00+08:00", REPAIR, "rework")["due"] == "2026-11-23T09:00:00+08:00"


def test_the_rework_deadline_pauses_while_waiting_for_parts(desk):
    desk.submit(new_repair(), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="更换角阀"),
                action(CALLBACK, "send_back", "李娜", "2026-11-21T09:00:00+08:00", resolved="否", rework="是",
                       problem_found="仍有渗水"),
                action(REPAIR, "hold", "张伟", "2026-11-21T14:00:00+08:00"),
                action(REPAIR, "resume", "张伟", "2026-11-22T08:00:00+08:00"),
                now="2026-11-22T08:00+08:00")
    task = desk.task("2026-11-22T09:00+08:00", REPAIR, "rework")
    assert task["due"] == "2026-11-24T03:00:00+08:00"
    assert task["explanation"][-2:] == ["「暂停（等配件）」期间共 18小时，期限顺延", "期限：2026-11-24 03:00 (+08:00)"]
    assert desk.state(REPAIR) == "维修中"
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-22T10:00:00+08:00", work_done="更换整套角阀"),
                now="2026-11-22T10:00+08:00")
    assert [(t["record"], t["clock"]) for t in desk.todo("2026-11-22T10:00+08:00") if t["form"]] == [
        ("HF-YG-202611-0002", "callback")]


def test_an_unresolved_problem_without_rework_needs_an_explicit_no(desk):
    desk.submit(new_repair(category="门窗五金"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="调整门铰链"),
                action(CALLBACK, "visit", "赵敏", "2026-11-21T10:00:00+08:00", resolved="否", rework="否",
                       satisfaction="基本满意", problem_found="门框变形，需业主自行更换"),
                now="2026-11-21T10:00+08:00")
    assert (desk.state(CALLBACK), desk.state(REPAIR)) == ("已回访", "已关闭")


def test_a_complaint_callback_has_no_repair_deadline_and_cannot_send_anything_back(desk):
    desk.ws.write("inbox/hf.yaml", """
        form: callback
        by: 赵敏
        at: 2026-11-20T15:00:00+08:00
        data:
          source_form: 投诉
          source_record: TS-YG-202611-0007
          unit: 3-2-1502
          person: 张先生
          phone: "13812345678"
          method: 电话
          visitor: 赵敏
        """)
    assert desk.ws.cli("process", "--now", "2026-11-20T15:00+08:00").code == 0
    assert [t for t in desk.todo("2026-11-20T15:00+08:00") if t["record"] == CALLBACK] == []
    assert desk.refused(action(CALLBACK, "send_back", "赵敏", "2026-11-21T10:00:00+08:00", resolved="否",
                               problem_found="仍不满意"), now="2026-11-21T10:00+08:00") == [
        "只有维修单的回访可以退回返工（「是否退回返工」不能填“否”）；投诉、便民服务请在原记录上重新处理"]


def test_simulate_shows_the_callback_a_completion_will_create(desk):
    desk.ws.write("r.yaml", new_repair(category="渗漏水"))
    result = desk.ws.cli("simulate", "repair", "--data", "r.yaml",
                         "--then", "dispatch@2026-11-20T09:05 assignee=张伟", "--then", "arrive@2026-11-20T09:20",
                         "--then", "start_work@2026-11-20T09:25",
                         "--then", "complete@2026-11-21T12:00 work_done=更换软管 leak_test_date=2026-11-22",
                         "--until", "2026-11-23T10:00")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    at = lines.index("2026-11-21 12:00 (+08:00)  完工(complete) → 待确认")
    assert "source_record=WX-SIM-202611-0001" in lines[at + 1]
    assert lines[at + 2:at + 6] == [
        "    ⏱ 维修回访（callback）：未到期，期限 2026-11-25 23:59 (+08:00)",
        "        开始：2026-11-22 23:59 (+08:00)（「试漏日期」）",
        "        规则：「维修类别」为“渗漏水” → 3天（日历日）（3d）",
        "        期限：2026-11-25 23:59 (+08:00)",
    ]


def test_a_callback_whose_repair_cannot_follow_is_refused_naming_the_repair(desk):
    """The repair went back for rework before its callback was filed: the visit cannot close it, and the
    refusal says it is the repair, not the callback, that cannot move."""
    desk.submit(new_repair(category="给排水"), now="2026-11-20T09:00+08:00")
    desk.to_work()
    desk.submit(action(REPAIR, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="更换角阀"),
                action(REPAIR, "confirm", "李娜", "2026-11-20T16:10:00+08:00", resident_confirmed="是"),
                action(REPAIR, "rework", "李娜", "2026-11-20T17:00:00+08:00", resident_opinion="又漏了"),
                now="2026-11-20T17:00+08:00")
    assert desk.state(REPAIR) == "返工"
    problems = desk.refused(action(CALLBACK, "visit", "赵敏", "2026-11-21T10:00:00+08:00", resolved="是",
                                   satisfaction="满意"), now="2026-11-21T10:00+08:00")
    assert len(problems) == 1 and problems[0].startswith(f"关联的维修派工单 {REPAIR} 不能随之「回访后关闭」：{REPAIR} 当前状态为「返工」")
    assert desk.state(CALLBACK) == "待回访" and desk.state(REPAIR) == "返工"  # nothing half-done
