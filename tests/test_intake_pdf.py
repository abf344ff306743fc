"""Filled PDF forms in the inbox: the fillable blank, filled by an independent program, ingested like YAML.

The filler is pdftk (pdftk-java, installed by ``scripts/setup.sh test``): it lists the blank's
fields and fills them from XFDF with UTF-8 Chinese values, as a clerk's PDF reader would; the
engine then reads the saved file with pypdf (formflow/intake_pdf.py). Files the engine must set
aside — scans, record printouts, encrypted, broken, foreign, newer or unfilled PDFs — are made
here with pypdf or taken from the renderer itself.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from formflow.adapters.store import Store
from formflow.app import dump
from formflow.intake import read_content
from formflow.intake_pdf import SIGNER_FIELDS, form_data, pdf_envelope
from formflow.pdf_fields import NotAForm, read_fields
from formflow.render.pdf import render_blank
from formflow.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
PDFTK = shutil.which("pdftk")
needs_pdftk = pytest.mark.skipif(PDFTK is None, reason="pdftk is not installed: `scripts/setup.sh test` installs "
                                                       "pdftk-java, the independent form filler of these tests")
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

COMPLAINT = {
    "received_at": "2026-11-28 09:15",
    "channel": "来访",
    "complainant": "张三丰",
    "unit": "3-2-1502",
    "phone": "13812345678",
    "occurred_at": "2026年11月27日 20:30",  # dates are typed as text, in any form a YAML file may use
    "details": "楼上卫生间漏水，天花板有水渍。\n住户已拍照留存，要求今天上门查看。",
    "category": "工程维修",
    "severity": "重要投诉（管理、服务工作失误）",  # ticked by its printed label
    "valid": "是",
    "urgent_harm": "否",
    "receiver": "李娜",
}


@pytest.fixture(scope="module")
def shipped():
    return Workspace(REPO).load()


@pytest.fixture(scope="module")
def blanks(shipped, tmp_path_factory):
    """Fillable blanks of the shipped forms, rendered once for the module."""
    folder = tmp_path_factory.mktemp("blanks")
    made: dict[str, Path] = {}

    def blank(form_id: str) -> Path:
        if form_id not in made:
            made[form_id] = folder / f"{form_id}.pdf"
            made[form_id].write_bytes(render_blank(shipped, form_id, fillable=True))
        return made[form_id]

    return blank

RADIO = 1 << 15  # the radio flag of a button field


# ── the independent filler ─────────────────────────────────────────────────────────────────

def pdftk_fields(pdf: Path) -> list[dict]:
    """``pdftk dump_data_fields_utf8``: each field's FieldName, FieldNameAlt, FieldType and state options."""
    out = subprocess.run([PDFTK, str(pdf), "dump_data_fields_utf8"], capture_output=True, check=True).stdout
    fields = []
    for block in out.decode("utf-8").split("---"):
        field: dict = {"options": []}
        for line in block.strip().splitlines():
            key, _, value = line.partition(": ")
            if key == "FieldStateOption":
                field["options"].append(value)
            else:
                field[key] = value
        if "FieldName" in field:
            fields.append(field)
    return fields


def pdftk_fill(blank: Path, values: dict[str, str], out: Path) -> Path:
    """Fill ``blank`` with pdftk from XFDF (UTF-8); a choice is given by its printed label.

    Text fields and the check boxes of a multi-choice (``x.N``, value ``on``) are filled by name.
    For a radio group pdftk sets the appearance state it is given: it lists the group with the
    option labels as state options, and WeasyPrint names the states by their index in that list.
    """
    fields = pdftk_fields(blank)
    names = {f["FieldName"] for f in fields}
    entries = []
    for key, value in values.items():
        group = next((f for f in fields if key in (f["FieldName"], f.get("FieldNameAlt"))
                      and int(f.get("FieldFlags", 0)) & RADIO and value in f["options"]), None)
        if group is not None:
            name, value = group["FieldName"], str(group["options"].index(value))
        else:
            assert key in names, f"the blank has no field {key}: {sorted(names)}"
            name = key
        entries.append(f'<field name="{escape(name)}"><value>{escape(value)}</value></field>')
    xfdf = out.with_suffix(".xfdf")
    xfdf.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<xfdf xmlns="http://ns.adobe.com/xfdf/" '
                    f'xml:space="preserve"><fields>{"".join(entries)}</fields></xfdf>\n', encoding="utf-8")
    subprocess.run([PDFTK, str(blank), "fill_form", str(xfdf), "output", str(out)], capture_output=True, check=True)
    return out


def signed(blank: Path, values: dict[str, str], clerk: str = "李娜") -> dict[str, str]:
    """``values`` plus the clerk's name in ``_by`` once the renderer prints that box."""
    if any(f["FieldName"] == "_by" for f in pdftk_fields(blank)):
        return {**values, "_by": clerk}
    return values


def note_of(workspace, name: str) -> str:
    [note] = (workspace.root / "outbox" / "rejected").glob(f"*-{name}.说明.txt")
    return note.read_text("utf-8")


# ── the round trip ─────────────────────────────────────────────────────────────────────────

@needs_pdftk
def test_a_pdf_filled_by_pdftk_is_stored_archived_and_rebuilt(workspace, blanks, tmp_path):
    blank = blanks("complaint")
    names = {f["FieldName"] for f in pdftk_fields(blank)}
    assert {"_record", "complainant", "details", "phone", "receiver"} <= names
    filled = pdftk_fill(blank, signed(blank, COMPLAINT), tmp_path / "filled.pdf")
    shutil.copy(filled, workspace.root / "inbox" / "投诉-张三丰.pdf")

    result = workspace.cli("process", "--now", "2026-11-28T10:00+08:00")

    assert result.code == 0, result.out
    assert result.out.splitlines()[0] == "✓ 投诉-张三丰.pdf → TS-YG-202611-0001"
    [record] = Store(workspace.root / "data" / "db").records()
    event = record.events[0]
    assert (record.form, record.form_version, event.by) == ("complaint", 1, "李娜")
    assert event.at.isoformat() == "2026-11-28T10:00:00+08:00"  # the envelope's time: when the file came in
    assert event.data == {
        "received_at": "2026-11-28T09:15+08:00", "channel": "来访", "complainant": "张三丰", "unit": "3-2-1502",
        "phone": "13812345678", "occurred_at": "2026-11-27T20:30+08:00",
        "details": "楼上卫生间漏水，天花板有水渍。\n住户已拍照留存，要求今天上门查看。",
        "category": "工程维修", "severity": "重要", "valid": True, "urgent_harm": False, "receiver": "李娜",
    }
    [archived] = (workspace.root / "data" / "archive").rglob("*.pdf")
    assert archived.name.endswith("-投诉-张三丰.pdf") and archived.read_bytes() == filled.read_bytes()
    assert list((workspace.root / "inbox").iterdir()) == []

    before = dump(Store(workspace.root / "data" / "db"))
    assert workspace.cli("rebuild").code == 0
    assert dump(Store(workspace.root / "data" / "db")) == before

    # The same file again is a duplicate, as for YAML.
    shutil.copy(filled, workspace.root / "inbox" / "again.pdf")
    assert workspace.cli("process", "--now", "2026-11-28T10:05+08:00").out.startswith("= again.pdf：重复提交")

    # The record's own printout is not a form: set aside, with why.
    shutil.copy(workspace.root / "outbox/records/complaint/TS-YG-202611-0001.pdf", workspace.root / "inbox" / "打印件.pdf")
    result = workspace.cli("process", "--now", "2026-11-28T10:10+08:00")
    assert result.code == 1
    assert "这是记录 TS-YG-202611-0001 的打印件" in note_of(workspace, "打印件.pdf")


@needs_pdftk
def test_an_invalid_phone_is_set_aside_naming_the_field(workspace, blanks, tmp_path):
    blank = blanks("complaint")
    filled = pdftk_fill(blank, signed(blank, {**COMPLAINT, "phone": "1381234"}), tmp_path / "bad.pdf")
    shutil.copy(filled, workspace.root / "inbox" / "坏电话.pdf")
    result = workspace.cli("process", "--now", "2026-11-28T10:00+08:00")
    assert result.code == 1
    assert result.out.splitlines()[0] == "✗ 坏电话.pdf：1 处问题，已放到 outbox/rejected/20261128-100000-坏电话.pdf"
    note = note_of(workspace, "坏电话.pdf")
    assert "「联系电话」：不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “1381234”" in note
    assert list(Store(workspace.root / "data" / "db").records()) == []
    # `formflow validate` reads a PDF the same way.
    result = workspace.cli("validate", str(workspace.root / "outbox/rejected/20261128-100000-坏电话.pdf"))
    assert result.code != 0 and "「联系电话」" in result.out + result.err


@needs_pdftk
def test_the_signer_must_be_on_the_roster(shipped, blanks, tmp_path):
    blank = blanks("complaint")
    if any(f["FieldName"] == "_by" for f in pdftk_fields(blank)):
        pytest.skip("the blank has a 经办人 (_by) box: the form's receiver no longer signs")
    filled = pdftk_fill(blank, {**COMPLAINT, "receiver": "王五"}, tmp_path / "stranger.pdf")
    checked, problems = read_content(filled.read_bytes(), "stranger.pdf", shipped, NOW)
    assert checked and len(problems) == 1
    assert problems[0].startswith("「接待人」：“王五”不在人员名册中。此 PDF 表单没有单独的「经办人」栏，"
                                  "以「接待人」为经办人，须填写名册中的姓名（名册：李娜、")


@needs_pdftk
def test_table_rows_yes_no_cells_and_ticked_boxes(shipped, blanks, tmp_path):
    """Table cells ``<table>.<row>.<column>`` (empty rows skipped); multi-choice boxes ticked one by one."""
    blank = blanks("movein")
    filled = pdftk_fill(blank, {
        "unit": "5-1-0801", "owner_name": "欧阳娜娜", "members.1.member_name": "欧阳小明", "members.1.relation": "子女",
        "members.3.member_name": "李桂兰", "members.3.relation": "父母", "members.3.member_phone": "13900001111",
        "inspection_items.1.item": "入户门", "inspection_items.1.passed": "是",
        "inspection_items.2.item": "卫生间防水", "inspection_items.2.passed": "否",
        "inspection_items.2.problem": "地漏周边渗水", "fees.1.fee_amount": "1,280.50", "clerk": "王芳",
        "docs_signed.0": "on", "docs_signed.3": "on",  # 已签署文件: each box is a field of its own
    }, tmp_path / "movein.pdf")
    boxes = {f["FieldName"]: f for f in pdftk_fields(filled) if f["FieldName"].startswith("docs_signed")}
    assert sorted(boxes) == [f"docs_signed.{i}" for i in range(4)]
    assert [boxes[f"docs_signed.{i}"]["FieldValue"] for i in range(4)] == ["on", "Off", "Off", "on"]

    envelope, problems, by_problems = pdf_envelope(filled.read_bytes(), shipped)
    assert (problems, by_problems, envelope["by"]) == ([], [], "王芳")
    data = envelope["data"]
    assert data["members"] == [{"member_name": "欧阳小明", "relation": "子女"},
                               {"member_name": "李桂兰", "relation": "父母", "member_phone": "13900001111"}]
    assert data["inspection_items"] == [{"item": "入户门", "passed": "是"},
                                        {"item": "卫生间防水", "passed": "否", "problem": "地漏周边渗水"}]
    assert data["fees"] == [{"fee_amount": "1,280.50"}]
    assert data["docs_signed"] == ["前期物业服务协议/临时公约", "物业收费协议"]


# ── files that are set aside ───────────────────────────────────────────────────────────────

def _rewritten(blank: Path, change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(blank))
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _plain_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _reason(raw: bytes, defs) -> str:
    checked, problems = read_content(raw, "x.pdf", defs, NOW)
    assert checked == [] and len(problems) == 1
    return problems[0]


def test_a_scan_or_plain_pdf_is_not_a_form(shipped):
    assert _reason(_plain_pdf(), shipped).startswith("这是扫描件/普通 PDF，不是本系统的可填写表单")


def test_a_printed_blank_without_fields_is_explained(shipped):
    assert "其中没有可填写的栏目" in _reason(render_blank(shipped, "callback"), shipped)


def test_an_unfilled_blank_is_explained(shipped, blanks):
    assert _reason(blanks("complaint").read_bytes(), shipped).startswith("这是一份还没有填写的「投诉处理记录」空白表")


def test_foreign_unknown_and_newer_forms_are_set_aside(shipped, blanks):
    blank = blanks("complaint")
    no_info = _rewritten(blank, lambda w: setattr(w, "metadata", None))
    assert "没有本系统的表单标识" in _reason(no_info, shipped)
    unknown = _rewritten(blank, lambda w: w.add_metadata({"/formflowform": "parking_permit"}))
    assert _reason(unknown, shipped).startswith("PDF 标明的表单“parking_permit”在本工作区中没有（可用的表单：")
    newer = _rewritten(blank, lambda w: w.add_metadata({"/formflowformversion": "2"}))
    assert _reason(newer, shipped).startswith("此 PDF 是「投诉处理记录」第2版的空白表，但本工作区的表单只有第1版")


def test_encrypted_broken_and_mislabelled_files_never_crash(shipped, blanks):
    locked = _rewritten(blanks("complaint"), lambda w: w.encrypt("secret", algorithm="RC4-128"))
    assert _reason(locked, shipped).startswith("PDF 文件已加密")
    raw = blanks("complaint").read_bytes()
    for broken in (raw[:200], b"%PDF-1.7\n" + bytes(range(256)) * 40):
        reason = _reason(broken, shipped)
        assert "损坏" in reason or "扫描件" in reason, reason
    # Half a file: pypdf rebuilds what it can find; whatever it finds, the file is set aside, with a reason.
    assert _reason(raw[:9] + raw[len(raw) // 2:], shipped)
    assert "内容不是 PDF 文件" in _reason("form: complaint\n".encode(), shipped)


ENCRYPTED = ("PDF 文件已加密（设置了打开密码或权限密码），无法读取其中的表单：请在 PDF 阅读器中另存为未加密的副本"
             "（或取消密码保护）后重新放入")


@needs_pdftk
def test_aes_encrypted_pdfs_are_reported_as_encrypted_not_damaged(shipped, blanks, tmp_path):
    """What PDF readers write when a password is set is AES; pypdf cannot even try the empty password without
    a cryptography package (DependencyError). That is an encrypted file, which the clerk can fix, not a broken one."""
    for name, passwords in (("open", ["user_pw", "1234", "owner_pw", "x"]), ("restrict", ["owner_pw", "x"])):
        locked = tmp_path / f"{name}.pdf"  # AES-128, by an independent program
        subprocess.run([PDFTK, str(blanks("complaint")), "output", str(locked), "encrypt_aes128", *passwords],
                       check=True, capture_output=True)
        assert _reason(locked.read_bytes(), shipped) == ENCRYPTED
    # AES-256 (what current readers write): made with qpdf, see tests/corpus/README.md
    assert _reason((REPO / "tests" / "corpus" / "encrypted-aes256.pdf").read_bytes(), shipped) == ENCRYPTED


@needs_pdftk
def test_an_invisible_character_typed_into_a_box_is_named(shipped, blanks, tmp_path):
    filled = pdftk_fill(blanks("complaint"), signed(blanks("complaint"), COMPLAINT), tmp_path / "filled.pdf")

    def type_a_bell(writer):
        for ref in writer._root_object["/AcroForm"]["/Fields"]:
            if ref.get_object().get("/T") == "complainant":
                ref.get_object()[NameObject("/V")] = TextStringObject("张三\x07丰")

    _, problems = read_content(_rewritten(filled, type_a_bell), "x.pdf", shipped, NOW)
    assert problems == ["「投诉人」：第 3 个字处有一个看不见的控制字符（U+0007，多半是从其他软件复制时带进来的），"
                        "无法保存和打印；请删除这个字符，或删掉此项后重新输入"]


def test_damaged_copies_are_set_aside_never_raise(shipped, blanks):
    """Cut, flipped and holed copies of a blank: each is read or set aside, none raises (bounded: 90 copies)."""
    import random

    raw = _rewritten(blanks("complaint"), lambda w: None)
    rng = random.Random(20261128)
    for i in range(90):
        copy = bytearray(raw)
        if i % 3 == 0:
            copy = copy[:rng.randrange(len(copy))]
        elif i % 3 == 1:
            for _ in range(rng.randint(1, 20)):
                copy[rng.randrange(len(copy))] = rng.randrange(256)
        else:
            start = rng.randrange(len(copy))
            del copy[start:start + rng.randint(1, 500)]
        checked, problems = read_content(bytes(copy), "x.pdf", shipped, NOW)
        assert problems or checked


def test_the_size_limit(shipped, monkeypatch):
    import formflow.intake_pdf as intake_pdf

    monkeypatch.setattr(intake_pdf, "MAX_PDF_BYTES", 1024)
    assert _reason(_plain_pdf() + b"%" * 2048, shipped).startswith("PDF 文件太大")


@needs_pdftk
def test_a_filled_record_number_is_refused(shipped, blanks, tmp_path):
    blank = blanks("complaint")
    filled = pdftk_fill(blank, signed(blank, {**COMPLAINT, "_record": "TS-YG-202611-0001"}), tmp_path / "n.pdf")
    _, problems = read_content(filled.read_bytes(), "n.pdf", shipped, NOW)
    assert problems == ["「记录编号」栏填了“TS-YG-202611-0001”：可填写 PDF 只用于登记新记录，编号由系统分配，此栏请留空；"
                        "对已有记录的办理请用 YAML 文件（record:、action:）或前台网页"]


# ── the contract with the renderer ─────────────────────────────────────────────────────────

def test_every_field_of_every_fillable_blank_maps_to_the_form(shipped, blanks):
    """Each data field of each shipped form has a box in its fillable blank that reads back to it."""
    for form in shipped.forms.values():
        fields = read_fields(PdfReader(blanks(form.id)))
        data, special, problems = form_data(form, fields)
        assert (data, problems) == ({}, []), form.id
        assert set(special) <= {"_record", "_by"}, form.id
        names = {f.name for f in fields}
        for field in form.iter_fields():
            if not field.holds_data or field.print.hidden:
                continue
            if field.type == "table":
                assert any(n.startswith(f"{field.name}.1.") for n in names), (form.id, field.name)
            elif field.type == "multichoice" and field.name not in names:  # tick boxes, one field each
                options = len(field.choices.options)
                assert {f"{field.name}.{i}" for i in range(options)} <= names, (form.id, field.name)
            else:
                assert field.name in names, (form.id, field.name)
        assert "_by" in names or any(n in form.fields for n in SIGNER_FIELDS), form.id


def test_not_a_form_is_an_exception_with_chinese_text(shipped):
    with pytest.raises(NotAForm, match="扫描件"):
        pdf_envelope(_plain_pdf(), shipped)


def test_the_blank_s_form_fields_follow_the_pdf_spec(shipped, blanks):
    """What render/acroform.py puts right in WeasyPrint's fields: radio buttons are widgets of their group
    (no name of their own, not listed as fields), every default appearance is valid (no ``gs``) and text
    fields name Helvetica, which fillers can draw digits with (pdftk drew boxes with the embedded cut)."""
    for form_id in shipped.forms:
        data = blanks(form_id).read_bytes()
        assert len(data) <= 1_000_000, (form_id, len(data))
        acro = PdfReader(io.BytesIO(data)).trailer["/Root"]["/AcroForm"]
        kinds = set()
        for ref in acro["/Fields"]:
            field = ref.get_object()
            assert "/Parent" not in field, form_id
            kinds.add((field.get("/FT"), int(field.get("/Ff", 0)) & (1 << 15)))
            assert " gs" not in str(field.get("/DA", "")), (form_id, field.get("/T"))
            if field.get("/FT") == "/Tx":
                font = re.search(r"(/\S+)\s+[\d.]+\s+Tf", str(field["/DA"]))
                assert font and font.group(1) == "/Helv", (form_id, field.get("/T"))  # a font every filler knows
                assert acro["/DR"]["/Font"]["/Helv"]["/BaseFont"] == "/Helvetica"
            for kid in field.get("/Kids") or []:
                assert "/T" not in kid.get_object(), (form_id, field.get("/T"))
        assert ("/Tx", 0) in kinds and ("/Btn", 1 << 15) in kinds, form_id


@needs_pdftk
def test_boxes_of_blanks_printed_before_one_field_per_box_are_still_read(shipped, blanks, tmp_path):
    """Blanks printed by earlier versions named all boxes of a multi-choice alike (state ``on``): still read."""
    writer = PdfWriter(clone_from=PdfReader(pdftk_fill(blanks("movein"), {"unit": "5-1-0801", "owner_name": "欧阳娜娜",
                                                                         "clerk": "王芳"}, tmp_path / "old.pdf")))
    boxes = [a.get_object() for page in writer.pages for a in page.get("/Annots", [])
             if str(a.get_object().get("/T", "")).startswith("docs_signed.")]
    assert len(boxes) == 4
    for i, box in enumerate(boxes):
        box[NameObject("/T")] = TextStringObject("docs_signed")
        if i in (1, 2):
            box[NameObject("/V")] = box[NameObject("/AS")] = NameObject("/on")
    buffer = io.BytesIO()
    writer.write(buffer)
    envelope, problems, _ = pdf_envelope(buffer.getvalue(), shipped)
    assert problems == []
    options = [o.value for o in shipped.forms["movein"].fields["docs_signed"].choices.options]
    assert envelope["data"]["docs_signed"] == options[1:3]


def test_a_box_numbered_past_the_options_is_a_problem_not_the_last_option(shipped):
    from formflow.pdf_fields import PdfField

    form = shipped.forms["movein"]
    count = len(form.fields["docs_signed"].choices.options)
    boxes = [PdfField(f"docs_signed.{i}", "check", "on", on=i in (1, count)) for i in range(count + 1)]
    data, _, problems = form_data(form, boxes)
    assert "docs_signed" not in data and len(problems) == 1 and "无法识别勾选的选项" in problems[0]
    twice = [PdfField("docs_signed.1", "check", "on", on=True), PdfField("docs_signed.1", "check", "on", on=True)]
    assert form_data(form, twice)[0]["docs_signed"] == [form.fields["docs_signed"].choices.options[1].value]
