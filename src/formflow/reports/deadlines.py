"""The monthly deadline report (pure): for each form and clock, the deadlines that fell due in the month.

A deadline "falls due in the month" when its due time (as computed by the engine, holidays and
pauses included) lies in the month. As of the report time ``now`` each one is

* 按时完成 met — stopped at or before its due time;
* 逾期完成 met late — stopped after its due time;
* 逾期未办 overdue — not stopped, due time passed;
* 未到期 open — not stopped, due time still ahead (a report run before the month is over);
* 作废/无效 cancelled — stopped because the record was voided or declared invalid (a final state
  listed among the clock's stop points): not counted in the on-time rate.

On-time rate = met ÷ (met + met late + overdue). A clock that restarts (a rework loop) is counted
by its latest round, as the engine keeps it. Recurring duties (duties.yaml) are not records and
are not in this report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from formflow.definitions.loader import Definitions
from formflow.engine.clocks import MET, MET_LATE, OVERDUE
from formflow.engine.records import Record
from formflow.reports.base import Period, Ratio, cancelled, records_as_of, view_and_clocks

ON_TIME, LATE, OVERDUE_OPEN, OPEN, CANCELLED = "met", "met_late", "overdue", "open", "cancelled"
OUTCOME_LABELS = {ON_TIME: "按时完成", LATE: "逾期完成", OVERDUE_OPEN: "逾期未办", OPEN: "未到期", CANCELLED: "作废/无效"}


@dataclass(frozen=True)
class DueItem:
    """One deadline that fell due in the period."""

    record: str
    form: str
    clock: str
    label: str
    unit: str
    due: dt.datetime
    stopped: dt.datetime | None
    outcome: str        # one of OUTCOME_LABELS
    who: tuple[str, ...]


def outcome_of(defs: Definitions, view, clock) -> str:
    """The report's outcome of one clock state (see the module docstring)."""
    if cancelled(defs, view, clock):
        return CANCELLED
    if clock.status == MET:
        return ON_TIME
    if clock.status == MET_LATE:
        return LATE
    return OVERDUE_OPEN if clock.status == OVERDUE else OPEN


def due_items(defs: Definitions, records: Iterable[Record], period: Period, now: dt.datetime,
              forms: set[str] | None = None) -> list[DueItem]:
    """Every deadline of the records (of ``forms``) whose due time lies in ``period``, as of ``now``."""
    items = []
    for record in records_as_of(records, now, forms):
        if record.form not in defs.workflows or record.form not in defs.forms:
            continue
        view, clocks = view_and_clocks(defs, record, now)
        for clock in clocks:
            if clock.due in period:
                unit = str(view.values.get("unit", ""))
                items.append(DueItem(record.number, record.form, clock.key, clock.label, unit, clock.due,
                                     clock.stopped, outcome_of(defs, view, clock), clock.who))
    return sorted(items, key=lambda i: (i.due, i.record, i.clock))


@dataclass
class ClockTally:
    """The counts of one clock of one form."""

    form: str
    form_title: str
    clock: str
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOME_LABELS, 0))

    @property
    def total(self) -> int:
        """Deadlines due in the period, cancelled ones excluded."""
        return sum(n for key, n in self.counts.items() if key != CANCELLED)

    @property
    def on_time_rate(self) -> Ratio:
        """Met ÷ (met + met late + overdue): deadlines not yet due are not judged."""
        c = self.counts
        return Ratio(c[ON_TIME], c[ON_TIME] + c[LATE] + c[OVERDUE_OPEN])

    def add(self, item: DueItem) -> None:
        self.counts[item.outcome] += 1


@dataclass(frozen=True)
class DeadlineSummary:
    """The deadline report of one month."""

    period: Period
    now: dt.datetime
    rows: tuple[ClockTally, ...]          # every clock of every workflow, in definition order
    total: ClockTally                      # all of them together
    breaches: tuple[DueItem, ...]          # met late or overdue, oldest due first

    @property
    def active_rows(self) -> tuple[ClockTally, ...]:
        """The rows with at least one deadline in the period (cancelled ones included)."""
        return tuple(r for r in self.rows if sum(r.counts.values()))


def tally(items: Iterable[DueItem], form: str, form_title: str, clock: str, label: str) -> ClockTally:
    """The counts of ``items`` of one form and clock."""
    row = ClockTally(form, form_title, clock, label)
    for item in items:
        if item.form == form and item.clock == clock:
            row.add(item)
    return row


def deadline_summary(defs: Definitions, records: Iterable[Record], period: Period, now: dt.datetime) -> DeadlineSummary:
    """The deadline report: per form and clock, met / met late / overdue / open / cancelled, as of ``now``."""
    items = due_items(defs, records, period, now)
    rows = []
    for form_id, workflow in defs.workflows.items():
        title = defs.forms[form_id].title if form_id in defs.forms else form_id
        for key, clock in workflow.clocks.items():
            rows.append(tally(items, form_id, title, key, clock.label))
    total = ClockTally("", "合计", "", "全部期限")
    for item in items:
        total.add(item)
    breaches = tuple(i for i in items if i.outcome in (LATE, OVERDUE_OPEN))
    return DeadlineSummary(period, now, tuple(rows), total, breaches)
