"""Values as people read them on paper and in lists: formatted field values, times, masked numbers, QR codes."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
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


_CODES = re.compile(r"（[0-9a-z.]+）| \([+-]\d{2}:\d{2}\)")


def plain(line: str) -> str:
    """A line of an explanation as a clerk reads it: without the rule's code ``（3wd）`` and the offset ``(+08:00)``
    (the supervisor's ``formflow explain`` keeps both)."""
    return _CODES.sub("", line)


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
        # A whole number is a count or a year (征询年度 2026, not 2,026): grouped only past ten thousand.
        plain_int = kind == "integer" and isinstance(value, int) and abs(value) < 10_000
        return (str(value) if plain_int else _number(value, places)) + (f" {unit}" if unit else "")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _group(number: int) -> str:
    """0–9999 in capitals, with 零 for gaps inside (1005 → 壹仟零伍)."""
    out, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10 ** position % 10
        if digit:
            out += ("零" if zero and out else "") + _DIGITS[digit] + _SMALL[position]
            zero = False
        else:
            zero = True
    return out


def capital_rmb(value: Any) -> str:
    """An amount in 人民币大写, as receipts and contracts write it: ``1,280.50`` → ``壹仟贰佰捌拾元伍角``,
    ``10,000`` → ``壹万元整``, ``1,005.30`` → ``壹仟零伍元叁角``, ``0.05`` → ``伍分`` ("" for what is not an
    amount; a negative one starts with 负)."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 16:
        return ""
    sign, amount = ("负" if amount < 0 else ""), abs(amount)
    yuan, cents = int(amount), int((amount * 100) % 100)
    jiao, fen = divmod(cents, 10)
    text = ""
    groups = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    for index in range(len(groups) - 1, -1, -1):
        part = groups[index]
        if part:
            if text and part < 1000 and not text.endswith("零"):  # 壹万零伍佰: the group's thousands are 0
                text += "零"
            text += _group(part) + _GROUPS[index]
        elif text and not text.endswith("零"):
            text += "零"
    text = text.rstrip("零")
    if text:
        text += "元"
    if not jiao and not fen:
        return sign + (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return sign + text
