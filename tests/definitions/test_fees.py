"""``fees:`` of formflow.yaml: the billing system's own header names, and their mistakes with file:line."""

from __future__ import annotations


def test_the_office_s_names_are_read(workspace):
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "fees:\n  columns:\n    owed: [本期欠费, ' 未缴 ']\n",
                        encoding="utf-8")
    assert dict(workspace.load().settings.fees.columns) == {"owed": ("本期欠费", "未缴")}


def test_check_names_a_bad_fees_setting_with_its_line(workspace):
    settings = workspace.root / "formflow.yaml"
    text = settings.read_text(encoding="utf-8") + "fees:\n  columns:\n    owed: 本期欠费\n    item: [账期]\n    period: [账期]\n"
    settings.write_text(text, encoding="utf-8")
    lines = len(text.splitlines())
    result = workspace.cli("check")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("formflow.yaml:")]
    assert errors == [f"formflow.yaml:{lines - 2}:5: fees.columns.owed: 类型不对 wrong type (expected 列表 list, got '本期欠费')"]
    settings.write_text(text.replace("owed: 本期欠费", "owed: [本期欠费]"), encoding="utf-8")
    assert workspace.cli("check").err.splitlines()[:2] == [
        (f"formflow.yaml:{lines}:14: fees.columns.period[0]: 表头“账期”同时列在 item（收费项目）和 period（所属期间）下 "
         "header '账期' is named for two columns"),
        "    修改建议 fix: 每个表头只能对应一列 keep it under one column only"]
