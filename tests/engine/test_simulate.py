"""What-ifs, explanations and diagrams (engine/simulate.py) and the CLI commands over them.

The what-if record is numbered like a real one with station SIM (TS-SIM-<yyyymm>-0001); the tests
find that number in the first history line rather than assume it.
"""

from __future__ import annotations

import datetime as dt
import re

from formflow.engine.actions import create_record
from formflow.engine.records import CREATE, Event, Record
from formflow.engine.simulate import Step, diagram, explain, simulate

from ..conftest import REPO, SHANGHAI

DATA = {"channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678", "details": "漏水",
        "category": "工程维修", "receiver": "李娜"}
EXAMPLE = str(REPO / "examples" / "complaint" / "valid.yaml")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def explained_number(lines: list[str]) -> str:
    """The what-if record's number, from the explanation header after the blank line."""
    return lines[lines.index("") + 1].split(" ", 1)[0]


# ---- simulate() -------------------------------------------------------------------------------------


def test_simulate_applies_the_steps_in_time_order(defs):
    steps = [Step("resolve", at("2026-11-24 10:00"), {"result": "已修复"}, by="刘强"),
             Step("assign", at("2026-11-23 09:10"), {"routed_to": "工程维修部"}),
             Step("start", at("2026-11-23 09:30"), {}),
             Step("escalate", at("2026-11-23 10:30"), {})]
    lines = simulate(defs, "complaint", {**DATA, "severity": "重要"}, "李娜", at("2026-11-23 09:00"), steps)
    number = explained_number(lines)
    assert re.fullmatch(r"TS-SIM-202611-\d{4}", number)
    assert lines[:7] == [
        "模拟 simulate: 投诉处理记录（complaint）",
        "2026-11-23 09:00 (+08:00)  李娜 登记 → 已登记",
        "2026-11-23 09:10 (+08:00)  分派(assign) → 已分派",
        "2026-11-23 09:30 (+08:00)  联系住户开始处理(start) → 处理中",
        "2026-11-23 10:30 (+08:00)  呈报上级(escalate) → 处理中",
        "2026-11-24 10:00 (+08:00)  处理完毕(resolve) → 已解决（待通报结果）",
        "",
    ]
    # Without --until the clocks are shown as of the last step.
    assert lines[7] == f"{number} 投诉处理记录：当前状态「已解决（待通报结果）」（截至 2026-11-24 10:00 (+08:00)）"
    assert "  2026-11-24 10:00 (+08:00)  刘强 处理完毕 → 已解决（待通报结果）" in lines
    assert "  ⏱ 转呈部门主管（dept_head_notice）：逾期完成，期限 2026-11-23 10:00 (+08:00)" in lines
    assert "  ⏱ 投诉处理完毕（resolve）：按时完成，期限 2026-11-26 09:00 (+08:00)" in lines
    assert "  ⏱ 当天通报处理结果（result_notice）：未到期，期限 2026-11-24 23:59 (+08:00)" in lines


def test_simulate_reports_a_refused_step_and_goes_on(defs):
    steps = [Step("close", at("2026-11-23 09:05"), {"satisfaction": "满意"}),
             Step("assign", at("2026-11-23 09:10"), {"routed_to": "工程维修部"}, by="张伟")]  # roles not checked
    lines = simulate(defs, "complaint", {**DATA, "severity": "轻微"}, "李娜", at("2026-11-23 09:00"), steps,
                     until=at("2026-11-26 10:00"))
    number = explained_number(lines)
    assert lines[2:5] == [
        "✗ 2026-11-23 09:05 (+08:00)  close：",
        f"  - 「操作」：{number} 当前状态为「已登记」，不能「回访后关闭」；可做：分派、"  # (a 轻微 one: not 呈报上级)
        "认定为无效投诉",
        "2026-11-23 09:10 (+08:00)  分派(assign) → 已分派",
    ]
    assert lines[lines.index("") + 1].endswith("当前状态「已分派」（截至 2026-11-26 10:00 (+08:00)）")
    assert lines[-5:] == [
        "  ⏱ 投诉处理完毕（resolve）：已逾期，期限 2026-11-25 09:00 (+08:00)",
        "      开始：2026-11-23 09:00 (+08:00)（「接待时间」）",
        "      规则：「投诉级别」为“轻微” → 2天（日历日）（2d）",
        "      期限：2026-11-25 09:00 (+08:00)",
        "      已升级告知 escalated to: 客服中心主管、管理处主任",  # after: 0h supervisor, after: 1d director
    ]


def test_simulate_cannot_create(defs):
    lines = simulate(defs, "complaint", {**DATA, "severity": "特急", "phone": ""}, "李娜", at("2026-11-23 09:00"), [])
    assert lines[:2] == ["模拟 simulate: 投诉处理记录（complaint）", "✗ 登记失败 cannot create:"]
    assert lines[2] == "  - 「联系电话」：必填项未填写"
    assert lines[3].startswith("  - 「投诉级别」：“特急”不在选项中")


def test_simulate_shows_follow_up_records(workspace):
    """A workspace whose result notice creates a callback: the what-if names it and shows its clocks."""
    path = workspace.root / "workflows" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "    fields: [reply_method, replied_at]\n    requires: [reply_method]\n"
    assert text.count(anchor) == 1
    effect = ("    effects:\n      - create:\n          form: callback\n"
              "          copy: {unit: unit, person: complainant}\n"
              "          set: {source_form: \"'投诉'\", source_record: \"number()\", method: \"'上门'\", visitor: \"'李娜'\"}\n")
    path.write_text(text.replace(anchor, anchor + effect), encoding="utf-8")
    defs = workspace.load()
    steps = [Step("assign", at("2026-11-23 09:10"), {"routed_to": "环境部"}),
             Step("start", at("2026-11-23 09:30"), {}),
             Step("resolve", at("2026-11-24 10:00"), {"result": "已清理"}),
             Step("notify_result", at("2026-11-24 11:00"), {"reply_method": "电话"})]
    lines = simulate(defs, "complaint", {**DATA, "severity": "轻微"}, "李娜", at("2026-11-23 09:00"), steps)
    number = explained_number(lines)
    assert lines[5:7] == [
        "2026-11-24 11:00 (+08:00)  通报处理结果(notify_result) → 已通报（待回访）",
        f"  ↳ 生成后续记录 follow-up: 回访记录（callback） unit=3-2-1502, person=张先生, source_form=投诉, "
        f"source_record={number}, method=上门, visitor=李娜",
    ]
    assert not any(line.lstrip().startswith("✗") for line in lines)


# ---- explain() --------------------------------------------------------------------------------------


def test_explain_lists_history_and_every_clock(defs):
    record, _ = create_record(defs, "TS-YG-202509-0001", "complaint", "李娜", at("2025-09-30 17:50"),
                              {**DATA, "severity": "重大"})
    assert explain(defs, record, at("2025-10-01 00:30")) == [
        "TS-YG-202509-0001 投诉处理记录：当前状态「已登记」（截至 2025-10-01 00:30 (+08:00)）",
        "  2025-09-30 17:50 (+08:00)  李娜 登记 → 已登记",
        "  ⏱ 呈送管理处主任（director_notice）：已逾期，期限 2025-09-30 23:59 (+08:00)",
        "      开始：2025-09-30 17:50 (+08:00)（「接待时间」）",
        "      规则：当天内（eod）",
        "      期限：2025-09-30 23:59 (+08:00)",
        "      已升级告知 escalated to: 管理处主任",
        "  ⏱ 给住户明确答复（reply）：未到期，期限 2025-10-02 17:50 (+08:00)",
        "      开始：2025-09-30 17:50 (+08:00)（「接待时间」）",
        "      规则：2天（日历日）（2d）",
        "      期限：2025-10-02 17:50 (+08:00)",
        "  ⏱ 投诉处理完毕（resolve）：未到期，期限 2025-10-10 17:50 (+08:00)",
        "      开始：2025-09-30 17:50 (+08:00)（「接待时间」）",
        "      规则：「投诉级别」为“重大” → 10天（日历日）（10d）",
        "      期限：2025-10-10 17:50 (+08:00)",
    ]


def test_explain_of_a_closed_record(defs):
    record, _ = create_record(defs, "TS-YG-202509-0001", "complaint", "李娜", at("2025-09-30 17:50"),
                              {**DATA, "severity": "轻微"})
    closed = record.with_event(Event("mark_invalid", "赵敏", at("2025-09-30 18:00"), {"result": "重复", "valid": False},
                                     "重复登记"))
    lines = explain(defs, closed, at("2025-10-09 09:00"))
    assert lines[0] == "TS-YG-202509-0001 投诉处理记录：当前状态「无效投诉」（截至 2025-10-09 09:00 (+08:00)）"
    assert lines[2] == "  2025-09-30 18:00 (+08:00)  赵敏 认定为无效投诉（重复登记） → 无效投诉"
    assert lines[3] == "  ⏱ 投诉处理完毕（resolve）：按时完成，期限 2025-10-02 17:50 (+08:00)"


def test_explain_without_clocks(defs):
    record = Record("TS-YG-202509-0001", "complaint",
                    (Event(CREATE, "李娜", at("2025-09-30 17:50"), {**DATA, "severity": "特急"}),))
    assert explain(defs, record, at("2025-10-09 09:00"))[2:] == ["  （没有计时 no clocks）"]


# ---- diagram() --------------------------------------------------------------------------------------


def test_diagram_is_a_mermaid_state_diagram(defs):
    text = diagram(defs.workflows["complaint"], defs)
    lines = text.splitlines()
    assert text.endswith("\n") and lines[0] == "stateDiagram-v2"
    assert lines[1:10] == [
        "    registered: 已登记", "    assigned: 已分派", "    in_progress: 处理中", "    replied: 已答复",
        "    resolved: 已解决（待通报结果）", "    notified: 已通报（待回访）", "    closed: 已关闭", "    invalid: 无效投诉",
        "    [*] --> registered"]
    edges = lines[10:-2]
    assert "    registered --> assigned: 分派（客服专员、客服中心主管）" in edges
    assert "    assigned --> in_progress: 联系住户开始处理" in edges  # anyone: no roles shown
    assert "    notified --> in_progress: 重新处理（住户不满意）（客服专员、客服中心主管）" in edges
    assert "    in_progress --> in_progress: 呈报上级（客服专员、客服中心主管）" in edges  # no `to`: stays
    # One edge per allowed (state, action) pair of the workflow, and nothing else.
    workflow = defs.workflows["complaint"]
    pairs = sorted((s, a.target or s) for a in workflow.actions.values() for s in a.sources)
    assert sorted(tuple(e.strip().split(":")[0].split(" --> ")) for e in edges) == pairs
    assert lines[-2:] == ["    closed --> [*]", "    invalid --> [*]"]


def test_diagram_expands_any_open_state(workspace):
    path = workspace.root / "workflows" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    from: [registered, assigned]\n    to: invalid\n"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "    from: \"*\"\n    to: invalid\n"), encoding="utf-8")
    defs = workspace.load()
    edges = [line for line in diagram(defs.workflows["complaint"], defs).splitlines() if line.endswith("认定为无效投诉（客服中心主管）")]
    assert [e.split(" --> ")[0].strip() for e in edges] == [
        "registered", "assigned", "in_progress", "replied", "resolved", "notified"]


# ---- the CLI commands -------------------------------------------------------------------------------


def test_cli_diagram(workspace):
    result = workspace.cli("diagram", "complaint")
    assert result.code == 0
    assert result.out == diagram(workspace.load().workflows["complaint"], workspace.load())
    missing = workspace.cli("diagram", "nope")
    assert missing.code == 1 and missing.err.startswith("没有流程 no workflow “nope”；可用 available: ")
    assert "complaint" in missing.err


def test_cli_simulate_with_the_example(workspace):
    result = workspace.cli("simulate", "complaint", "--data", EXAMPLE,
                           "--then", "resolve@2026-11-21T16:00 result=已上门提醒",
                           "--then", "assign@2026-11-20T09:20 routed_to=秩序维护部",
                           "--then", "start@2026-11-20T10:00",
                           "--until", "2026-11-22T09:00")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[1] == "2026-11-20 09:15 (+08:00)  李娜 登记 → 已登记"  # the file's `at`
    assert lines[2:5] == ["2026-11-20 09:20 (+08:00)  分派(assign) → 已分派",
                          "2026-11-20 10:00 (+08:00)  联系住户开始处理(start) → 处理中",
                          "2026-11-21 16:00 (+08:00)  处理完毕(resolve) → 已解决（待通报结果）"]
    # The resident asked for 11-21 (a date: the end of that day); resolved at 16:00 that day: in time.
    # The result was not told that same day: at 09:00 the next morning it is overdue and the supervisor told.
    assert lines[-10:] == [
        "  ⏱ 投诉处理完毕（resolve）：按时完成，期限 2026-11-21 23:59 (+08:00)",
        "      开始：2026-11-20 09:10 (+08:00)（「接待时间」）",  # received 09:10, entered 09:15
        "      规则：按「住户要求期限」（2026-11-21，取代默认规则）",
        "      期限：2026-11-21 23:59 (+08:00)",
        "      完成：2026-11-21 16:00 (+08:00)，按时完成",
        "  ⏱ 当天通报处理结果（result_notice）：已逾期，期限 2026-11-21 23:59 (+08:00)",
        "      开始：2026-11-21 16:00 (+08:00)（「处理完毕」）",
        "      规则：当天内（eod）",
        "      期限：2026-11-21 23:59 (+08:00)",
        "      已升级告知 escalated to: 客服中心主管",
    ]


def test_cli_simulate_at_overrides_the_file(workspace):
    result = workspace.cli("simulate", "complaint", "--data", EXAMPLE, "--at", "2026-11-20T09:12")
    assert result.code == 0
    assert result.out.splitlines()[1] == "2026-11-20 09:12 (+08:00)  李娜 登记 → 已登记"


def test_cli_simulate_usage_errors(workspace):
    bad_step = workspace.cli("simulate", "complaint", "--data", EXAMPLE, "--then", "resolve")
    assert bad_step.code == 2 and "应写成 expected ACTION@TIME, got 'resolve'" in bad_step.err
    bad_pair = workspace.cli("simulate", "complaint", "--data", EXAMPLE, "--then", "resolve@2026-11-21T16:00 已修复")
    assert bad_pair.code == 2 and "应写成 expected key=value, got '已修复'" in bad_pair.err
    unknown = workspace.cli("simulate", "nope", "--data", EXAMPLE)
    assert unknown.code == 1 and unknown.err.startswith("没有表单或流程 no form/workflow “nope”")


def test_cli_explain_and_show_of_a_missing_record(workspace):
    for command in ("explain", "show"):
        result = workspace.cli(command, "TS-YG-209901-0001")
        assert (result.code, result.err) == (1, "没有记录 no record “TS-YG-209901-0001”\n")
