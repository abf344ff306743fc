"""The desk's 催费 page: the signed-in collector's call list with the owners' whole phone numbers (tel: links),
a supervisor's choice of any collector's list (masked: whole numbers only on the collector's own screen), and
the printable list as a PDF (always masked). Each row links to the record's call page (:func:`call_page_url`).

Handlers take the :class:`~formflow.web.app.DeskApp` and the request, like its own, and are registered by it;
they only read, so they need no form token. The rows come from :mod:`formflow.fees.calllist`, the same list
``formflow fees calls`` prints.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from formflow.definitions.feecollectors import COLLECTION_FORM, call_roles
from formflow.fees import calls
from formflow.fees.calllist import CallList, call_list, collectors_of
from formflow.fees.values import yuan
from formflow.web.http import HTTPError, Request, Response

#: The role that may open any collector's list.
SUPERVISOR = "supervisor"


def call_page_url(number: str) -> str:
    """The desk's call page of a collection record: where a collector logs a call."""
    return f"/fees/calls/{quote(number)}"


def collects(defs, person) -> bool:
    """Whether ``person`` (a roster entry, or None) may make collection calls: the 催费 menu is theirs."""
    if person is None or COLLECTION_FORM not in defs.workflows:
        return False
    roles = call_roles(defs.forms, defs.workflows) or set()
    return bool(roles & set(person.roles))


def _rows(one: CallList, whole: bool) -> list[dict]:
    rows = []
    for r in one.rows:
        rows.append({
            "number": r.number, "url": call_page_url(r.number), "unit": r.unit, "owner": r.owner,
            "phones": [{"text": shown, "tel": f"tel:{dial}" if dial else ""} for shown, dial in calls.phones_for(r.phones, whole)],
            "amount": yuan(r.amount), "months": r.months, "outcome": r.outcome, "promised": r.promised_date,
            "last": r.last_text, "attempts": r.attempts, "broken": r.broken, "due": r.due is not None,
            "next": r.next_step, "state": r.state})
    return rows


def _chosen(desk, request: Request):
    """(person, the collector whose list is shown, the collectors a supervisor may choose among)."""
    defs = desk.desk.defs()
    person = desk.person(request) if desk.guard.signed_in(request.environ) else None
    if person is None:
        raise HTTPError(403, "请先登录（右上角选择姓名）再看催费电话清单")
    supervisor = SUPERVISOR in person.roles
    if not supervisor and not collects(defs, person):
        raise HTTPError(403, f"{person.name}不做电话催费，没有催费电话清单")
    wanted = (request.query.first("collector") or "").strip()
    if wanted and wanted != person.name and not supervisor:
        raise HTTPError(403, "只有客服中心主管可以查看其他催费人的清单")
    return person, wanted or person.name, supervisor


def fees_page(desk, request: Request) -> Response:
    """``/fees`` (``?collector=`` for a supervisor): a collector's call list in calling order."""
    defs = desk.desk.defs()
    if COLLECTION_FORM not in defs.workflows:
        raise HTTPError(404, "本工作区没有催缴档案")
    person, collector, supervisor = _chosen(desk, request)
    records = list(desk.desk.app().store.records(COLLECTION_FORM))
    now = desk.desk.now()
    one = call_list(defs, records, now, collector)
    choices = []
    if supervisor:
        named = collectors_of(call_list(defs, records, now).rows)
        choices = list(dict.fromkeys([person.name, *named, *defs.settings.fees.collectors.values()]))
    return desk.render("fees.html", request, collector=collector, own=collector == person.name,
                       rows=_rows(one, whole=collector == person.name), total=yuan(one.total), due_now=one.due_now,
                       hours=one.hours, choices=choices, pdf="/fees.pdf?" + urlencode({"collector": collector}))


def fees_pdf(desk, request: Request) -> Response:
    """``/fees.pdf?collector=``: the printable call list, phones masked."""
    from formflow.render.calls import render_calls

    defs = desk.desk.defs()
    if COLLECTION_FORM not in defs.workflows:
        raise HTTPError(404, "本工作区没有催缴档案")
    _, collector, _ = _chosen(desk, request)
    now = desk.desk.now()
    body = render_calls(defs, [call_list(defs, desk.desk.app().store.records(COLLECTION_FORM), now, collector)], now)
    name = quote(f"催费电话清单-{collector}.pdf")
    return Response(body, 200, "application/pdf", [("Content-Disposition", f"inline; filename*=UTF-8''{name}")])


def register(desk) -> None:
    """Add these pages to ``desk``'s routes, and ``collects(person)`` for the menu."""
    desk.routes.add("GET", r"/fees", lambda request: fees_page(desk, request))
    desk.routes.add("GET", r"/fees\.pdf", lambda request: fees_pdf(desk, request))
    desk.env.globals["collects"] = lambda person: collects(desk.desk.defs(), person) or (
        person is not None and SUPERVISOR in person.roles)
