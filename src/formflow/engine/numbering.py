"""Record numbers from a form's pattern (pure): ``TS-{station}-{yyyy}{mm}-{seq:04}`` → ``TS-YG-202611-0007``."""

from __future__ import annotations

import datetime as dt
import re

from formflow.definitions.forms import NumberPattern

_PLACEHOLDER = re.compile(r"\{([a-z]+)(?::0?(\d+))?\}")


def period_key(pattern: NumberPattern, day: dt.date) -> str:
    """The counter a record made on ``day`` draws its serial from (serials restart per period)."""
    return {"never": "", "yearly": f"{day:%Y}", "monthly": f"{day:%Y-%m}", "daily": f"{day:%Y-%m-%d}"}[pattern.reset]


def format_number(pattern: NumberPattern, station: str, day: dt.date, seq: int) -> str:
    """The record number for serial ``seq`` of a record created on ``day`` at ``station``."""
    parts = {"station": station, "yyyy": f"{day:%Y}", "yy": f"{day:%y}", "mm": f"{day:%m}", "dd": f"{day:%d}"}

    def fill(match: re.Match) -> str:
        name, width = match.group(1), match.group(2)
        if name == "seq":
            return str(seq).zfill(int(width or 1))
        return parts[name]

    return _PLACEHOLDER.sub(fill, pattern.pattern)


#: Record numbers become file names (outbox/records/<form>/<number>.pdf): only these characters pass.
SAFE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
