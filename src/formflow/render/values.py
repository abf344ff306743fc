"""Values as people read them on paper and in lists: formatted field values, times, masked numbers, QR codes."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

from formflow.definitions.forms import Field
from formflow.engine.fieldtypes import is_empty

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask(text: str) -> str:
    """Mobile and ID numbers in ``text`` masked for lists: 13812345678 → 138****5678."""
    text = _ID.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), text)
    return _PHONE.sub(r"\1****\2", text)


def local(moment: dt.datetime, tz) -> str:
    """A moment as the office reads it: ``2026-11-28 17:30`` in the office's time zone."""
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


@functools.lru_cache(maxsize=1024)
def qr_svg(text: str) -> Markup:
    """A QR code of ``text`` as inline SVG (segno: pure Python, vector, no image file to fetch).

    Cached: a record's PDF is printed again after each change, with the same number.
    """
    import segno

    code = segno.make(text, error="m", micro=False)
    return Markup(code.svg_inline(border=0, omitsize=True, svgclass="qr", lineclass=None, dark="#000"))


# ── values ──────────────────────────────────────────────────────────────────────────────

def _option_label(field: Field, value: Any) -> str:
    if field.choices is not None:
        for option in field.choices.options:
            if option.value == str(value):
                return option.label
    return str(value)


def _number(value: Any, places: int | None) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if places is None:
        return f"{number:,}" if number == number.to_integral_value() else f"{number:,f}"
    return f"{number:,.{places}f}"


def format_value(field: Field, value: Any, tz) -> str:
    """A stored (plain) value as printed text."""
    if is_empty(value):
        return ""
    kind = field.type
    if kind == "yesno":
        return "是" if value is True or str(value) in ("是", "true", "True") else "否"
    if kind == "choice":
        return _option_label(field, value)
    if kind == "multichoice":
        items = value if isinstance(value, (list, tuple)) else [value]
        return "、".join(_option_label(field, v) for v in items)
    if kind == "datetime":
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return local(moment if moment.tzinfo else moment.replace(tzinfo=tz), tz)
    if kind in ("integer", "decimal", "money"):
        places = 2 if kind == "money" else field.decimals if kind == "decimal" else None
        unit = field.unit_label or ("元" if kind == "money" else "")
        return _number(value, places) + (f" {unit}" if unit else "")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)
