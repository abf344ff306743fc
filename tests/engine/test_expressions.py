"""The expression language: safe, compiled once, and readable in Chinese on paper and in errors."""

from __future__ import annotations

import datetime as dt

import pytest
import simpleeval

from formflow.engine.expressions import ExpressionError, compile_expression, describe, evaluate, holds

from ..conftest import CALENDAR_WARNING

LABELS = {"category": "维修类别", "items": "装修项目", "role": "申请人身份", "structural": "改动结构", "n": "数量",
          "start": "开工日期"}


@pytest.mark.parametrize(("source", "values", "expected"), [
    ("${category} == '渗漏水'", {"category": "渗漏水"}, True),
    ("category == '渗漏水'", {"category": "给排水"}, False),
    ("'卫生间(防水)' in ${items}", {"items": ["墙面", "卫生间(防水)"]}, True),
    ("len(${items}) >= 2 and not ${structural}", {"items": ["a", "b"], "structural": False}, True),
    ("filled(${start})", {"start": None}, False),
    ("days(${start}, today()) > 3", {"start": dt.date(2026, 11, 20)}, True),
    ("${.} >= date('2026-01-01')", {}, True),
])
def test_evaluation(source, values, expected):
    assert evaluate(compile_expression(source), values, this=dt.date(2026, 2, 1), today=dt.date(2026, 11, 28)) is expected


def test_names_are_collected_for_check():
    expr = compile_expression("${role} == '使用人' and len(items) > 0 and ${.} != None")
    assert expr.names == {"role", "items"}
    assert expr.uses_this


def test_comparison_with_an_empty_field_is_undecided_not_a_crash():
    expr = compile_expression("${n} > 3")
    assert holds(expr, {"n": None}) is False
    assert holds(expr, {"n": None}, undecided=True) is True


@pytest.mark.parametrize("source", [
    "__import__('os').system('id')", "${a}.__class__", "[x for x in a]", "lambda: 1", "a[0]", "open('/etc/passwd')",
    "a := 1", "2 ** 1000000",
])
def test_anything_outside_the_language_is_refused_at_compile_time(source):
    with pytest.raises(ExpressionError):
        compile_expression(source)


@pytest.mark.parametrize(("source", "shown"), [
    ("len([[1]*99999]*99999) > 0", "[[1] * 99999] * 99999"),
    ("${category} in ['渗漏水'] * 3", "['渗漏水'] * 3"),
    ("len(3 * ('a', 'b')) > 0", "3 * ('a', 'b')"),
    ("${category} == '漏' * 2", "'漏' * 2"),
    ("len(([1] + [2]) * ${n}) > 0", "([1] + [2]) * n"),
    ("len((${items} if ${n} else []) * 9) > 0", "(items if n else []) * 9"),
])
def test_repeating_a_list_or_text_written_in_the_expression_is_refused_at_compile_time(source, shown):
    with pytest.raises(ExpressionError) as info:
        compile_expression(source)
    assert str(info.value) == (f"表达式中不允许重复列表或文字 repeating a list or text is not allowed in expressions: "
                               f"{shown!r} in {source!r}")


def test_text_formatting_is_refused_at_compile_time():
    # '%0999999999d' % 1 would build a gigabyte of zeros.
    with pytest.raises(ExpressionError, match="表达式中不允许格式化文字 text formatting"):
        compile_expression("len('%0999999999d' % 1) > 0")


def test_a_huge_value_built_from_fields_is_cut_short_while_the_clerk_types():
    # Field values are not known at check time: a 100-row table repeated by a number the clerk
    # types passes simpleeval's own limit (it counts only the outer length) but not ours.
    rows = [{"item": "墙面", "qty": 1}] * 100
    expr = compile_expression("len(${items} * ${n}) > 0")
    assert holds(expr, {"items": rows, "n": 2}) is True
    with pytest.raises(simpleeval.IterableTooLong, match="表达式生成的数据过多"):
        evaluate(expr, {"items": rows, "n": 999})
    assert holds(expr, {"items": rows, "n": 999}) is False
    assert holds(expr, {"items": rows, "n": 999}, undecided=True) is True


def test_lists_joined_from_fields_are_bounded_too():
    expr = compile_expression("len(${items} + ${items}) > 0")
    assert holds(expr, {"items": [[1]] * 1000}) is True
    with pytest.raises(simpleeval.IterableTooLong):  # 10 000 items, 30 000 counting what they hold
        evaluate(expr, {"items": [[1, 2]] * 5000})


def test_a_field_used_as_a_format_is_refused_when_evaluated():
    # A clerk could type '%01000000d' into a text field that an expression applies % to.
    expr = compile_expression("len(${note} % ${n}) > 0")
    with pytest.raises(simpleeval.InvalidExpression, match="表达式中不允许格式化文字"):
        evaluate(expr, {"note": "%01000000d", "n": 1})
    assert evaluate(compile_expression("${n} % 2 == 1"), {"n": 7}) is True


def test_check_refuses_an_unbounded_show_if_with_its_place_and_a_fix(workspace):
    workspace.write("forms/t.yaml", """
        id: t
        title: 测试
        version: 1
        number: {pattern: "T-{seq:04}", reset: never}
        sections:
          - title: 一
            fields:
              - {name: a, label: 甲, type: text}
              - {name: b, label: 乙, type: text, show_if: "len([[1]*99999]*99999) > 0"}
        """)
    result = workspace.cli("check")
    assert result.code != 0
    assert result.err.splitlines() == [
        "forms/t.yaml:9:41: sections[0].fields[1].show_if: 表达式中不允许重复列表或文字 repeating a list or text is not "
        "allowed in expressions: '[[1] * 99999] * 99999' in 'len([[1]*99999]*99999) > 0'",
        "    修改建议 fix: 见 docs/reference.md 的表达式说明 see the expression section of docs/reference.md",
        *CALENDAR_WARNING,
        "共 1 处错误，请修改后重新运行 formflow check。",
    ]


@pytest.mark.parametrize(("source", "text"), [
    ("${category} == '渗漏水'", "「维修类别」为“渗漏水”"),
    ("${role} == '使用人' and not ${structural}", "「申请人身份」为“使用人”且「改动结构」为“否”"),
    ("${structural}", "「改动结构」为“是”"),
    ("'卫生间(防水)' in ${items}", "「装修项目」包含“卫生间(防水)”"),
    ("${category} in ['渗漏水', '给排水']", "「维修类别」为“渗漏水”或“给排水”"),
    ("${.} >= ${start}", "本项不小于「开工日期」"),
    ("filled(${start}) or ${n} > 3", "「开工日期」已填写或「数量」大于3"),
])
def test_described_in_chinese(source, text):
    assert describe(compile_expression(source), LABELS) == text
