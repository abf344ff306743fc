"""Tidying the form fields WeasyPrint writes into a fillable blank, so PDF readers do what the spec says.

WeasyPrint (``pdf_forms=True``) turns HTML inputs into PDF form fields, with habits that readers
and fillers handle differently (PDF 32000-1:2008, 12.7):

* each radio button carries its group's name (``/T``) and is listed in ``/Fields`` next to its
  group: a reader following the spec sees every button as a field of its own (its full name
  becomes ``group.group``) and may not make them exclusive. Here the buttons are the group's
  widgets only: no ``/T``, not in ``/Fields``.
* the default appearance strings (``/DA``) hold a ``gs`` operator, which a DA may not (text state
  and colour only); a strict reader drops the whole string. Here the ``gs`` goes.
* the text fields' ``/DA`` names the embedded ASCII-only cut of our font (CFF): a filler that
  draws the typed text itself cannot encode text in it — pdftk-java draws every character,
  digits included, as a box. Here text fields name Helvetica (``/Helv``, one of the standard
  fonts every reader and filler knows, never embedded; Acrobat's own default for fields):
  numbers, dates and room numbers then show everywhere.

Chinese typed into a field is drawn by the reader with a Chinese font of its own, if it has one
(pdf.js edits fields as HTML text boxes in the system's fonts; Acrobat, WPS and Chrome were not
available to test here; pdftk-java draws nothing for it, though it stores it). Naming the PDF readers'
standard Chinese font instead (STSong-Light, Adobe-GB1, never embedded) was tried and dropped:
pdftk-java then refuses to fill the form at all ("Font 'STSong-Light' with 'UniGB-UCS2-H' is
not recognized"); embedding a Chinese font for fields costs megabytes. Whatever shows, the text
typed is what the engine reads back (:mod:`formflow.intake_pdf`), untouched by this module.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

#: The resource name of the text fields' font in the form's ``/DR`` (Acrobat's own name for it).
FIELD_FONT = "/Helv"
_GS = re.compile(r"/\S+\s+gs\s*")
_SIZE = re.compile(r"([\d.]+)\s+Tf")


def _text_da(da: str) -> str:
    size = _SIZE.search(da)
    return f"{FIELD_FONT} {size.group(1) if size else '10'} Tf 0 g"


def tidy(data: bytes, tooltip: Callable[[str], str] | None = None) -> bytes:
    """``data`` (a fillable PDF from WeasyPrint) with its AcroForm put right, as described above; ``tooltip``
    gives each box's hover text from its name (WeasyPrint puts the name there: ``reported_at`` is no help to
    the clerk filling it; 「报修时间」 is)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    form = writer._root_object.get("/AcroForm")
    if form is None:
        return data
    form = form.get_object()
    resources = form.setdefault(NameObject("/DR"), DictionaryObject()).get_object()
    fonts = resources.setdefault(NameObject("/Font"), DictionaryObject()).get_object()
    fonts[NameObject(FIELD_FONT)] = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    top = ArrayObject()
    for ref in form.get("/Fields") or []:
        field = ref.get_object()
        if "/Parent" in field:  # a radio button: its group is the field
            for key in ("/T", "/TU", "/DA"):
                field.pop(key, None)
            continue
        top.append(ref)
        if tooltip is not None and "/T" in field:
            field[NameObject("/TU")] = TextStringObject(tooltip(str(field["/T"])))
        if "/DA" in field:
            da = str(field["/DA"])
            field[NameObject("/DA")] = TextStringObject(_text_da(da) if field.get("/FT") == "/Tx" else _GS.sub("", da))
    form[NameObject("/Fields")] = top
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
