"""The renovation workflow (workflows/renovation.yaml), end to end on a fixed clock.

Rules covered:

* review: no national deadline, shipped default 3 working days (``3wd``: the start day never
  counts, due at close of business 17:30 of the 3rd working day; weekends and holidays skipped,
  调休 make-up days counted) from the application, restarting when a returned application is
  resubmitted; ``3d`` instead when an office switches to calendar days, as the YAML comment says;
* 建设部令第110号: a tenant (使用人) needs the owner's written consent and a structural change needs a
  design — the approval's guard holds even where an office relaxed the form to register first;
* 违规 → 停工整改: a pause-like state, the completion deadline (计划完工日期) stands still and is
  extended by the stoppage; nothing but inspections and resuming is allowed meanwhile;
* the rest of the order: fees (cashier) before the permit, acceptance (整改 → again) before the
  deposit is refunded (refund = deposit − deductions), then archived by the supervisor.

Every due time was worked out by hand from calendar.yaml; the calendar facts each one relies on
are asserted first. Everything goes through inbox/ and ``formflow process``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from .desk import Desk as BaseDesk


class Desk(BaseDesk):
    form = "renovation"
    pattern = r"ZX-YG-\d{6}-\d{4}"
    clerk = "李娜"

    def act(self, number: str, action: str, at: str, by: str | None = None, *, ok: bool = True, **data):
        """Do ``action``; a refused one returns the problems of the rejection note."""
        result = super().act(number, action, at, by, ok=ok, **data)
        return result if ok else [line for line in result.splitlines() if re.match(r"  \d+\. ", line)]

    def clock_lines(self, number: str, now: str, key: str) -> list[str]:
        """The explain lines of one clock: its header and its indented explanation."""
        lines = self.explain(number, now)
        first = next(i for i, line in enumerate(lines) if line.startswith("  ⏱") and f"（{key}）" in line)
        rest = [line for line in lines[first + 1:]]
        end = next((i for i, line in enumerate(rest) if not line.startswith("      ")), len(rest))
        return [lines[first]] + rest[:end]

    def values(self, number: str, now: str) -> dict[str, str]:
        result = self.ws.cli("show", number, "--now", now)
        assert result.code == 0, result.err
        return dict(line.strip().split("：", 1) for line in result.out.splitlines()[1:]
                    if line.startswith("  ") and not line.startswith("   ") and "：" in line and "⏱" not in line)


def application(applied_at: str, planned_start: str, planned_end: str, **extra) -> dict:
    """An owner's application with everything 建设部令第110号 asks for; ``extra`` overrides."""
    data = {"applied_at": applied_at, "unit": "12-2-2304", "applicant": "吴国平", "applicant_role": "业主",
            "id_number": "320102199205063819", "phone": "13905173326",
            "documents": ["房屋所有权证明", "申请人身份证件", "装修方案"], "scope": "局部",
            "items": ["卫生间(防水)", "地面", "电路改造"], "description": "主卫重做防水；客厅改铺瓷砖；客厅增加两个插座。",
            "structural_change": "否", "planned_start": planned_start, "planned_end": planned_end,
            "contractor": "南京居然美家装饰工程有限公司", "licence": "D232018776", "foreman": "孙德胜",
            "foreman_phone": "13851746620", "fire_warden": "孙德胜", "clerk": "李娜"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def row(day: str, who: str, findings: str, violation: str = "否", rectification: str | None = None) -> dict:
    r = {"inspected_on": day, "inspector": who, "findings": findings, "violation": violation}
    return {**r, "rectification": rectification} if rectification else r


@pytest.fixture
def desk(workspace):
    return Desk(workspace)


# ---- the review: 3 working days ------------------------------------------------------------


def _spring_festival_2025(calendar):
    day = dt.date.fromisoformat
    assert day("2025-01-24").isoweekday() == 5                                  # Friday
    assert calendar.day_reason(day("2025-01-25")) == "周六"                      # an ordinary Saturday
    assert calendar.workdays.get(day("2025-01-26")) == "春节调休上班"              # a make-up Sunday, worked
    assert calendar.is_working_day(day("2025-01-27"))
    assert [calendar.holidays.get(day("2025-01-28") + dt.timedelta(n)) for n in range(8)] == ["春节"] * 8
    assert calendar.is_working_day(day("2025-02-05"))
    assert calendar.working_hours[-1][1] == dt.time(17, 30)


def test_review_in_3_working_days_across_a_weekend_and_the_spring_festival(desk, defs):
    _spring_festival_2025(defs.calendar)
    number = desk.create("2025-01-24T15:10+08:00", application("2025-01-24 15:00", "2025-02-10", "2025-03-31"))
    # working days after Fri 01-24: Sun 01-26 (调休) 1, Mon 01-27 2, [春节 01-28..02-04], Wed 02-05 3
    assert desk.due(number, "2025-01-24T15:10+08:00") == {
        "review": ("2025-02-05T17:30:00+08:00", "upcoming", ["supervisor"])}
    assert desk.clock_lines(number, "2025-01-24T15:10+08:00", "review") == [
        "  ⏱ 审核装修申请（review）：未到期，期限 2025-02-05 17:30 (+08:00)",
        "      开始：2025-01-24 15:00 (+08:00)（「申请时间」）",
        "      规则：3个工作日（3wd）",
        "      跳过 2025-01-25（周六）",
        *[f"      跳过 2025-{d}（春节）" for d in ("01-28", "01-29", "01-30", "01-31", "02-01", "02-02",
                                            "02-03", "02-04")],
        "      期限：2025-02-05 17:30 (+08:00)",
    ]
    # remind: [1d]; then the director is told
    assert desk.due(number, "2025-02-04T17:29+08:00")["review"][1] == "upcoming"
    assert desk.due(number, "2025-02-04T17:30+08:00")["review"][1] == "due_soon"
    assert desk.due(number, "2025-02-05T17:31+08:00") == {
        "review": ("2025-02-05T17:30:00+08:00", "overdue", ["supervisor", "director"])}
    # only the supervisor reviews
    assert desk.act(number, "approve", "2025-02-05T16:00+08:00", ok=False, reviewer="李娜") == [
        "  1. 「经办人」：李娜（客服专员）没有权限「审核同意」，需要角色：客服中心主管"]
    desk.act(number, "approve", "2025-02-05T16:00+08:00", by="赵敏", reviewer="赵敏")
    assert desk.state(number) == "已批准（待缴费）"
    assert desk.clock_lines(number, "2025-02-06T09:00+08:00", "review")[0] == (
        "  ⏱ 审核装修申请（review）：按时完成，期限 2025-02-05 17:30 (+08:00)")
    assert desk.values(number, "2025-02-06T09:00+08:00")["审核结论"] == "同意"
    assert desk.values(number, "2025-02-06T09:00+08:00")["审核日期"] == "2025-02-05"


def test_switching_the_review_to_calendar_days_as_the_yaml_comment_says(desk, defs):
    _spring_festival_2025(defs.calendar)
    path = desk.ws.root / "workflows" / "renovation.yaml"
    text = path.read_text("utf-8")
    assert text.count("due: 3wd") == 1
    path.write_text(text.replace("due: 3wd", "due: 3d"), "utf-8")
    number = desk.create("2025-01-24T15:10+08:00", application("2025-01-24 15:00", "2025-02-10", "2025-03-31"))
    # 3 calendar days at the same clock time: the weekend and the holiday are not skipped
    assert desk.due(number, "2025-01-24T15:10+08:00") == {
        "review": ("2025-01-27T15:00:00+08:00", "upcoming", ["supervisor"])}


def test_returned_for_correction_the_review_restarts_on_resubmission(desk, defs):
    cal, day = defs.calendar, dt.date.fromisoformat
    assert day("2026-09-30").isoweekday() == 3
    assert all(cal.holidays.get(day(f"2026-10-0{d}")) == "国庆节" for d in range(1, 8))
    assert cal.workdays.get(day("2026-10-10")) == "国庆节调休上班" and day("2026-10-10").isoweekday() == 6
    number = desk.create("2026-09-30T10:05+08:00", application("2026-09-30 10:00", "2026-10-20", "2026-11-30"))
    # 10-01..10-07 国庆节 skipped; Thu 10-08 1, Fri 10-09 2, Sat 10-10 (调休上班) 3
    assert desk.due(number, "2026-09-30T10:05+08:00") == {
        "review": ("2026-10-10T17:30:00+08:00", "upcoming", ["supervisor"])}

    assert desk.act(number, "return_for_fix", "2026-10-09T10:00+08:00", by="赵敏", ok=False) == [
        "  1. 「审核意见」：「退回补正」时必须填写"]
    desk.act(number, "return_for_fix", "2026-10-09T10:00+08:00", by="赵敏", reviewer="赵敏",
             review_opinion="施工单位资质证书复印件、施工人员身份证复印件未交，请补交")
    assert desk.state(number) == "退回补正"
    assert desk.due(number, "2026-10-09T10:00+08:00") == {}
    assert desk.values(number, "2026-10-09T10:00+08:00")["审核结论"] == "退回补正"

    desk.act(number, "resubmit", "2026-10-12T09:00+08:00", documents=[
        "房屋所有权证明", "申请人身份证件", "装修方案", "施工单位资质证书复印件", "施工人员身份证复印件"])
    assert desk.state(number) == "已申请（待审核）"
    # a fresh 3 working days from the resubmission: Tue 10-13, Wed 10-14, Thu 10-15
    assert desk.clock_lines(number, "2026-10-12T09:00+08:00", "review") == [
        "  ⏱ 审核装修申请（review）：未到期，期限 2026-10-15 17:30 (+08:00)",
        "      开始：2026-10-12 09:00 (+08:00)（「补正后重新提交」）",
        "      规则：3个工作日（3wd）",
        "      期限：2026-10-15 17:30 (+08:00)",
    ]
    desk.act(number, "approve", "2026-10-13T11:00+08:00", by="赵敏", reviewer="赵敏")
    assert desk.values(number, "2026-10-13T11:00+08:00")["审核结论"] == "同意"


def test_refused_is_final(desk):
    number = desk.create("2026-11-23T10:00+08:00", application("2026-11-23 09:40", "2026-11-30", "2027-01-15"))
    desk.act(number, "refuse", "2026-11-24T10:00+08:00", by="陈建国", reviewer="陈建国",
             review_opinion="拟拆除阳台与卧室之间的承重墙，不符合安全要求")
    assert desk.state(number) == "不同意装修"
    assert desk.due(number, "2026-11-24T10:00+08:00") == {}
    assert desk.act(number, "resubmit", "2026-11-25T10:00+08:00", ok=False, scope="翻新")[0].endswith(
        "当前状态为「不同意装修」，不能「补正后重新提交」；可做：无（记录已关闭）")


# ---- 建设部令第110号 on approval ---------------------------------------------------------------

GUARD = ("  1. 不能审核同意：使用人（非业主）装修须提交业主书面同意书；变动建筑主体或承重结构的须提交设计方案。"
         "请「退回补正」，补齐材料后再审核")


def _relax_form(ws) -> None:
    """An office that registers applications before the consent or design is in (its own form edit)."""
    path = ws.root / "forms" / "renovation.yaml"
    text = path.read_text("utf-8")
    for line in ('        constraint: "${.} == True"\n',
                 "        constraint_message: 使用人装修须取得业主书面同意，未提交同意书的不予登记\n",
                 '        required: "${structural_change}"\n'):
        assert text.count(line) == 1, line
        text = text.replace(line, "")
    path.write_text(text, "utf-8")


def test_a_tenant_without_the_owners_consent_is_not_approved(desk):
    _relax_form(desk.ws)
    number = desk.create("2026-11-23T10:00+08:00", application(
        "2026-11-23 09:40", "2026-11-30", "2027-01-15", applicant="杨帆", applicant_role="使用人",
        owner_name="吴国平", owner_consent="否"))
    assert desk.act(number, "approve", "2026-11-24T10:00+08:00", by="赵敏", ok=False, reviewer="赵敏") == [GUARD]
    desk.act(number, "return_for_fix", "2026-11-24T10:05+08:00", by="赵敏", review_opinion="请补交业主书面同意书")
    desk.act(number, "resubmit", "2026-11-25T09:00+08:00", owner_consent="是")
    desk.act(number, "approve", "2026-11-25T10:00+08:00", by="赵敏", reviewer="赵敏")
    assert desk.state(number) == "已批准（待缴费）"


def test_a_structural_change_without_a_design_is_not_approved(desk):
    _relax_form(desk.ws)
    number = desk.create("2026-11-23T10:00+08:00", application(
        "2026-11-23 09:40", "2026-11-30", "2027-01-15", structural_change="是"))
    assert desk.act(number, "approve", "2026-11-24T10:00+08:00", by="赵敏", ok=False, reviewer="赵敏") == [GUARD]
    desk.act(number, "return_for_fix", "2026-11-24T10:05+08:00", by="赵敏", review_opinion="请补交设计方案")
    desk.act(number, "resubmit", "2026-11-25T09:00+08:00", design_doc="南京市建筑设计研究院 结构变更设计 JG-2026-0331")
    desk.act(number, "approve", "2026-11-25T10:00+08:00", by="赵敏", reviewer="赵敏")
    assert desk.state(number) == "已批准（待缴费）"


# ---- permit, 违规停工整改, acceptance, refund --------------------------------------------------


def test_from_permit_through_a_stoppage_and_acceptance_to_the_archive(desk):
    number = desk.create("2026-11-23T10:00+08:00", application(
        "2026-11-23 09:40", "2026-11-30", "2027-01-15", applicant="杨帆", applicant_role="使用人",
        owner_name="吴国平", owner_consent="是"))
    desk.act(number, "approve", "2026-11-24T10:00+08:00", by="赵敏", reviewer="赵敏",
             review_opinion="同意；卫生间防水完工后须闭水试验 48 小时，经物业查验后方可封闭")
    # no permit before the fees; the fees are the cashier's
    assert desk.act(number, "issue_permit", "2026-11-25T09:00+08:00", ok=False, permit_no="ZXXK-2026-118")[0].endswith(
        "当前状态为「已批准（待缴费）」，不能「发证」；可做：撤回申请、缴纳装修费用")
    assert desk.act(number, "pay", "2026-11-25T09:10+08:00", ok=False, deposit=2000, receipt_no="SJ0018") == [
        "  1. 「经办人」：李娜（客服专员）没有权限「缴纳装修费用」，需要角色：收费员"]
    desk.act(number, "pay", "2026-11-25T09:20+08:00", by="郑丽", deposit=2000, management_fee=360, debris_fee=300,
             pass_fee=20, receipt_no="SJ20261125018")
    desk.act(number, "issue_permit", "2026-11-25T09:30+08:00", permit_no="ZXXK-2026-118")
    assert desk.state(number) == "已发证/施工中"
    # the works must be done by the planned end date (a date: its end of day)
    assert desk.due(number, "2026-11-25T09:30+08:00") == {
        "completion": ("2027-01-15T23:59:00+08:00", "upcoming", ["clerk"])}

    first = row("2026-12-02", "张伟", "卫生间防水层已涂刷，闭水试验进行中")
    desk.act(number, "inspect", "2026-12-02T10:00+08:00", by="张伟", site_inspections=[first])
    second = row("2026-12-07", "刘强", "在客厅承重墙上开横槽敷设电线", "是", "立即停工，恢复墙体，改为沿原线管穿线")
    assert desk.act(number, "stop_work", "2026-12-07T10:00+08:00", by="张伟", ok=False,
                    site_inspections=[first, second]) == [
        "  1. 「经办人」：张伟（维修人员）没有权限「违规停工整改」，需要角色：客服中心主管、部门主管"]
    desk.act(number, "stop_work", "2026-12-07T10:00+08:00", by="刘强", site_inspections=[first, second])
    assert desk.state(number) == "停工整改"
    # while stopped: no acceptance; the completion deadline stands still (2 days stopped so far)
    assert desk.act(number, "request_acceptance", "2026-12-09T10:00+08:00", ok=False)[0].endswith(
        "当前状态为「停工整改」，不能「申请竣工验收」；可做：施工巡查、整改完毕复工")
    assert desk.due(number, "2026-12-09T10:00+08:00") == {
        "completion": ("2027-01-17T23:59:00+08:00", "upcoming", ["clerk"])}
    third = row("2026-12-10", "刘强", "墙体已恢复，电线改走原线管，复查合格")
    desk.act(number, "resume", "2026-12-10T10:00+08:00", by="刘强", site_inspections=[first, second, third])
    assert desk.state(number) == "已发证/施工中"
    # stopped exactly 3 days: the deadline moves from 2027-01-15 23:59 to 2027-01-18 23:59
    assert desk.clock_lines(number, "2026-12-10T10:00+08:00", "completion") == [
        "  ⏱ 按期完工并申请验收（completion）：未到期，期限 2027-01-18 23:59 (+08:00)",
        "      开始：2026-11-25 09:30 (+08:00)（「发证」）",
        "      规则：按「计划完工日期」（2027-01-15，取代默认规则）",
        "      「停工整改」期间共 3天，期限顺延",
        "      期限：2027-01-18 23:59 (+08:00)",
    ]
    # without the pause this would be due soon on 01-15 and overdue on 01-16 (remind: [3d])
    assert desk.due(number, "2027-01-15T10:00+08:00")["completion"][1] == "upcoming"
    assert desk.due(number, "2027-01-16T00:30+08:00")["completion"][1] == "due_soon"
    assert desk.due(number, "2027-01-19T00:30+08:00") == {
        "completion": ("2027-01-18T23:59:00+08:00", "overdue", ["clerk", "supervisor"])}

    desk.act(number, "request_acceptance", "2027-01-12T09:00+08:00")
    assert desk.act(number, "pass_acceptance", "2027-01-13T10:00+08:00", by="刘强", ok=False, acceptance="整改",
                    accepted_on="2027-01-13", acceptor="刘强") == [
        "  1. 验收结果不是“合格”，不能按合格办理；需要整改的请办理「验收整改」"]
    desk.act(number, "require_rectification", "2027-01-13T10:00+08:00", by="刘强", acceptance="整改",
             accepted_on="2027-01-13", acceptor="刘强")
    assert desk.state(number) == "验收整改中"
    assert desk.act(number, "refund_deposit", "2027-01-14T10:00+08:00", by="郑丽", ok=False, refund=2000)[0].endswith(
        "当前状态为「验收整改中」，不能「退还保证金」；可做：整改后再次申请验收")
    desk.act(number, "reapply_acceptance", "2027-01-15T09:00+08:00")
    desk.act(number, "pass_acceptance", "2027-01-15T10:00+08:00", by="刘强", acceptance="合格",
             accepted_on="2027-01-15", acceptor="刘强")
    assert desk.state(number) == "验收合格（待退保证金）"

    assert desk.act(number, "refund_deposit", "2027-01-18T10:00+08:00", by="郑丽", ok=False, refund=1500) == [
        "  1. 「退还保证金」：退还保证金应等于装修保证金减去扣款金额"]
    desk.act(number, "refund_deposit", "2027-01-18T10:00+08:00", by="郑丽", refund=1500, deductions=500,
             deduction_reason="承重墙开槽恢复费用")
    assert desk.act(number, "archive", "2027-01-18T11:00+08:00", ok=False) == [
        "  1. 「经办人」：李娜（客服专员）没有权限「归档」，需要角色：客服中心主管"]
    desk.act(number, "archive", "2027-01-18T11:00+08:00", by="赵敏")

    lines = desk.explain(number, "2027-01-20T09:00+08:00")
    assert lines[0] == f"{number} 装修申请及许可证：当前状态「已归档」（截至 2027-01-20 09:00 (+08:00)）"
    assert [line.split(")  ", 1)[1] for line in lines[1:14]] == [
        "李娜 登记 → 已申请（待审核）",
        "赵敏 审核同意 → 已批准（待缴费）",
        "郑丽 缴纳装修费用 → 已缴费（待发证）",
        "李娜 发证 → 已发证/施工中",
        "张伟 施工巡查 → 已发证/施工中",
        "刘强 违规停工整改 → 停工整改",
        "刘强 整改完毕复工 → 已发证/施工中",
        "李娜 申请竣工验收 → 已申请验收（待验收）",
        "刘强 验收整改 → 验收整改中",
        "李娜 整改后再次申请验收 → 已申请验收（待验收）",
        "刘强 验收合格 → 验收合格（待退保证金）",
        "郑丽 退还保证金 → 已退保证金（待归档）",
        "赵敏 归档 → 已归档",
    ]
    # the clocks keep their verdicts: the review met (3 working days from Mon 11-23 09:40), the works in time
    assert lines[14] == "  ⏱ 审核装修申请（review）：按时完成，期限 2026-11-26 17:30 (+08:00)"
    assert "  ⏱ 按期完工并申请验收（completion）：按时完成，期限 2027-01-18 23:59 (+08:00)" in lines
    values = desk.values(number, "2027-01-20T09:00+08:00")
    assert (values["验收结果"], values["扣款金额"], values["退还保证金"], values["退款日期"]) == (
        "合格", "500.00", "1500.00", "2027-01-18")
