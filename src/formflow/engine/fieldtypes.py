"""Reading one field's raw value (from YAML, JSON or a web form) into a typed value.

Each reader returns the typed value or raises :class:`BadValue` with a Chinese message a
clerk can act on. Readers are lenient about how a person writes (全角 digits, ``2026/11/28``,
``是``/``否``) and strict about what it means (a real date, a valid check digit).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from formflow.definitions.forms import Field
from formflow.engine import unitspelling


class BadValue(ValueError):
    """A value that does not fit its field; ``str(exc)`` is the Chinese explanation."""


def _text(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise BadValue(f"应为文字，填写的是 {_show(value)}")
    # NFKC folds full-width digits and letters (１３８, Ｘ) that Chinese input methods produce.
    return unicodedata.normalize("NFKC", str(value)).strip()


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "一个列表"
    if isinstance(value, dict):
        return "一组键值"
    text = str(value)
    return f"“{text[:30]}…”" if len(text) > 30 else f"“{text}”"


def is_empty(value: Any) -> bool:
    """True for a value that counts as not filled in."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


#: Full-width digits and Latin letters (and the ideographic space) → their ASCII forms; nothing else. A text is
#: Chinese: its ，。（）：are what the clerk typed and must print as typed (NFKC would make them , . ( ) :).
_WIDE = {**{0xFF10 + i: 0x30 + i for i in range(10)}, **{0xFF21 + i: 0x41 + i for i in range(26)},
         **{0xFF41 + i: 0x61 + i for i in range(26)}, 0x3000: 0x20}


def read_text(field: Field, value: Any, limit: int | None = None) -> str:
    """Text of a ``text``/``textarea`` field, at most ``limit`` characters (None: the field's own; 0: no limit)."""
    if isinstance(value, (bool, list, dict)):
        raise BadValue(f"应为文字，填写的是 {_show(value)}")
    text = str(value).translate(_WIDE).strip() if field.type == "text" else str(value).strip("\n")
    limit = field.length_limit if limit is None else limit
    if limit and len(text) > limit:
        raise BadValue(f"最多 {limit} 个字，填写了 {len(text)} 个字，请删减")
    return text


def read_integer(field: Field, value: Any) -> int:
    if isinstance(value, bool):
        raise BadValue(f"应为整数，填写的是 {_show(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        text = _text(value).replace(",", "")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise BadValue(f"应为整数，填写的是 {_show(value)}")
        value = int(text)
    return _in_range(field, value)


def read_decimal(field: Field, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise BadValue(f"应为数字，填写的是 {_show(value)}")
    text = _text(value).replace(",", "").removeprefix("¥").removesuffix("元").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"应为数字，填写的是 {_show(value)}") from None
    if not number.is_finite():
        raise BadValue(f"应为数字，填写的是 {_show(value)}")
    places = 2 if field.type == "money" else field.decimals
    if -number.as_tuple().exponent > places:
        what = "金额最多保留两位小数（分）" if field.type == "money" else f"最多保留 {places} 位小数"
        raise BadValue(f"{what}，填写的是 {_show(value)}")
    return _in_range(field, number.quantize(Decimal(1).scaleb(-places)))


def _in_range(field: Field, number):
    if field.min is not None and number < Decimal(str(field.min)):
        raise BadValue(f"不能小于 {field.min:g}{field.unit_label}，填写的是 {number}")
    if field.max is not None and number > Decimal(str(field.max)):
        raise BadValue(f"不能大于 {field.max:g}{field.unit_label}，填写的是 {number}")
    return number


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_TIME = re.compile(r"(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*分?\s*(?:[:：]?\s*(\d{1,2})\s*秒?)?")


def read_date(field: Field, value: Any) -> dt.date:
    text = _text(value)
    match = _DATE.fullmatch(text)
    if not match:
        raise BadValue(f"日期格式不对，应写成 2026-11-28，填写的是 {_show(value)}")
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        raise BadValue(f"没有这一天，填写的是 {_show(value)}") from None


def read_time(field: Field, value: Any) -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 10:30 as the base-60 integer 630; give the clerk the time back.
        value = f"{value // 60}:{value % 60:02d}"
    text = _text(value)
    match = _TIME.fullmatch(text)
    try:
        if not match:
            raise ValueError
        hour, minute, second = (int(g) if g else 0 for g in match.groups())
        return dt.time(hour, minute, second)
    except ValueError:
        raise BadValue(f"时间格式不对，应写成 14:30，填写的是 {_show(value)}") from None


def read_datetime(field: Field, value: Any, zone: ZoneInfo) -> dt.datetime:
    text = _text(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        match = re.fullmatch(r"(.+?)[\sT]+(\d{1,2}\s*[:：时点].*)", text)
        if not match:
            raise BadValue(f"日期时间格式不对，应写成 2026-11-28 14:30，填写的是 {_show(value)}") from None
        day = read_date(field, match.group(1))
        moment = dt.datetime.combine(day, read_time(field, match.group(2)))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(zone)
    except OverflowError:  # 0001-01-01 00:00+14:00 is before the first moment Python can hold in UTC
        raise BadValue(f"日期超出范围，请核对年份，填写的是 {_show(value)}") from None


def check_window(value: dt.date, raw: Any, earliest: dt.date, latest: dt.date) -> None:
    """Raise :class:`BadValue` when the date (or datetime) ``value`` lies outside ``earliest``..``latest``."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not earliest <= day <= latest:
        raise BadValue(f"日期不在合理范围内（应在 {earliest.isoformat()} 至 {latest.isoformat()} 之间），"
                       f"填写的是 {_show(raw)}，请核对年份")


_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "无", "n", "no", "false", "0", "×", "✗"}


def read_yesno(field: Field, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise BadValue(f"应填“是”或“否”，填写的是 {_show(value)}")


def _option(field: Field, value: Any) -> str:
    text = _text(value)
    for option in field.choices.options:
        if text in (option.value, option.label):
            return option.value
    values = field.choices.values
    # Show a form's whole list; a master list (hundreds of units from a CSV) only in part.
    shown = "、".join(values[:30]) + (f" 等共 {len(values)} 项（完整列表见填写模板或服务台）"
                                      if len(values) > 30 else "")
    raise BadValue(f"“{text}”不在选项中，可选：{shown}")


def read_choice(field: Field, value: Any) -> str:
    return _option(field, value)


def read_multichoice(field: Field, value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    chosen = [_option(field, item) for item in items if not is_empty(item)]
    if len(set(chosen)) != len(chosen):
        raise BadValue("同一选项选了两次")
    if field.min_choices is not None and len(chosen) < field.min_choices:
        raise BadValue(f"至少选 {field.min_choices} 项，选了 {len(chosen)} 项")
    if field.max_choices is not None and len(chosen) > field.max_choices:
        raise BadValue(f"最多选 {field.max_choices} 项，选了 {len(chosen)} 项")
    order = field.choices.values
    return sorted(chosen, key=order.index)


def read_mobile(field: Field, value: Any) -> str:
    text = re.sub(r"[\s\-()（）]", "", _text(value))
    text = re.sub(r"^(\+?86)(?=1\d{10}$)", "", text)
    if not re.fullmatch(r"1[3-9]\d{9}", text):
        raise BadValue(f"不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 {_show(value)}")
    return text


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of an ID number's first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def read_id_number(field: Field, value: Any) -> str:
    text = _text(value).upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise BadValue(f"身份证号应为 18 位（前 17 位为数字，最后一位为数字或 X），填写的是 {_show(value)}")
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise BadValue(f"身份证号中的出生日期 {text[6:14]} 不存在，请核对") from None
    expected = id_check_digit(text[:17])
    if text[17] != expected:
        raise BadValue(f"身份证号校验位不对（最后一位应为 {expected}，填写的是 {text[17]}），请核对号码")
    return text


def read_unit(field: Field, value: Any, settings) -> str:
    """A 房号 in the office's one spelling when ``units.unify_spelling`` is on (else as typed), checked against
    ``unit_pattern``, a master list, and the unit register (``units.yaml``) when the office keeps one."""
    text = _text(value)
    if field.choices is not None:
        if text not in field.choices.values:
            raise BadValue(f"房号“{text}”不在房号清单中，请核对")
        return text
    pattern, example = settings.unit_pattern, settings.unit_example
    found = unitspelling.canonical(text, pattern) if settings.unify_units else (text if pattern.fullmatch(text)
                                                                                 else None)
    if found is None:
        also = "（也可写成 3栋2单元1502 这样）" if settings.unify_units else ""
        raise BadValue(f"房号格式不对，应写成 {example}{also}，填写的是 {_show(value)}")
    register = settings.register
    # A file accepted once is replayed as it was (``plausibility`` off): a unit struck from the register since
    # must not lose its records in a rebuild.
    if register and settings.unknown_unit == "refuse" and settings.plausibility and register.find(found) is None:
        near = register.closest(found)
        hint = f"；相近的房号：{'、'.join(near)}" if near else ""
        raise BadValue(f"房号 {found} 不在房屋清单中{hint}。请核对房号；确是新的房屋，请主管先加入房屋清单")
    return found


def eligible(field: Field, settings) -> list:
    """The active people of the roster a ``staff`` field takes (its roles and department)."""
    return [p for p in settings.staff if p.active and (not field.roles or set(p.roles) & set(field.roles))
            and (not field.department or p.department == field.department)]


def read_staff(field: Field, value: Any, settings) -> str:
    """A name from the roster: active, with one of the field's roles, of its department. A file accepted once
    replays whoever it named (``plausibility`` off): people leave, their records stay."""
    name = _text(value)
    if not settings.plausibility:
        return name
    people = eligible(field, settings)
    if any(p.name == name for p in people):
        return name
    choices = "、".join(p.name for p in people) or "（名册中没有符合的人员，请主管补充）"
    if settings.person(name) is None:
        near = difflib.get_close_matches(name, [p.name for p in people], n=1, cutoff=0.5)
        hint = f"（是不是“{near[0]}”？）" if near else ""
        raise BadValue(f"“{name}”不在人员名册中或已离职{hint}；可选：{choices}")
    need = "、".join(settings.roles.get(r, r) for r in field.roles)
    where = f"{field.department}的" if field.department else ""
    raise BadValue(f"{name}不是{where}{need or '可选人员'}；可选：{choices}")
