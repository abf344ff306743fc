"""The desk's pages that start from a resident: search, a unit's file (一户一档), unit completion, Excel downloads.

Handlers take the :class:`~formflow.web.app.DeskApp` and the request, like its own, and are registered by it;
they only read (a search, a unit's records), so they need no form token. What they show comes from
:mod:`formflow.residents`, the same functions ``formflow search`` and ``formflow unit`` print.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

from formflow import exporting
from formflow.errors import WorkspaceError
from formflow.residents import EXPORT_LIMIT, read_unit, search, unit_file_of
from formflow.web import pages
from formflow.web.http import HTTPError, Request, Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A unit in a URL: the office's spelling (digits, capitals, dashes).
UNIT_PATH = r"([0-9A-Za-z-]{1,40})"
#: Most units the completion offers.
SUGGESTIONS = 12
#: Records a search page shows (newest first; the Excel download has them all, up to the library's limit):
#: each one shown is read from its partition, and the first search after the desk starts reads them cold.
PAGE = 50


def _xlsx(name: str, headers: list, rows: list, title: str, sheet: str) -> Response:
    """An .xlsx download (written to a temporary folder, read, and the folder removed)."""
    with tempfile.TemporaryDirectory(prefix="formflow-xlsx-") as folder:
        path = exporting.save(Path(folder) / "export.xlsx", headers, rows, title=title, sheet=sheet)
        body = path.read_bytes()
    return Response(body, 200, XLSX, [("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")])


def _row(item, settings) -> dict:
    return {"number": item.number, "form": item.form_title, "created": pages.short(item.created, settings),
            "summary": exporting.summary(item, settings.timezone),
            "unit": item.unit, "name": item.name, "phone": item.phone, "state": item.state_label, "final": item.final,
            "deadlines": [{"label": d.label, "due": pages.short(d.due, settings), "status": d.status,
                           "status_label": d.status_label} for d in item.deadlines]}


def search_page(desk, request: Request) -> Response:
    """``/search?q=``: units of the register and records, newest first."""
    defs = desk.desk.defs()
    text = (request.query.first("q") or "").strip()[:100]
    found = search(desk.desk.app(), text, desk.desk.now(), limit=PAGE)
    if found.unit and (found.units or found.entries) and request.query.first("list") != "1":
        return Response.redirect(f"/units/{found.unit}")  # a 房号: straight to the unit's file
    return desk.render("search.html", request, q=text, found=found, units=found.units,
                       rows=[_row(e, defs.settings) for e in found.entries],
                       xlsx="/search.xlsx?" + urlencode({"q": text}) if found.entries else "")


def search_xlsx(desk, request: Request) -> Response:
    """``/search.xlsx?q=``: the search results as Excel."""
    text = (request.query.first("q") or "").strip()[:100]
    found = search(desk.desk.app(), text, desk.desk.now(), limit=EXPORT_LIMIT)
    headers, rows = exporting.entries_table(found.entries, desk.desk.defs().settings.timezone)
    return _xlsx(f"查找-{text}.xlsx", headers, rows, f"查找“{text}”：共 {found.total} 条记录", "查找结果")


def _file(desk, typed: str):
    app = desk.desk.app()
    unit = read_unit(app, typed)
    if unit is None:
        raise HTTPError(404, f"“{typed}”不是房号")
    try:
        return unit, unit_file_of(app, unit, desk.desk.now())
    except WorkspaceError:
        register = app.defs.settings.register
        near = register.closest(unit) if register else []
        raise HTTPError(404, f"房屋清单和记录中都没有房号 {unit}" + (f"。相近的房号：{'、'.join(near)}" if near else ""))


def unit_page(desk, request: Request, typed: str) -> Response:
    """``/units/3-2-1502``: the unit's file."""
    unit, file = _file(desk, typed)
    if unit != typed:
        return Response.redirect(f"/units/{unit}")
    settings = desk.desk.defs().settings
    history = [{"at": pages.short(c.at, settings) if c.at else "房屋清单", "source": c.source, "owner": c.owner,
                "phones": "、".join(c.phones), "status": c.status, "note": c.note} for c in file.history]
    return desk.render("unit.html", request, file=file, history=history,
                       rows=[_row(e, settings) for e in file.records], open_count=len(file.open_records))


def unit_xlsx(desk, request: Request, typed: str) -> Response:
    """``/units/3-2-1502.xlsx``: the unit's file as Excel."""
    unit, file = _file(desk, typed)
    title, headers, rows = exporting.unit_file_table(file, desk.desk.defs().settings.timezone)
    return _xlsx(f"一户一档-{unit}.xlsx", headers, rows, title, unit)


def unit_suggestions(desk, request: Request) -> Response:
    """``/units.json?q=3栋2``: units of the register starting with what the clerk typed, with owner and phone
    (the form fills them in; the clerk may still change them)."""
    register = desk.desk.defs().settings.register
    text = (request.query.first("q") or "").strip()[:40]
    found = register.starting(text, SUGGESTIONS) if register and text else []
    exact = register.find(text) if register and text else None
    if exact is not None and exact not in found:
        found.insert(0, exact)
    return Response.json({"units": [{"unit": u.unit, "owner": u.owner, "phone": u.phones[0] if u.phones else "",
                                     "status": u.status} for u in found],
                          "known": exact is not None or not register,
                          "unit": exact.unit if exact is not None else ""})


def records_xlsx(desk, request: Request) -> Response:
    """``/records.xlsx?form=&state=&q=``: the 全部记录 list as filtered, every record of it (not one page)."""
    defs = desk.desk.defs()
    app = desk.desk.app()
    query = request.query
    form, state = query.first("form") or "", query.first("state") or ""
    context = pages.records_context(defs, app, functools.partial(desk.desk.newest_first, app), form, state,
                                    query.first("q") or "", "1", page_size=None)
    records = [app.store.get(number) for number in context["numbers"]]
    headers, rows = exporting.records_table(defs, [r for r in records if r is not None], desk.desk.now())
    title = defs.forms[form].title if form in defs.forms else "全部记录"
    return _xlsx(f"{title}.xlsx", headers, rows, f"{defs.settings.office} {title}", title)


def register(desk) -> None:
    """Add these pages to ``desk``'s routes."""
    r = desk.routes
    r.add("GET", r"/search", lambda request: search_page(desk, request))
    r.add("GET", r"/search\.xlsx", lambda request: search_xlsx(desk, request))
    r.add("GET", r"/units\.json", lambda request: unit_suggestions(desk, request))
    r.add("GET", rf"/units/{UNIT_PATH}\.xlsx", lambda request, unit: unit_xlsx(desk, request, unit))
    r.add("GET", rf"/units/{UNIT_PATH}", lambda request, unit: unit_page(desk, request, unit))
    r.add("GET", r"/records\.xlsx", lambda request: records_xlsx(desk, request))
