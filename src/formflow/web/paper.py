"""The desk's paper: a blank paper form of any form (``formflow blank``), and the reports page 报表
(``formflow report …``), served as downloads with Chinese file names.

Handlers take the :class:`~formflow.web.app.DeskApp` and the request, like its own, and are registered by it.
They only read (nothing is written into the workspace: the PDF or CSV is made in memory and sent), so they need
no form token; they are for signed-in staff only. Every signed-in person may run the reports: the figures come
from records every desk user can already list and export, and the manual has clerks compile the monthly summary
for the supervisor to review.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from formflow.reports import run
from formflow.reports.base import month_period, year_period
from formflow.web.http import HTTPError, Request, Response

_FORM = r"([a-z][a-z0-9_]*)"
_KIND = "(" + "|".join(run.KINDS) + ")"
#: What each download is, by its ending in the URL.
_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
#: Years the page offers, back from this one.
YEARS_BACK = 5


def _download(body: bytes, name: str, kind: str, inline: bool) -> Response:
    """``body`` under the Chinese file ``name`` (RFC 5987 ``filename*``), opened in the browser or saved."""
    how = "inline" if inline else "attachment"
    return Response(body, 200, _TYPES[kind], [("Content-Disposition", f"{how}; filename*=UTF-8''{quote(name)}")])


def _signed(desk, request: Request) -> None:
    """Paper and reports are for staff: someone signed in (or, without sign-in, a name chosen) at this browser."""
    if desk.person(request) is None:
        raise HTTPError(403, "请先在页面右上角登录（选择姓名，输入密码）" if desk.pin_mode
                        else "请先在页面右上角“我是”中选择您的姓名")


def file_title(text: str) -> str:
    """``text`` (a form's title) fit to name a file: no slash or other character a file name cannot hold."""
    return "".join("-" if c in '/\\:*?"<>|' else c for c in text).strip() or "表单"


def blank_pdf(desk, request: Request, form_id: str) -> Response:
    """``/forms/<id>/blank.pdf``: the paper version of a form (``?fillable=1``: with boxes to type into)."""
    from formflow.render.pdf import render_blank

    _signed(desk, request)
    defs, form = desk.form_of(form_id)
    fillable = request.query.first("fillable") == "1"
    name = f"{file_title(form.title)}（空白{'·可填写' if fillable else ''}）.pdf"
    return _download(render_blank(defs, form.id, fillable=fillable), name, "pdf", inline=True)


def _choices(now: dt.datetime) -> dict:
    this = now.year
    return {"month": f"{now:%Y-%m}", "year": this, "years": list(range(this, this - YEARS_BACK - 1, -1))}


def reports_page(desk, request: Request, problem: str = "", status: int = 200) -> Response:
    """``/reports``: each report with its month (or year) to choose, printed as PDF or as a CSV table."""
    _signed(desk, request)
    now = desk.desk.now().astimezone(desk.desk.defs().settings.timezone)
    kinds = [{"key": key, "label": label, "per": per} for key, (label, per) in run.KINDS.items()]
    return desk.render("reports.html", request, status, kinds=kinds, problem=problem, **_choices(now))


def report_file(desk, request: Request, kind: str, ending: str) -> Response:
    """``/reports/<kind>.pdf|csv?month=YYYY-MM`` (``?year=YYYY`` for the survey): the report, made now."""
    _signed(desk, request)
    defs = desk.desk.defs()
    zone = defs.settings.timezone
    now = desk.desk.now()
    try:
        if run.KINDS[kind][1] == "year":
            period = year_period(int(request.query.first("year") or now.astimezone(zone).year), zone)
        else:
            period = month_period(request.query.first("month") or f"{now.astimezone(zone):%Y-%m}", zone)
    except ValueError:
        return reports_page(desk, request, "统计期间不对：请从列表中选择年份和月份后再试", 422)
    store = desk.desk.app().store
    extra = {"root": desk.desk.app().root} if kind == "fees" else {}  # its arrears lists are files, not records
    made = getattr(run, kind)(defs, store.records, period, now, **extra)
    body = made.pdf(defs) if ending == "pdf" else made.csv()
    return _download(body, f"{made.title}.{ending}", ending, inline=ending == "pdf")


def register(desk) -> None:
    """Add these pages to ``desk``'s routes."""
    r = desk.routes
    r.add("GET", rf"/forms/{_FORM}/blank\.pdf", lambda request, form: blank_pdf(desk, request, form))
    r.add("GET", r"/reports", lambda request: reports_page(desk, request))
    r.add("GET", rf"/reports/{_KIND}\.(pdf|csv)",
          lambda request, kind, ending: report_file(desk, request, kind, ending))
