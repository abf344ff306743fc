"""The call list (催费电话清单, pure): a collector's open collection records at ``now``, in the order to call them.

The order, most pressing first (each key breaks the ties of the one before):

1. a call due now — one of the collector's own deadlines of the record kept within the calling hours (first
   call, the reminder the day before a promised date, the retry after an unanswered call) that is overdue or
   inside its reminder window;
2. broken promises, most first (:mod:`formflow.fees.promises`: the promised date has ended and it was not
   kept);
3. the amount owed (欠费合计), largest first;
4. the months owed (欠费月数: the months the 欠费明细 periods cover), most first;
5. days since the last call, most first — a unit never called before any called;
6. the 房号 (3-2-902 before 3-2-1502), so the same records always come in the same order.

Each row carries what the collector needs on the phone (房号, 业主, 电话, 欠费合计, 欠费月数, 最近一次结果,
承诺日期, 上次联系, 催缴次数) and what to do next, in Chinese. Phones are kept whole here; every list that
leaves the collector's own screen masks them (:func:`masked_phones`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from formflow.definitions.feecollectors import CALL_ACTIONS, COLLECTION_FORM
from formflow.engine.clocks import DUE_SOON, OVERDUE
from formflow.engine.hours import hours_text
from formflow.engine.records import Record
from formflow.engine.todo import Task, is_mine, record_tasks, record_view
from formflow.fees.owing import ZERO, unit_order
from formflow.fees.placeholders import months_owed, owed_now
from formflow.fees.promises import broken_count
from formflow.render.values import mask

#: A record never called sorts as if called this many days ago: before every one called.
_NEVER = 1 << 30


@dataclass(frozen=True)
class CallRow:
    """One collection record on a call list."""

    number: str
    unit: str
    owner: str
    phones: str
    amount: Decimal
    months: int
    outcome: str
    promised_date: str
    last_call: dt.datetime | None
    days_since: int | None   # whole days since the last call, in the office's time zone; None: never called
    attempts: int
    broken: int
    due: Task | None         # the call due now, if any
    next_step: str
    collector: str
    state: str
    round: str

    def sort_key(self) -> tuple:
        """The order of :mod:`the module's docstring <formflow.fees.calllist>`."""
        return (self.due is None, -self.broken, -self.amount, -self.months,
                -(self.days_since if self.days_since is not None else _NEVER), unit_order(self.unit), self.number)

    @property
    def last_text(self) -> str:
        """上次联系 as printed: ``2026-11-30（2 天前）``, ``今天``, or ``未联系``."""
        if self.last_call is None:
            return "未联系"
        ago = "今天" if self.days_since == 0 else f"{self.days_since} 天前"
        return f"{self.last_call:%Y-%m-%d}（{ago}）"

    def as_data(self, *, masked: bool = True) -> dict:
        """The row as JSON data (phones masked unless ``masked`` is False)."""
        return {"number": self.number, "unit": self.unit, "owner": self.owner,
                "phones": masked_phones(self.phones) if masked else self.phones, "amount": f"{self.amount:.2f}",
                "months": self.months, "outcome": self.outcome, "promised_date": self.promised_date,
                "last_call": self.last_call.isoformat() if self.last_call else None, "days_since": self.days_since,
                "attempts": self.attempts, "broken_promises": self.broken, "due_now": self.due is not None,
                "next": self.next_step, "collector": self.collector, "state": self.state, "round": self.round}


@dataclass(frozen=True)
class CallList:
    """One collector's call list (``collector`` "" for every collector's records together)."""

    collector: str
    rows: tuple[CallRow, ...]
    hours: str   # the office's calling hours as printed, "" when the settings have none

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), ZERO)

    @property
    def due_now(self) -> int:
        return sum(r.due is not None for r in self.rows)


#: A number as people write it: digits and dashes, and short groups after a space (138 0000 1111, +86 138 …).
_NUMBER = re.compile(r"\+?\d[\d-]*(?:[ \u3000]\d{1,4}(?![\d-]))*")
_MOBILE = re.compile(r"(?:86)?(1[3-9]\d)\d{4}(\d{4})")


def _hidden(found: re.Match, area: bool) -> str:
    number = found.group(0)
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return number
    mobile = _MOBILE.fullmatch(digits)
    if mobile:
        return f"{mobile.group(1)}****{mobile.group(2)}"
    code = re.match(r"0\d{2,3}[- ]", number) if area else None
    return (code.group(0) if code else "") + "****" + digits[-4:]


def masked_phones(text: str, area: bool = False) -> str:
    """Phones as every printed or file list shows them: mobiles ``138****5678`` (also when written in groups,
    138 0000 5678), any other number with only its last four digits (``****4567``; ``area``: its area code
    kept, 0755-****4567). Every number of the text, whatever separates them."""
    return mask(_NUMBER.sub(lambda m: _hidden(m, area), text or ""))


def _next_step(state: str, values: Mapping, due: Task | None, today: dt.date, broken: int) -> str:
    if due is not None:
        return ("已逾期：" if due.status == OVERDUE else "") + due.task
    promised = str(values.get("promised_date") or "")
    if state == "pending":
        return "打第一次催缴电话"
    if state == "promised":
        if promised and promised < today.isoformat():
            return "承诺缴费日期已过仍未缴清：再次电话催缴，或发出催缴通知书"
        return f"等业主在 {promised} 前缴费，前一天提醒" if promised else "等业主缴费"
    if state == "unreachable":
        return "再次拨打；号码错误的先核对房屋清单中的电话"
    if state == "disputed":
        return "跟进业主的异议或拒缴原因，需要时转主管"
    if state == "noticed":
        pay_by = str(values.get("pay_by") or "")
        return f"已发催缴通知书，等业主在 {pay_by} 前缴费" if pay_by else "已发催缴通知书，等业主缴费"
    if state == "claimed":
        return "业主称已缴费：在收费系统核实到账，到账的确认已缴清"
    if state == "escalated":
        return "已转主管，等主管决定书面通知、上门或律师函"
    return "再次电话催缴" if broken else "电话催缴"


def call_row(defs, record: Record, now: dt.datetime, only: str = "") -> CallRow | None:
    """``record`` as a row of a call list at ``now``; ``None`` when it is closed (paid or stopped), or when
    ``only`` names a collector and the record is another's (its deadlines are then not worked out)."""
    workflow = defs.workflows[COLLECTION_FORM]
    view = record_view(defs, record, now)
    values = view.values
    collector = str(values.get("collector") or "")
    if workflow.states[view.state].final or (only and collector != only):
        return None
    zone = defs.settings.timezone
    today = now.astimezone(zone).date()
    person = defs.settings.person(collector)
    tasks = [t for t in record_tasks(defs, record, now) if t.status in (OVERDUE, DUE_SOON)
             and (person is None or is_mine(t, person, defs.settings))]
    # A call is a deadline kept within the calling hours (``within: calling_hours``); the others (the written
    # notice) say what to do next but do not put the record among the calls due now.
    calls_due = [t for t in tasks if t.clock in workflow.clocks and workflow.clocks[t.clock].within]
    due = min(calls_due, key=lambda t: t.due) if calls_due else None
    first = min(tasks, key=lambda t: t.due) if tasks else None
    calls = [e.at for e in record.events if e.action in CALL_ACTIONS]
    last = max(calls).astimezone(zone) if calls else None
    broken = broken_count(view, now, zone)
    return CallRow(
        number=record.number, unit=str(values.get("unit") or ""), owner=str(values.get("owner") or ""),
        phones=str(values.get("phone") or ""), amount=owed_now(values), months=months_owed(values.get("items"))[0],
        outcome=str(values.get("outcome") or ""), promised_date=str(values.get("promised_date") or ""),
        last_call=last, days_since=(today - last.date()).days if last else None,
        attempts=int(values.get("attempts") or 0), broken=broken, due=due,
        next_step=_next_step(view.state, values, first, today, broken), collector=collector,
        state=workflow.states[view.state].label, round=str(values.get("round") or ""))


def call_list(defs, records: Iterable[Record], now: dt.datetime, collector: str = "") -> CallList:
    """The open collection records of ``collector`` (all collectors' when "") in calling order, at ``now``."""
    rows = []
    for record in records:
        if record.form != COLLECTION_FORM:
            continue
        row = call_row(defs, record, now, collector)
        if row is not None:
            rows.append(row)
    rows.sort(key=CallRow.sort_key)
    return CallList(collector, tuple(rows), hours_text(defs.settings.fees.calling_hours))


def collectors_of(rows: Iterable[CallRow]) -> list[str]:
    """The collectors named on ``rows``, in order of first appearance."""
    return list(dict.fromkeys(r.collector for r in rows if r.collector))
