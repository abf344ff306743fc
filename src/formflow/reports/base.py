"""Shared pieces of the report computations (pure): periods, ratios, a record as of a moment, its clocks.

Every report is computed "as of" a moment ``now``: events recorded after it are left out, so the
October summary printed again in December gives the same figures as on 1 November when run with
the same ``--now``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from formflow.definitions.forms import form_labels
from formflow.definitions.loader import Definitions
from formflow.engine.clocks import ClockState, record_clocks
from formflow.engine.records import Record, RecordView, replay, typed_values

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """A calendar month or year in the office's time zone: ``start`` included, ``end`` excluded."""

    key: str            # 2026-10 / 2026: the file name part
    label: str          # 2026年10月 / 2026年
    start: dt.datetime
    end: dt.datetime

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


def month_period(text: str, tz) -> Period:
    """``YYYY-MM`` as a :class:`Period`; raises ``ValueError`` (in Chinese) for anything else."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"月份应写成 YYYY-MM，例如 2026-10 (got {text!r})")
    year, month = int(match.group(1)), int(match.group(2))
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return Period(f"{year:04d}-{month:02d}", f"{year}年{month}月", start, end)


def year_period(year: int, tz) -> Period:
    """Calendar year ``year`` as a :class:`Period`."""
    if not 1900 <= year <= 9998:
        raise ValueError(f"年份不对 bad year {year}")
    return Period(f"{year:04d}", f"{year}年", dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz))


def _half_up(value: Fraction, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ratio:
    """``num`` out of ``den``, printed as a percentage (half up, one decimal); no value when ``den`` is 0."""

    num: int
    den: int

    @property
    def value(self) -> Fraction | None:
        """The exact share (0–1), or ``None`` when there is nothing to divide by."""
        return Fraction(self.num, self.den) if self.den else None

    def percent(self, places: int = 1) -> str:
        """``80.0%``, or ``—`` when ``den`` is 0."""
        return "—" if not self.den else f"{_half_up(Fraction(100 * self.num, self.den), places)}%"

    def number(self, places: int = 1) -> str:
        """The percentage without the sign, for CSV (``80.0``); empty when ``den`` is 0."""
        return "" if not self.den else str(_half_up(Fraction(100 * self.num, self.den), places))

    def reaches(self, target_percent: float) -> bool | None:
        """Whether the share is at least ``target_percent`` (exact, no rounding); ``None`` without data."""
        if not self.den:
            return None
        return Fraction(100 * self.num, self.den) >= Fraction(str(target_percent))

    def width(self) -> float:
        """The share as a bar width in percent (0–100, three decimals)."""
        return round(100 * self.num / self.den, 3) if self.den else 0.0


def as_of(record: Record, now: dt.datetime) -> Record | None:
    """``record`` without the events recorded after ``now``; ``None`` when it did not exist yet."""
    events = tuple(e for e in record.events if e.at <= now)
    if not events:
        return None
    if len(events) == len(record.events):
        return record
    return Record(record.number, record.form, events, record.form_version, record.workflow_version, record.parent)


def records_as_of(records: Iterable[Record], now: dt.datetime, forms: set[str] | None = None) -> Iterator[Record]:
    """The records (of ``forms``) as they stood at ``now``, in number order."""
    chosen = [r for r in records if forms is None or r.form in forms]
    for record in sorted(chosen, key=lambda r: r.number):
        trimmed = as_of(record, now)
        if trimmed is not None:
            yield trimmed


def moment(value: Any, tz) -> dt.datetime | None:
    """A stored datetime value (``2026-10-05T16:00+08:00``) as an aware datetime; ``None`` if not one."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if not isinstance(value, str) or ("T" not in value and " " not in value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def view_and_clocks(defs: Definitions, record: Record, now: dt.datetime) -> tuple[RecordView, list[ClockState]]:
    """The replayed record and the state of each of its clocks at ``now`` (no clocks without a workflow)."""
    workflow = defs.workflows[record.form]
    view = replay(record, workflow)
    form = defs.forms[record.form]
    typed = typed_values(form, view.values, defs.settings, now)
    return view, record_clocks(view, typed, workflow, defs.calendar, now, form_labels(form))


def cancelled(defs: Definitions, view: RecordView, clock: ClockState) -> bool:
    """Whether ``clock`` was stopped by the record entering a final state named as a stop point.

    In the shipped workflows those are the ``void`` / ``invalid`` states (作废, 无效): the deadline
    was not met, it stopped applying, so reports count it apart instead of as "on time".
    """
    if clock.stopped is None:
        return False
    workflow = defs.workflows[view.record.form]
    for point in workflow.clocks[clock.key].stop:
        kind, _, state = point.partition(":")
        if kind == "state" and state in workflow.states and workflow.states[state].final \
                and view.state == state and clock.stopped in view.entered(state):
            return True
    return False
