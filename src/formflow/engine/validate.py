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
from decimal import Decimal
from typing import Any

from formflow.definitions.forms import Field, Form, form_labels
from formflow.definitions.settings import Settings
from formflow.engine import fieldtypes as ft
from formflow.engine.expressions import describe, holds


@dataclass(frozen=True)
class DataProblem:
    """One problem in filled data, named by the field's Chinese label and its key.

    ``key`` is the data path (``members[2].phone``, rows counted from 1 like 第2行);
    ``label`` is how a clerk knows the field; ``message`` is what is wrong, in Chinese.
    """

    key: str
    label: str
    message: str

    def __str__(self) -> str:
        if not self.key:
            return self.message
        return f"{self.label}({self.key})：{self.message}" if self.label else f"{self.key}：{self.message}"


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
                self.add(f"{prefix}{key}", f"{label_prefix}未知字段",
                         "表单中没有这个字段，请删除或检查拼写（可用 formflow new 生成填写模板）")
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
            if field.name not in values and field.default is not None and field.holds_data:
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
