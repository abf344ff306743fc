"""Promises to pay (承诺缴费) on a collection record, each judged kept, broken or still open (pure).

The definitions every part of fee collection shares (the call page, the follow-ups, the report):

* a promise is each 「记录通话：承诺缴费」 (``call_promise``) with its 承诺缴费日期;
* **kept** (兑现) when the record reached 确认已缴清 (``paid``) after the promise with 缴清日期 on or before
  the promised date (a ``paid`` without 缴清日期 counts as paid on the day it was recorded);
* **broken** (未兑现) when the promised date has ended (today is after it) and it was not kept — no ``paid``
  since the promise, or one whose 缴清日期 is after the promised date: paying late does not keep it;
* **open** (未到期) otherwise: the date has not ended and nothing is paid yet.

Each promise is judged by its own date: a second promise made before the first one's date does not excuse it.
Reconciliation by an arrears list closes a record with the list's date as 缴清日期 (the list says only that it
was paid by then), so a promise can look broken that the owner kept a few days before the list was exported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from formflow.engine.records import RecordView

PROMISE_ACTION = "call_promise"
PAID_ACTION = "paid"
KEPT, BROKEN, OPEN = "kept", "broken", "open"
#: How a clerk reads each outcome.
LABELS = {KEPT: "已兑现", BROKEN: "未兑现", OPEN: "未到期"}


@dataclass(frozen=True)
class Promise:
    """One promise: when it was made and by whom, the date and amount promised, and what became of it."""

    made_at: dt.datetime
    by: str
    date: dt.date
    amount: str
    status: str
    paid_on: dt.date | None   # the 缴清日期 of the first ``paid`` after it, if any


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def judge(date: dt.date, paid_on: dt.date | None, today: dt.date) -> str:
    """:data:`KEPT`, :data:`BROKEN` or :data:`OPEN` for a promise of ``date`` (see the module's docstring)."""
    if paid_on is not None and paid_on <= date:
        return KEPT
    return BROKEN if today > date else OPEN


def promises(view: RecordView, now: dt.datetime, tz) -> list[Promise]:
    """Every promise on the replayed record ``view``, oldest first, judged as of ``now`` (its date in ``tz``).

    Only events up to ``now`` count (pass a record trimmed to a moment to judge it then)."""
    today = now.astimezone(tz).date()
    events = [e for e in view.record.events if e.at <= now]
    out = []
    for i, event in enumerate(events):
        if event.action != PROMISE_ACTION:
            continue
        date = _date(event.data.get("promised_date"))
        if date is None:
            continue
        paid = next((e for e in events[i + 1:] if e.action == PAID_ACTION), None)
        paid_on = None if paid is None else (_date(paid.data.get("paid_on")) or paid.at.astimezone(tz).date())
        out.append(Promise(event.at, event.by, date, str(event.data.get("promised_amount") or ""),
                           judge(date, paid_on, today), paid_on))
    return out


def last_broken(view: RecordView, now: dt.datetime, tz) -> Promise | None:
    """The latest broken promise of the record, if any (a letter or the supervisor may follow it)."""
    broken = [p for p in promises(view, now, tz) if p.status == BROKEN]
    return broken[-1] if broken else None


def broken_count(view: RecordView, now: dt.datetime, tz) -> int:
    """How many of the record's promises are broken at ``now`` (the call list puts the most first)."""
    return sum(p.status == BROKEN for p in promises(view, now, tz))


def outstanding_broken(view: RecordView, now: dt.datetime, tz) -> Promise | None:
    """The record's latest promise when it is broken and nothing was paid since: the promise the next call is
    about (a newer promise whose day has not ended replaces it; an owner who paid late needs no call)."""
    made = promises(view, now, tz)
    last = made[-1] if made else None
    return last if last is not None and last.status == BROKEN and last.paid_on is None else None
