"""Last touches to each PDF before WeasyPrint writes it: what it carries that no reader uses.

Passed to ``write_pdf`` as its ``finisher`` (WeasyPrint's hook for post-processing the ``pydyf.PDF``
right before it is written). A one-page record is about 3.5 KB (7%) smaller, and looks the same:
tests render pages with and without these touches and compare the pixels; Ghostscript and MuPDF
were checked by hand as well.

* **Widths.** WeasyPrint lists the width of every glyph in the CID font's ``/W`` array, 1000 units
  for each Chinese character. ``/DW`` (the width of any glyph ``/W`` does not name) is set to the
  most common width and only the others are listed (~0.5 KB).
* **The output intent profile.** PDF/A asks for one; WeasyPrint's sRGB2014.icc has tabulated tone
  curves (2.2 KB deflated). ``color/sRGB-v4.icc`` describes the same sRGB with parametric curves in
  588 bytes (made by scripts/make_srgb_profile.py).
* **The font's cmap.** A CIDFontType0 finds glyphs by CID (WeasyPrint keeps glyph ids, so CID =
  glyph id) and text by ``/ToUnicode``; the OpenType ``cmap`` table inside the embedded program is
  read by nobody (~1 KB). The program is opened lazily with fontTools and saved without it: the
  CFF outlines are copied byte for byte, about 1.5 ms a PDF.
"""

from __future__ import annotations

import functools
import io
from collections import Counter
from pathlib import Path

import pydyf
from fontTools.ttLib import TTFont

#: The compact sRGB profile that replaces WeasyPrint's in the output intent.
SRGB_PROFILE = Path(__file__).resolve().parent / "color" / "sRGB-v4.icc"


def finish(document, pdf: pydyf.PDF) -> None:
    """WeasyPrint's ``finisher``: apply the touches of this module to ``pdf`` (``document`` is unused).

    Each touch only saves bytes, so one that fails (a WeasyPrint or pydyf release that shapes its objects
    otherwise) leaves its part of the PDF as WeasyPrint made it, never the PDF unprinted."""
    for obj in list(pdf.objects):
        if isinstance(obj, dict) and obj.get("Type") == "/Font" and obj.get("Subtype") == "/CIDFontType0":
            _safely(compact_widths, obj)
            descriptor = _resolve(pdf, obj.get("FontDescriptor"))
            if isinstance(descriptor, dict):
                program = _resolve(pdf, descriptor.get("FontFile3"))
                if isinstance(program, pydyf.Stream) and program.extra.get("Subtype") == "/OpenType":
                    _safely(drop_cmap, program)
    _safely(compact_output_intent, pdf)


def _safely(touch, target) -> None:
    """Apply ``touch`` to ``target`` on a copy of what it changes, kept only if it succeeds."""
    if isinstance(target, dict):
        before = dict(target)
        try:
            touch(target)
        except Exception:  # noqa: BLE001 - see finish(): the object goes back as it was
            target.clear()
            target.update(before)
        return
    try:
        touch(target)
    except Exception:  # noqa: BLE001 - drop_cmap / compact_output_intent replace whole streams, or nothing
        pass


def _resolve(pdf: pydyf.PDF, reference):
    """The object a pydyf reference (``b"12 0 R"``) points to, or ``None``."""
    if not isinstance(reference, (bytes, str)):
        return None
    try:
        return pdf.objects[int(reference.split()[0])]
    except (ValueError, IndexError):
        return None


def compact_widths(font: dict) -> None:
    """Set ``/DW`` to the commonest width of ``font`` and keep only the other widths in ``/W``."""
    widths: dict[int, float] = {}
    array = font.get("W") or []
    for first, run in zip(array[::2], array[1::2]):
        for offset, width in enumerate(run):
            widths[first + offset] = width
    if not widths:
        return
    default = Counter(widths.values()).most_common(1)[0][0]
    compact = pydyf.Array()
    run = None
    for glyph in sorted(widths):
        if widths[glyph] == default:
            run = None
            continue
        if run is None or glyph - 1 not in widths:
            run = pydyf.Array()
            compact.extend((glyph, run))
        run.append(widths[glyph])
    font["W"] = compact
    font["DW"] = default


def drop_cmap(program: pydyf.Stream) -> None:
    """Remove the ``cmap`` table from the embedded OpenType program ``program`` (see the module docstring)."""
    raw = b"".join(part if isinstance(part, bytes) else bytes(part) for part in program.stream)
    font = TTFont(io.BytesIO(raw), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    if "cmap" not in font.reader.keys():
        return
    del font["cmap"]
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    program.stream = [out.getvalue()]  # (a font fontTools cannot read raises before this: left as it was)


def compact_output_intent(pdf: pydyf.PDF) -> None:
    """Put :data:`SRGB_PROFILE` in place of WeasyPrint's sRGB profile in the PDF/A output intent."""
    for intent in pdf.catalog.get("OutputIntents") or []:
        if not isinstance(intent, dict) or not _is_srgb(intent.get("OutputConditionIdentifier")):
            continue
        profile = _resolve(pdf, intent.get("DestOutputProfile"))
        if isinstance(profile, pydyf.Stream) and profile.extra.get("N") == 3:
            profile.stream = [_srgb_profile()]  # the identifier ("IEC 61966-2-1 ... sRGB") stays true


def _is_srgb(identifier) -> bool:
    text = getattr(identifier, "string", identifier)
    return isinstance(text, str) and "srgb" in text.lower()


@functools.cache
def _srgb_profile() -> bytes:
    return SRGB_PROFILE.read_bytes()
