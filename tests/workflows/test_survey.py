"""The owner-opinion-survey workflow (workflows/survey.yaml), end to end through the inbox pipeline.

Manual: "每年发放《业主意见征询表》征询业主意见并及时回收，统计分析，报管理处主任。" Handing out is the
yearly duty in duties.yaml (on the supervisor's to-do list until the end of the year); each returned
questionnaire is registered as a record (已回收) → counted in the yearly analysis → archived, or
set aside as invalid. The form's hint "留电话的，对不满意项目安排回访" gives the one deadline: a
respondent who left a phone number and rated anything 不满意 is called back, by default within 3
calendar days of registering the questionnaire (the manual sets no number).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .desk import Desk

ITEMS = ["rate_power", "rate_water", "rate_security", "rate_cleaning", "rate_greening", "rate_facilities",
         "rate_repair", "rate_attitude", "rate_reception", "rate_renovation", "rate_parking", "rate_fees"]


class SurveyDesk(Desk):
    form, pattern, clerk = "survey", r"YJ-YG-\d{4}-\d{4}", "李娜"

    def act(self, number: str, action: str, at: str, by: str | None = None, *, ok: bool = True, note: str = ""):
        """Do ``action``; a refused one returns the numbered problems of the rejection note."""
        result = super().act(number, action, at, by, ok=ok, note=note)
        return result if ok else [line for line in result.splitlines() if re.match(r"  \d+\. ", line)]


def questionnaire(unit: str = "8-2-1101", phone: str | None = "18820739654", overall: str = "基本满意",
                  **ratings) -> dict:
    data = {"survey_year": 2026, "unit": unit, "owner_name": "谢文华", "phone": phone,
            **{item: "满意" for item in ITEMS}, "overall": overall, "filled_on": "2026-11-26",
            "collection": "上门", "collector": "李娜"}
    data.update(ratings)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def desk(workspace):
    return SurveyDesk(workspace)


def test_an_unsatisfied_rating_with_a_phone_number_is_called_back(desk):
    number = desk.create("2026-11-26T16:00+08:00", questionnaire(rate_parking="不满意"))
    assert desk.state(number) == "已回收（待统计）"
    assert desk.due(number, "2026-11-28T10:00+08:00") == {
        "follow_up": ("2026-11-29T16:00:00+08:00", "upcoming", ["clerk"])}
    assert desk.explain(number, "2026-11-28T10:00+08:00")[2:] == [
        "  ⏱ 回访不满意项目（follow_up）：未到期，期限 2026-11-29 16:00 (+08:00)",
        "      开始：2026-11-26 16:00 (+08:00)（登记）",
        "      规则：3天（日历日）（3d）",
        "      期限：2026-11-29 16:00 (+08:00)",
    ]
    assert desk.due(number, "2026-11-28T16:00+08:00")["follow_up"][1] == "due_soon"
    assert desk.due(number, "2026-11-29T16:01+08:00") == {
        "follow_up": ("2026-11-29T16:00:00+08:00", "overdue", ["clerk", "supervisor"])}

    desk.act(number, "follow_up", "2026-11-27T10:00+08:00", note="已电话回访，车库外来车辆问题转秩序维护部")
    assert desk.state(number) == "已回收（待统计）"  # calling back does not count the questionnaire
    assert desk.due(number, "2026-11-28T10:00+08:00") == {}
    desk.act(number, "analyse", "2026-12-20T10:00+08:00")
    assert desk.act(number, "archive", "2026-12-28T10:00+08:00", ok=False) == [
        "  1. 「经办人」：李娜（客服专员）没有权限「归档」，需要角色：客服中心主管"]
    desk.act(number, "archive", "2026-12-28T10:00+08:00", by="赵敏")
    lines = desk.explain(number, "2026-12-31T10:00+08:00")
    assert lines[:6] == [
        f"{number} 业主意见征询表：当前状态「已归档」（截至 2026-12-31 10:00 (+08:00)）",
        "  2026-11-26 16:00 (+08:00)  李娜 登记 → 已回收（待统计）",
        "  2026-11-27 10:00 (+08:00)  李娜 回访不满意项目（已电话回访，车库外来车辆问题转秩序维护部） → 已回收（待统计）",
        "  2026-12-20 10:00 (+08:00)  李娜 计入年度统计分析 → 已统计分析（待归档）",
        "  2026-12-28 10:00 (+08:00)  赵敏 归档 → 已归档",
        "  ⏱ 回访不满意项目（follow_up）：按时完成，期限 2026-11-29 16:00 (+08:00)",
    ]


@pytest.mark.parametrize("ratings", [{"overall": "不满意"}, {"rate_fees": "不满意"}, {"rate_power": "不满意"}])
def test_any_unsatisfied_item_counts(desk, ratings):
    number = desk.create("2026-11-26T16:00+08:00", questionnaire(**ratings))
    assert set(desk.due(number, "2026-11-28T10:00+08:00")) == {"follow_up"}


def test_no_call_back_when_satisfied_or_without_a_phone_number(desk):
    satisfied = desk.create("2026-11-26T16:00+08:00", questionnaire(rate_parking="基本满意"))
    anonymous = desk.create("2026-11-26T16:05+08:00", questionnaire("8-2-1102", phone=None, overall="不满意"))
    assert desk.due(satisfied, "2026-11-28T10:00+08:00") == {}
    assert desk.due(anonymous, "2026-11-28T10:00+08:00") == {}
    assert desk.act(anonymous, "follow_up", "2026-11-27T10:00+08:00", ok=False) == ["  1. 业主没有留联系电话，无法回访"]


def test_an_invalid_questionnaire_is_set_aside_by_the_supervisor(desk):
    number = desk.create("2026-11-26T16:00+08:00", questionnaire(rate_parking="不满意"))
    assert desk.act(number, "invalidate", "2026-11-27T09:00+08:00", ok=False)[0].endswith(
        "没有权限「作废（无效问卷）」，需要角色：客服中心主管")
    desk.act(number, "invalidate", "2026-11-27T09:00+08:00", by="赵敏", note="同一户重复填写")
    assert desk.state(number) == "无效问卷"
    assert desk.due(number, "2026-11-28T10:00+08:00") == {}
    assert desk.act(number, "analyse", "2026-11-27T09:30+08:00", ok=False)[0].endswith(
        "当前状态为「无效问卷」，不能「计入年度统计分析」；可做：无（记录已关闭）")


def test_handing_out_is_the_yearly_duty_on_the_supervisors_list(desk):
    # `formflow init` does not copy duties.yaml into a new workspace (workspace.DEFAULT_CONTENT), so
    # the office's file is put in place by hand here, as an office would.
    shipped = Path(__file__).resolve().parents[2] / "duties.yaml"
    (desk.ws.root / "duties.yaml").write_text(shipped.read_text("utf-8"), "utf-8")
    duty = [t for t in desk.todo("2026-11-28T10:00+08:00") if t["record"] == "opinion_survey@2026-01-01"]
    assert [(t["task"], t["due"], t["status"], t["who"]) for t in duty] == [
        ("发放、回收《业主意见征询表》，统计分析后报管理处主任", "2026-12-31T23:59:00+08:00", "upcoming", ["supervisor"])]
