"""One cell of an arrears list: an amount of money, a 所属期间 (pure).

Billing systems and clerks write amounts as ``¥1,234.50``, ``1234.5元``, ``１２３４．５０`` (full-width) and
periods as ``2026-11``, ``2026年11月``, ``202611``, ``2026.11``, an Excel date, or a range
``2026-01至2026-06``. What can be read is normalised (Decimal to the fen, ``YYYY-MM``); a period that
cannot be read is kept as written (the clerk still sees it), an amount that cannot be read is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
_MONEY_WORDS = re.compile(r"^(?:RMB|CNY|人民币)|[¥￥$元,，\s]|(?:RMB|CNY)$", re.IGNORECASE)


class NotAnAmount(ValueError):
    """The text is not an amount of money."""


def amount(text: str) -> Decimal | None:
    """``text`` as yuan rounded to the fen; ``None`` for an empty cell (or a lone dash, the billing system's
    "nothing"). Raises :class:`NotAnAmount` for anything else that is not a number."""
    clean = unicodedata.normalize("NFKC", text or "").strip()
    if clean in ("", "-", "--", "—", "/"):
        return None
    negative = clean.startswith("(") and clean.endswith(")")  # accounting style (100.00)
    clean = _MONEY_WORDS.sub("", clean.strip("()"))
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", clean):
        raise NotAnAmount(text)
    try:
        value = Decimal(clean).quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above lets only numbers through
        raise NotAnAmount(text) from exc
    return -value if negative else value


def stored(value) -> Decimal | None:
    """A money value as a record holds it (checked by the form when it was typed: a number or its text) to the
    fen; ``None`` when empty or not a number."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        return None


def yuan(value: Decimal) -> str:
    """An amount as a supervisor reads it: thousands separated, two decimals (12,345.60)."""
    return f"{value:,.2f}"


@dataclass(frozen=True)
class Period:
    """A 所属期间: ``start``..``end`` as YYYY-MM (equal for one month; both "" when unreadable), and the
    text as the file wrote it."""

    text: str
    start: str = ""
    end: str = ""

    @property
    def label(self) -> str:
        """How it is shown: 2026-11, 2026-01至2026-06, or the file's own text."""
        if not self.start:
            return self.text
        return self.start if self.start == self.end else f"{self.start}至{self.end}"

    def months(self) -> tuple[str, ...]:
        """Every month of the period (YYYY-MM); the text itself when it cannot be read."""
        if not self.start:
            return (self.text,) if self.text else ()
        year, month = map(int, self.start.split("-"))
        out = []
        while f"{year:04d}-{month:02d}" <= self.end and len(out) < 1200:
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(out)


_MONTH = re.compile(r"(\d{4})\s*(?:[年.\-/]\s*(\d{1,2})\s*月?(?:\s*[.\-/]?\s*\d{1,2}\s*日?(?:\s+[\d:]+)?)?|(\d{2}))")
_ONLY_MONTH = re.compile(r"(\d{1,2})\s*月?")
_RANGE = re.compile(r"\s*(?:至|到|~|～|—|–|--|-)\s*")


def _month(text: str) -> str | None:
    match = _MONTH.fullmatch(text.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2) or match.group(3))
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and year >= 1900 else None


def period(text: str) -> Period:
    """``text`` read as a month or a range of months (see the module's docstring)."""
    raw = (text or "").strip()
    clean = unicodedata.normalize("NFKC", raw).strip()
    if not clean:
        return Period("")
    single = _month(clean)
    if single:
        return Period(raw, single, single)
    for sep in _RANGE.finditer(clean):  # "-" is also inside a month: try each place the range could split
        left, right = clean[:sep.start()], clean[sep.end():]
        start = _month(left)
        if not start:
            continue
        end = _month(right)
        only = _ONLY_MONTH.fullmatch(right.strip())
        if not end and only and 1 <= int(only.group(1)) <= 12:  # 2026年1月至6月: the same year
            end = f"{start[:4]}-{int(only.group(1)):02d}"
        if end and end >= start:
            return Period(raw, start, end)
    return Period(raw)
