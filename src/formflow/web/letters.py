"""The desk's letters: the 催缴通知书 of a collection record (``/records/<number>/notice.pdf``).

The letter the engine printed beside the record's PDF is served when it is there; otherwise (PDFs switched
off, the pass not printed yet) it is made in memory and sent, like the desk's other paper. Nothing is written.
"""

from __future__ import annotations

from urllib.parse import quote

from formflow.adapters.outbox import Outbox
from formflow.fees.letter import NOTICE_SUFFIX, notice_event
from formflow.web.http import HTTPError, Request, Response

_NUMBER = r"([^/]+)"


def has_notice(record) -> bool:
    """Whether the record page offers its 催缴通知书 (a 发出催缴通知书 was done on it)."""
    return notice_event(record) is not None


def notice_pdf(app, request: Request, number: str) -> Response:
    """The 催缴通知书 of record ``number`` as a PDF opened in the browser."""
    defs, record = app.record_of(number)
    if not has_notice(record):
        raise HTTPError(404, "这份档案还没有发出催缴通知书")
    path = Outbox(app.desk.root).notice_path(record)
    if path.is_file():
        body = path.read_bytes()
    else:
        from formflow.render.notice import render_notice

        body = render_notice(defs, record)
    name = quote(record.number + NOTICE_SUFFIX)
    return Response(body, 200, "application/pdf", [("Content-Disposition", f"inline; filename*=UTF-8''{name}")])


def register(app) -> None:
    """Add the letter's page to ``app``'s routes."""
    app.routes.add("GET", rf"/records/{_NUMBER}/notice\.pdf", lambda request, number: notice_pdf(app, request, number))
