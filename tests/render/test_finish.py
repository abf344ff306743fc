"""The last touches to each PDF (formflow.render.finish): smaller files that print the same pixels."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pypdf
from fontTools.ttLib import TTFont

from formflow.render import pdf
from formflow.render.finish import SRGB_PROFILE

from ..conftest import NOW
from .test_pdf import flat, pdftotext
from .test_pdf_budget import example_record


def _objects(data: bytes) -> list:
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = []
    for number in range(1, reader.trailer["/Size"]):
        try:
            found.append(reader.get_object(number))
        except Exception:  # noqa: BLE001 - past the last object
            continue
    return [obj for obj in found if obj is not None]


def _cid_font(data: bytes):
    return next(o for o in _objects(data) if hasattr(o, "get") and o.get("/Subtype") == "/CIDFontType0")


def _pages_png(data: bytes, folder: Path, stem: str) -> list[bytes]:
    folder.mkdir(exist_ok=True)
    source = folder / f"{stem}.pdf"
    source.write_bytes(data)
    subprocess.run([shutil.which("pdftoppm"), "-r", "90", "-png", str(source), str(folder / stem)], check=True)
    return [p.read_bytes() for p in sorted(folder.glob(f"{stem}-*.png"))]


def test_finished_pdfs_are_smaller_and_every_page_prints_the_same_pixels(defs, tmp_path):
    plain, finished = pdf.Renderer(None, finished=False), pdf.Renderer(None)
    for form in ("complaint", "fee_reminder", "renovation"):
        record = example_record(defs, form)
        before = plain.render_record(defs, record, NOW)
        after = finished.render_record(defs, record, NOW)
        assert len(after) < len(before) - 2500, (form, len(before), len(after))
        assert _pages_png(after, tmp_path / form, "after") == _pages_png(before, tmp_path / form, "before"), form
        assert flat(pdftotext(after, tmp_path)) == flat(pdftotext(before, tmp_path))


def test_widths_list_only_what_differs_from_the_default(defs):
    record = example_record(defs, "complaint")
    before = _cid_font(pdf.Renderer(None, finished=False).render_record(defs, record, NOW))
    after = _cid_font(pdf.Renderer(None).render_record(defs, record, NOW))

    def widths(font) -> dict[int, float]:
        array, out = font.get("/W", []), {}
        for first, run in zip(array[::2], array[1::2]):
            out.update({first + i: w for i, w in enumerate(run)})
        return out

    default = after["/DW"]
    assert default == 1000  # the Chinese characters
    full, kept = widths(before), widths(after)
    assert kept and all(w != default for w in kept.values())
    # every glyph ends up with the width it had
    assert {g: kept.get(g, default) for g in full} == full


def test_the_embedded_font_keeps_its_outlines_and_loses_only_its_cmap(defs):
    data = pdf.render_record(defs, example_record(defs, "complaint"), NOW)
    program = next(o for o in _objects(data) if hasattr(o, "get") and o.get("/Subtype") == "/OpenType")
    font = TTFont(io.BytesIO(program.get_data()))
    assert "cmap" not in font and "CFF " in font
    charstrings = font["CFF "].cff.topDictIndex[0].CharStrings
    assert sum(1 for name in font.getGlyphOrder() if len(charstrings[name].bytecode or b"") > 1) > 30


def test_the_output_intent_carries_the_compact_srgb_profile(defs):
    data = pdf.render_record(defs, example_record(defs, "callback"), NOW)
    reader = pypdf.PdfReader(io.BytesIO(data))
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "sRGB" in intent["/OutputConditionIdentifier"]
    profile = intent["/DestOutputProfile"].get_object()
    icc = profile.get_data()
    assert icc == SRGB_PROFILE.read_bytes() and profile["/N"] == 3
    # a v4.2 display profile of RGB data in XYZ, its declared size its real size
    assert icc[36:40] == b"acsp" and icc[12:24] == b"mntrRGB XYZ " and icc[8:10] == bytes((4, 0x20))
    assert int.from_bytes(icc[:4], "big") == len(icc)
    tags = {icc[132 + 12 * i:136 + 12 * i] for i in range(int.from_bytes(icc[128:132], "big"))}
    assert {b"rTRC", b"gTRC", b"bTRC", b"rXYZ", b"gXYZ", b"bXYZ", b"wtpt", b"desc", b"cprt"} <= tags


def test_the_profile_script_makes_the_shipped_profile():
    import importlib.util

    from ..conftest import REPO

    spec = importlib.util.spec_from_file_location("make_srgb_profile", REPO / "scripts" / "make_srgb_profile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.profile_bytes() == SRGB_PROFILE.read_bytes()


def test_blank_and_fillable_forms_and_todo_lists_are_finished_and_read_back(defs, tmp_path):
    for data, expected in ((pdf.render_blank(defs, "complaint"), "投诉处理记录"),
                           (pdf.render_blank(defs, "complaint", fillable=True), "投诉处理记录"),
                           (pdf.render_todo(defs, [], NOW, "待办事项", who="李娜"), "待办事项")):
        assert expected in flat(pdftotext(data, tmp_path))
        font = _cid_font(data)
        array = font.get("/W", [])
        assert font["/DW"] not in [w for run in array[1::2] for w in run]


def test_a_touch_that_fails_leaves_its_part_as_weasyprint_made_it(defs, tmp_path, monkeypatch):
    """A later WeasyPrint or pydyf may shape its objects otherwise: the PDF still prints, only larger."""
    from formflow.render import finish as finish_module

    def broken(*args):
        raise KeyError("W")
    record = example_record(defs, "complaint")
    plain = pdf.Renderer(None, finished=False).render_record(defs, record, NOW)
    for name in ("compact_widths", "drop_cmap", "compact_output_intent"):
        monkeypatch.setattr(finish_module, name, broken)
    data = pdf.Renderer(None).render_record(defs, record, NOW)
    assert data == plain
    assert flat(pdftotext(data, tmp_path)) == flat(pdftotext(plain, tmp_path))
