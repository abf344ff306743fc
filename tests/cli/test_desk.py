"""The desk commands through the real CLI: ``show --format json`` says what the text output says."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from ..conftest import REPO, without_pdfs

NUMBER = "TS-YG-202611-0001"


@pytest.fixture
def workspace(workspace):
    without_pdfs(workspace.root)  # these tests are about the record's data, not its PDF
    return workspace


def _drop(workspace, name: str, doc: dict, now: str) -> None:
    workspace.write(f"inbox/{name}.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    result = workspace.cli("process", "--now", now)
    assert result.code == 0, result.out + result.err


@pytest.fixture
def complaint(workspace) -> str:
    """An important (重要) complaint of Monday 09:00, passed to the department head late, at 10:30."""
    _drop(workspace, "a", {"form": "complaint", "by": "李娜", "at": "2026-11-23T09:00:00+08:00", "data": {
        "channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678",
        "details": "楼上卫生间漏水，天花板有水渍", "category": "工程维修", "severity": "重要", "receiver": "李娜"}},
          "2026-11-23T09:00+08:00")
    _drop(workspace, "b", {"record": NUMBER, "action": "escalate", "by": "李娜", "at": "2026-11-23T10:30:00+08:00"},
          "2026-11-23T10:30+08:00")
    return NUMBER


def test_show_json_has_the_state_and_the_deadlines_explain_gives(workspace, complaint):
    now = "2026-11-28T10:00+08:00"
    result = workspace.cli("show", complaint, "--format", "json", "--now", now)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert (doc["number"], doc["form"], doc["state"], doc["state_label"]) == (complaint, "complaint", "registered",
                                                                            "已登记")
    assert doc["as_of"] == "2026-11-28T10:00:00+08:00"
    assert [e["action"] for e in doc["events"]] == ["create", "escalate"]
    assert doc["deadlines"] == [
        {"key": "dept_head_notice", "label": "转呈部门主管", "task": "重要投诉1小时内转呈部门主管", "who": ["clerk"],
         "status": "met_late", "status_label": "逾期完成", "rule": "1小时",
         "started": "2026-11-23T09:00:00+08:00", "due": "2026-11-23T10:00:00+08:00",
         "stopped": "2026-11-23T10:30:00+08:00", "escalated_to": [],
         "explanation": ["开始：2026-11-23 09:00 (+08:00)（「接待时间」）", "规则：1小时（1h）",
                         "期限：2026-11-23 10:00 (+08:00)", "完成：2026-11-23 10:30 (+08:00)，逾期完成"]},
        {"key": "resolve", "label": "投诉处理完毕", "task": "处理完毕投诉", "who": ["dept_head", "supervisor"],
         "status": "overdue", "status_label": "已逾期", "rule": "「投诉级别」为“重要” → 3天（日历日）",
         "started": "2026-11-23T09:00:00+08:00", "due": "2026-11-26T09:00:00+08:00", "stopped": None,
         "escalated_to": ["supervisor", "director"],
         "explanation": ["开始：2026-11-23 09:00 (+08:00)（「接待时间」）",
                         "规则：「投诉级别」为“重要” → 3天（日历日）（3d）", "期限：2026-11-26 09:00 (+08:00)"]},
    ]
    # The same clocks, in the same words, as `explain` at the same moment.
    explained = workspace.cli("explain", complaint, "--now", now).out.splitlines()
    assert explained[0] == f"{complaint} 投诉处理记录：当前状态「已登记」（截至 2026-11-28 10:00 (+08:00)）"
    for clock in doc["deadlines"]:
        head = f"  ⏱ {clock['label']}（{clock['key']}）：{clock['status_label']}，期限 {clock['due'][:16].replace('T', ' ')} (+08:00)"
        at = explained.index(head)
        assert [line.strip() for line in explained[at + 1:at + 1 + len(clock["explanation"])]] == clock["explanation"]


def test_show_json_of_a_record_without_clocks(workspace, complaint):
    _drop(workspace, "c", {"record": NUMBER, "action": "mark_invalid", "by": "赵敏", "at": "2026-11-23T11:00:00+08:00",
                           "data": {"result": "非物业责任范围"}}, "2026-11-23T11:00+08:00")
    doc = json.loads(workspace.cli("show", complaint, "--format", "json", "--now", "2026-11-28T10:00+08:00").out)
    assert (doc["state"], doc["state_label"]) == ("invalid", "无效投诉")


def test_show_json_of_a_form_without_a_workflow(workspace):
    """An office may keep a form as a plain register (no workflow file): its records have no state, no clocks."""
    (workspace.root / "workflows" / "survey.yaml").unlink()
    shutil.copy(REPO / "examples" / "survey" / "valid.yaml", workspace.root / "inbox" / "survey.yaml")
    result = workspace.cli("process", "--now", "2026-11-26T16:00+08:00")
    assert result.code == 0, result.out + result.err
    number = result.out.split("→ ")[1].split()[0]
    result = workspace.cli("show", number, "--format", "json", "--now", "2026-11-28T10:00+08:00")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert (doc["number"], doc["form"], doc["state"], doc["state_label"], doc["deadlines"]) == (
        number, "survey", "", "", [])
    assert doc["events"][0]["data"]["unit"] == "8-2-1101"
