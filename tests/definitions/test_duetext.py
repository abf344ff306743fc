"""Deadlines quoted in hints and tasks come from the workflow: change the rule, the words follow."""

from __future__ import annotations

from formflow.definitions.duetext import rule_text


def _edit(workspace, relative: str, old: str, new: str) -> None:
    path = workspace.root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_rule_words():
    assert [rule_text(r) for r in ("30m", "1h", "2d", "3wd", "4wh", "eod")] == [
        "30分钟", "1小时", "2天", "3个工作日", "4个工作小时", "当天"]


def test_shipped_hints_and_tasks_say_what_the_rules_say(defs):
    assert defs.forms["callback"].fields["repair_class"].hint == \
        "安全设施完工后2天内回访；渗漏水试漏后3天内回访；其他完工后2天内回访"
    assert defs.forms["complaint"].fields["severity"].hint == \
        "重大：当天呈送管理处主任；重要：1小时内转呈部门主管；轻微：2天内或住户要求的期限内解决"
    urgent = defs.forms["repair"].fields["urgency"].choices.options[0]
    assert (urgent.value, urgent.label) == ("紧急", "紧急（30分钟内到场）")
    assert defs.workflows["renovation"].clocks["review"].task == "3个工作日内审核装修申请（同意、退回补正或不同意）"


def test_a_changed_rule_changes_every_text_that_quotes_it(workspace):
    """The supervisor moves the callback of other repairs to 3 working days: the hints on both forms follow."""
    _edit(workspace, "workflows/callback.yaml", "rules: {安全设施: 2d, 渗漏水: 3d, 其他: 2d}",
          "rules: {安全设施: 2d, 渗漏水: 3d, 其他: 3wd}")
    _edit(workspace, "workflows/complaint.yaml", "    due: 1h ", "    due: 1wh ")
    defs = workspace.load()
    assert defs.forms["callback"].fields["repair_class"].hint.endswith("其他完工后3个工作日内回访")
    assert defs.forms["repair"].fields["category"].hint.endswith("其他维修完工后3个工作日内回访")
    assert defs.workflows["complaint"].clocks["dept_head_notice"].task == "重要投诉1个工作小时内转呈部门主管"


def test_a_placeholder_that_points_at_nothing_is_an_error_at_its_line(workspace):
    _edit(workspace, "forms/callback.yaml", "{due:callback.callback.其他}", "{due:callback.callbak.其他}")
    _edit(workspace, "forms/complaint.yaml", "{due:complaint.resolve.轻微}内或", "{due:complaint.resolve.一般}内或")
    _edit(workspace, "workflows/repair.yaml", "task: 紧急维修{due}内到场", "task: 紧急维修{due:很急}内到场")
    err = workspace.cli("check").err
    assert "sections[0].fields[7].hint: {due:callback.callbak.其他}: 流程 callback 没有期限 no clock 'callbak'\n" \
           "    修改建议 fix: 是否应为 did you mean 'callback'?" in err
    assert "{due:complaint.resolve.一般}: 期限 resolve 的规则中没有“一般” the rule has no case '一般'" in err
    assert "clocks.urgent_arrival.task: {due:很急}: 期限规则中没有“很急” the rule has no case '很急'" in err
    assert err.rstrip().endswith("共 3 处错误，请修改后重新运行 formflow check。")
