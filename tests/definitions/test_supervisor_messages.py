"""Supervisor mistakes in the YAML, each named once, at its line, in words that say what it is (issue 17)."""

from __future__ import annotations

import re

import pytest

from formflow.definitions.checking import closest
from formflow.definitions.yamlhints import explain

from ..conftest import CALENDAR_WARNING

FIX_TAB = "    修改建议 fix: 把行首的 Tab 换成空格，与同一级的键对齐 replace the tab with spaces, aligned with the keys at the same level"
FIX_COLON = "    修改建议 fix: 把“：”改为英文冒号加一个空格 replace '：' with ': '"


def _edit(workspace, relative: str, old: str, new: str) -> None:
    path = workspace.root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(workspace, relative: str, text: str) -> int:
    lines = (workspace.root / relative).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_a_tab_used_for_indentation_is_named_at_its_line_and_the_workflow_says_one_line(workspace):
    """The repair form does not load: its workflow's dozen 'unknown field' messages become one line."""
    _edit(workspace, "forms/repair.yaml", "    title_en: Report\n", "\ttitle_en: Report\n")
    line = _line_of(workspace, "forms/repair.yaml", "\ttitle_en: Report")
    form_line = _line_of(workspace, "workflows/repair.yaml", "form: repair")
    result = workspace.cli("check")
    assert result.code == 1
    assert result.err.splitlines() == [
        f"forms/repair.yaml:{line}:1: YAML 格式错误 YAML syntax error: 用了制表符（Tab）缩进，YAML 只能用空格缩进 "
        "indented with a tab: YAML indents with spaces only",
        FIX_TAB,
        f"workflows/repair.yaml:{form_line}:1: form: 表单 repair 未能加载，先修正上面的错误 form 'repair' did not "
        "load: fix its errors above first, then this workflow is checked",
        *CALENDAR_WARNING,
        "共 2 处错误，请修改后重新运行 formflow check。",
    ]


def test_a_full_width_colon_is_named_at_its_own_line_not_the_next(workspace):
    """PyYAML blames the line after 「title：…」; the message points at the colon itself."""
    _edit(workspace, "forms/callback.yaml", "\ntitle: ", "\ntitle：")
    line = _line_of(workspace, "forms/callback.yaml", "title：")
    form_line = _line_of(workspace, "workflows/callback.yaml", "form: callback")
    lines = workspace.cli("check").err.splitlines()
    assert lines[:3] == [
        f"forms/callback.yaml:{line}:6: YAML 格式错误 YAML syntax error: “title”后面的冒号是全角“：”，键后面要用半角冒号和空格“: ” "
        "a full-width colon '：' after a key: YAML needs ': '",
        FIX_COLON,
        f"workflows/callback.yaml:{form_line}:1: form: 表单 callback 未能加载，先修正上面的错误 form 'callback' did "
        "not load: fix its errors above first, then this workflow is checked",
    ]
    # The repair workflow creates callbacks and the callback sends repairs back: neither says so again.
    assert lines[3:] == [*CALENDAR_WARNING, "共 2 处错误，请修改后重新运行 formflow check。"]


@pytest.mark.parametrize(("text", "reported", "problem", "expected"), [
    ("a: 1\nb:\n\tc: 2\n", 3, "found character '\\t' that cannot start any token", (3, 1, "用了制表符（Tab）缩进")),
    ("a: 1\ntitle：报修\nc: 2\n", 3, "could not find expected ':'", (2, 6, "“title”后面的冒号是全角“：”")),
    ("a:\n  - x\n  - 名称：报修\n  b: 1\n", 4, "could not find expected ':'", (3, 7, "“名称”后面的冒号是全角“：”")),
    ("a: 1\ntitle:报修\nc: 2\n", 3, "could not find expected ':'", (2, 6, "“title:”的冒号后面缺少空格")),
    ("a: [1, 2\n", 2, "expected ',' or ']', but got '<stream end>'", (2, 1, "方括号 [ ] 没有成对，或列表中缺少逗号")),
])
def test_parser_errors_in_plain_words(text, reported, problem, expected):
    """``reported``: the line PyYAML names; the explanation names the line the mistake is on."""
    found = explain(text, reported, 1, problem)
    assert found is not None
    assert (found.line, found.column) == expected[:2]
    assert found.chinese.startswith(expected[2])


def test_a_colon_inside_a_value_is_not_taken_for_a_key():
    """注意：… in a value is text: nothing to explain there; the parser's own words stand (translated)."""
    text = "hint: 注意：先断电\n  bad\n"
    found = explain(text, 2, 3, "mapping values are not allowed here")
    assert found is not None and found.line == 2 and found.chinese.startswith("这里不能出现“键: 值”")


def test_a_clerk_filling_a_template_reads_it_in_chinese_only(workspace):
    workspace.write("inbox/冒号.yaml", "form: complaint\nby: 李娜\ndata:\n  complainant：张先生\n  unit: 3-2-1502\n")
    result = workspace.cli("process")
    assert result.code == 1
    note = next((workspace.root / "outbox/rejected").glob("*冒号.yaml.说明.txt")).read_text("utf-8")
    assert "  1. 格式错误：第 4 行第 14 列，“complainant”后面的冒号是全角“：”，键后面要用半角冒号和空格“: ”\n" in note
    assert not re.search(r"[A-Za-z]{3,}", note.replace("complainant", "").replace("yaml", ""))


def test_schema_errors_do_not_hide_the_other_mistakes_of_the_file(workspace):
    """A misspelt type and key in one field, a duplicate option in another: all three in one run."""
    _edit(workspace, "forms/complaint.yaml", "type: text, resident: name, required: true, max_length: 30}",
          "type: txt, resident: name, required: true, max_length: 30}")
    _edit(workspace, "forms/complaint.yaml", "choices: [来电, 来访", "choices: [来电, 来电, 来访")
    lines = [line for line in workspace.cli("check").err.splitlines() if not line.startswith("    ")]
    assert [re.sub(r":\d+:\d+:", ":L:", line).split(" ", 2)[:2] for line in lines[:2]] == [
        ["forms/complaint.yaml:L:", "sections[0].fields[1].choices[1]:"],
        ["forms/complaint.yaml:L:", "sections[0].fields[2].type:"],
    ]
    assert "选项重复 duplicate option '来电'" in lines[0] and "got 'txt'" in lines[1]
    assert lines[2].startswith("workflows/complaint.yaml:") and "表单 complaint 未能加载" in lines[2]


def test_values_get_suggestions_too(workspace):
    _edit(workspace, "formflow.yaml", "{name: 李娜, roles: [clerk], department: 客服中心}",
          "{name: 李娜, roles: [clerk], department: 客服部}")
    err = workspace.cli("check").err
    assert "staff[0].department: 未知的部门 unknown department '客服部'\n    修改建议 fix: 是否应为 did you mean '客服中心'?" in err


def test_closest_does_not_guess_between_equally_near_options():
    assert closest("客服部", ["客服中心", "工程维修部"]) == "客服中心"
    assert closest("重太", ["重大", "重要", "轻微"]) is None  # as near to 重大 as to 重要
    assert closest("repiar", ["repair", "renovation"]) == "repair"


def test_a_misspelt_option_in_a_condition_is_caught(workspace):
    """A guard comparing with an option that does not exist is never true: `check` says so, with the options."""
    _edit(workspace, "workflows/complaint.yaml", "guard: \"${severity} in ['重大', '重要']\"",
          "guard: \"${severity} in ['重太', '重要']\"")
    _edit(workspace, "forms/callback.yaml", "${method} == '上门'", "${method} == '上们'")
    line = _line_of(workspace, "workflows/complaint.yaml", "重太")
    err = workspace.cli("check").err
    assert (f"workflows/complaint.yaml:{line}:5: actions.escalate.guard: 「投诉级别」没有选项“重太” field 'severity' "
            "has no option '重太'\n    修改建议 fix: 可选 options: 重大、重要、轻微") in err
    assert "「回访方式」没有选项“上们” field 'method' has no option '上们'\n    修改建议 fix: 是否应为 did you mean '上门'?" in err


def test_a_key_in_clerk_text_is_a_warning(workspace):
    _edit(workspace, "workflows/complaint.yaml", "请用“重新处理”退回处理", "请用“重新处理”(reopen) 退回处理")
    line = _line_of(workspace, "workflows/complaint.yaml", "(reopen)")
    result = workspace.cli("check")
    assert result.code == 0
    assert (f"workflows/complaint.yaml:{line}:5: 警告 warning: actions.close.guard_message: 服务台和纸质表上会显示代码"
            "“(reopen)”，办事人员只看中文 clerks would read the key 'reopen' here") in result.err


def test_a_misspelt_key_is_one_message_and_the_rest_of_the_file_is_still_checked(workspace):
    """formflow.yaml: `offic:` for `office:` is one mistake (not also "missing office"), and a person's unknown
    department is reported in the same run."""
    _edit(workspace, "formflow.yaml", "\noffice: ", "\noffic: ")
    _edit(workspace, "formflow.yaml", "{name: 李娜, roles: [clerk], department: 客服中心}",
          "{name: 李娜, roles: [clerk], department: 客服部}")
    lines = [re.sub(r":\d+:\d+:", ":", line) for line in workspace.cli("check").err.splitlines()]
    assert lines[:4] == [
        "formflow.yaml: offic: 未知的键 unknown key 'offic'", "    修改建议 fix: 是否应为 did you mean 'office'?",
        "formflow.yaml: staff[0].department: 未知的部门 unknown department '客服部'",
        "    修改建议 fix: 是否应为 did you mean '客服中心'?"]
    assert lines[-1] == "共 2 处错误，请修改后重新运行 formflow check。"


def test_a_misspelt_key_in_one_action_does_not_hide_an_unknown_role_in_another(workspace):
    _edit(workspace, "workflows/repair.yaml", "    label: 派工\n", "    labl: 派工\n")
    _edit(workspace, "workflows/repair.yaml", "    roles: [clerk, supervisor, dept_head]\n    fields: [resident_opinion]",
          "    roles: [clerk, supervisr, dept_head]\n    fields: [resident_opinion]")
    lines = [re.sub(r":\d+:\d+:", ":", line) for line in workspace.cli("check").err.splitlines()]
    assert lines[:4] == [
        "workflows/repair.yaml: actions.dispatch.labl: 未知的键 unknown key 'labl'",
        "    修改建议 fix: 是否应为 did you mean 'label'?",
        "workflows/repair.yaml: actions.rework.roles[1]: 未知的角色 unknown role 'supervisr' (expected one of clerk, "
        "supervisor, director, dept_head, repair, finance, security, cleaning)",
        "    修改建议 fix: 是否应为 did you mean 'supervisor'?"]
    assert lines[-1] == "共 2 处错误，请修改后重新运行 formflow check。"


def test_an_unknown_state_is_one_message_and_a_bad_duration_says_how_to_write_one(workspace):
    """`to: arived` was 16 messages (every state and action after it "cannot be reached"); `due: 2days` quoted
    a regular expression. A schema error in a clock does not hide the unknown state in an action."""
    _edit(workspace, "workflows/repair.yaml", "    to: arrived\n", "    to: arived\n")
    _edit(workspace, "workflows/repair.yaml", '    due: 2d               # 日历日；改为工作日用 "2wd"', "    due: 2days")
    lines = [re.sub(r":\d+:\d+:", ":", line) for line in workspace.cli("check").err.splitlines()]
    assert lines == [
        "workflows/repair.yaml: actions.arrive.to: 未知的状态 unknown state 'arived'",
        "    修改建议 fix: 是否应为 did you mean 'arrived'?",
        "workflows/repair.yaml: clocks.rework.due: 期限写法不对 bad duration (got '2days')",
        "    修改建议 fix: 写成数字加单位：30m 分钟、2h 小时、3d 日历日、4wh 工作小时、3wd 工作日，或 eod 当天 a number and a unit: "
        "30m, 2h, 3d, 4wh, 3wd, or eod",
        *(re.sub(r":\d+:\d+:", ":", line) for line in CALENDAR_WARNING),
        "共 2 处错误，请修改后重新运行 formflow check。",
    ]
    _edit(workspace, "workflows/repair.yaml", "    due: 2days", "    due: 2d")
    lines = [line for line in workspace.cli("check").err.splitlines() if not line.startswith(("    ", "calendar"))]
    assert lines == ["workflows/repair.yaml:50:5: actions.arrive.to: 未知的状态 unknown state 'arived'",
                     "共 1 处错误，请修改后重新运行 formflow check。"]


def test_a_full_width_colon_inside_braces_is_named_too(workspace):
    """The shipped forms write fields as {name: …, label: …}: a 「：」 there makes one key of "label： 报修人"."""
    _edit(workspace, "forms/repair.yaml", "{name: reporter, label: 报修人,", "{name: reporter, label： 报修人,")
    lines = [line for line in workspace.cli("check").err.splitlines() if not line.startswith("calendar")]
    assert lines[:2] == [
        f"forms/repair.yaml:{_line_of(workspace, 'forms/repair.yaml', 'label： 报修人')}:26: sections[0].fields[3].label： 报修人: "
        "“label”后面的冒号是全角“：”，键后面要用半角冒号和空格“: ” a full-width colon '：' after a key: YAML needs ': '",
        FIX_COLON]
