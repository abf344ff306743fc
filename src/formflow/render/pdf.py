"""Record PDFs, blank paper forms and to-do lists (WeasyPrint + Jinja2 + the vendored font).

    from formflow.render import pdf
    data = pdf.render_record(defs, record, now)         # bytes of an A4 PDF
    data = pdf.render_blank(defs, "complaint")            # the paper form to fill in by hand
    data = pdf.render_todo(defs, tasks, now, "待办事项", who="李娜")

The functions return bytes and touch nothing else. Fonts, stylesheets and templates are
loaded once per process by a :class:`Renderer` (one per workspace ``templates/`` override
folder), which the module-level functions share. A workspace overrides any template or
``style.css`` by putting a file of the same name in ``<workspace>/templates/``; a changed
template is picked up at the next render, a changed stylesheet at the next start.

Rendering is serialised per renderer (one lock): WeasyPrint's font configuration is not
meant to be shared by threads working at the same time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path

import jinja2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from formflow.definitions.loader import Definitions
from formflow.engine.records import Record
from formflow.engine.todo import Task
from formflow.render.context import blank_context, record_context
from formflow.render.todolist import todo_context
from formflow.render.fetcher import FONTS, TEMPLATES, SafeFetcher

#: PDF/A-3b (archival; the font, an sRGB output intent and XMP metadata are embedded) for
#: records and lists; it costs about 3 KB a file. Fillable forms are plain PDF: PDF/A's
#: rules for form fields (fixed appearances) do not suit a form to type into.
ARCHIVE_VARIANT = "pdf/a-3b"
GENERATOR = "formflow"


class Renderer:
    """Fonts, stylesheets and templates loaded once; renders HTML to PDF bytes with them."""

    def __init__(self, overrides: Path | None = None, variant: str | None = ARCHIVE_VARIANT):
        self.overrides = overrides if overrides is not None and overrides.is_dir() else None
        self.variant = variant
        self.fetcher = SafeFetcher(self.overrides)
        self.font_config = FontConfiguration()
        loaders = [jinja2.FileSystemLoader(str(TEMPLATES))]
        if self.overrides is not None:
            loaders.insert(0, jinja2.FileSystemLoader(str(self.overrides)))
        self.env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.base_url = TEMPLATES.as_uri() + "/"
        # Parsed once: @font-face rules register the fonts with font_config here, not per render.
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
        source = self.html(template, context)
        with self._lock:
            document = HTML(string=source, base_url=self.base_url, url_fetcher=self.fetcher)
            return document.write_pdf(
                stylesheets=self.stylesheets, font_config=self.font_config, pdf_forms=forms,
                pdf_variant=variant, custom_metadata=True, uncompressed_pdf=False,
                pdf_identifier=_identifier(context))

    def render_record(self, defs: Definitions, record: Record, now: dt.datetime) -> bytes:
        return self.pdf("record.html", record_context(defs, record, now), variant=self.variant)

    def render_blank(self, defs: Definitions, form_id: str, fillable: bool = False) -> bytes:
        return self.pdf("blank.html", blank_context(defs, form_id, fillable), forms=fillable,
                        variant=None if fillable else self.variant)

    def render_todo(self, defs: Definitions, tasks: Iterable[Task], now: dt.datetime, title: str,
                    who: str | None = None) -> bytes:
        return self.pdf("todo.html", todo_context(defs, tasks, now, title, who), variant=self.variant)


def _identifier(context: dict) -> bytes:
    """A stable PDF file identifier: the same inputs give byte-identical files."""
    key = "|".join(f"{k}={v}" for k, v in sorted(context.get("meta", {}).items()))
    return hashlib.md5(f"{key}|{context.get('created_iso', '')}".encode(), usedforsecurity=False).hexdigest().encode()


_renderers: dict[Path | None, Renderer] = {}
_renderers_lock = threading.Lock()


def renderer_for(defs: Definitions) -> Renderer:
    """The process's renderer for the workspace of ``defs`` (its ``templates/`` folder, if any)."""
    folder = Path(defs.root) / "templates"
    key = folder.resolve() if folder.is_dir() else None
    with _renderers_lock:
        if key not in _renderers:
            _renderers[key] = Renderer(key)
        return _renderers[key]


def render_record(defs: Definitions, record: Record, now: dt.datetime) -> bytes:
    """The record as an A4 PDF: every field, the history, each clock, sign-off boxes, QR code of its number."""
    return renderer_for(defs).render_record(defs, record, now)


def render_blank(defs: Definitions, form_id: str, fillable: bool = False) -> bytes:
    """The paper version of form ``form_id``; ``fillable`` adds PDF form fields to type into."""
    return renderer_for(defs).render_blank(defs, form_id, fillable)


def render_todo(defs: Definitions, tasks: Iterable[Task], now: dt.datetime, title: str, who: str | None = None) -> bytes:
    """The to-do list as a PDF, grouped 逾期 / 今天到期 / 即将到期 / 以后; ``who``: a staff name or role key."""
    return renderer_for(defs).render_todo(defs, tasks, now, title, who)
