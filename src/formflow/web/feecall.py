"""The call page of a collection record (电话催费): ``/fees/calls/<record number>``.

What the collector needs while dialling — the unit, the owner, the phones in full (this screen only: printed
lists mask them), what is owed by item and period, the earlier calls, and the office's script for the
situation filled with the unit's figures (:mod:`formflow.fees.situations`, :mod:`formflow.fees.placeholders`)
— and one short form to log the call. The form's result is turned into the workflow's action
(:func:`formflow.fees.calls.action_for`) and goes the way of every action on the desk: checked by the engine
(:func:`~formflow.web.checks.check_action`: a refusal comes back in Chinese with what was typed), then written
into ``inbox/`` for the engine's pass (:class:`~formflow.web.submit.Processor`). After it, the page again with
what became of the call.
"""

from __future__ import annotations

import datetime as dt

from formflow.definitions.forms import form_labels
from formflow.engine.possible import may_do
from formflow.engine.records import replay
from formflow.fees import calls
from formflow.fees.placeholders import figures, fill, owed_now, part_paid, period_words
from formflow.fees.promises import outstanding_broken
from formflow.fees.situations import SITUATIONS, choose
from formflow.fees.values import stored, yuan
from formflow.web import fields as fx
from formflow.web import pages
from formflow.web.checks import check_action
from formflow.web.http import HTTPError, Request, Response

#: The form whose records have a call page.
FORM = "fee_collection"
_NUMBER = r"([^/]+)"
#: The call list of the collectors, when the desk has one: the page links back to it.
CALL_LIST = "/fees"


def _amount(value) -> str:
    amount = stored(value)
    return yuan(amount) if amount is not None else str(value or "")


def _record(desk, number: str):
    defs, record = desk.record_of(number)
    if record.form != FORM:
        raise HTTPError(404, "这条记录不是催缴档案，没有电话催费页面")
    return defs, record


def _may_log(defs, view, person) -> bool:
    """Whether ``person`` may log a call on the record now: its state allows a call and a role of theirs does."""
    workflow = defs.workflows[FORM]
    allowed = {a.key for a in workflow.allowed(view.state)}
    return person is not None and any(
        key in allowed and may_do(workflow.actions[key], person) for key in calls.CALL_ACTIONS
        if key in workflow.actions)


def _phones(values, person) -> list[tuple[str, str]]:
    """The record's phones as shown and as dialled: whole for its collector only; masked, without a number to
    dial, for anyone else (a supervisor looking over a collector's list)."""
    return calls.phones_for(values.get("phone"), person is not None and person.name == values.get("collector"))


def _scripts(defs, view, now: dt.datetime, caller: str) -> tuple[list[dict], str]:
    """The scripts filled with the record's figures, the one for its situation first; and why that one."""
    zone = defs.settings.timezone
    broken = outstanding_broken(view, now, zone)
    choice = choose(view.state, view.values, now.astimezone(zone).date(), broken.date if broken else None)
    values = figures(view.values, defs.settings.office, caller)
    shown = [{"key": s.key, "title": s.title or SITUATIONS.get(s.key, s.key), "chosen": s.key == choice.key,
              "paragraphs": [line for line in fill(s.text, values).splitlines() if line.strip()]}
             for s in defs.scripts]
    shown.sort(key=lambda s: not s["chosen"])
    return shown, choice.why


def _done(desk, request: Request) -> dict | None:
    """What became of the call just logged (``?done=<ticket>``), or ``None``."""
    ticket = desk.processor.ticket(request.query.first("done") or "")
    if ticket is None:
        return None
    outcome = desk.processor.outcome(ticket)
    workflow = desk.desk.defs().workflows.get(FORM)
    label = workflow.actions[ticket.action].label if workflow and ticket.action in workflow.actions else ""
    return {"status": outcome.status, "label": label, "problems": list(outcome.problems)}


def call_page(desk, request: Request, number: str, typed: dict | None = None, check=None,
              status: int = 200) -> Response:
    """``GET /fees/calls/<number>``: the call page (``typed``/``check``: a refused call, shown again)."""
    defs, record = _record(desk, number)
    form = defs.forms[FORM]
    workflow = defs.workflows[FORM]
    view = replay(record, workflow)
    values = view.values
    settings = defs.settings
    now = desk.desk.now()
    person = desk.person(request)
    scripts, why = _scripts(defs, view, now, person.name if person else "")
    items = [{"item": row.get("item", ""), "period": period_words(str(row.get("period") or "")),
              "owed": _amount(row.get("owed"))} for row in values.get("items") or () if isinstance(row, dict)]
    steps = [{"at": pages.short(s.at, settings), "by": s.by, "label": s.label, "result": s.result,
              "promised": s.promised, "amount": _amount(s.amount), "reason": s.reason, "note": s.note,
              "call": s.call} for s in calls.history(view)]
    typed = typed or {}
    controls = pages.Controls({k: v for k, v in typed.items() if k in calls.TYPED},
                              dict(check.problems) if check else {}, set(), settings, prefix="call",
                              labels=form_labels(form))
    offered = [n for n in calls.TYPED if n in form.fields and any(n in a.fields for a in workflow.actions.values())]
    unit = str(values.get("unit") or "")
    done = _done(desk, request) if check is None else None
    return desk.render(
        "fee_call.html", request, status, record=record, form=form, state=workflow.states[view.state],
        values={**dict.fromkeys(form.fields, ""), **values}, unit=unit, unit_link=pages.unit_link(defs, unit),
        phones=_phones(values, person), items=items, total=_amount(values.get("amount")),
        paid=_amount(part_paid(values)), owed=_amount(owed_now(values)),
        attempts=values.get("attempts") or 0, promised_amount=_amount(values.get("promised_amount")), steps=steps,
        scripts=scripts, why=why, may_log=_may_log(defs, view, person), final=workflow.states[view.state].final,
        reached=calls.REACHED, not_reached=calls.NOT_REACHED, c=controls, fields=form.fields, offered=offered,
        typed=typed, failed=check, done=done, refresh=bool(done and done["status"] == "pending"),
        call_list=_has_call_list(desk))


def _has_call_list(desk) -> bool:
    try:
        desk.routes.match("GET", CALL_LIST)
    except HTTPError:
        return False
    return True


class _Refused:
    """A refusal of the page itself (no result chosen), shaped like the engine's :class:`~formflow.web.checks.Check`."""

    def __init__(self, name: str, message: str):
        self.problems = {name: [message]}
        self.texts = [message]


def log_call(desk, request: Request, number: str) -> Response:
    """``POST /fees/calls/<number>``: the call logged as its workflow action, or the page again with why not."""
    defs, record = _record(desk, number)
    workflow = defs.workflows[FORM]
    view = replay(record, workflow)
    posted = request.form
    result = posted.first("result").strip()
    typed = {name: posted.first(name) for name in calls.TYPED}
    shown = {**typed, "result": result, "_note": posted.first("_note")}
    now = desk.desk.now()
    action = calls.action_for(result, view.state, view.values, typed, now.astimezone(defs.settings.timezone).date())
    if action not in workflow.actions:
        return call_page(desk, request, number, shown, _Refused("result", "请选择这次通话的结果"), 422)
    name, results = calls.misplaced(typed, action, {key: a.fields for key, a in workflow.actions.items()})
    if name:
        why = (f"「转办」只在通话结果为{'或'.join(f'“{r}”' for r in results)}时选择" if results
               else "「转办」不能在记录通话时选择")
        return call_page(desk, request, number, shown, _Refused(name, why), 422)
    today = now.astimezone(defs.settings.timezone).date()
    values = calls.action_values(action, result, typed, workflow.actions[action].fields, today)
    sent = fx.MultiDict({name: [value] for name, value in values.items()})
    sent[fx.BY] = [posted.first(fx.BY)]
    if posted.first("_note").strip():
        sent["_note"] = [posted.first("_note")]
    check = check_action(defs, record, action, sent, now)
    if not check.ok:
        for name in ("outcome", "paid_on"):  # set from the result: their problems belong to it
            check.problems.setdefault("result", []).extend(check.problems.pop(name, []))
        return call_page(desk, request, number, shown, check, 422)
    ticket = desk.processor.submit(check.doc, f"{record.number}-{action}", "action", record.number, action)
    return desk.remember(Response.redirect(f"/fees/calls/{record.number}?done={ticket.id}"), check.doc["by"])


def register(desk) -> None:
    """Add the call page to ``desk``'s routes."""
    r = desk.routes
    r.add("GET", rf"/fees/calls/{_NUMBER}", lambda request, number: call_page(desk, request, number))
    r.add("POST", rf"/fees/calls/{_NUMBER}", lambda request, number: log_call(desk, request, number))
