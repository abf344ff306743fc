"""`formflow blank` and `formflow print` through the real CLI, read back with poppler."""

from __future__ import annotations

import subprocess


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_blank_prints_the_paper_form(workspace):
    result = workspace.cli("blank", "repair")
    assert result.code == 0, result.err
    pdf = workspace.root / "outbox" / "blank" / "repair.pdf"
    assert result.out.strip() == "已生成 written: outbox/blank/repair.pdf"  # relative to --root (the cwd here)
    text = _text(pdf)
    assert "维修" in text and "□" in text
    assert "试漏日期" in text  # a conditional field is printed, with its condition as an instruction
    assert "仅当" in text


def test_blank_refuses_unknown_forms_and_existing_files(workspace):
    result = workspace.cli("blank", "parking")
    assert (result.code, result.err.splitlines()[0]) == (
        1, "没有表单 no form “parking”；可用 available: callback, complaint, fee_collection, fee_reminder, movein, renovation, repair, "
           "service, survey")
    (workspace.root / "mine.pdf").write_bytes(b"keep me")
    result = workspace.cli("blank", "repair", "-o", "mine.pdf")
    assert result.code == 1
    assert (workspace.root / "mine.pdf").read_bytes() == b"keep me"


def test_print_renders_a_record_again_and_refuses_unknown_numbers(workspace):
    workspace.write("inbox/a.yaml", """
        form: complaint
        by: 李娜
        at: 2026-11-27T09:00:00+08:00
        data: {channel: 来电, complainant: 张先生, unit: 3-2-1502, phone: "13812345678", details: 漏水,
               category: 工程维修, severity: 轻微, receiver: 李娜}
        """)
    assert workspace.cli("process").code == 0
    pdf = workspace.root / "outbox" / "records" / "complaint" / "TS-YG-202611-0001.pdf"
    pdf.unlink()
    result = workspace.cli("print", "TS-YG-202611-0001")
    assert result.code == 0, result.err
    assert "张先生" in _text(pdf)
    result = workspace.cli("print", "../../etc/passwd")
    assert result.code == 1
    assert "没有记录" in result.err
