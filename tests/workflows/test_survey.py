"""The owner-opinion-survey workflow (workflows/survey.yaml), end to end through the inbox pipeline.

Manual: "每年发放《业主意见征询表》征询业主意见并及时回收，统计分析，报管理处主任。" Handing out is the
yearly duty in duties.yaml (on the supervisor's to-do list until the end of the year); each returned
questionnaire is registered as a record (已回收) → counted in the yearly analysis → archived, or
set aside as invalid. The form's hint "留电话的，对不满意项目安排回访" gives the one deadline: a
respondent who left a phone number and rated anything 不满意 is called back, by default within 3
calendar days of registering the questionnaire (the manual sets no number).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml

ITEMS = ["rate_power", "rate_water", "rate_security", "rate_cleaning", "rate_greening", "rate_facilities",
         "rate_repair", "rate_attitude", "rate_reception", "rate_renovation", "rate_parking", "rate_fees"]


class Desk:
    """Drops files into a workspace's inbox, runs ``formflow``, reads what comes out."""

    def __init__(self, workspace):
        self.ws = workspace
        self.dropped = 0

    def drop(self, doc: dict) -> str:
        self.dropped += 1
        name = f"{self.dropped:03d}.yaml"
        self.ws.write(f"inbox/{name}", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        return name

    def process(self, now: str, *, ok: bool = True):
        result = self.ws.cli("process", "--now", now)
        assert (result.code == 0) == ok, result.out + result.err
        return result

    def create(self, at: str, data: dict, by: str = "李娜") -> str:
        self.drop({"form": "survey", "by": by, "at": at, "data": data})
        return re.search(r"→ (YJ-YG-\d{4}-\d{4})", self.process(at).out).group(1)

    def act(self, number: str, action: str, at: str, by: str = "李娜", *, ok: bool = True, note: str = ""):
        """Do ``action``; a refused one returns the problems of the rejection note."""
        doc = {"record": number, "action": action, "by": by, "at": at}
        name = self.drop({**doc, "note": note} if note else doc)
        result = self.process(at, ok=ok)
        if not ok:
            stamp = dt.datetime.fromisoformat(at).strftime("%Y%m%d-%H%M%S")
            text = (self.ws.root / f"outbox/rejected/{stamp}-{name}.说明.txt").read_text("utf-8")
            return [line for line in text.splitlines() if re.match(r"  \d+\. ", line)]
        return result

    def todo(self, now: str) -> list[dict]:
        result = self.ws.cli("todo", "--format", "json", "--now", now)
        assert result.code == 0, result.err
        return json.loads(result.out)

    def due(self, number: str, now: str) -> dict[str, tuple]:
        return {t["clock"]: (t["due"], t["status"], t["who"]) for t in self.todo(now) if t["record"] == number}

    def explain(self, number: str, now: str) -> list[str]:
        result = self.ws.cli("explain", number, "--now", now)
        assert result.code == 0, result.err
        return result.out.splitlines()

    def state(self, number: str) -> str:
        rows = json.loads(self.ws.cli("list", "--format", "json").out)
        return next(r["state_label"] for r in rows if r["record"] == number)


def questionnaire(unit: str = "8-2-1101", phone: str | None = "18820739654", overall: str = "基本满意",
                  **ratings) -> dict:
    data = {"survey_year": 2026, "unit": unit, "owner_name": "谢文华", "phone": phone,
            **{item: "满意" for item in ITEMS}, "overall": overall, "filled_on": "2026-11-26",
            "collection": "上门", "collector": "李娜"}
    data.update(ratings)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def desk(workspace):
    return Desk(workspace)


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
        "  1. 「经办人」(by)：李娜（客服专员）没有权限「归档」，需要角色：客服中心主管"]
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
