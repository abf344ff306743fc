"""The monthly fee collection report (电话催费月报, pure): collection records, arrears snapshots and a month in,
figures out.

Definitions (all "as of" the report time ``now``; the month in the office's time zone):

* **期初 / 期末清单** — the arrears list at the start: the latest snapshot dated on or before the month's first
  day, else (no list before the month) the month's first one; at the end: the latest snapshot dated on or
  before the month's last day (and not after ``now``). When no list was imported in the month the end is the
  start, and the report says so.
* **期初欠费户数 / 金额** — units owing in the start list and what they owe.
* **通话次数** — 记录通话 actions done in the month (every action whose key starts with ``call_``);
  **接通** — all but 未接通 (``call_no_answer``, or an outcome 无人接听 / 号码错误): a promise, a refusal or
  dispute, a reminder, a payment on the call; **接通率** = 接通 ÷ 通话次数.
* **承诺** — 承诺缴费 made in the month, each judged by :mod:`formflow.fees.promises` (kept, broken, open).
* **结案收回** — records closed with 确认已缴清 in the month: how many, and the sum of their 实缴金额 (a record
  closed without one is counted apart). Part payments of records still open are a separate figure.
* **收缴率** = 已收 ÷ 应收 over the rows of a list (已收 read as 应收 − 欠费 where the list has 应收 but no
  已收); a list without 应收 on every row has no 收缴率, and the report says so.
* **By 催费人** — a record's 催费人 as it stands; a unit of a list, the 催费人 of its latest record (none:
  未分配). **By 楼栋** — the first part of the 房号.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from formflow.definitions.feecollectors import building_of
from formflow.engine.records import Record, RecordView, replay
from formflow.fees import promises as pr
from formflow.fees.owing import ZERO, per_unit, unit_order
from formflow.fees.placeholders import months_owed, owed_now
from formflow.fees.snapshots import Snapshot
from formflow.fees.values import stored
from formflow.reports.base import Period, Ratio, records_as_of

FORM = "fee_collection"
CALL_PREFIX = "call_"
NO_ANSWER_ACTION = "call_no_answer"
NOT_REACHED = ("无人接听", "号码错误")
PAID_ACTION, PART_ACTION = "paid", "part_paid"
UNASSIGNED = "未分配"
NO_RECORD = "未建档"


def building(unit: str) -> str:
    """The 楼栋 of a 房号 as the report names it: its first part (3-2-1502 → 3栋; the same building
    :data:`fees.collectors <formflow.definitions.feecollectors.building_of>` assigns by)."""
    first = building_of(unit) or (unit.split("-")[0] if unit else "") or "未写"
    return f"{first}栋" if first.isdigit() else first


def choose_days(days: Sequence[str], period: Period, today: dt.date) -> tuple[str | None, str | None]:
    """The days (YYYY-MM-DD) of the start and end lists of ``period`` among the kept ``days`` (see above)."""
    first, last = period.start.date(), (period.end - dt.timedelta(days=1)).date()
    usable = sorted(d for d in days if d <= min(last, today).isoformat())
    before = [d for d in usable if d <= first.isoformat()]
    start = before[-1] if before else next((d for d in usable if d >= first.isoformat()), None)
    end = usable[-1] if usable and start is not None else None
    return start, end


@dataclass(frozen=True)
class Collected:
    """已收 and 应收 of some rows of a list; ``known`` False when a row lacks 应收."""

    paid: Decimal = ZERO
    due: Decimal = ZERO
    known: bool = True

    def plus(self, paid: Decimal | None, due: Decimal | None, owed: Decimal) -> Collected:
        if due is None:
            return Collected(self.paid, self.due, False)
        return Collected(self.paid + (paid if paid is not None else due - owed), self.due + due, self.known)

    @property
    def rate(self) -> Ratio:
        """已收 ÷ 应收 (to the fen); no value when unknown or nothing was due."""
        return Ratio(int(self.paid * 100), int(self.due * 100)) if self.known else Ratio(0, 0)


@dataclass
class FeeTally:
    """The figures of one group (the whole month, one 催费人, one 楼栋)."""

    label: str
    units_start: int = 0
    owed_start: Decimal = ZERO
    calls: int = 0
    reached: int = 0
    promises: dict[str, int] = field(default_factory=lambda: dict.fromkeys(pr.LABELS, 0))
    closed: int = 0
    recovered: Decimal = ZERO
    start: Collected = Collected()
    end: Collected = Collected()

    @property
    def reach_rate(self) -> Ratio:
        """接通 ÷ 通话次数."""
        return Ratio(self.reached, self.calls)

    @property
    def promised(self) -> int:
        return sum(self.promises.values())

    @property
    def kept_rate(self) -> Ratio:
        """Kept ÷ (kept + broken): promises still open are not judged yet."""
        return Ratio(self.promises[pr.KEPT], self.promises[pr.KEPT] + self.promises[pr.BROKEN])

    @property
    def active(self) -> bool:
        return bool(self.units_start or self.calls or self.promised or self.closed or self.start.due or self.end.due)


@dataclass(frozen=True)
class StillOwing:
    """A unit owing at the end of the month, with its latest collection record."""

    unit: str
    owner: str
    phones: tuple[str, ...]
    owed: Decimal
    months: int
    collector: str
    record: str
    attempts: int
    outcome: str
    last_date: str
    state: str


@dataclass(frozen=True)
class FeeSummary:
    """The collection report of one month."""

    period: Period
    now: dt.datetime
    start: Snapshot | None
    end: Snapshot | None
    total: FeeTally
    by_collector: tuple[FeeTally, ...]
    by_building: tuple[FeeTally, ...]
    owing: tuple[StillOwing, ...]
    part_paid: tuple[int, Decimal]        # open records with 实缴金额 recorded, and its sum
    closed_without_amount: int


@dataclass(frozen=True)
class _Rec:
    view: RecordView
    unit: str
    collector: str


def _date(moment: dt.datetime, tz) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d}"


def _tallies(rows: dict[str, FeeTally], key: str) -> FeeTally:
    if key not in rows:
        rows[key] = FeeTally(key)
    return rows[key]


def fee_summary(defs, records: Iterable[Record], start: Snapshot | None, end: Snapshot | None, period: Period,
                now: dt.datetime) -> FeeSummary:
    """The figures of ``period`` from the collection ``records`` and the start and end lists."""
    tz = defs.settings.timezone
    workflow = defs.workflows[FORM]
    recs = []
    for record in records_as_of(records, now, {FORM}):
        view = replay(record, workflow)
        recs.append(_Rec(view, str(view.values.get("unit") or ""), str(view.values.get("collector") or UNASSIGNED)))
    latest: dict[str, _Rec] = {}
    for rec in sorted(recs, key=lambda r: (r.view.record.events[0].at, r.view.record.number)):
        latest[rec.unit] = rec
    total, collectors, buildings = FeeTally("合计"), {}, {}

    def groups(unit: str, collector: str) -> tuple[FeeTally, ...]:
        return total, _tallies(collectors, collector), _tallies(buildings, building(unit))

    def owner_of(unit: str) -> str:
        return latest[unit].collector if unit in latest else UNASSIGNED

    if start is not None:
        for u in per_unit(start.items, None):
            for t in groups(u.unit, owner_of(u.unit)):
                t.units_start += 1
                t.owed_start += u.owed
    for snapshot, which in ((start, "start"), (end, "end")):
        for item in snapshot.items if snapshot is not None else ():
            for t in groups(item.unit, owner_of(item.unit)):
                setattr(t, which, getattr(t, which).plus(item.paid, item.due, item.owed))
    part_count, part_sum, no_amount = 0, ZERO, 0
    for rec in recs:
        targets = groups(rec.unit, rec.collector)
        for event in rec.view.record.events:
            if event.at in period and event.action.startswith(CALL_PREFIX):
                reached = event.action != NO_ANSWER_ACTION and event.data.get("outcome") not in NOT_REACHED
                for t in targets:
                    t.calls += 1
                    t.reached += reached
        for promise in pr.promises(rec.view, now, tz):
            if promise.made_at in period:
                for t in targets:
                    t.promises[promise.status] += 1
        closing = [e for e in rec.view.record.events if e.action == PAID_ACTION]
        paid_amount = stored(rec.view.values.get("paid_amount"))
        if rec.view.state == PAID_ACTION and closing and closing[-1].at in period:
            no_amount += paid_amount is None
            for t in targets:
                t.closed += 1
                t.recovered += paid_amount or ZERO
        elif not workflow.states[rec.view.state].final and paid_amount:
            part_count, part_sum = part_count + 1, part_sum + paid_amount
    return FeeSummary(period, now, start, end, total,
                      tuple(collectors[k] for k in sorted(collectors, key=lambda k: (k == UNASSIGNED, k))
                            if collectors[k].active),
                      tuple(buildings[k] for k in sorted(buildings, key=lambda k: unit_order(k.rstrip("栋")))
                            if buildings[k].active),
                      _still_owing(defs, end, recs, latest, tz), (part_count, part_sum), no_amount)


def _last(view: RecordView, tz) -> str:
    events = [e for e in view.record.events if e.action.startswith(CALL_PREFIX) or e.action == PAID_ACTION]
    return _date(events[-1].at, tz) if events else ""


def _still_owing(defs, end: Snapshot | None, recs: list[_Rec], latest: dict[str, _Rec], tz) -> tuple[StillOwing, ...]:
    """Units owing in the end list (without a list: units of open records), largest first."""
    workflow = defs.workflows[FORM]
    out = []
    if end is not None:
        for u in per_unit(end.items, defs.settings.register):
            rec = latest.get(u.unit)
            out.append(_owing(u.unit, u.owner, u.phones, u.owed, u.months, rec, workflow, tz))
        return tuple(out)
    for rec in recs:
        if latest.get(rec.unit) is rec and not workflow.states[rec.view.state].final:
            v = rec.view.values
            phones = tuple(p for p in str(v.get("phone") or "").split("、") if p)
            out.append(_owing(rec.unit, str(v.get("owner") or ""), phones, owed_now(v), months_owed(v.get("items"))[0],
                              rec, workflow, tz))
    return tuple(sorted(out, key=lambda o: (-o.owed, unit_order(o.unit))))


def _owing(unit, owner, phones, owed, months, rec: _Rec | None, workflow, tz) -> StillOwing:
    if rec is None:
        return StillOwing(unit, owner, tuple(phones), owed, months, UNASSIGNED, "", 0, NO_RECORD, "", NO_RECORD)
    v = rec.view.values
    phones = tuple(phones) or tuple(p for p in str(v.get("phone") or "").split("、") if p)
    return StillOwing(unit, owner or str(v.get("owner") or ""), phones, owed, months, rec.collector,
                      rec.view.record.number, int(v.get("attempts") or 0), str(v.get("outcome") or "未联系"),
                      _last(rec.view, tz), workflow.states[rec.view.state].label)
