"""Record and blank-form PDFs, read back with poppler (pdftotext, pdffonts, pdfinfo) as a clerk's PDF reader would."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from formflow.adapters.store import Store
from formflow.render import pdf
from formflow.render.values import format_value, mask
from formflow.render.fetcher import FONTS, TEMPLATES, RefusedURL, SafeFetcher

from ..conftest import NOW

COMPLAINT = """
form: complaint
by: 李娜
at: {at}
data:
  channel: 来电
  complainant: 张先生
  unit: 3-2-1502
  phone: "13812345678"
  place: 3栋2单元电梯厅
  details: {details}
  category: 工程维修
  severity: 重要
  receiver: 李娜
"""
HOSTILE = '<img src="file:///etc/passwd"> 楼上漏水 <link href="http://example.com/x.css" rel="stylesheet">'


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run scripts/setup.sh test (installs poppler-utils)"
    return path


def pdftotext(data: bytes, tmp_path: Path, first: int | None = None, last: int | None = None) -> str:
    source = tmp_path / "in.pdf"
    source.write_bytes(data)
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run([_tool("pdftotext"), "-enc", "UTF-8", *pages, str(source), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdftool(tool: str, data: bytes, tmp_path: Path, *args: str) -> str:
    source = tmp_path / "in.pdf"
    source.write_bytes(data)
    return subprocess.run([_tool(tool), *args, str(source)], check=True, capture_output=True, text=True).stdout


def fonts(data: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(name, emb) of every font pdffonts lists."""
    rows = pdftool("pdffonts", data, tmp_path).splitlines()[2:]
    return [(row.split()[0], row.split()[-5]) for row in rows]


def inflated(data: bytes) -> bytes:
    """The PDF with every Flate stream decompressed (form fields sit in compressed object streams)."""
    out = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            out.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            pass
    return b"\n".join(out)


def flat(text: str) -> str:
    """pdftotext's output without the spaces and line breaks layout puts between cells and lines."""
    return "".join(text.split())


def make_complaint(workspace, details: str = "楼上卫生间漏水，天花板有水渍", at: str = "2026-11-28T08:00:00+08:00",
                   assign: bool = True):
    """A complaint registered and assigned through the real inbox pipeline; returns (defs, record)."""
    workspace.write("inbox/a.yaml", COMPLAINT.format(at=at, details=details))
    assert workspace.cli("process", "--now", "2026-11-28T08:05+08:00").code == 0
    if assign:
        workspace.write("inbox/b.yaml", "record: TS-YG-202611-0001\naction: assign\nby: 李娜\n"
                        "data: {routed_to: 工程维修部}\nnote: 已电话通知工程部\n")
        assert workspace.cli("process", "--now", "2026-11-28T08:30+08:00").code == 0
    record = Store(workspace.root / "data" / "db").get("TS-YG-202611-0001")
    return workspace.load(), record


def test_record_pdf_prints_labels_values_history_clocks_and_page_numbers(workspace, tmp_path):
    defs, record = make_complaint(workspace)
    data = pdf.render_record(defs, record, NOW)
    assert data.startswith(b"%PDF-")
    text = pdftotext(data, tmp_path)
    compact = flat(text)
    for expected in ("阳光花园管理处", "投诉处理记录", "TS-YG-202611-0001", "投诉处理记录·第1版",
                     "投诉人", "张先生", "联系电话", "13812345678", "房号", "3-2-1502", "投诉内容（发生经过）",
                     "楼上卫生间漏水，天花板有水渍", "投诉级别", "重要投诉（管理、服务工作失误）", "当前状态", "已分派",
                     "转交部门", "工程维修部",
                     # history: who, what, when
                     "2026-11-2808:00李娜（客服专员）登记", "2026-11-2808:30李娜（客服专员）分派", "备注：已电话通知工程部",
                     # clocks: due time and verdict
                     "转呈部门主管", "2026-11-2809:00", "已逾期", "投诉处理完毕", "2026-12-0108:00", "未到期",
                     # sign-off boxes
                     "接待人签名", "处理人签名", "客服中心主管审核", "日期："):
        assert expected in compact, expected
    assert re.search(r"第1页/共(\d+)页", compact) and "第2页/共2页" in compact
    info = pdftool("pdfinfo", data, tmp_path, "-custom")
    assert "formflowform:    complaint" in info and "formflowrecord:  TS-YG-202611-0001" in info
    assert 'pdfaid:part="3"' in pdftool("pdfinfo", data, tmp_path, "-meta")


def test_every_font_is_the_embedded_vendored_one_and_only_one_face(workspace, tmp_path):
    defs, record = make_complaint(workspace)
    for data in (pdf.render_record(defs, record, NOW), pdf.render_blank(defs, "movein"),
                 pdf.render_todo(defs, [], NOW, "待办事项")):
        found = fonts(data, tmp_path)
        # One face: no bold face, and no second copy of the regular one under a bold name (synthetic bold).
        assert [name.split("+")[-1] for name, _ in found] == ["Formflow-Sans-SC"], found
        assert all(embedded == "yes" for _, embedded in found)


def test_markup_in_a_value_prints_as_text_and_nothing_is_fetched_for_it(workspace, tmp_path):
    defs, record = make_complaint(workspace, details=f"'{HOSTILE}'")
    renderer = pdf.Renderer()
    asked: list[str] = []
    fetch = renderer.fetcher.fetch

    def spy(url, headers=None):
        asked.append(url)
        return fetch(url, headers)

    renderer.fetcher.fetch = spy
    data = renderer.render_record(defs, record, NOW)
    text = flat(pdftotext(data, tmp_path))
    assert flat(HOSTILE) in text
    assert asked == []  # fonts and stylesheets were loaded when the renderer was made; the record asks for nothing
    assert "passwd" not in data.decode("latin-1")


def test_the_fetcher_serves_only_our_folders(tmp_path):
    fetcher = SafeFetcher()
    assert b"@font-face" in fetcher.fetch((FONTS / "fonts.css").as_uri()).read()
    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://example.com/", "ftp://example.com/x",
                "data:text/css,body{}", TEMPLATES.as_uri() + "/../../../../../../etc/passwd",
                (TEMPLATES / "nope.css").as_uri(), "file://evil.example.com/etc/passwd"):
        with pytest.raises((RefusedURL, ValueError)):
            fetcher.fetch(url)


def test_a_workspace_overrides_templates_by_name_and_nothing_else(tmp_path):
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "style.css").write_text("h1 { color: red }", encoding="utf-8")
    (overrides / "secret.css").symlink_to("/etc/passwd")
    fetcher = SafeFetcher(overrides)
    assert fetcher.resolve((TEMPLATES / "style.css").as_uri()) == overrides / "style.css"
    assert fetcher.resolve((FONTS / "fonts.css").as_uri()) == FONTS / "fonts.css"
    with pytest.raises(RefusedURL):  # a link out of the folder is followed to where it points, and refused
        fetcher.resolve((overrides / "secret.css").as_uri())
    with pytest.raises(RefusedURL):
        fetcher.resolve((TEMPLATES / "secret.css").as_uri())
    with pytest.raises(RefusedURL):
        fetcher.resolve((tmp_path / "other.css").as_uri())


def test_workspace_template_replaces_the_shipped_one(workspace, tmp_path):
    defs, record = make_complaint(workspace, assign=False)
    workspace.write("templates/todo.html", """
        {% extends "base.html" %}
        {% block body %}<h1>本处自定义待办 {{ count }} 项</h1>{% endblock %}
    """)
    data = pdf.render_todo(workspace.load(), [], NOW, "待办")
    assert "本处自定义待办 0 项" in pdftotext(data, tmp_path)
    assert "投诉处理记录" in pdftotext(pdf.render_record(defs, record, NOW), tmp_path)  # the rest is ours


def test_long_text_continues_onto_the_next_page(workspace, tmp_path):
    sentence = "楼上卫生间漏水，天花板有水渍，墙面起皮发霉，住户多次反映未果。"
    details = "开头标记。" + sentence * 120 + "结尾标记。"
    defs, record = make_complaint(workspace, details=details)
    data = pdf.render_record(defs, record, NOW)
    pages = int(next(line.split()[-1] for line in pdftool("pdfinfo", data, tmp_path).splitlines()
                     if line.startswith("Pages:")))
    assert pages >= 3
    first, second = flat(pdftotext(data, tmp_path, 1, 1)), flat(pdftotext(data, tmp_path, 2, 2))
    assert "开头标记" in first and sentence in first  # the text starts on page 1, not pushed whole to page 2
    assert sentence in second and "第2页/共" in second
    assert "结尾标记" in flat(pdftotext(data, tmp_path)).split("开头标记", 1)[1]


def test_rendering_is_repeatable(workspace):
    defs, record = make_complaint(workspace)
    assert pdf.render_record(defs, record, NOW) == pdf.render_record(defs, record, NOW)


def test_blank_form_prints_tick_boxes_conditions_rows_and_its_version(tmp_path, defs):
    data = pdf.render_blank(defs, "complaint")
    text = flat(pdftotext(data, tmp_path))
    assert "complaint" not in text and "formflow" not in text  # the clerk reads titles; machines the QR and info
    for expected in ("投诉处理记录", "投诉处理记录·第1版", "□来电□来访□来函", "□是□否",
                     "※仅当「投诉级别」为“轻微”时填写", "＊投诉人", "年月日时分", "接待人签名", "日期：年月日",
                     "带＊的为必填项"):
        assert expected in text, expected
    info = pdftool("pdfinfo", data, tmp_path, "-custom")
    assert "formflowform:    complaint" in info and "formflowformversion:1" in info

    movein = flat(pdftotext(pdf.render_blank(defs, "movein"), tmp_path))
    assert "序号＊姓名＊与业主关系身份证号码联系电话" in movein
    assert "12345" in movein  # five blank rows for family members (print.rows: 5)
    assert "管理处盖章" in movein and "盖章（盖章）" not in movein  # the label says it once
    assert "（可多选）" in movein


def test_fillable_blank_has_form_fields_and_stays_small(tmp_path, defs):
    data = pdf.render_blank(defs, "complaint", fillable=True)
    assert "Form:            AcroForm" in pdftool("pdfinfo", data, tmp_path)
    objects = inflated(data)
    assert b"/T (complainant)" in objects and b"/FT /Tx" in objects and b"/FT /Btn" in objects
    names = [name.split("+")[-1] for name, _ in fonts(data, tmp_path)]
    assert "Formflow-Sans-SC-Fields" in names  # fields use the ASCII cut: embedded whole, it is 9 KB, not 1.9 MB
    assert len(data) < 200_000


def test_values_print_in_chinese(defs):
    form = defs.forms["complaint"]
    tz = defs.settings.timezone
    assert format_value(form.fields["valid"], True, tz) == "是"
    assert format_value(form.fields["received_at"], "2026-11-28T01:30+00:00", tz) == "2026-11-28 09:30"
    assert format_value(form.fields["severity"], "重大", tz).startswith("重大投诉（")
    fee = defs.forms["fee_reminder"]
    assert format_value(fee.fields["amount"], "1234.5", tz) == "1,234.50 元"
    assert format_value(fee.fields["items"], ["物业服务费", "停车费"], tz) == "物业服务费、停车费"


def test_mask_hides_phone_and_id_numbers():
    assert mask("张先生 13812345678，身份证 11010519491231002X") == "张先生 138****5678，身份证 110***********002X"
    assert mask("TS-YG-202611-0001 3-2-1502") == "TS-YG-202611-0001 3-2-1502"


def test_a_fillable_box_is_named_by_its_label_when_hovered(defs):
    """A reader shows each box's /TU on hover: the field's Chinese name, never its key."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf.render_blank(defs, "repair", fillable=True)))
    tips = {str(f.get("/T")): str(f.get("/TU", "")) for f in reader.get_fields().values()}
    assert tips["reported_at"] == "报修时间" and tips["_record"] == "记录编号"
    assert tips["materials.1.mat_name"] == "材料清单第1行材料名称及规格"
    assert not [t for t in tips.values() if re.search(r"[A-Za-z_]{2,}", t)]
