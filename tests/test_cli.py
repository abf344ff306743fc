"""The CLI end to end: init, --root, forms, new, validate, exit codes, no tracebacks for user mistakes."""

from __future__ import annotations

import subprocess
import sys

from formflow.cli import main


def test_init_creates_a_checked_workspace(tmp_path, capsys):
    target = tmp_path / "阳光花园"
    assert main(["init", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == [
        "calendar.yaml", "choices", "data", "duties.yaml", "fees", "formflow.yaml", "forms", "inbox", "outbox", "units.yaml", "workflows"]
    assert main(["check", "--root", str(target)]) == 0
    capsys.readouterr()
    assert main(["init", str(target)]) == 1
    assert capsys.readouterr().err == f"这里已经是一个工作区 a workspace already exists at {target} (found formflow.yaml)\n"


def test_root_option_and_missing_workspace(tmp_path, capsys):
    assert main(["check", "--root", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err == (f"工作区不存在 workspace not found: {tmp_path / 'nowhere'}\n"
                   f"    修改建议 fix: formflow init {tmp_path / 'nowhere'}\n")
    assert main(["check", "--root", str(tmp_path)]) == 1
    assert "formflow.yaml:1:1: 找不到设置文件 settings file not found" in capsys.readouterr().err


def test_forms_lists_chinese_titles(workspace):
    out = workspace.cli("forms").out
    assert "complaint       投诉处理记录（第1版）  Complaint record" in out.splitlines()
    assert len(out.splitlines()) == 9


def test_new_refuses_unknown_form_and_overwrite(workspace):
    result = workspace.cli("new", "tousu")
    assert (result.code, result.err) == (1, "没有表单 no form “tousu”；可用 available: callback, complaint, fee_collection, fee_reminder, "
                                             "movein, renovation, repair, service, survey\n")
    workspace.write("x.yaml", "keep me")
    result = workspace.cli("new", "complaint", "-o", "x.yaml")
    assert result.code == 1 and (workspace.root / "x.yaml").read_text() == "keep me"


def test_validate_reports_envelope_and_data_together(workspace):
    workspace.write("a.yaml", """
        form: complaint
        by: 路人甲
        at: 昨天
        extra: 1
        data: {channel: 微博}
        """)
    result = workspace.cli("validate", "a.yaml")
    assert result.code == 1
    assert result.out.splitlines()[:5] == [
        "✗ a.yaml：11 处问题",
        "  - extra（第 4 行）：未知的键，可用的键：at, by, data, form, version",
        "  - 「经办人」（第 2 行）：“路人甲”不在人员名册中（名册：李娜、王芳、赵敏、陈建国、刘强、张伟、孙磊、周涛、吴静、郑丽）",
        "  - 「办理时间」（第 3 行）：日期时间格式不对，应写成 2026-11-28 14:30，填写的是 “昨天”",
        "  - 「投诉方式」（第 5 行）：“微博”不在选项中，可选：来电、来访、来函、网络/APP、其他",
    ]


def test_validate_bad_files(workspace):
    workspace.write("broken.yaml", "form: complaint\ndata: {a: [1, 2}\n")
    (workspace.root / "gbk.yaml").write_bytes("form: 投诉".encode("gbk"))
    workspace.write("nothing.yaml", "# only a comment\n")
    workspace.write("stream.yaml", "form: complaint\nby: 李娜\n---\nform: nope\nby: 李娜\n")
    result = workspace.cli("validate", "broken.yaml", "gbk.yaml", "nothing.yaml", "stream.yaml")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0:2] == ["✗ broken.yaml：1 处问题",
                          "  - 格式错误：第 2 行第 16 列，方括号 [ ] 没有成对，或列表中缺少逗号"]
    assert lines[2:4] == ["✗ gbk.yaml：1 处问题",
                          "  - 文件不是 UTF-8 编码的文字（可能是 GBK 编码或二进制文件），请用 UTF-8 编码另存后重新放入"]
    assert lines[4:6] == ["✗ nothing.yaml：1 处问题", "  - 文件是空的，没有任何内容"]
    assert lines[6] == "✗ stream.yaml：8 处问题"  # (接待人 is who signs: by: 李娜)
    assert lines[7] == "  - 第1份文档 document 1：「投诉方式」：必填项未填写"
    assert lines[-1] == ("  - 第2份文档 document 2：「表单」（第 4 行）：没有表单“nope”，可用的表单：callback, complaint, "
                         "fee_collection, fee_reminder, movein, renovation, repair, service, survey")


def test_definition_errors_exit_1_without_traceback(workspace):
    workspace.write("forms/complaint.yaml", "id: complaint\n")
    result = workspace.cli("new", "complaint")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.startswith("forms/complaint.yaml:1:1: 缺少必填键 missing required key 'title'")


def test_console_script_help_is_chinese_first():
    out = subprocess.run([sys.executable, "-m", "formflow", "--help"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("Usage: formflow [OPTIONS] COMMAND [ARGS]...\n\n  formflow — 物业客服中心的离线表单与流程")
    for command in ("init", "check", "forms", "new", "validate"):
        assert f"  {command} " in out
