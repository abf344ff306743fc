"""Deadlines kept inside periods of the day (pure): the office's calling hours for the collector's calls.

A clock with ``within: calling_hours`` is due at a time an owner may be phoned. A due time outside the
periods moves *earlier*, to the end of the last period before it (the end of the day before a promised date
becomes 20:00 that day; 13:00 becomes 12:00; 08:00 becomes 20:00 the evening before), so nothing is late
because of the move. Only when that would put it at or before the clock's start (a short rule started
after the last period of the day) does it move to the start of the next period instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

Periods = Sequence[tuple[dt.time, dt.time]]


def hours_text(periods: Periods) -> str:
    """The periods as a clerk reads them: ``9:00–12:00、14:00–20:00``."""
    def short(t: dt.time) -> str:
        return f"{t.hour}:{t.minute:02d}"

    return "、".join(f"{short(a)}–{short(b)}" for a, b in periods)


def within_hours(due: dt.datetime, periods: Periods, tz, start: dt.datetime | None = None) -> dt.datetime:
    """``due`` moved into ``periods`` (times of day in ``tz``, in order), as the module says; ``due`` itself
    when it is inside one (or there are none)."""
    if not periods:
        return due
    local = due.astimezone(tz)
    day, now = local.date(), local.time()
    if any(a <= now <= b for a, b in periods):
        return due
    ends = [b for _, b in periods if b < now]
    moved = (dt.datetime.combine(day, ends[-1], tz) if ends
             else dt.datetime.combine(day - dt.timedelta(days=1), periods[-1][1], tz))
    if start is None or moved > start:
        return moved
    starts = [a for a, _ in periods if a > now]
    return (dt.datetime.combine(day, starts[0], tz) if starts
            else dt.datetime.combine(day + dt.timedelta(days=1), periods[0][0], tz))
