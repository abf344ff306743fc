"""The clock adapter: the one place formflow reads the time.

``FORMFLOW_NOW`` (an ISO 8601 time) fixes "now" for a whole run — for tests, rehearsals and
what-ifs — the way ``--now`` does for one command. Everything below the CLI takes ``now`` as
an argument and never reads the clock itself.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from formflow.errors import FormflowError


def parse_moment(text: str, zone: ZoneInfo) -> dt.datetime:
    """An ISO 8601 time; without an offset it is read in ``zone``."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise FormflowError(f"时间格式不对 bad time {text!r} (expected ISO 8601, e.g. 2026-11-28T09:00+08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def now(zone: ZoneInfo) -> dt.datetime:
    """The current time in ``zone`` (or ``FORMFLOW_NOW`` when set)."""
    fixed = os.environ.get("FORMFLOW_NOW")
    if fixed:
        return parse_moment(fixed, zone).astimezone(zone)
    return dt.datetime.now(zone)
