"""The move-in workflow (workflows/movein.yaml), end to end through the inbox pipeline.

Order (forms.md, 入住登记 "Flow:"): 登记确认 → 验房 (整改中: back to the developer, re-inspected, as
often as needed) → 签文件 → 缴费 → 领资料 → 交钥匙/已入住 → 归档. Each step only after the one
before it; fees are the cashier's (收费员), archiving the supervisor's. Two checks from the form's
own hints: 前期物业服务协议/临时公约 and 物业收费协议 are signed by every household, and the
住宅质量保证书 and 住宅使用说明书 must be handed over. The manual sets no move-in deadlines, so
the workflow has no clocks: nothing appears on the to-do list.
"""

from __future__ import annotations

import json
import re

import pytest

from .desk import Desk as BaseDesk


class Desk(BaseDesk):
    form = "movein"
    pattern = r"RZ-YG-\d{6}-\d{4}"
    clerk = "王芳"

    def act(self, number: str, action: str, at: str, by: str | None = None, *, ok: bool = True, **data):
        """Do ``action``; a refused one returns the problems of the rejection note."""
        result = super().act(number, action, at, by, ok=ok, **data)
        return result if ok else [line for line in result.splitlines() if re.match(r"  \d+\. ", line)]

    def todo(self, now: str) -> list[dict]:
        result = self.ws.cli("todo", "--format", "json", "--now", now)
        assert result.code == 0, result.err
        return json.loads(result.out)


REGISTRATION = {
    "registered_at": "2026-11-21 09:00", "unit": "7-1-1203", "owner_name": "陈志强", "gender": "男",
    "id_type": "身份证", "id_number": "440305198703152315", "phone": "13926817452",
    "emergency_contact": "林晓燕（配偶）", "emergency_phone": "13760239185", "occupant_type": "业主",
    "members": [{"member_name": "林晓燕", "relation": "配偶"}], "deed_number": "深房买字（2025）第 NS0317762 号",
    "notice_number": "RZTZ-2026-0412", "clerk": "王芳",
}
ALL_PASS = [{"item": "入户门及门锁", "passed": "是"}, {"item": "墙面", "passed": "是"}, {"item": "给排水", "passed": "是"}]


def history(lines: list[str]) -> list[str]:
    """Who did what → which state, from explain's history lines."""
    return [line.split(")  ", 1)[1] for line in lines[1:] if re.match(r"  \d{4}-\d\d-\d\d ", line)]


@pytest.fixture
def desk(workspace):
    return Desk(workspace)


def test_the_whole_move_in_in_order(desk):
    number = desk.create("2026-11-21T09:05+08:00", REGISTRATION)
    assert desk.state(number) == "已登记（待确认）"
    # no step can be skipped: keys before anything else
    assert desk.act(number, "hand_over_keys", "2026-11-21T09:06+08:00", ok=False, keys_count=6)[0] == (
        f"  1. 「操作」：{number} 当前状态为「已登记（待确认）」，不能「交钥匙（入住）」；"
        "可做：登记确认、取消办理")
    desk.act(number, "confirm", "2026-11-21T09:10+08:00")
    assert desk.act(number, "inspect", "2026-11-21T09:40+08:00", by="赵敏", ok=False, inspected_on="2026-11-21",
                    inspector="赵敏") == ["  1. 「验房记录」：「验房」时必须填写"]
    desk.act(number, "inspect", "2026-11-21T09:40+08:00", by="赵敏", inspected_on="2026-11-21", inspector="赵敏",
             inspection_items=ALL_PASS)
    assert desk.state(number) == "已验房（待签文件）"

    assert desk.act(number, "sign_documents", "2026-11-21T10:00+08:00", ok=False,
                    docs_signed=["前期物业服务协议/临时公约", "车位管理协议"]) == [
        "  1. 前期物业服务协议/临时公约和物业收费协议每户必签，两份都签署后才能办理「签署文件」"]
    desk.act(number, "sign_documents", "2026-11-21T10:00+08:00",
             docs_signed=["前期物业服务协议/临时公约", "物业收费协议", "车位管理协议"])
    assert desk.state(number) == "已签文件（待缴费）"

    fees = [{"fee_item": "物业服务费", "fee_period": "2026年12月至2027年5月", "fee_amount": 2376.00,
             "fee_receipt": "0026871"}]
    assert desk.act(number, "pay_fees", "2026-11-21T10:10+08:00", by="李娜", ok=False, fees=fees,
                    billing_start="2026-12-01") == [
        "  1. 「经办人」：李娜（客服专员）没有权限「缴费」，需要角色：收费员"]
    desk.act(number, "pay_fees", "2026-11-21T10:15+08:00", by="郑丽", fees=fees, billing_start="2026-12-01")
    assert desk.state(number) == "已缴费（待领资料）"

    assert desk.act(number, "receive_documents", "2026-11-21T10:20+08:00", ok=False,
                    docs_received=["住宅质量保证书", "业主手册"]) == [
        "  1. 《住宅质量保证书》和《住宅使用说明书》必须交给业主，两份都领取后才能办理「领取资料」"]
    desk.act(number, "receive_documents", "2026-11-21T10:20+08:00",
             docs_received=["住宅质量保证书", "住宅使用说明书", "业主手册"])
    assert desk.state(number) == "已领资料（待交钥匙）"

    assert desk.act(number, "hand_over_keys", "2026-11-21T10:30+08:00", ok=False, water_meter=3.5,
                    power_meter=12.8, keys_count=6)[0] == (
        "  1. 「钥匙领取人」：必填项未填写（因为「钥匙」已填写或「门禁卡」已填写）")
    desk.act(number, "hand_over_keys", "2026-11-21T10:30+08:00", water_meter=3.5, power_meter=12.8, gas_meter=0.6,
             keys_count=6, cards_count=3, key_receiver="陈志强", movein_date="2026-11-21")
    assert desk.state(number) == "已交钥匙/已入住"

    assert desk.act(number, "archive", "2026-11-21T11:00+08:00", ok=False) == [
        "  1. 「经办人」：王芳（客服专员、收费员）没有权限「归档」，需要角色：客服中心主管"]
    desk.act(number, "archive", "2026-11-21T11:00+08:00", by="赵敏")

    lines = desk.explain(number, "2026-11-28T10:00+08:00")
    assert lines[0] == f"{number} 入住登记表：当前状态「已归档」（截至 2026-11-28 10:00 (+08:00)）"
    assert history(lines) == [
        "王芳 登记 → 已登记（待确认）",
        "王芳 登记确认 → 已确认（待验房）",
        "赵敏 验房 → 已验房（待签文件）",
        "王芳 签署文件 → 已签文件（待缴费）",
        "郑丽 缴费 → 已缴费（待领资料）",
        "王芳 领取资料 → 已领资料（待交钥匙）",
        "王芳 交钥匙（入住） → 已交钥匙/已入住",
        "赵敏 归档 → 已归档",
    ]
    assert lines[-1] == "  （没有计时 no clocks）"
    shown = desk.show(number, "2026-11-28T10:00+08:00")
    assert "  交钥匙日期：2026-11-21" in shown  # filled in by the hand-over (the day it was done)
    assert "  钥匙领取人：陈志强" in shown and "  物业费起计日期：2026-12-01" in shown
    assert [t for t in desk.todo("2026-11-21T10:00+08:00") if t["form"] == "movein"] == []


def test_inspection_problems_go_back_to_the_developer_until_they_pass(desk):
    number = desk.create("2026-11-21T09:05+08:00", REGISTRATION)
    desk.act(number, "confirm", "2026-11-21T09:10+08:00")
    failing = [{"item": "入户门及门锁", "passed": "是"},
               {"item": "客厅及卧室墙面", "passed": "否", "problem": "主卧北墙靠窗处有一道约 40 厘米的裂缝"},
               {"item": "给排水", "passed": "否", "problem": "次卫地漏排水缓慢，疑似堵塞"}]
    desk.act(number, "inspect", "2026-11-21T09:40+08:00", by="赵敏", inspected_on="2026-11-21", inspector="赵敏",
             inspection_items=failing, owner_opinion="整改后再收房")
    assert desk.act(number, "rectify", "2026-11-21T09:50+08:00", ok=False) == [
        "  1. 「房管员意见」：「转建设单位整改」时必须填写"]
    desk.act(number, "rectify", "2026-11-21T09:50+08:00", inspector_opinion="两处问题转建设单位整改，整改后复验")
    assert desk.state(number) == "整改中（待复验）"
    # nothing is signed while the house is being put right
    assert desk.act(number, "sign_documents", "2026-11-22T10:00+08:00", ok=False,
                    docs_signed=["前期物业服务协议/临时公约", "物业收费协议"])[0] == (
        f"  1. 「操作」：{number} 当前状态为「整改中（待复验）」，不能「签署文件」；可做：复验、取消办理")

    still = [failing[0], {**failing[1], "passed": "是", "problem": None}, failing[2]]
    still[1] = {k: v for k, v in still[1].items() if v is not None}
    desk.act(number, "reinspect", "2026-11-28T10:00+08:00", by="赵敏", inspected_on="2026-11-28",
             inspection_items=still)
    assert desk.state(number) == "已验房（待签文件）"
    desk.act(number, "rectify", "2026-11-28T10:10+08:00", inspector_opinion="地漏仍排水缓慢，再次转建设单位")
    desk.act(number, "reinspect", "2026-12-03T15:00+08:00", by="赵敏", inspected_on="2026-12-03",
             inspection_items=ALL_PASS, owner_opinion="问题已整改，同意收房")
    desk.act(number, "sign_documents", "2026-12-03T15:30+08:00",
             docs_signed=["前期物业服务协议/临时公约", "物业收费协议"])
    assert desk.state(number) == "已签文件（待缴费）"
    assert history(desk.explain(number, "2026-12-03T16:00+08:00")) == [
        "王芳 登记 → 已登记（待确认）",
        "王芳 登记确认 → 已确认（待验房）",
        "赵敏 验房 → 已验房（待签文件）",
        "王芳 转建设单位整改 → 整改中（待复验）",
        "赵敏 复验 → 已验房（待签文件）",
        "王芳 转建设单位整改 → 整改中（待复验）",
        "赵敏 复验 → 已验房（待签文件）",
        "王芳 签署文件 → 已签文件（待缴费）",
    ]
    assert "  验房日期：2026-12-03" in desk.show(number, "2026-12-03T16:00+08:00")


def test_cancelled_before_the_fees_only_by_the_supervisor(desk):
    number = desk.create("2026-11-21T09:05+08:00", REGISTRATION)
    assert desk.act(number, "cancel", "2026-11-21T09:30+08:00", ok=False) == [
        "  1. 「经办人」：王芳（客服专员、收费员）没有权限「取消办理」，需要角色：客服中心主管"]
    desk.act(number, "cancel", "2026-11-21T09:30+08:00", by="赵敏")
    assert desk.state(number) == "已取消"
