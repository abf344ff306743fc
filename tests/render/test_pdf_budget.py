"""What keeps record PDFs small and quick: merged grid columns, one font face with CIDs = glyph ids,
margin-box heads, the Latin-only yardstick of the benchmark. Timings are bench/bench.py's job."""

from __future__ import annotations

import datetime as dt
import re

from fontTools.ttLib import TTFont

from formflow.definitions.yamlsource import parse_documents
from formflow.engine.actions import create_record
from formflow.render import pdf
from formflow.render.context import blank_context, record_context
from formflow.render.fetcher import FONTS

from ..conftest import NOW, REPO
from .test_pdf import flat, fonts, pdftotext


def example_record(defs, form: str):
    """The record ``examples/<form>/valid.yaml`` registers."""
    doc = parse_documents((REPO / "examples" / form / "valid.yaml").read_text(encoding="utf-8"), "x")[0].data
    at = doc["at"] if isinstance(doc["at"], dt.datetime) else dt.datetime.fromisoformat(str(doc["at"]))
    record, _ = create_record(defs, "TS-YG-202611-0001", form, doc["by"], at, doc["data"])
    return record


def pdftext_pages(data: bytes, tmp_path) -> list[str]:
    """The text of each page (pdftotext ends every page with a form feed)."""
    return pdftotext(data, tmp_path).split("\f")[:-1]


def test_grids_get_only_the_columns_their_cells_need(defs):
    for form in ("complaint", "movein", "renovation"):
        for context in (blank_context(defs, form), record_context(defs, example_record(defs, form), NOW)):
            grids = [b for s in context["sections"] for b in s["blocks"] if b["kind"] == "grid"]
            assert grids
            for grid in grids:
                assert sum(grid["cols"]) == 24 and len(grid["cols"]) < 24
                for row in grid["rows"]:
                    spans = [n for cell in row for n in (cell["label_cols"], cell["value_cols"])]
                    assert sum(spans) == len(grid["cols"]) and min(spans) >= 1
                    # each label and value keeps its width in 24ths
                    widths = []
                    at = 0
                    for n in spans:
                        widths.append(sum(grid["cols"][at:at + n]))
                        at += n
                    assert widths == [w for cell in row for w in (cell["label_span"], cell["span"] - cell["label_span"])]


def test_one_page_record_stays_under_60_kb_with_one_embedded_face(defs, tmp_path):
    data = pdf.render_record(defs, example_record(defs, "fee_reminder"), NOW)
    assert len(pdftext_pages(data, tmp_path)) == 1 == pdf.page_count(data)
    assert not re.search(rb"/Type\s*/Page\b", data)  # page objects are compressed: count them with page_count
    assert len(data) <= 60_000, len(data)
    assert [name.split("+")[-1] for name, _ in fonts(data, tmp_path)] == ["Formflow-Sans-SC"]


def test_the_vendored_font_has_cids_equal_to_glyph_ids():
    """The embedded subset keeps glyph ids; with CID = glyph id its CFF charset is one range, not 2 bytes a glyph."""
    font = TTFont(FONTS / "FormflowSansSC-Regular.otf", lazy=True)
    order = font.getGlyphOrder()
    assert order[0] == ".notdef" and all(name == f"cid{gid:05d}" for gid, name in enumerate(order) if gid)
    cmap = font.getBestCmap()
    assert font.getGlyphID(cmap[ord("的")]) < 3600 and font.getGlyphID(cmap[ord("A")]) < 100


def test_every_page_has_the_head_and_foot(defs, tmp_path):
    record = example_record(defs, "renovation")  # a permit: two pages
    data = pdf.render_record(defs, record, NOW)
    pages = pdftext_pages(data, tmp_path)
    assert len(pages) >= 2 and pdf.page_count(data) == len(pages)
    for number, text in enumerate(pages, 1):
        page = flat(text)
        assert "阳光花园管理处" in page and f"{defs.forms['renovation'].title}·{record.number}" in page
        assert "装修申请及许可证第1版·打印于2026-11-2810:00" in page
        assert f"第{number}页/共{len(pages)}页" in page


def test_latin_baseline_renders_the_same_template_in_ascii_with_the_ascii_font(defs, tmp_path):
    record = example_record(defs, "complaint")
    cjk, latin = pdf.render_record(defs, record, NOW), pdf.render_record_latin_baseline(defs, record, NOW)
    text = pdftotext(latin, tmp_path)
    assert text.isascii() and "TS-YG-202611-0001" in text and "WWWW" in text
    assert len(pdftext_pages(latin, tmp_path)) == len(pdftext_pages(cjk, tmp_path))
    assert [name.split("+")[-1] for name, _ in fonts(latin, tmp_path)] == ["Formflow-Sans-SC"]
    assert len(latin) < len(cjk) / 3  # 95 glyphs of Latin against the Chinese subset
    assert pdf.renderer_for(defs, latin_only=True) is not pdf.renderer_for(defs)


def test_template_indentation_goes_but_spaces_between_inline_elements_stay():
    html = '<table>\n  <tr>\n    <td>一</td>\n    <td><span>甲</span> <span>乙</span>\n</td></tr></table>'
    assert pdf._BLOCK_GAP.sub("><", html) == '<table><tr><td>一</td><td><span>甲</span> <span>乙</span></td></tr></table>'
    assert re.sub(r"\s", "", pdf.latin_text("第 1 页 · 共２页")) == "W1WxWWW"  # ２ is full-width too


def test_the_lean_browser_stylesheet_changes_no_byte_of_the_pdfs(defs, monkeypatch):
    import weasyprint

    record = example_record(defs, "movein")
    renderer = pdf.Renderer()
    lean = [renderer.render_record(defs, record, NOW), renderer.render_blank(defs, "movein", fillable=True)]
    monkeypatch.setattr(pdf, "_HTML", weasyprint.HTML)
    assert [renderer.render_record(defs, record, NOW), renderer.render_blank(defs, "movein", fillable=True)] == lean
    lean = pdf.lean_ua_stylesheet().matcher
    assert not [entry for entry in lean.other_selectors if entry[3]]  # no pseudo-element rule for every element
    assert [entry[3] for entry in lean.lower_local_name_selectors["li"] if entry[3]] == ["marker"]


def test_pdf_streams_are_deflated_at_zlibs_default_level():
    import zlib

    import pydyf

    raw = pdf.latin_text("".join(chr(c) for c in range(0x4E00, 0x5E00))).encode() + bytes(range(256)) * 40
    payload = pydyf.Stream([raw], compress=True).data.split(b"\nstream\n", 1)[1].rsplit(b"\nendstream", 1)[0]
    assert zlib.decompress(payload) == raw
    assert payload == zlib.compress(raw, pdf.DEFLATE_LEVEL) == zlib.compress(raw, 6)


def test_the_html_parser_finds_its_regular_expressions_in_its_cache():
    from tinyhtml5 import inputstream

    cache = inputstream.characters_until_regex
    assert isinstance(cache, pdf._CharsUntilCache)
    assert cache[(("<", "&"), False)].pattern == "[^\\x3c\\x26]+" and cache[("ab", True)].pattern == "[\\x61\\x62]+"
    before = len(cache)
    inputstream.HTMLUnicodeInputStream("<p>甲 乙</p>").chars_until(("<", "&"))
    assert len(cache) == before  # found, not stored again under another key


def test_a_missing_harfbuzz_subset_is_said_loudly_once(defs, monkeypatch, capsys):
    """Without libharfbuzz-subset WeasyPrint falls back to fontTools (~40× slower): the first PDF says so."""
    from weasyprint.text import ffi

    assert pdf.fast_subsetter()  # the test machine has it (scripts/setup.sh installs it)
    monkeypatch.setattr(pdf, "_renderers", {})
    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    assert not pdf.fast_subsetter()
    pdf.renderer_for(defs)
    pdf.renderer_for(defs)
    err = capsys.readouterr().err
    assert err.count("HarfBuzz-subset") == 2 and err.startswith("警告 warning: 本机缺少 HarfBuzz-subset 系统库")  # one message
