"""Workspace settings (formflow.yaml): the office, station code, time zone and staff roster."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from formflow.definitions.checking import check_schema, suggest, untouched
from formflow.definitions.fees import FeeSettings, load_fee_settings
from formflow.definitions.schema import SETTINGS_SCHEMA
from formflow.definitions.yamlsource import Document
from formflow.errors import Problem

DEFAULT_UNIT_PATTERN = r"^\d{1,3}-\d{1,2}-\d{3,4}$"
#: The work manual's order of the shipped forms: the desk lists forms so unless ``desk.form_order`` says otherwise.
MANUAL_FORM_ORDER = ("movein", "renovation", "repair", "complaint", "callback", "survey", "service", "fee_reminder",
                     "fee_collection")


@dataclass(frozen=True)
class Staff:
    """One person on the roster."""

    name: str
    roles: tuple[str, ...]
    department: str = ""
    phone: str = ""
    active: bool = True


@dataclass(frozen=True)
class DateWindow:
    """Which dates are plausible (``dates:`` of formflow.yaml; see its schema for what each key means).

    A slip of the keyboard (year 9999, 2062 for 2026) is refused at intake instead of stored:
    a deadline counted from such a date is meaningless, and at the edge of the calendar it
    cannot even be computed.
    """

    backdate: dt.timedelta = dt.timedelta(days=731)
    ahead: dt.timedelta = dt.timedelta(minutes=15)
    earliest: dt.date = dt.date(1900, 1, 1)
    years_ahead: int = 10

    def latest(self, today: dt.date) -> dt.date:
        """The last date a date field accepts in a submission made on ``today``."""
        year = today.year + self.years_ahead
        if year > dt.MAXYEAR:
            return dt.date.max
        return today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today.replace(year=year)


@dataclass(frozen=True)
class Settings:
    """The validated settings of a workspace."""

    office: str
    station: str
    timezone: ZoneInfo
    roles: dict[str, str]
    staff: tuple[Staff, ...]
    company: str = ""
    calendar: str = "calendar.yaml"
    departments: tuple[str, ...] = ()
    unit_pattern: re.Pattern = re.compile(DEFAULT_UNIT_PATTERN)
    unit_example: str = "3-2-1502"
    #: ``units.unify_spelling``: read 房号 in any spelling into the office's one (:mod:`~formflow.engine.unitspelling`).
    unify_units: bool = False
    #: ``units.unknown``: ``refuse`` or ``warn`` about a 房号 the register does not hold.
    unknown_unit: str = "refuse"
    #: ``desk``: sign-in with PINs (``pin``) or a name picked (``none``), idle end, lock-out.
    sign_in: str = "pin"
    idle_minutes: int = 30
    attempts: int = 5
    lock_minutes: int = 15
    #: ``desk.form_order``: form ids listed first, in this order (:func:`~formflow.definitions.loader.ordered_forms`).
    form_order: tuple[str, ...] = ()
    #: Not a setting: the unit register (``units.yaml``) the loader binds here, so every reader of a 房号 sees it.
    register: Any = field(default=None, compare=False, repr=False)
    record_pdfs: bool = True
    todo_pdfs: frozenset[str] = frozenset({"office", "people"})
    dates: DateWindow = field(default_factory=DateWindow)
    #: Seconds a file must stay unchanged before the watcher takes it, unless its writer is known to be done.
    settle_seconds: float = 10.0
    #: ``fees``: how the billing system's arrears list is read (:mod:`~formflow.definitions.fees`).
    fees: FeeSettings = field(default_factory=FeeSettings)
    #: Not a setting: False only while files accepted once are replayed (``rebuild``), which skips the
    #: intake's plausibility checks (dates window, default text lengths, notes, actions before their record).
    plausibility: bool = True

    def person(self, name: str) -> Staff | None:
        """The active staff member called ``name``, if any."""
        return next((s for s in self.staff if s.name == name and s.active), None)


_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f]|^[.\s]')


def safe_file_name(name: str) -> bool:
    """Whether ``name`` (a person's) can be part of a file name in the outbox (待办-李娜.pdf)."""
    return bool(name) and len(name) <= 60 and not _UNSAFE.search(name)


def _staff(doc: Document, people: list, roles: Mapping[str, str], departments: tuple[str, ...],
           problems: list[Problem], sound: Callable[[str], bool] = lambda keys: True) -> list[Staff]:
    """The roster, each person checked against the roles and departments (``sound``: whether the schema found
    nothing wrong at a key path; a person it did not is left out, its own problem said)."""
    seen: set[str] = set()
    staff = []
    for i, person in enumerate(people):
        if not sound(f"staff[{i}]"):
            continue
        if person["name"] in seen:
            problems.append(doc.problem(("staff", i, "name"), f"人员重名 duplicate staff name {person['name']!r}",
                                        "同名时加以区分，如 李娜(客服) tell them apart, e.g. 李娜(客服)"))
        seen.add(person["name"])
        if not safe_file_name(person["name"]):  # a warning, not an error: kept versions with it still load
            problems.append(doc.problem(("staff", i, "name"), f"姓名不能用作文件名 {person['name']!r} cannot name "
                                        "the person's to-do files (no / \\ : * ? \" < > |, no leading dot or space)",
                                        "去掉这些字符 remove those characters", warning=True))
        for j, role in enumerate(person["roles"]):
            if role not in roles:
                problems.append(doc.problem(("staff", i, "roles", j), f"未知的角色 unknown role {role!r} "
                                            f"(expected one of {', '.join(roles)})", suggest(role, roles)))
        department = person.get("department", "")
        if department and departments and department not in departments:
            problems.append(doc.problem(("staff", i, "department"), f"未知的部门 unknown department {department!r}",
                                        suggest(department, departments) or "先在 departments 中添加 add it to departments"))
        staff.append(Staff(person["name"], tuple(person["roles"]), department, person.get("phone", ""),
                           person.get("active", True)))
    return staff


def _beside(doc: Document, found: list[Problem]) -> list[Problem]:
    """The roster's checks when the schema found something wrong elsewhere in the file: a misspelt key at the
    top does not hide a person's unknown department until the next run."""
    data = doc.data
    sound = untouched(found)
    if not (isinstance(data, dict) and isinstance(data.get("staff"), list) and isinstance(data.get("roles"), dict)
            and sound("roles") and sound("departments")):
        return []
    problems: list[Problem] = []
    _staff(doc, data["staff"], data["roles"], tuple(data.get("departments") or ()), problems, sound)
    return problems


def load_settings(doc: Document) -> tuple[Settings | None, list[Problem]]:
    """Settings from ``formflow.yaml``, with every problem found."""
    problems = check_schema(doc, SETTINGS_SCHEMA)
    if problems:
        return None, problems + _beside(doc, problems)
    data = doc.data
    try:
        zone = ZoneInfo(data["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(doc.problem(("timezone",), f"未知的时区 unknown time zone {data['timezone']!r}",
                                    "中国大陆使用 use 'Asia/Shanghai'"))
        zone = None
    try:
        unit_pattern = re.compile(data.get("unit_pattern", DEFAULT_UNIT_PATTERN))
    except re.error as exc:
        problems.append(doc.problem(("unit_pattern",), f"正则表达式错误 bad regular expression: {exc}"))
        unit_pattern = None
    roles = data["roles"]
    departments = tuple(data.get("departments", ()))
    staff = _staff(doc, data["staff"], roles, departments, problems)
    dates = _dates(doc, data.get("dates") or {}, problems)
    fees = load_fee_settings(doc, data.get("fees") or {}, problems)
    if any(not p.warning for p in problems):
        return None, problems
    return Settings(
        office=data["office"], station=data["station"], timezone=zone, roles=dict(roles), staff=tuple(staff),
        company=data.get("company", ""), calendar=data.get("calendar", "calendar.yaml"), departments=departments,
        unit_pattern=unit_pattern, unit_example=data.get("unit_example", "3-2-1502"),
        unify_units=data.get("units", {}).get("unify_spelling", False),
        unknown_unit=data.get("units", {}).get("unknown", "refuse"),
        sign_in=data.get("desk", {}).get("sign_in", "pin"), idle_minutes=data.get("desk", {}).get("idle_minutes", 30),
        attempts=data.get("desk", {}).get("attempts", 5), lock_minutes=data.get("desk", {}).get("lock_minutes", 15),
        form_order=tuple(data.get("desk", {}).get("form_order", ())),
        record_pdfs=data.get("outbox", {}).get("record_pdfs", True),
        todo_pdfs=frozenset(data.get("outbox", {}).get("todo_pdfs", ("office", "people"))),
        dates=dates, settle_seconds=float(data.get("inbox", {}).get("settle_seconds", 10.0)),
        fees=fees,
    ), problems  # (warnings only)


def _dates(doc: Document, raw: dict, problems: list[Problem]) -> DateWindow:
    """The ``dates:`` window (the schema has checked the types and ranges)."""
    default = DateWindow()
    earliest = default.earliest
    if "earliest" in raw:
        try:
            earliest = dt.date.fromisoformat(str(raw["earliest"]))
        except ValueError:
            problems.append(doc.problem(("dates", "earliest"), f"没有这一天 not a real date: {raw['earliest']!r}",
                                        "写成 write it as YYYY-MM-DD, e.g. 1900-01-01"))
    return DateWindow(backdate=dt.timedelta(days=raw.get("backdate_days", default.backdate.days)),
                      ahead=dt.timedelta(minutes=raw.get("ahead_minutes", int(default.ahead.total_seconds()) // 60)),
                      earliest=earliest, years_ahead=raw.get("years_ahead", default.years_ahead))
