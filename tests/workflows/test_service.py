"""The convenience-service workflow (workflows/service.yaml), end to end on a fixed clock.

The manual's order is strict (五、便民服务、委托服务): details agreed → agreement signed → department
notified → service at the agreed time → the owner inspects and accepts (不合格 → 返工, again) →
the agreed fee collected and a receipt issued → callback → archived. "验收合格后，收取约定的服务费用，
开具票据": no fee before acceptance; a receipt number only with the fee and never a fee without one
(forms/service.yaml requires 「票据号」 once 「实收金额」 > 0, so the two are one step, 收费开票, as in
the form's own flow line; the step's guard holds both ways); no callback before it. Each out-of-order action is dropped into the inbox like any
other file and must come back in outbox/rejected/ with a Chinese explanation.

Deadlines: the visit is due at the agreed time (「约定服务时间」); the callback is the shipped
default of 2 calendar days after 收费开票 (the manual sets none for services).
"""

from __future__ import annotations

import re

import pytest

from .desk import Desk as BaseDesk

REGISTERED = "2026-11-25T10:20+08:00"


class Desk(BaseDesk):
    form = "service"
    pattern = r"FW-YG-\d{6}-\d{4}"


def agreement(**extra) -> dict:
    """What is agreed at the desk: item, area, time, fee and expected result (manual, step 3)."""
    data = {"registered_at": "2026-11-25 10:15", "unit": "7-1-1203", "customer": "陈志强", "phone": "13926817452",
            "service_item": "开荒保洁", "service_area": 118.6, "agreed_time": "2026-11-27 09:00",
            "unit_price": 6.5, "quantity": 118.6, "agreed_fee": 770.90,
            "expected_result": "全屋去除装修残留的水泥点、胶渍和灰尘，地面无污渍，垃圾清运出户。",
            "clerk": "王芳", "department": "环境部"}
    data.update(extra)
    return data


def rejection(note: str) -> list[str]:
    """The numbered problems of a rejection note."""
    return [line for line in note.splitlines() if re.match(r"  \d+\. ", line)]


@pytest.fixture
def desk(workspace):
    return Desk(workspace)


def test_the_manual_order_is_enforced_step_by_step(desk):
    number = desk.create(REGISTERED, agreement())
    assert desk.state(number) == "已商定（待签协议）"

    # a fee before anything was done: refused, the whole slip says why and what can be done
    note = desk.act(number, "collect_fee", "2026-11-25T10:25+08:00", ok=False, amount_paid=770.90, collector="王芳")
    assert note == (
        "文件：002.yaml\n收到时间：2026-11-25 10:25\n结果：未登记，原文件已移到此处（退回文件夹）。\n\n问题：\n"
        f"  1. 「操作」：{number} 当前状态为「已商定（待签协议）」，不能「收费开票」；可做：签订协议、取消服务\n\n"
        "处理办法：按上面的说明改正后，把文件重新放入收件箱文件夹。\n")

    desk.act(number, "sign", "2026-11-25T10:30+08:00")
    # nobody goes to the door before the department is notified
    assert rejection(desk.act(number, "start", "2026-11-25T10:35+08:00", by="吴静", ok=False, staff="保洁组")) == [
        f"  1. 「操作」：{number} 当前状态为「已签协议（待通知部门）」，不能「上门服务」；可做：通知部门、取消服务"]
    desk.act(number, "notify", "2026-11-25T10:40+08:00", department="环境部")
    assert "  通知部门时间：2026-11-25T10:40+08:00" in desk.show(number, "2026-11-25T10:40+08:00")

    # the visit is due at the agreed time, due soon 2 hours before, then the supervisor is told
    assert desk.due(number, "2026-11-27T06:59+08:00") == {
        "on_time": ("2026-11-27T09:00:00+08:00", "upcoming", ["dept_head", "clerk"])}
    assert desk.due(number, "2026-11-27T07:00+08:00")["on_time"][1] == "due_soon"
    assert desk.due(number, "2026-11-27T09:01+08:00") == {
        "on_time": ("2026-11-27T09:00:00+08:00", "overdue", ["dept_head", "clerk", "supervisor"])}
    desk.act(number, "start", "2026-11-27T08:50+08:00", by="吴静", staff="吴静安排保洁组 3 人")
    desk.act(number, "finish", "2026-11-27T16:30+08:00", by="吴静")
    assert desk.state(number) == "服务完毕（待业主验收）"

    # no fee before the owner's acceptance
    assert rejection(desk.act(number, "collect_fee", "2026-11-27T16:40+08:00", ok=False,
                              amount_paid=770.90, collector="王芳")) == [
        f"  1. 「操作」：{number} 当前状态为「服务完毕（待业主验收）」，不能「收费开票」；"
        "可做：业主验收合格、验收不合格，返工"]
    # 不合格 cannot be booked as an acceptance ...
    assert rejection(desk.act(number, "accept", "2026-11-27T16:45+08:00", ok=False, acceptance="不合格",
                              acceptance_note="阳台玻璃轨道仍有水泥点")) == [
        "  1. 验收结果为“不合格”的不能按合格办理，请办理「验收不合格，返工」"]
    # ... it sends the work back, with the problem written down
    assert "  1. 「验收意见」：必填项未填写（因为「验收结果」为“不合格”）" in rejection(
        desk.act(number, "reject_work", "2026-11-27T16:50+08:00", ok=False, acceptance="不合格"))
    desk.act(number, "reject_work", "2026-11-27T16:50+08:00", acceptance="不合格",
             acceptance_note="阳台玻璃轨道仍有水泥点，次卫地面有胶渍")
    assert desk.state(number) == "验收不合格（返工中）"
    assert rejection(desk.act(number, "collect_fee", "2026-11-27T17:00+08:00", ok=False,
                              amount_paid=770.90, collector="王芳"))[0].endswith(
        "当前状态为「验收不合格（返工中）」，不能「收费开票」；可做：服务完毕，请业主验收")
    desk.act(number, "finish", "2026-11-28T09:30+08:00", by="吴静")
    # a receipt number cannot be slipped in before the fee
    assert rejection(desk.act(number, "accept", "2026-11-28T09:40+08:00", ok=False, acceptance="返工后合格",
                              receipt_no="FP20261128003")) == [
        "  1. 「票据号」：「业主验收合格」时不能填写此项；可填写：「验收结果」、「验收意见」"]
    desk.act(number, "accept", "2026-11-28T09:40+08:00", acceptance="返工后合格")
    assert desk.state(number) == "验收合格（待收费开票）"
    # no callback before the fee; the fee is the cashier's; a fee always comes with its receipt
    assert rejection(desk.act(number, "callback", "2026-11-28T09:45+08:00", by="李娜", ok=False)) == [
        f"  1. 「操作」：{number} 当前状态为「验收合格（待收费开票）」，不能「回访」；可做：收费开票"]
    assert rejection(desk.act(number, "collect_fee", "2026-11-28T09:50+08:00", by="李娜", ok=False,
                              amount_paid=770.90, receipt_no="FP20261128003", collector="李娜")) == [
        "  1. 「经办人」：李娜（客服专员）没有权限「收费开票」，需要角色：收费员"]
    assert rejection(desk.act(number, "collect_fee", "2026-11-28T09:55+08:00", ok=False,
                              amount_paid=770.90, collector="王芳")) == [
        "  1. 收了费（实收金额大于 0）必须同时开具票据、填写「票据号」；免费服务（实收金额为 0）不开票据，请删去「票据号」"]
    desk.act(number, "collect_fee", "2026-11-28T10:10+08:00", amount_paid=770.90, receipt_no="FP20261128003",
             collector="王芳")
    assert desk.state(number) == "已收费开票（待回访）"
    # the callback: 2 calendar days after 收费开票, same clock time; due soon the day before
    assert desk.due(number, "2026-11-29T10:09+08:00") == {
        "callback": ("2026-11-30T10:10:00+08:00", "upcoming", ["clerk"])}
    assert desk.due(number, "2026-11-29T10:10+08:00") == {
        "callback": ("2026-11-30T10:10:00+08:00", "due_soon", ["clerk"])}
    assert desk.due(number, "2026-11-30T10:11+08:00") == {
        "callback": ("2026-11-30T10:10:00+08:00", "overdue", ["clerk", "supervisor"])}
    desk.act(number, "callback", "2026-11-29T15:00+08:00", by="李娜")
    assert rejection(desk.act(number, "archive", "2026-11-29T15:10+08:00", by="李娜", ok=False)) == [
        "  1. 「经办人」：李娜（客服专员）没有权限「归档」，需要角色：客服中心主管"]
    desk.act(number, "archive", "2026-11-29T15:10+08:00", by="赵敏")

    lines = desk.explain(number, "2026-11-30T09:00+08:00")
    assert lines[0] == f"{number} 便民/委托服务协议：当前状态「已归档」（截至 2026-11-30 09:00 (+08:00)）"
    assert lines[1:15] == [
        "  2026-11-25 10:20 (+08:00)  王芳 登记 → 已商定（待签协议）",
        "  2026-11-25 10:30 (+08:00)  王芳 签订协议 → 已签协议（待通知部门）",
        "  2026-11-25 10:40 (+08:00)  王芳 通知部门 → 已通知部门（待上门服务）",
        "  2026-11-27 08:50 (+08:00)  吴静 上门服务 → 服务中",
        "  2026-11-27 16:30 (+08:00)  吴静 服务完毕，请业主验收 → 服务完毕（待业主验收）",
        "  2026-11-27 16:50 (+08:00)  王芳 验收不合格，返工 → 验收不合格（返工中）",
        "  2026-11-28 09:30 (+08:00)  吴静 服务完毕，请业主验收 → 服务完毕（待业主验收）",
        "  2026-11-28 09:40 (+08:00)  王芳 业主验收合格 → 验收合格（待收费开票）",
        "  2026-11-28 10:10 (+08:00)  王芳 收费开票 → 已收费开票（待回访）",
        "  2026-11-29 15:00 (+08:00)  李娜 回访 → 已回访（待归档）",
        "  2026-11-29 15:10 (+08:00)  赵敏 归档 → 已归档",
        "  ⏱ 按约定时间上门服务（on_time）：按时完成，期限 2026-11-27 09:00 (+08:00)",
        "      开始：2026-11-25 10:20 (+08:00)（登记）",
        "      规则：按「约定服务时间」（2026-11-27 09:00 (+08:00)，取代默认规则）",
    ]
    assert "  ⏱ 便民服务回访（callback）：按时完成，期限 2026-11-30 10:10 (+08:00)" in lines
    shown = desk.show(number, "2026-11-30T09:00+08:00")
    assert ["  验收结果：返工后合格", "  实收金额：770.90", "  票据号：FP20261128003", "  收费人：王芳"] == [
        line for line in shown if line.split("：")[0].strip() in {"验收结果", "实收金额", "票据号", "收费人"}]


def test_a_free_service_gets_no_receipt_but_still_its_callback(desk):
    number = desk.create(REGISTERED, agreement(service_item="更换灯具/开关插座", service_area=None, unit_price=0,
                                               quantity=1, agreed_fee=0, department="工程维修部",
                                               expected_result="客厅吊灯正常点亮"))
    for action, at, by, data in [
        ("sign", "2026-11-25T10:30+08:00", "王芳", {}),
        ("notify", "2026-11-25T10:40+08:00", "王芳", {"department": "工程维修部"}),
        ("start", "2026-11-27T09:00+08:00", "张伟", {"staff": "张伟"}),
        ("finish", "2026-11-27T09:40+08:00", "张伟", {}),
        ("accept", "2026-11-27T09:45+08:00", "王芳", {"acceptance": "合格"}),
    ]:
        desk.act(number, action, at, by=by, **data)
    # nothing was collected, so no receipt is issued
    assert rejection(desk.act(number, "collect_fee", "2026-11-27T09:50+08:00", ok=False, amount_paid=0,
                              receipt_no="FP0001", collector="王芳")) == [
        "  1. 收了费（实收金额大于 0）必须同时开具票据、填写「票据号」；免费服务（实收金额为 0）不开票据，请删去「票据号」"]
    desk.act(number, "collect_fee", "2026-11-27T09:50+08:00", amount_paid=0, collector="王芳")
    assert desk.state(number) == "已收费开票（待回访）"
    assert desk.due(number, "2026-11-28T09:00+08:00") == {
        "callback": ("2026-11-29T09:50:00+08:00", "upcoming", ["clerk"])}
    desk.act(number, "callback", "2026-11-28T10:00+08:00", by="李娜")
    assert desk.state(number) == "已回访（待归档）"


def test_cancelled_before_the_visit_drops_the_deadline(desk):
    number = desk.create(REGISTERED, agreement())
    desk.act(number, "sign", "2026-11-25T10:30+08:00")
    desk.act(number, "notify", "2026-11-25T10:40+08:00", department="环境部")
    desk.act(number, "cancel", "2026-11-26T09:00+08:00", by="李娜")
    assert desk.state(number) == "已取消"
    assert desk.due(number, "2026-11-27T10:00+08:00") == {}
    assert rejection(desk.act(number, "start", "2026-11-27T08:50+08:00", by="吴静", ok=False, staff="保洁组")) == [
        f"  1. 「操作」：{number} 当前状态为「已取消」，不能「上门服务」；可做：无（记录已关闭）"]
