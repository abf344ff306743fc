"""``when:`` on a workflow's ``create`` effect: checked like every expression (fields, options), at its line."""

from __future__ import annotations

import datetime as dt

from formflow.engine.expressions import compile_expression, evaluate


def _broken(workspace, old: str, new: str) -> list[str]:
    path = workspace.root / "workflows" / "fee_collection.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1
    result = workspace.cli("check")
    assert result.code == 1
    return [row for row in result.err.splitlines() if row.startswith(f"workflows/fee_collection.yaml:{line}:")]


def test_a_when_naming_an_unknown_field_or_option_is_refused_at_its_line(workspace):
    # (written once under call_promise, used again by call_refused through a YAML alias: both say so)
    found = _broken(workspace, "when: \"${service_issue} == '转维修'\"", "when: \"${service_isue} == '转维修'\"")
    assert [row.split(": ", 1)[1] for row in found] == [
        f"actions.{action}.effects[{i}].create.when: 表达式引用了不存在的字段 expression names an unknown field "
        "'service_isue'" for action, i in (("call_promise", 1), ("call_refused", 1))]


def test_a_when_comparing_with_an_option_the_field_lacks(workspace):
    found = _broken(workspace, "when: \"${service_issue} == '转投诉'\"", "when: \"${service_issue} == '投诉'\"")
    assert len(found) == 2 and "actions.call_promise.effects[2].create.when: 「转办」没有选项“投诉”" in found[0]


def test_mobile_reads_the_first_mobile_number_of_a_text_of_phones():
    expr = compile_expression("mobile(${phone})")
    assert evaluate(expr, {"phone": "0755-26831234、+86 136 0295 7718、13800001111"}) == "13602957718"
    assert evaluate(expr, {"phone": "0755-26831234"}) is None
    assert evaluate(expr, {}, now=dt.datetime(2026, 12, 1)) is None
