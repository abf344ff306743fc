"""Validating a filled form: raw data in, typed values and every problem out (pure).

Order matters and mirrors how a person reads a form: first each value is read into its
type, then defaults fill the gaps, then conditions (``show_if``, ``required``) and
``constraint`` are judged on the typed values, so ``${end} >= ${start}`` compares dates.
All problems are collected; nothing stops at the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from formflow.definitions.forms import Field, Form, form_labels
from formflow.definitions.settings import Settings
from formflow.engine import fieldtypes as ft
from formflow.engine.expressions import EVALUATION_ERRORS, describe, evaluate, holds

#: ``default: me`` of a ``staff`` field: the person who signs the submission (filled in by the intake).
ME = "me"


@dataclass(frozen=True)
class DataProblem:
    """One problem in filled data, named by the field's Chinese label (its key is for code, not for people).

    ``key`` is the data path (``members[2].phone``, rows counted from 1 like 第2行);
    ``label`` is how a clerk knows the field; ``message`` is what is wrong, in Chinese.
    """

    key: str
    label: str
    message: str

    def __str__(self) -> str:
        return self.text()

    def text(self, line: int | None = None) -> str:
        """The problem as a clerk reads it: the field by its label (its key only when it has none, being then
        what the clerk wrote), with the line of the file it is on when known."""
        if not self.key:
            return self.message
        where = f"（第 {line} 行）" if line else ""
        return f"{self.label or self.key}{where}：{self.message}"


@dataclass(frozen=True)
class Validated:
    """The outcome: typed ``values`` (only fields that apply and are filled) and ``problems``."""

    values: dict[str, Any]
    problems: tuple[DataProblem, ...]

    @property
    def ok(self) -> bool:
        """True when there is nothing to fix."""
        return not self.problems


def read_value(field: Field, raw: Any, settings: Settings, now: dt.datetime) -> Any:
    """``raw`` read as ``field``'s type; raises :class:`~formflow.engine.fieldtypes.BadValue`."""
    zone = settings.timezone
    if isinstance(raw, str) and field.type in ("date", "datetime", "time") and raw.strip() in ("today", "now"):
        local = now.astimezone(zone)
        return {"date": local.date(), "time": local.time().replace(microsecond=0, second=0),
                "datetime": local.replace(microsecond=0)}[field.type]
    match field.type:
        case "text" | "textarea":
            # (a replay keeps only the form's own max_length: the type's default came later for some files)
            return ft.read_text(field, raw, field.length_limit if settings.plausibility else (field.max_length or 0))
        case "integer":
            return ft.read_integer(field, raw)
        case "decimal" | "money":
            return ft.read_decimal(field, raw)
        case "date":
            return ft.read_date(field, raw)
        case "time":
            return ft.read_time(field, raw)
        case "datetime":
            return ft.read_datetime(field, raw, zone)
        case "yesno":
            return ft.read_yesno(field, raw)
        case "choice":
            return ft.read_choice(field, raw)
        case "multichoice":
            return ft.read_multichoice(field, raw)
        case "mobile":
            return ft.read_mobile(field, raw)
        case "id_number":
            return ft.read_id_number(field, raw)
        case "unit":
            return ft.read_unit(field, raw, settings)
        case "staff":
            return ft.read_staff(field, raw, settings)
    kind = "签名/盖章栏" if field.type == "signature" else "说明文字"
    raise ft.BadValue(f"此项是纸质表上的{kind}，只在纸上填写，不能填入数据")


class _Checker:
    def __init__(self, settings: Settings, now: dt.datetime, labels: Mapping[str, str]):
        self.settings = settings
        self.labels = labels
        self.now = now
        self.today = now.astimezone(settings.timezone).date()
        self.problems: list[DataProblem] = []

    def add(self, key: str, label: str, message: str) -> None:
        self.problems.append(DataProblem(key, label, message))

    def fields(self, fields: tuple[Field, ...], raw: Mapping[str, Any], prefix: str, label_prefix: str,
               outer: Mapping[str, Any], applies: dict[str, bool]) -> dict[str, Any]:
        """Read, default and judge ``fields`` from ``raw``; ``outer`` holds values visible from outside (rows)."""
        known = {f.name for f in fields}
        for key in raw:
            if key not in known:
                # The key is all there is to name it by: it is what the clerk wrote.
                self.add(f"{prefix}{key}", f"{label_prefix}未知字段“{str(key)[:40]}”",
                         "表单中没有这个字段，请删除或检查拼写")
        values: dict[str, Any] = {}
        for field in fields:
            key, label = f"{prefix}{field.name}", f"{label_prefix}「{field.label}」"
            value = raw.get(field.name)
            if ft.is_empty(value):
                continue
            if field.type == "table":
                continue  # rows are read below, once the values they may refer to are known
            try:
                values[field.name] = read_value(field, value, self.settings, self.now)
                if field.type in ("date", "datetime") and self.settings.plausibility:  # year 9999 breaks deadlines
                    window = self.settings.dates
                    ft.check_window(values[field.name], value, window.earliest, window.latest(self.today))
            except ft.BadValue as exc:
                self.add(key, label, str(exc))
                values[field.name] = _UNREADABLE
        for field in fields:
            if field.name not in values and field.default is not None and field.holds_data and field.default != ME:
                try:
                    values[field.name] = read_value(field, field.default, self.settings, self.now)
                except ft.BadValue:
                    pass  # `formflow check` reports bad defaults; never blame the clerk for them
        scope = {**outer, **{k: v for k, v in values.items() if v is not _UNREADABLE}}
        for field in fields:
            if field.type == "table" and not ft.is_empty(raw.get(field.name)):
                key, label = f"{prefix}{field.name}", f"{label_prefix}「{field.label}」"
                try:
                    values[field.name] = scope[field.name] = self.table(field, raw[field.name], key, label, scope)
                except ft.BadValue as exc:
                    self.add(key, label, str(exc))
                    values[field.name] = _UNREADABLE
        for field in fields:  # computed values, in the form's order (a total after the lines it adds up)
            if field.calculate is not None and values.get(field.name) is not _UNREADABLE:
                self.calculated(field, values, scope, f"{prefix}{field.name}", f"{label_prefix}「{field.label}」",
                                applies.get(field.name, True))
        for field in fields:
            key, label = f"{prefix}{field.name}", f"{label_prefix}「{field.label}」"
            shown = applies.get(field.name, True) and (field.show_if is None or holds(field.show_if, scope, today=self.today))
            value = values.get(field.name)
            if value is _UNREADABLE:
                values.pop(field.name)
                continue
            if not shown:
                if field.name in raw and not ft.is_empty(raw[field.name]):
                    condition = describe(field.show_if, self.labels) if field.show_if else "所在部分适用"
                    self.add(key, label, f"此项仅当{condition}时填写，现在不适用，请删除或核对相关字段")
                values.pop(field.name, None)
                continue
            if value is None:
                required = field.required if isinstance(field.required, bool) else holds(field.required, scope, today=self.today)
                if required:
                    when = "" if isinstance(field.required, bool) else f"（因为{describe(field.required, self.labels)}）"
                    self.add(key, label, f"必填项未填写{when}")
                continue
            if field.constraint is not None and not holds(field.constraint, scope, this=value, today=self.today,
                                                            undecided=True):
                self.add(key, label, field.constraint_message or f"不符合要求：应满足 {describe(field.constraint, self.labels)}")
        return values

    def calculated(self, field: Field, values: dict[str, Any], scope: dict[str, Any], key: str, label: str,
                   applies: bool) -> None:
        """Fill in ``field``'s computed value, or say what it should be when the one given differs."""
        if not applies or (field.show_if is not None and not holds(field.show_if, scope, today=self.today)):
            return
        try:
            computed = evaluate(field.calculate, scope, today=self.today, now=self.now)
        except EVALUATION_ERRORS:
            return  # not computable from these values (a text where a number is needed): nothing to say
        expected = _rounded(field, computed)
        if expected is None:
            return  # a value it reads is not filled yet
        given = values.get(field.name)
        if given is None:
            values[field.name] = scope[field.name] = expected
        elif Decimal(str(given)) != expected:
            how = describe(field.calculate, self.labels)
            self.add(key, label, f"应为 {_shown(field, expected)}（{how}），填写的是 {_shown(field, given)}")
            values[field.name] = scope[field.name] = expected  # later totals from what it should be, not the typo

    def table(self, field: Field, value: Any, key: str, label: str, outer: Mapping[str, Any]) -> list[dict]:
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise ft.BadValue("表格应为若干行，每行是“字段: 值”的组合")
        rows = [r for r in value if not all(ft.is_empty(v) for v in r.values())]
        if len(rows) < field.min_rows:
            raise ft.BadValue(f"至少需要 {field.min_rows} 行，填写了 {len(rows)} 行")
        if field.max_rows is not None and len(rows) > field.max_rows:
            raise ft.BadValue(f"最多 {field.max_rows} 行，填写了 {len(rows)} 行")
        return [self.fields(field.columns, row, f"{key}[{i}].", f"{label}第{i}行", outer, {})
                for i, row in enumerate(rows, start=1)]


_UNREADABLE = object()


def _rounded(field: Field, value: Any) -> Decimal | int | None:
    """A computed number as the field stores it: money to the fen, a decimal to its places (half up), an integer
    only when whole; ``None`` for anything else (an empty input made the result empty)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    number = Decimal(str(value))
    if not number.is_finite():
        return None
    if field.type == "integer":
        return int(number) if number == number.to_integral_value() else None
    places = 2 if field.type == "money" else field.decimals
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _shown(field: Field, value: Any) -> str:
    """A number as a message shows it: ``1,280.00 元``."""
    unit = field.unit_label or ("元" if field.type == "money" else "")
    try:
        number = Decimal(str(value))
        text = f"{number:,.2f}" if field.type == "money" else f"{number:,}"
    except (ArithmeticError, ValueError):
        text = str(value)
    return f"{text} {unit}".strip()


def validate_data(form: Form, data: Any, settings: Settings, now: dt.datetime) -> Validated:
    """Validate ``data`` (the ``data:`` mapping of a submission) against ``form`` at time ``now``."""
    labels = form_labels(form)
    checker = _Checker(settings, now, labels)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        checker.add("data", "「表单内容」", "data 应为“字段: 值”的组合")
        return Validated({}, tuple(checker.problems))
    values: dict[str, Any] = {}
    all_fields = tuple(form.iter_fields())
    applies: dict[str, bool] = {}
    # Pass 1 without section conditions gives the values section conditions need (none: no pass 1).
    conditional = any(s.show_if is not None for s in form.sections)
    provisional = _Checker(settings, now, labels).fields(all_fields, data, "", "", {}, {}) if conditional else {}
    for section in form.sections:
        ok = section.show_if is None or holds(section.show_if, provisional, today=checker.today)
        applies.update({f.name: ok for f in section.fields})
    values = checker.fields(all_fields, data, "", "", {}, applies)
    # Problems in the order of the form, as a clerk reads it (unknown fields first).
    position = {f.name: i for i, f in enumerate(all_fields)}
    ordered = sorted(checker.problems, key=lambda p: position.get(p.key.split(".")[0].split("[")[0], -1))
    return Validated(values, tuple(ordered))


def signed(form: Form, data: Any, by: str) -> Any:
    """``data`` with the ``staff`` fields whose ``default`` is ``me`` and that are left empty set to ``by``, the
    person who signs the submission (the form means them: 接待人, 经办人)."""
    if not isinstance(data, dict) or not by:
        return data
    mine = [f.name for f in form.iter_fields() if f.type == "staff" and f.default == ME and ft.is_empty(data.get(f.name))]
    return {**data, **{name: by for name in mine}} if mine else data


def without_calculated(form: Form, values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored ``values`` without what ``calculate:`` computes (top-level fields, and columns of table rows), so
    validating them again computes those afresh from the values an action or a correction changes."""
    out = {}
    fields = form.fields
    for key, value in values.items():
        f = fields.get(key)
        if f is not None and f.calculate is not None:
            continue
        if f is not None and f.type == "table" and isinstance(value, list):
            computed = {c.name for c in f.columns if c.calculate is not None}
            if computed:
                value = [{k: v for k, v in row.items() if k not in computed} if isinstance(row, dict) else row
                         for row in value]
        out[key] = value
    return out


def calculated_changes(form: Form, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values of the computed top-level fields that ``after`` computed differently from stored ``before``."""
    changes = {}
    for f in form.iter_fields():
        # Not computable now (a line without its price): the stored value — perhaps typed by hand — stands.
        if f.calculate is not None and f.name in after:
            new = to_plain(after[f.name])
            if new != before.get(f.name):
                changes[f.name] = new
    return changes


def to_plain(value: Any) -> Any:
    """A typed value as JSON-safe data for storage (dates ISO, money as an exact string)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
