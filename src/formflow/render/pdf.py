"""Record PDFs, blank paper forms and to-do lists (WeasyPrint + Jinja2 + the vendored font).

    from formflow.render import pdf
    data = pdf.render_record(defs, record, now)         # bytes of an A4 PDF
    data = pdf.render_blank(defs, "complaint")            # the paper form to fill in by hand
    data = pdf.render_todo(defs, tasks, now, "待办事项", who="李娜")

The functions return bytes and touch nothing else. Fonts, stylesheets and templates are
loaded once per process by a :class:`Renderer` (one per workspace ``templates/`` override
folder), which the module-level functions share: one ``FontConfiguration`` and the parsed
``CSS`` objects are reused by every render, so a render parses only its own HTML. A
workspace overrides any template or ``style.css`` by putting a file of the same name in
``<workspace>/templates/``; a changed template is picked up at the next render, a changed
stylesheet at the next start.

What a render costs, and what was done about it (bench/bench.py measures it):

* WeasyPrint's time goes into Python work per element and per box, so the templates keep
  both few: grids get only the columns they use, the head and foot of each page are margin
  boxes with strings (not running elements), ruled tables draw one path per cell
  (style.css), template indentation is dropped before parsing (:data:`_BLOCK_GAP`).
* The browser stylesheet (:func:`lean_ua_stylesheet`) is WeasyPrint's, less the rules that
  gave every element pseudo-element styles these documents never use; same PDF bytes.
* One font face (fonts/fonts.css): each face used is subset and embedded in every PDF.
* What no reader uses leaves each PDF before it is written (:mod:`formflow.render.finish`):
  widths equal to the default, WeasyPrint's tabulated sRGB profile, the font program's cmap.
* PDF streams are deflated at zlib's default level, not pydyf's 9 (:data:`DEFLATE_LEVEL`).
* tinyhtml5 (WeasyPrint's HTML parser) 2.1 never finds a regular expression in its own cache;
  :class:`_CharsUntilCache` makes it, which halves the time the HTML takes to parse.

Rendering is serialised per renderer (one lock): WeasyPrint's font configuration is not
meant to be shared by threads working at the same time.

:func:`render_record_latin_baseline` renders the same record template with an ASCII-only font
and every other character replaced by an ASCII letter: the yardstick bench/bench.py divides by
to show what the Chinese font itself costs (see :class:`Renderer`, ``latin_only``).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import io
import re
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import jinja2
import pydyf
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from formflow.definitions.forms import Form
from formflow.definitions.loader import Definitions
from formflow.engine.records import Record
from formflow.engine.todo import Task
from formflow.render.context import blank_context, record_context
from formflow.render.finish import finish
from formflow.render.todolist import todo_context
from formflow.render.fetcher import FONTS, TEMPLATES, SafeFetcher

#: PDF/A-3b (archival; the font, an sRGB output intent and XMP metadata are embedded) for
#: records and lists; it costs about 3 KB a file. Fillable forms are plain PDF: PDF/A's
#: rules for form fields (fixed appearances) do not suit a form to type into.
ARCHIVE_VARIANT = "pdf/a-3b"
GENERATOR = "formflow"

#: zlib level of the PDF's streams. pydyf (WeasyPrint's PDF writer) uses 9, which spends twice
#: the time of 6 on the embedded font subset (~60 KB of CFF that barely compresses) to save
#: about 100 bytes a PDF; level 6 is zlib's own default. Set on pydyf once, at import: pydyf
#: has no option for it, and WeasyPrint is its only user here.
DEFLATE_LEVEL = 6


class _Deflate:
    """pydyf's view of :mod:`zlib`, with :data:`DEFLATE_LEVEL` for every stream it compresses."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level=DEFLATE_LEVEL, *args, **kwargs):
        return zlib.compressobj(DEFLATE_LEVEL, *args, **kwargs)

    @staticmethod
    def compress(data, level=DEFLATE_LEVEL, **kwargs):
        return zlib.compress(data, DEFLATE_LEVEL, **kwargs)


if getattr(pydyf, "zlib", None) is zlib:
    pydyf.zlib = _Deflate()


class _CharsUntilCache(dict):
    """tinyhtml5's cache of ``chars_until`` regular expressions, filled on a miss.

    tinyhtml5 2.1 (inputstream.py) stores each new expression with
    ``characters = cache[(characters, opposite)] = regex``, which rebinds ``characters``
    before the key is built, so the entry lands under the regex and every later lookup misses:
    an exception, a list comprehension and a ``re.compile`` call per text run, half the parse
    time of a record's HTML. Computing the entry in ``__missing__`` (the same expression)
    means the failing branch never runs. Harmless once tinyhtml5 is fixed.
    """

    def __missing__(self, key):
        characters, opposite = key
        regex = "".join(f"\\x{ord(character):02x}" for character in characters)
        value = self[key] = re.compile(f"[{'' if opposite else '^'}{regex}]+")
        return value


def _fix_tinyhtml5_cache() -> None:
    try:
        from tinyhtml5 import inputstream
    except ImportError:  # pragma: no cover - WeasyPrint's parser changed
        return
    if type(getattr(inputstream, "characters_until_regex", None)) is dict:
        inputstream.characters_until_regex = _CharsUntilCache(inputstream.characters_until_regex)


_fix_tinyhtml5_cache()

#: Whitespace before a block-level tag: template indentation, which WeasyPrint would otherwise
#: turn into text boxes to lay out and throw away. Whitespace between inline elements stays.
_BLOCK_GAP = re.compile(r">\s+<(?=/?(?:html|head|body|meta|title|div|section|header|h[1-6]|table|colgroup|col|"
                        r"thead|tbody|tr|th|td|form)[\s>/])")

#: The Latin-only yardstick's font: the ASCII cut of the same design, under the family name
#: the stylesheet asks for (fonts.css's element reset included).
_LATIN_FONTS_CSS = """
@font-face { font-family: "Formflow Sans SC"; src: url(FormflowSansSCFields-Regular.otf) format("opentype");
             font-weight: normal; font-style: normal; }
@font-face { font-family: "Formflow Sans SC Fields"; src: url(FormflowSansSCFields-Regular.otf) format("opentype");
             font-weight: normal; font-style: normal; }
b, strong, th, h1, h2, h3, h4, h5, h6 { font-weight: normal; }
"""
_NOT_ASCII = re.compile(r"[^\x00-\x7e]")


@functools.lru_cache(maxsize=4096)
def _ascii_letter(char: str) -> str:
    """An ASCII stand-in of about the same width: W for a full-width character, x otherwise."""
    return "W" if unicodedata.east_asian_width(char) in ("W", "F") else "x"


def latin_text(text: str) -> str:
    """``text`` with every character outside printable ASCII replaced by an ASCII letter."""
    return _NOT_ASCII.sub(lambda m: _ascii_letter(m.group()), text)


#: Pseudo-elements that WeasyPrint's browser stylesheet styles on no element in particular
#: (``::marker { … }``, ``::footnote-call { … }``…): each such rule matched every element of every
#: document and gave it a pseudo-element style to compute, a tenth of a record's render time.
#: ``::marker`` is kept for list items (``li::marker``); footnote and note calls are dropped: a
#: stylesheet that uses ``float: footnote`` styles ``::footnote-call`` and ``::footnote-marker``.
_UA_PSEUDO_DROPPED = frozenset({"footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback"})
_UA_PSEUDO_TO_LI = frozenset({"marker"})


@functools.cache
def lean_ua_stylesheet() -> CSS:
    """WeasyPrint's parsed browser stylesheet, less the rules for pseudo-elements of every element.

    A copy with its own selector index (a cssselect2 ``Matcher``): the universal pseudo-element
    selectors are dropped or (``::marker``) filed under ``li``. Nothing is parsed again. The
    PDFs come out the same, byte for byte (tests/render/test_pdf_budget.py); if WeasyPrint's
    stylesheet object is not what this expects, it is used as it is.
    """
    from weasyprint.html import UA_STYLESHEET

    matcher = getattr(UA_STYLESHEET, "matcher", None)
    others = getattr(matcher, "other_selectors", None)
    by_name = getattr(matcher, "lower_local_name_selectors", None)
    if not isinstance(others, list) or not isinstance(by_name, dict):
        return UA_STYLESHEET
    lean_matcher = copy.copy(matcher)
    lean_matcher.other_selectors = [entry for entry in others
                                    if entry[3] not in _UA_PSEUDO_DROPPED | _UA_PSEUDO_TO_LI]
    lean_matcher.lower_local_name_selectors = {name: list(entries) for name, entries in by_name.items()}
    lean_matcher.lower_local_name_selectors.setdefault("li", []).extend(
        entry for entry in others if entry[3] in _UA_PSEUDO_TO_LI)
    lean = copy.copy(UA_STYLESHEET)
    lean.matcher = lean_matcher
    return lean


class _HTML(HTML):
    """WeasyPrint's HTML document with the lean browser stylesheet (:func:`lean_ua_stylesheet`)."""

    def _ua_stylesheets(self, forms=False):
        from weasyprint.html import UA_STYLESHEET

        return [lean_ua_stylesheet() if sheet is UA_STYLESHEET else sheet for sheet in super()._ua_stylesheets(forms)]


class Renderer:
    """Fonts, stylesheets and templates loaded once; renders HTML to PDF bytes with them.

    ``finished``: apply :func:`formflow.render.finish.finish` (what no reader uses taken out of each PDF;
    tests turn it off to compare pixels). ``latin_only``: the benchmark's yardstick, not for print. The same templates and stylesheet
    with the ASCII-only cut of the font, and every character outside ASCII (in the HTML and
    the stylesheet) replaced by W (full-width) or x, so no glyph falls back to another font.
    """

    def __init__(self, overrides: Path | None = None, variant: str | None = ARCHIVE_VARIANT, *,
                 latin_only: bool = False, finished: bool = True):
        self.finisher = finish if finished else None
        self.overrides = overrides if overrides is not None and overrides.is_dir() else None
        self.variant = variant
        self.latin_only = latin_only
        self.fetcher = SafeFetcher(self.overrides)
        self.font_config = FontConfiguration()
        loaders = [jinja2.FileSystemLoader(str(TEMPLATES))]
        if self.overrides is not None:
            loaders.insert(0, jinja2.FileSystemLoader(str(self.overrides)))
        self.env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.base_url = TEMPLATES.as_uri() + "/"
        # Parsed once: @font-face rules register the fonts with font_config here, not per render.
        if latin_only:
            style = self.fetcher.fetch(self.base_url + "style.css").read().decode("utf-8")
            self.stylesheets = [
                CSS(string=_LATIN_FONTS_CSS, base_url=FONTS.as_uri() + "/", url_fetcher=self.fetcher,
                    font_config=self.font_config),
                CSS(string=latin_text(style), base_url=self.base_url, url_fetcher=self.fetcher,
                    font_config=self.font_config),
            ]
        else:
            self.stylesheets = [
                CSS(url=FONTS.as_uri() + "/fonts.css", url_fetcher=self.fetcher, font_config=self.font_config),
                CSS(url=self.base_url + "style.css", url_fetcher=self.fetcher, font_config=self.font_config),
            ]
        self._lock = threading.Lock()

    def html(self, template: str, context: dict) -> str:
        """The HTML of ``template`` filled with ``context`` (for tests and debugging)."""
        return self.env.get_template(template).render(**context, generator=GENERATOR)

    def pdf(self, template: str, context: dict, *, forms: bool = False, variant: str | None = None) -> bytes:
        """``template`` rendered to PDF bytes."""
        source = _BLOCK_GAP.sub("><", self.html(template, context))
        if self.latin_only:
            source = latin_text(source)
        with self._lock:
            document = _HTML(string=source, base_url=self.base_url, url_fetcher=self.fetcher)
            return document.write_pdf(
                stylesheets=self.stylesheets, font_config=self.font_config, pdf_forms=forms,
                pdf_variant=variant, custom_metadata=True, uncompressed_pdf=False,
                pdf_identifier=_identifier(context), finisher=self.finisher)

    def render_record(self, defs: Definitions, record: Record, now: dt.datetime, related: Sequence[Record] = (),
                      made: Form | None = None) -> bytes:
        return self.pdf("record.html", record_context(defs, record, now, related, made), variant=self.variant)

    def render_blank(self, defs: Definitions, form_id: str, fillable: bool = False) -> bytes:
        if not fillable:
            return self.pdf("blank.html", blank_context(defs, form_id), variant=self.variant)
        from formflow.render.acroform import tidy

        return tidy(self.pdf("blank.html", blank_context(defs, form_id, True), forms=True, variant=None),
                    _box_names(defs.forms[form_id]))

    def render_todo(self, defs: Definitions, tasks: Iterable[Task], now: dt.datetime, title: str,
                    who: str | None = None) -> bytes:
        return self.pdf("todo.html", todo_context(defs, tasks, now, title, who), variant=self.variant)


def _box_names(form: Form):
    """A fillable box's name (``reported_at``, ``materials.0.mat_name``, ``channel.2``, ``_record``) → what it is
    called on the form: 「报修时间」, 「材料清单」第1行「材料名称」."""
    fields = form.fields

    def name(box: str) -> str:
        if box == "_record":
            return "记录编号"
        head, _, rest = box.partition(".")
        field = fields.get(head)
        if field is None:
            return ""
        parts = rest.split(".")
        if field.type == "table" and len(parts) >= 2 and parts[0].isdigit():
            column = next((c for c in field.columns if c.name == parts[1]), None)
            return f"{field.label}第{int(parts[0])}行{column.label if column else ''}"  # (rows named from 1)
        return field.label

    return name


def page_count(data: bytes) -> int:
    """The number of pages of ``data``, a PDF from this module.

    Its page objects sit in compressed object streams (PDF 1.5+), so a byte search for
    ``/Type /Page`` finds none: read the page tree instead (pypdf).
    """
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def _identifier(context: dict) -> bytes:
    """A stable PDF file identifier: the same inputs give byte-identical files."""
    key = "|".join(f"{k}={v}" for k, v in sorted(context.get("meta", {}).items()))
    return hashlib.md5(f"{key}|{context.get('created_iso', '')}".encode(), usedforsecurity=False).hexdigest().encode()


_renderers: dict[tuple[Path | None, bool], Renderer] = {}
_renderers_lock = threading.Lock()

SLOW_SUBSET_WARNING = (
    "警告 warning: 本机缺少 HarfBuzz-subset 系统库，生成 PDF 会慢约 40 倍（每页数秒）。"
    "请运行 ./run.sh（或 apt-get install libharfbuzz-subset0）后重新启动。\n"
    "  HarfBuzz-subset (Debian: libharfbuzz-subset0) is missing: WeasyPrint falls back to fontTools, ~40× slower.")


def fast_subsetter() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (it needs libharfbuzz-subset ≥ 4.1; else fontTools)."""
    from weasyprint.text import ffi

    try:
        return bool(ffi.harfbuzz_subset) and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))
    except AttributeError:
        return False


def _warn_if_slow() -> None:
    # Once per process, on stderr, the first time a PDF is to be made: a watcher then says it at start.
    if not fast_subsetter():
        import sys

        print(SLOW_SUBSET_WARNING, file=sys.stderr, flush=True)


def renderer_for(defs: Definitions, *, latin_only: bool = False) -> Renderer:
    """The process's renderer for the workspace of ``defs`` (its ``templates/`` folder, if any)."""
    folder = Path(defs.root) / "templates"
    key = (folder.resolve() if folder.is_dir() else None, latin_only)
    with _renderers_lock:
        if key not in _renderers:
            if not _renderers:
                _warn_if_slow()
            _renderers[key] = Renderer(key[0], latin_only=latin_only)
        return _renderers[key]


def render_record(defs: Definitions, record: Record, now: dt.datetime, related: Sequence[Record] = (),
                  made: Form | None = None) -> bytes:
    """The record as an A4 PDF: every field, the history, each clock, sign-off boxes, QR code of its number.

    ``related``: its parent and the records it made (关联记录, with their state); ``made``: the form version the
    record was made under (its labels, options and sections are printed); ``None``: today's form, with a note
    when the record was made under another version."""
    return renderer_for(defs).render_record(defs, record, now, related, made)


def render_record_latin_baseline(defs: Definitions, record: Record, now: dt.datetime) -> bytes:
    """The benchmark's yardstick: :func:`render_record` with a Latin-only font (not for print).

    Same template, stylesheet, layout and PDF settings, in a renderer of its own
    (``Renderer(latin_only=True)``); the text is the record's with every character outside ASCII
    replaced by an ASCII letter of about its width. The time per page of :func:`render_record`
    divided by this one's is what the Chinese font costs (target: at most 1.2).
    """
    return renderer_for(defs, latin_only=True).render_record(defs, record, now)


def render_blank(defs: Definitions, form_id: str, fillable: bool = False) -> bytes:
    """The paper version of form ``form_id``; ``fillable`` adds PDF form fields to type into."""
    return renderer_for(defs).render_blank(defs, form_id, fillable)


def render_todo(defs: Definitions, tasks: Iterable[Task], now: dt.datetime, title: str, who: str | None = None) -> bytes:
    """The to-do list as a PDF, grouped 逾期 / 今天到期 / 即将到期 / 以后; ``who``: a staff name or role key."""
    return renderer_for(defs).render_todo(defs, tasks, now, title, who)
