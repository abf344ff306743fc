"""Doing an action (engine/actions.py) on the shipped complaint workflow: who, when, what data, guards, effects.

Every refusal is checked word for word, because the message is what a clerk reads on the rejection slip.
"""

from __future__ import annotations

import datetime as dt

import pytest

from formflow.engine.actions import ActionRefused, apply_action, create_record, view_of
from formflow.engine.records import Event, Record, replay
from formflow.engine.validate import validate_data

from ..conftest import SHANGHAI
from ..test_pipeline import complaint

BASE = {"channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678", "details": "漏水",
        "category": "工程维修", "receiver": "李娜"}
REGISTERED_CAN = "分派、呈报上级、认定为无效投诉"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def new(defs, severity="重要", when="2026-11-23 09:00", **data):
    record, outcome = create_record(defs, "TS-YG-202611-0001", "complaint", "李娜", at(when),
                                    {**BASE, "severity": severity, **data})
    return record


def run(defs, record, *steps):
    """Apply (action, by, time, data) steps in turn; returns the record and the last outcome."""
    outcome = None
    for action, by, when, data in steps:
        outcome = apply_action(defs, record, action, by, at(when), data)
        record = record.with_event(outcome.event)
    return record, outcome


def refused(defs, record, action, by, when, data, **kw) -> list[str]:
    with pytest.raises(ActionRefused) as caught:
        apply_action(defs, record, action, by, at(when), data, **kw)
    return [str(p) for p in caught.value.problems]


# ---- creating ---------------------------------------------------------------------------------------


def test_create_starts_in_the_initial_state_with_defaults(defs):
    record, outcome = create_record(defs, "TS-YG-202611-0001", "complaint", "李娜", at("2026-11-23 09:00"),
                                    {**BASE, "severity": "轻微"})
    assert (outcome.state, outcome.event.action, outcome.event.by, record.created_at) == (
        "registered", "create", "李娜", at("2026-11-23 09:00"))
    assert (record.form_version, record.workflow_version) == (defs.forms["complaint"].version,
                                                              defs.workflows["complaint"].version)
    # received_at defaults to now (the creation time); yes/no defaults are stored typed
    assert outcome.event.data["received_at"] == "2026-11-23T09:00+08:00"
    assert (outcome.event.data["valid"], outcome.event.data["urgent_harm"]) == (True, False)


def test_create_refuses_with_every_problem(defs):
    with pytest.raises(ActionRefused) as caught:
        create_record(defs, "TS-YG-202611-0001", "complaint", "李娜", at("2026-11-23 09:00"),
                      {**BASE, "complainant": "", "phone": "1381234", "severity": "重大", "resident_deadline": "2026-11-30"})
    assert [str(p) for p in caught.value.problems] == [
        "「投诉人」：必填项未填写",
        "「联系电话」：不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “1381234”",
        "「住户要求期限」：此项仅当「投诉级别」为“轻微”时填写，现在不适用，请删除或核对相关字段",
    ]


def test_create_takes_data_already_validated_as_it_is(defs):
    # The inbox checks a new record's data on reading; the record is made from that outcome, not checked twice.
    when, data = at("2026-11-23 09:00"), {**BASE, "severity": "轻微"}
    form = defs.forms["complaint"]
    checked = validate_data(form, data, defs.settings, when)
    given = create_record(defs, "TS-YG-202611-0001", "complaint", "李娜", when, data, validated=checked)
    assert given == create_record(defs, "TS-YG-202611-0001", "complaint", "李娜", when, data)
    other = validate_data(form, {**data, "complainant": "王女士"}, defs.settings, when)
    record, _ = create_record(defs, "TS-YG-202611-0001", "complaint", "李娜", when, data, validated=other)
    assert record.events[0].data["complainant"] == "王女士"  # what was validated is stored, not read again


# ---- refusals ---------------------------------------------------------------------------------------


def test_unknown_action(defs):
    assert refused(defs, new(defs), "fly", "李娜", "2026-11-23 09:10", {}) == [
        f"「操作」：流程中没有操作“fly”；TS-YG-202611-0001 当前状态「已登记」可做：{REGISTERED_CAN}"]


def test_wrong_state(defs):
    assert refused(defs, new(defs), "close", "李娜", "2026-11-23 09:10", {"satisfaction": "满意"}) == [
        f"「操作」：TS-YG-202611-0001 当前状态为「已登记」，不能「回访后关闭」；可做：{REGISTERED_CAN}"]


def test_wrong_role_and_unknown_person(defs):
    data = {"routed_to": "工程维修部"}
    assert refused(defs, new(defs), "assign", "张伟", "2026-11-23 09:10", data) == [
        "「经办人」：张伟（维修人员）没有权限「分派」，需要角色：客服专员、客服中心主管"]
    assert refused(defs, new(defs), "assign", "路人甲", "2026-11-23 09:10", data) == [
        "「经办人」：路人甲没有权限「分派」，需要角色：客服专员、客服中心主管"]
    assert refused(defs, new(defs), "mark_invalid", "李娜", "2026-11-23 09:10", {"result": "无效"}) == [
        "「经办人」：李娜（客服专员）没有权限「认定为无效投诉」，需要角色：客服中心主管"]


def test_an_action_dated_before_its_record_was_created_is_refused(defs):
    assert refused(defs, new(defs, when="2026-11-23 09:00"), "assign", "李娜", "2026-11-22 17:00",
                   {"routed_to": "工程维修部"}) == [
        "「办理时间」：2026-11-22 17:00 不能早于记录登记时间 2026-11-23 09:00（TS-YG-202611-0001），请核对日期和年份"]
    # the same minute is fine (a record registered and assigned at once)
    assert apply_action(defs, new(defs), "assign", "李娜", at("2026-11-23 09:00"), {"routed_to": "工程维修部"}).state \
        == "assigned"


def test_a_record_whose_own_date_is_impossible_can_still_be_acted_on(defs):
    """Stored by an older version in year 9999: refusing every action before it would leave it open forever."""
    record = new(defs, when="9999-12-31 10:00")
    outcome = apply_action(defs, record, "mark_invalid", "赵敏", at("2026-11-28 10:00"), {"result": "登记日期错误，作废"})
    assert outcome.state == "invalid"


def test_system_actions_skip_the_role_check(defs):
    outcome = apply_action(defs, new(defs), "assign", "张伟", at("2026-11-23 09:10"), {"routed_to": "工程维修部"},
                           system=True)
    assert outcome.state == "assigned"


def test_role_and_data_problems_come_together(defs):
    assert refused(defs, new(defs), "assign", "张伟", "2026-11-23 09:10", {"result": "已处理"}) == [
        "「经办人」：张伟（维修人员）没有权限「分派」，需要角色：客服专员、客服中心主管",
        "「处理结果」：「分派」时不能填写此项；可填写：「转交部门」、「转交时间」、"
        "「投诉类别」、「投诉级别」、「住户要求期限」",
        "「转交部门」：「分派」时必须填写",
    ]


def test_bad_values_in_the_action_data(defs):
    problems = refused(defs, new(defs), "assign", "李娜", "2026-11-23 09:10",
                       {"routed_to": "保安部", "routed_at": "2026-11-23 08:00"})
    assert len(problems) == 2
    assert problems[0].startswith("「转交部门」：“保安部”不在选项中")
    assert problems[1] == "「转交时间」：转交时间不能早于接待时间"


def test_guards_with_their_messages(defs):
    assert refused(defs, new(defs, "轻微"), "escalate", "李娜", "2026-11-23 09:10", {}) == ["只有重大投诉和重要投诉需要呈报上级"]
    record, _ = run(defs, new(defs, "轻微"),
                    ("assign", "李娜", "2026-11-23 09:10", {"routed_to": "环境部"}),
                    ("start", "吴静", "2026-11-23 09:30", {}),
                    ("resolve", "吴静", "2026-11-24 10:00", {"result": "已清理"}),
                    ("notify_result", "李娜", "2026-11-24 11:00", {"reply_method": "电话"}))
    assert refused(defs, record, "close", "李娜", "2026-11-24 14:00", {"satisfaction": "不满意"}) == [
        "住户不满意，不能关闭；请用“重新处理”退回处理"]
    assert refused(defs, record, "close", "李娜", "2026-11-24 14:00", {}) == [
        "「住户满意度」：「回访后关闭」时必须填写"]
    assert apply_action(defs, record, "close", "李娜", at("2026-11-24 14:00"), {"satisfaction": "基本满意"}).state == "closed"


def test_a_guard_without_a_message_is_described(workspace):
    path = workspace.root / "workflows" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    line = "    guard_message: 只有重大投诉和重要投诉需要呈报上级\n"
    assert text.count(line) == 1
    path.write_text(text.replace(line, ""), encoding="utf-8")
    defs = workspace.load()
    [problem] = refused(defs, new(defs, "轻微"), "escalate", "李娜", "2026-11-23 09:10", {})
    assert problem.startswith("不满足「呈报上级」的条件：") and "「投诉级别」" in problem


def test_a_closed_record_allows_nothing(defs):
    record, _ = run(defs, new(defs, "重要"), ("mark_invalid", "赵敏", "2026-11-23 09:10", {"result": "重复投诉"}))
    assert view_of(defs, record).state == "invalid"
    assert refused(defs, record, "assign", "赵敏", "2026-11-23 09:20", {"routed_to": "环境部"}) == [
        "「操作」：TS-YG-202611-0001 当前状态为「无效投诉」，不能「分派」；可做：无（记录已关闭）"]


# ---- data and effects -------------------------------------------------------------------------------


def test_set_effects_fill_times_and_flags(defs):
    record = new(defs)
    outcome = apply_action(defs, record, "assign", "李娜", at("2026-11-23 09:10"), {"routed_to": "工程维修部"})
    assert (outcome.state, dict(outcome.event.data)) == (
        "assigned", {"routed_to": "工程维修部", "routed_at": "2026-11-23T09:10+08:00"})
    given = apply_action(defs, record, "assign", "李娜", at("2026-11-23 09:10"),
                         {"routed_to": "工程维修部", "routed_at": "2026-11-23 09:05"})
    assert given.event.data["routed_at"] == "2026-11-23T09:05+08:00"  # a time the clerk gives is kept
    invalid = apply_action(defs, record, "mark_invalid", "赵敏", at("2026-11-23 09:20"), {"result": "非物业责任"})
    assert (invalid.state, invalid.event.data["valid"]) == ("invalid", False)
    assert (invalid.follow_ups, invalid.parent_actions) == ((), ())


def test_an_action_without_target_keeps_the_state(defs):
    record, outcome = run(defs, new(defs), ("assign", "李娜", "2026-11-23 09:10", {"routed_to": "工程维修部"}),
                          ("escalate", "李娜", "2026-11-23 09:20", {}))
    assert outcome.state == "assigned"
    assert [s.label for s in replay(record, defs.workflows["complaint"]).steps] == ["登记", "分派", "呈报上级"]


def test_clearing_a_field(defs):
    record = new(defs, "轻微", resident_deadline="2026-11-30")
    outcome = apply_action(defs, record, "assign", "李娜", at("2026-11-23 09:10"),
                           {"routed_to": "环境部", "resident_deadline": ""})
    assert outcome.event.data["resident_deadline"] is None
    assert "resident_deadline" not in replay(record.with_event(outcome.event), defs.workflows["complaint"]).values


def test_an_action_may_not_leave_a_stored_value_wrong(defs):
    """Re-graded 重大, the resident's deadline (a 轻微-only field) would still set the resolution deadline."""
    record = new(defs, "轻微", resident_deadline="2026-12-20")
    assert refused(defs, record, "assign", "李娜", "2026-11-23 09:10", {"routed_to": "环境部", "severity": "重大"}) == [
        "「住户要求期限」：此项仅当「投诉级别」为“轻微”时填写，现在不适用，请删除或核对相关字段"]
    outcome = apply_action(defs, record, "assign", "李娜", at("2026-11-23 09:10"),
                           {"routed_to": "环境部", "severity": "重大", "resident_deadline": ""})
    assert outcome.event.data["severity"] == "重大"


def test_old_problems_of_untouched_fields_do_not_block(defs):
    """A stored value that no longer passes (here: a bad phone stored before a rule change) is not this clerk's doing."""
    record = new(defs)
    create = record.events[0]
    broken = Record(record.number, record.form, (Event(create.action, create.by, create.at,
                                                       {**create.data, "phone": "1381234"}),))
    outcome = apply_action(defs, broken, "assign", "李娜", at("2026-11-23 09:10"), {"routed_to": "工程维修部"})
    assert outcome.state == "assigned"
    # ... while a value this action makes wrong is refused (see the test above).


def test_create_effects_name_the_follow_up(workspace):
    """A workspace that has the result notice create a callback record for the complaint."""
    path = workspace.root / "workflows" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "    fields: [reply_method, replied_at]\n    requires: [reply_method]\n"
    assert text.count(anchor) == 1
    effect = ("    effects:\n      - create:\n          form: callback\n"
              "          copy: {unit: unit, person: complainant, phone: phone}\n"
              "          set: {source_form: \"'投诉'\", source_record: \"number()\", method: \"'电话'\", visitor: \"'李娜'\"}\n")
    path.write_text(text.replace(anchor, anchor + effect), encoding="utf-8")
    defs = workspace.load()
    record, outcome = run(defs, new(defs, "轻微"),
                          ("assign", "李娜", "2026-11-23 09:10", {"routed_to": "环境部"}),
                          ("start", "吴静", "2026-11-23 09:30", {}),
                          ("resolve", "吴静", "2026-11-24 10:00", {"result": "已清理"}),
                          ("notify_result", "李娜", "2026-11-24 11:00", {"reply_method": "电话"}))
    [follow] = outcome.follow_ups
    assert (follow.form, follow.by, follow.at, follow.parent) == ("callback", "李娜", at("2026-11-24 11:00"),
                                                                 "TS-YG-202611-0001")
    assert follow.data == {"unit": "3-2-1502", "person": "张先生", "phone": "13812345678", "source_form": "投诉",
                           "source_record": "TS-YG-202611-0001", "method": "电话", "visitor": "李娜"}
    child, created = create_record(defs, "HF-YG-202611-0001", follow.form, follow.by, follow.at, follow.data,
                                   parent=follow.parent)
    assert child.parent == "TS-YG-202611-0001" and created.event.data["source_record"] == "TS-YG-202611-0001"


def test_a_set_effect_that_cannot_be_computed_refuses_the_action_with_a_reason(workspace):
    # A supervisor's slip in a workflow: text plus a number. `check` cannot know the values; the action says so.
    path = workspace.root / "workflows" / "complaint.yaml"
    path.write_text(path.read_text("utf-8").replace(
        '''- set: {routed_at: "${routed_at} if filled(${routed_at}) else now()"}''',
        '''- set: {routed_at: "${routed_to} + 1"}'''), "utf-8")
    workspace.write("inbox/a.yaml", complaint("张先生", at="2026-11-28T09:00:00+08:00"))
    assert workspace.cli("process").code == 0
    workspace.write("inbox/b.yaml", "record: TS-YG-202611-0001\naction: assign\nby: 李娜\ndata: {routed_to: 环境部}\n")
    result = workspace.cli("process")
    assert result.code == 1, result.err
    assert "「分派」时无法按流程定义计算此项，请告诉主管检查流程中「分派」的计算规则" in result.out
    assert "内部出错" not in result.out
