"""A call logged on a collection record: the result the collector picks, and the workflow action it is (pure).

The call page asks one thing first — how the call ended (:data:`REACHED` or :data:`NOT_REACHED`) — and
:func:`action_for` turns that into the action of ``workflows/fee_collection.yaml`` the engine applies:
承诺缴费 → ``call_promise`` (``call_reminded`` when a promise still to come is only confirmed), 已缴费 →
``call_paid`` (the owner's word: the record waits for the payment to be verified, it is not closed), 拒绝缴费 /
有异议 → ``call_refused``, 无人接听 / 号码错误 → ``call_no_answer``.
:func:`action_values` gives the action's control values from what was typed; :func:`history` lists the
record's earlier steps as the page shows them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from formflow.engine.fieldtypes import is_empty
from formflow.engine.records import CREATE, RecordView
from formflow.fees.calllist import masked_phones

#: Results of a call that reached the owner, and of one that did not (the form's 最近一次结果 options).
REACHED = ("承诺缴费", "已缴费", "拒绝缴费", "有异议")
NOT_REACHED = ("无人接听", "号码错误")
#: The workflow's actions that log a call (each counts 催缴次数).
CALL_ACTIONS = ("call_promise", "call_no_answer", "call_refused", "call_reminded", "call_paid")
_ACTION = {"承诺缴费": "call_promise", "已缴费": "call_paid", "拒绝缴费": "call_refused", "有异议": "call_refused",
           "无人接听": "call_no_answer", "号码错误": "call_no_answer"}
#: What the page's form may carry besides the result and the note (field keys of fee_collection).
TYPED = ("promised_date", "promised_amount", "reason", "reason_text", "service_issue")


def _same(typed: str, stored: Any) -> bool:
    return not typed.strip() or typed.strip() == str(stored or "")


def action_for(result: str, state: str, stored: Mapping[str, Any], typed: Mapping[str, str],
               today: dt.date) -> str:
    """The action logging a call that ended in ``result`` on a record in ``state`` with ``stored`` values on
    ``today``; ``typed``: what the collector wrote. "" for a result that is none of :data:`REACHED` or
    :data:`NOT_REACHED`.

    A promise repeated on a record already promised (same date and amount, or none typed) is the reminder
    call (``call_reminded``): the promise stands, its reminder is not started again — while its date is still
    to come; once it has passed, the promise is broken and a promise now is a new one (``call_promise``, which
    asks for a date not before today).
    """
    action = _ACTION.get(result, "")
    if (action == "call_promise" and state == "promised" and str(stored.get("promised_date") or "") >= today.isoformat()
            and _same(typed.get("promised_date", ""), stored.get("promised_date"))
            and _same(typed.get("promised_amount", ""), stored.get("promised_amount"))):
        return "call_reminded"
    return action


def misplaced(typed: Mapping[str, str], action: str, actions: Mapping[str, tuple[str, ...]]) -> tuple[str, list[str]]:
    """A value typed that ``action`` does not take and that must not be dropped unseen — 转办 (``service_issue``),
    which passes the owner's problem on — with the results whose action takes it; ``("", [])`` when none.
    ``actions``: each action's fields. (A promised date typed before the owner hung up is simply not sent.)"""
    name = "service_issue"
    if not typed.get(name, "").strip() or name in actions.get(action, ()):
        return "", []
    return name, [r for r in (*REACHED, *NOT_REACHED) if name in actions.get(_ACTION[r], ())]


def action_values(action: str, result: str, typed: Mapping[str, str], fields: tuple[str, ...],
                  today: dt.date) -> dict[str, str]:
    """The action's control values: the result as 最近一次结果, 缴清日期 today for ``paid``, and what was typed
    into the action's ``fields``. A control left empty is not sent, so a value stored by an earlier call stays."""
    values = {name: typed[name].strip() for name in TYPED if name in fields and typed.get(name, "").strip()}
    if action in ("call_no_answer", "call_refused") and "outcome" in fields:
        values["outcome"] = result
    if action == "paid" and "paid_on" in fields:
        values["paid_on"] = today.isoformat()
    return values


@dataclass(frozen=True)
class Step:
    """One earlier step of a collection record as the call page lists it."""

    at: dt.datetime
    by: str
    label: str
    result: str
    promised: str
    amount: str
    reason: str
    note: str
    call: bool


def history(view: RecordView) -> list[Step]:
    """The record's steps after its creation, oldest first: each call with its result (the 最近一次结果 it left),
    promise and reason; the notice, payment and hand-overs too (``call`` False)."""
    values: dict[str, Any] = {}
    out = []
    for step in view.steps:
        event = step.event
        before = dict(values)
        for key, value in event.data.items():
            if is_empty(value):
                values.pop(key, None)
            else:
                values[key] = value
        if event.action == CREATE:
            continue
        call = event.action in CALL_ACTIONS
        result = str(values.get("outcome") or "") if call or event.action == "paid" else ""
        if event.action == "call_reminded":
            result = "承诺前提醒"
        given = event.action == "call_refused" or ("reason" in event.data and values.get("reason") != before.get("reason"))
        reason = str(values.get("reason") or "") if given else ""
        text = str(values.get("reason_text") or "") if reason else ""
        out.append(Step(event.at, event.by, step.label, result,
                        str(values.get("promised_date") or "") if event.action == "call_promise" else "",
                        str(values.get("promised_amount") or "") if event.action == "call_promise" else "",
                        f"{reason}：{text}" if reason and text else reason, event.note, call))
    return out


_SPLIT = re.compile(r"[、,，;；/]+")
_GROUP = re.compile(r"\+?[\d-]+(?: [\d-]+)*")


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _numbers(chunk: str) -> list[str]:
    """The numbers of ``chunk`` split at spaces, but a number written in groups (138 0000 1111, +86 138 …,
    0755 2688 1234) kept whole: a short group joins its neighbour while the number stays phone-sized."""
    out: list[str] = []
    for token in chunk.split():
        last = out[-1] if out else ""
        if (last and _GROUP.fullmatch(last) and _GROUP.fullmatch(token) and not token.startswith("+")
                and min(_digits(last), _digits(token)) <= 4 and _digits(last) + _digits(token) <= 13):
            out[-1] = f"{last} {token}"
        else:
            out.append(token)
    return out


def phones(text: Any) -> list[tuple[str, str]]:
    """Each number of a 联系电话 value as shown and as dialled (``tel:`` takes digits, + and -)."""
    return [(part, re.sub(r"[^\d+\-]", "", part)) for chunk in _SPLIT.split(str(text or ""))
            for part in _numbers(chunk)]


def phones_for(text: Any, whole: bool) -> list[tuple[str, str]]:
    """:func:`phones` as a screen shows them: whole with a number to dial for the record's collector (``whole``),
    masked with nothing to dial for anyone else."""
    found = phones(text)
    return found if whole else [(masked_phones(shown), "") for shown, _ in found]
