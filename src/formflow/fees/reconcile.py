"""Reconciliation (核对): what a newer arrears list says each open collection record recovered.

Each open 催缴档案 (state not final) is compared with the new snapshot by its own rows — the 收费项目 and
所属期间 of its 欠费明细, which the round copied from the list it was made from — so bills of periods after the
round do not count against it. Per row, what is owed now is the sum of the new list's rows of that unit, item
and period (a period compared as months when it can be read: 2026年10月 is 2026-10), 0 when the row is gone.

* every row now 0 → the record is closed with 确认已缴清 (``paid``): 缴清日期 the list's date, 实缴金额 what its
  rows went down by, and a note naming the list;
* some rows went down → 核对部分缴费 (``part_paid``) records 实缴金额, the total recovered so far (measured
  from the round's amounts, not from the previous list), and the record stays open in its state;
* a row that went UP (late fees, a corrected bill of the same period) recovered nothing: it is never read as
  a payment and never netted against another row's payment, the record stays open and the preview lists it
  for the supervisor to check with the billing office.

A record of a building the new list has no row of at all is not compared (an export of some buildings only
must not close the others as paid); the preview names them. Only records made from an older list are compared (a record made from this list, or a later one, has nothing
to learn from it), and only a list newer than every list kept (a back-filled older export reconciles nothing).
Running it again changes nothing: a closed record is final, a recorded 实缴金额 equal to what the list says
is left alone, and a record whose reconciliation file still waits in ``inbox/`` is skipped.

:func:`check` and :func:`reconcile` are pure; :func:`open_records` reads the store and :func:`waiting` the inbox;
:func:`action` is the action file (the engine is the only way into the store: replay and rebuild redo it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from formflow.definitions.feecollectors import building_of
from formflow.fees.arrears import Item
from formflow.fees.owing import ZERO
from formflow.fees.values import period as read_period
from formflow.fees.values import stored, yuan

FORM = "fee_collection"
CLOSE_ACTION, PART_ACTION = "paid", "part_paid"
CLOSE, PART, NONE = "close", "part", "none"
UNNAMED = "（未写项目）"


def _period_key(text: str) -> tuple[str, str]:
    read = read_period(text or "")
    return (read.start, read.end) if read.start else ("", read.text)


def _key(item: str, period: str) -> tuple[str, tuple[str, str]]:
    return ((item or "").strip() or UNNAMED, _period_key(period))


@dataclass(frozen=True)
class OpenRecord:
    """What reconciliation reads of an open collection record."""

    number: str
    unit: str
    collector: str
    snapshot_date: str
    rows: tuple[tuple[str, str, Decimal], ...]   # 收费项目, 所属期间 (as written), 欠费金额 at the round
    paid_amount: Decimal | None


def from_values(number: str, values: Mapping) -> OpenRecord:
    """An :class:`OpenRecord` from a record's replayed values."""
    rows = tuple((str(r.get("item") or UNNAMED), str(r.get("period") or ""), stored(r.get("owed")) or ZERO)
                 for r in values.get("items") or () if isinstance(r, Mapping))
    return OpenRecord(number, str(values.get("unit") or ""), str(values.get("collector") or ""),
                      str(values.get("snapshot_date") or ""), rows, stored(values.get("paid_amount")))


@dataclass(frozen=True)
class RowCheck:
    """One row of a record: what it owed at the round and what the new list says it owes."""

    item: str
    period: str
    was: Decimal
    now: Decimal

    @property
    def down(self) -> Decimal:
        """What was paid on the row (never negative: a rise is not a payment)."""
        return max(self.was - self.now, ZERO)


@dataclass(frozen=True)
class Outcome:
    """What the new list means for one record."""

    record: OpenRecord
    rows: tuple[RowCheck, ...]
    kind: str                 # CLOSE, PART or NONE

    @property
    def paid(self) -> Decimal:
        """Recovered so far: what the record's rows went down by."""
        return sum((r.down for r in self.rows), ZERO)

    @property
    def owed(self) -> Decimal:
        return sum((r.now for r in self.rows), ZERO)

    @property
    def rose(self) -> tuple[RowCheck, ...]:
        """Rows owing more than at the round."""
        return tuple(r for r in self.rows if r.now > r.was)


def check(record: OpenRecord, unit_items: Iterable[Item]) -> Outcome:
    """``record`` compared with the new list's rows of its unit (see the module's docstring)."""
    now: dict = {}
    for item in unit_items:
        key = _key(item.item, item.period.text)
        now[key] = now.get(key, ZERO) + item.owed
    rows = tuple(RowCheck(item, period, was, now.get(_key(item, period), ZERO)) for item, period, was in record.rows)
    paid = sum((r.down for r in rows), ZERO)
    if rows and all(r.now == 0 for r in rows):
        kind = CLOSE
    elif paid != (record.paid_amount or ZERO):
        kind = PART
    else:
        kind = NONE
    return Outcome(record, rows, kind)


@dataclass(frozen=True)
class Reconciliation:
    """The outcome for every open record compared, and the records left out."""

    date: dt.date
    outcomes: tuple[Outcome, ...]
    waiting: tuple[str, ...] = ()        # records whose reconciliation file waits in inbox/
    uncovered: tuple[str, ...] = ()      # records of buildings the list has no row of (a partial export)

    def of(self, kind: str) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.kind == kind)

    @property
    def recovered(self) -> Decimal:
        """What the list shows paid since the last reconciliation of each record (closing and partly paid)."""
        return sum((o.paid - (o.record.paid_amount or ZERO) for o in self.outcomes if o.kind != NONE), ZERO)

    @property
    def rose(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.rose)


def reconcile(records: Iterable[OpenRecord], items: Iterable[Item], date: dt.date,
              waiting: Iterable[str] = ()) -> Reconciliation:
    """Every open record made from a list older than ``date`` compared with the new list's ``items``."""
    by_unit: dict[str, list[Item]] = {}
    for item in items:
        by_unit.setdefault(item.unit, []).append(item)
    # A list with no row at all of a building is an export of other buildings, not a building paid up: its
    # units are left out rather than closed as paid.
    covered = {building_of(unit) for unit in by_unit}
    waiting = set(waiting)
    outcomes, skipped, uncovered = [], [], []
    for record in sorted(records, key=lambda r: r.number):
        if not record.rows or not record.snapshot_date or record.snapshot_date >= date.isoformat():
            continue
        if record.number in waiting:
            skipped.append(record.number)
            continue
        if record.unit not in by_unit and building_of(record.unit) not in covered:
            uncovered.append(record.number)
            continue
        outcomes.append(check(record, by_unit.get(record.unit, ())))
    return Reconciliation(date, tuple(outcomes), tuple(skipped), tuple(uncovered))


def _day(date: dt.date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


def action(outcome: Outcome, date: dt.date, by: str, at: dt.datetime) -> dict:
    """The action file of ``outcome`` (CLOSE or PART): ``by`` the importer, else the record's collector."""
    number = outcome.record.number
    if outcome.kind == CLOSE:
        return {"record": number, "action": CLOSE_ACTION, "by": by or outcome.record.collector, "at": at.isoformat(),
                "data": {"paid_on": date.isoformat(), "paid_amount": f"{outcome.paid:.2f}"},
                "note": f"据{_day(date)}欠费清单核对已缴清"}
    return {"record": number, "action": PART_ACTION, "by": by or outcome.record.collector, "at": at.isoformat(),
            "data": {"paid_amount": f"{outcome.paid:.2f}"},
            "note": f"据{_day(date)}欠费清单核对：已缴 {outcome.paid:.2f} 元，尚欠 {outcome.owed:.2f} 元"}


def file_name(number: str, date: dt.date) -> str:
    """The inbox file of a record's reconciliation by the list of ``date``."""
    from formflow.adapters.inbox import safe_name

    return f"核对-{safe_name(number)}-{date.isoformat()}.yaml"


def waiting(inbox: Path) -> set[str]:
    """Records whose reconciliation file (by any list) still waits in ``inbox``."""
    import yaml

    found = set()
    for path in inbox.glob("核对-*.yaml"):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and doc.get("record"):
            found.add(str(doc["record"]))
    return found


def open_records(app) -> list[OpenRecord]:
    """The collection records held, not in a final state (store read; each replayed)."""
    from formflow.engine.records import replay

    workflow = app.defs.workflows.get(FORM)
    if workflow is None:
        return []
    out = []
    for record in app.store.records(FORM):
        view = replay(record, workflow)
        if not workflow.states[view.state].final:
            out.append(from_values(record.number, view.values))
    return out


def preview(result: Reconciliation) -> list[str]:
    """What the import says about reconciliation before (and after) keeping the list (a supervisor reads it)."""
    closing, part = result.of(CLOSE), result.of(PART)
    lines = [(f"核对催缴档案 reconciliation：比对 compared {len(result.outcomes)} 份未结案档案；"
              f"缴清结案 to close {len(closing)} 户，部分缴费 partly paid {len(part)} 户，"
              f"收回 recovered {yuan(result.recovered)} 元")]
    for o in closing:
        lines.append(f"  = {o.record.number} {o.record.unit}：已缴清 {yuan(o.paid)} 元，结案")
    for o in part:
        lines.append(f"  ~ {o.record.number} {o.record.unit}：已缴 {yuan(o.paid)} 元，尚欠 {yuan(o.owed)} 元")
    for o in result.rose:
        rows = "；".join(f"{r.item} {r.period} {yuan(r.was)}→{yuan(r.now)} 元".replace("  ", " ") for r in o.rose)
        lines.append(f"  ! {o.record.number} {o.record.unit}：欠费增加 owed more（{rows}），不计为缴费，请与收费系统核对")
    if result.uncovered:
        lines.append(f"  提示：{len(result.uncovered)} 份档案所在的楼栋在这份清单中一行也没有（只导出了部分楼栋？），"
                     "不核对 not compared, their buildings are not in this list：" + "、".join(result.uncovered))
    if result.waiting:
        lines.append(f"  提示：{len(result.waiting)} 份档案的核对文件还在收件箱中，先处理 waiting in inbox/："
                     + "、".join(result.waiting))
    return lines


def for_import(root: Path, day: dt.date, items: Iterable[Item]) -> Reconciliation | None:
    """The reconciliation an import of ``items`` as the list of ``day`` brings, or ``None`` when there is nothing
    to compare: no collection form, no open record, or a list older than one already kept (back-filling)."""
    from formflow.app import App
    from formflow.fees.snapshots import kept_days

    kept = kept_days(root)
    if kept and day.isoformat() < kept[-1]:
        return None
    app = App.open(root)
    if FORM not in app.defs.forms or FORM not in app.defs.workflows:
        return None
    records = open_records(app)
    if not records:
        return None
    result = reconcile(records, items, day, waiting(root / "inbox"))
    return result if result.outcomes or result.waiting or result.uncovered else None


def signers(defs) -> tuple[str, ...]:
    """The roles that may sign both reconciliation actions (``--by`` needs one of them)."""
    workflow = defs.workflows.get(FORM)
    if workflow is None:
        return ()
    roles = [set(workflow.actions[a].roles) for a in (CLOSE_ACTION, PART_ACTION) if a in workflow.actions]
    return tuple(sorted(set.intersection(*roles))) if roles else ()


def write(root: Path, result: Reconciliation, by: str, at: dt.datetime) -> int:
    """Write the action file of each record to close or partly paid into ``inbox/``; how many."""

    from formflow.adapters.inbox import put

    written = 0
    for outcome in result.outcomes:
        if outcome.kind == NONE:
            continue
        doc = action(outcome, result.date, by, at)
        put(root / "inbox", file_name(outcome.record.number, result.date), doc)
        written += 1
    return written
