"""Definition errors: every kind is caught by `check`, located to file:line:column with its key path."""

from __future__ import annotations

import pytest

from formflow.errors import DefinitionError

from ..conftest import CALENDAR_WARNING


def test_shipped_workspace_passes_check(workspace):
    result = workspace.cli("check")
    assert result.code == 0, result.err
    assert result.out.startswith("定义检查通过 OK: 9 个表单 forms, 10 名人员 staff")


def _editor_clutter(root) -> None:
    """What editors and file sharing leave beside a definition being edited."""
    (root / "forms" / ".#complaint.yaml").symlink_to("李娜@前台电脑.4242:1700000000")  # Emacs lock: a dangling link
    for folder in ("forms", "workflows", "choices"):
        (root / folder / "._complaint.yaml").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")  # AppleDouble
    (root / "forms" / "complaint.yaml~").write_text("id: [broken", encoding="utf-8")  # a backup file


def test_editor_and_os_clutter_beside_the_definitions_is_skipped(workspace):
    _editor_clutter(workspace.root)
    result = workspace.cli("check")
    assert (result.code, result.err.count("修改建议")) == (0, 1), result.err  # only the calendar warning
    assert result.out.startswith("定义检查通过 OK: 9 个表单 forms, 10 名人员 staff")
    workspace.write("inbox/a.yaml", """
        form: complaint
        by: 李娜
        at: 2026-11-28T09:00:00+08:00
        data: {channel: 来电, complainant: 张先生, unit: 3-2-1502, phone: "13812345678", details: 楼上漏水,
               category: 工程维修, severity: 重要, receiver: 李娜}
        """)
    result = workspace.cli("process")
    assert (result.code, result.out.splitlines()[0]) == (0, "✓ a.yaml → TS-YG-202611-0001"), result.err


def test_a_definition_that_is_a_link_to_nothing_is_reported_not_skipped(workspace):
    (workspace.root / "forms" / "shared.yaml").symlink_to(workspace.root / "gone.yaml")
    result = workspace.cli("check")
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "forms/shared.yaml:1:1: 无法读取 cannot read: No such file or directory",
        "    修改建议 fix: 放入文件本身，或删除它 put the file itself here, or remove it"]


def test_structure_errors_name_file_line_key_and_fix(workspace):
    workspace.write("forms/t.yaml", """
        id: t
        title: 测试表
        version: 1
        number: {pattern: "T-{yyyy}-{seq:04}"}
        sections:
          - title: 基本信息
            fields:
              - {name: a, label: 甲, type: txt}
              - {name: b, label: 乙, type: integer, min: 五}
              - name: c
                lable: 丙
                type: text
        """)
    result = workspace.cli("check")
    assert result.code == 1
    assert result.out == ""
    assert result.err.splitlines() == [
        "forms/t.yaml:8:29: sections[0].fields[0].type: 不是允许的值 not an allowed value (expected one of text, "
        "textarea, integer, decimal, money, date, time, datetime, yesno, choice, multichoice, mobile, id_number, "
        "unit, staff, table, signature, note, got 'txt')",
        "    修改建议 fix: 是否应为 did you mean 'text'?",
        "forms/t.yaml:9:44: sections[0].fields[1].min: 类型不对 wrong type (expected 数字 number, got '五')",
        "forms/t.yaml:11:9: sections[0].fields[2].lable: 未知的键 unknown key 'lable'",  # (not also "no label")
        "    修改建议 fix: 是否应为 did you mean 'label'?",
        *CALENDAR_WARNING,
        "共 3 处错误，请修改后重新运行 formflow check。",
    ]


def test_meaning_errors_are_all_collected_in_file_order(workspace):
    workspace.write("forms/t.yaml", """
        id: t
        title: 测试表
        version: 1
        number: {pattern: "T-{yyyy}{mm}", reset: daily}
        sections:
          - title: 基本信息
            fields:
              - {name: kind, label: 类别, type: choice, choices: no_such_list}
              - {name: kind, label: 类别二, type: text, columns: [{name: x, label: X, type: text}]}
              - {name: leak, label: 试漏日期, type: date, show_if: "${categroy} == '渗漏水'"}
              - {name: qty, label: 数量, type: integer, default: 很多}
              - {name: note1, label: 说明, type: note}
        """)
    assert workspace.cli("check").err.splitlines() == [
        "forms/t.yaml:4:10: number.pattern: 编号规则缺少流水号 the pattern has no serial {seq} (got 'T-{yyyy}{mm}')",
        "    修改建议 fix: 加上流水号 add one, e.g. 'T-{yyyy}{mm}-{seq:04}'",
        "forms/t.yaml:4:35: number.reset: 按 daily 重新编号，但规则中没有 dd，编号会重复 the serial restarts daily but "
        "the pattern lacks dd: numbers would repeat",
        "    修改建议 fix: 在 pattern 中加入相应日期部分，或改为 reset: never add the date part or use reset: never",
        "forms/t.yaml:8:47: sections[0].fields[0].choices: 选项列表不存在 choice list 'no_such_list' does not exist",
        "    修改建议 fix: 在 choices/*.yaml 中定义它，或直接列出选项 define it in choices/*.yaml or list the options inline",
        "forms/t.yaml:9:10: sections[0].fields[1].name: 字段名重复 duplicate field name 'kind' (first at line 8)",
        "    修改建议 fix: 每个字段需要唯一的 name give each field its own name",
        "forms/t.yaml:9:46: sections[0].fields[1].columns: 'columns' 不适用于类型 text does not apply to type 'text' "
        "(only table)",
        "    修改建议 fix: 删除 'columns' 或改变类型 remove it or change the type",
        "forms/t.yaml:10:47: sections[0].fields[2].show_if: 表达式引用了不存在的字段 expression names an unknown field "
        "'categroy'",
        "    修改建议 fix: 检查字段名拼写 check the field name",
        "forms/t.yaml:11:47: sections[0].fields[3].default: 默认值不符合字段类型 default does not fit the field: "
        "应为整数，填写的是 “很多”",
        "forms/t.yaml:12:9: sections[0].fields[4]: 说明需要 'text' a note needs 'text'",
        *CALENDAR_WARNING,
        "共 8 处错误，请修改后重新运行 formflow check。",
    ]


def test_errors_in_several_files_are_reported_together(workspace):
    workspace.write("forms/a.yaml", "id: b\ntitle: 甲\nversion: 0\nnumber: {pattern: 'A-{seq}'}\nsections: []\n")
    workspace.write("forms/c.yaml", "id: c\ntitle: [丙\n")
    lines = workspace.cli("check").err.splitlines()
    assert lines == [
        "forms/a.yaml:3:1: version: 数值超出范围 out of range (expected 至少 at least 1, got 0)",
        "forms/a.yaml:5:1: sections: 不能为空 must not be empty (expected at least 1, got 列表 list)",
        "forms/c.yaml:3:1: YAML 格式错误 YAML syntax error: 方括号 [ ] 没有成对，或列表中缺少逗号 expected ',' or ']', but got '<stream end>'",
        "    修改建议 fix: 检查缩进、冒号后的空格和引号是否成对 check indentation, the space after ':' and matching quotes",
        *CALENDAR_WARNING,
        "共 3 处错误，请修改后重新运行 formflow check。",
    ]


@pytest.mark.parametrize(("field", "message"), [
    ("{name: x, label: X, type: text, constraint: '${.} ==', constraint_message: 错}",
     "sections[0].fields[1].constraint: 表达式语法错误 expression syntax error: '${.} ==' (invalid syntax)"),
    ("{name: x, label: X, type: text, show_if: \"__import__('os')\"}",
     "sections[0].fields[1].show_if: 未知的函数 unknown function in \"__import__('os')\" "
     "(expected one of date, days, filled, len, mobile, now, number, today, total)"),
    ("{name: x, label: X, type: text, show_if: \"${a}.__class__ == 'A'\"}",
     "sections[0].fields[1].show_if: 表达式中不允许使用 not allowed in expressions: Attribute in \"${a}.__class__ == 'A'\""),
    ("{name: x, label: X, type: text, show_if: '${.} == 1'}",
     "sections[0].fields[1].show_if: ${.} 只能用在 constraint 中 ${.} only works in a constraint"),
    ("{name: x, label: X, type: choice}",
     "sections[0].fields[1]: 类型 choice 需要 'choices' needs 'choices'"),
    ("{name: x, label: X, type: choice, choices: [是, 否, 是]}",
     "sections[0].fields[1].choices[2]: 选项重复 duplicate option '是'"),
    ("{name: x, label: X, type: table}",
     "sections[0].fields[1]: 表格需要 'columns' a table needs 'columns'"),
    ("{name: x, label: X, type: signature, required: true}",
     "sections[0].fields[1].required: signature 只用于纸质表，不能必填 is paper-only and cannot be required"),
    ("{name: x, label: X, type: integer, min: 5, max: 1}",
     "sections[0].fields[1].min: min 大于 max is greater than max (5 > 1)"),
    ("{name: X1, label: X, type: text}",
     "sections[0].fields[1].name: 名称格式不对 bad name (expected lower-case letters, digits and _, starting with a "
     "letter, got 'X1')"),
    ("{name: x, label: X, type: text, required: \"${nope} == 1\"}",
     "sections[0].fields[1].required: 表达式引用了不存在的字段 expression names an unknown field 'nope'"),
])
def test_each_definition_error_kind(workspace, field, message):
    workspace.write("forms/t.yaml", f"""
        id: t
        title: 测试
        version: 1
        number: {{pattern: "T-{{seq:04}}", reset: never}}
        sections:
          - title: 一
            fields:
              - {{name: a, label: 甲, type: text}}
              - {field}
        """)
    with pytest.raises(DefinitionError) as info:
        workspace.load()
    errors = [p for p in info.value.problems if not p.warning]
    assert [f"{p.keys}: {p.message}" for p in errors] == [message]
    assert all(p.path == "forms/t.yaml" and p.line == 9 for p in errors)


def test_file_name_must_match_id(workspace):
    (workspace.root / "forms/complaint.yaml").rename(workspace.root / "forms/tousu.yaml")
    err = workspace.cli("check").err
    assert err.startswith("forms/tousu.yaml:4:1: id: id 与文件名不符 id 'complaint' does not match the file name "
                          "tousu.yaml\n    修改建议 fix: 把文件改名为 rename the file to complaint.yaml\n")


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite(workspace):
    workspace.write("forms/t.yaml", "id: t\ntitle: 甲\ntitle: 乙\n")
    assert workspace.cli("check").err.splitlines()[:2] == [
        "forms/t.yaml:3:1: title: 键重复 duplicate key 'title'（第 2 行已出现 first at line 2）",
        "    修改建议 fix: 删除或合并其中一个 remove or merge one of them",
    ]
