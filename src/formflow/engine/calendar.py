"""The business calendar: working days, working hours, holidays and 调休, and deadlines on them (pure).

Nothing here reads a file or the clock: ``BusinessCalendar.from_data`` takes the parsed
calendar.yaml and every function takes the moment to start from, so deadlines can be
recomputed from a record's events at any time and always come out the same.

Time zones come from ``zoneinfo``, i.e. the system's tz database (Debian: package ``tzdata``);
``Asia/Shanghai`` must be resolvable there. All datetimes in and out are timezone-aware; naive
ones are refused because "17:30" without a zone is exactly the ambiguity this module removes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
WEEKDAY_NAMES = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}
DEFAULT_WORKING_HOURS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
#: How many consecutive non-working days we search through before calling the calendar broken;
#: far more than any real holiday block, small enough to fail fast on "weekend: [1..7]".
MAX_GAP_DAYS = 366


@dataclass(frozen=True)
class SkippedDay:
    """A day a working-time rule skipped, for explanations; ``reason`` is Chinese (国庆节, 周六 …)."""

    day: dt.date
    reason: str


@dataclass(frozen=True)
class DueResult:
    """A computed deadline (aware, in the calendar's zone), the days skipped and notes to show with it."""

    due: dt.datetime
    skipped: tuple[SkippedDay, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class YearInfo:
    """What calendar.yaml says about one year: ``official`` or ``provisional``, and the notice's title."""

    status: str
    source: str = ""

    @property
    def provisional(self) -> bool:
        """True while the State Council notice for the year is not entered yet."""
        return self.status != "official"


def _date(value) -> dt.date:
    # The loader hands ISO strings; a plain yaml.safe_load hands date objects. Accept both.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _time(value: str) -> dt.time:
    return dt.time.fromisoformat(str(value))


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days and hours of an office; computes the deadlines of the due rules h, d, wh, wd, eod."""

    tz: ZoneInfo
    weekend: frozenset[int]
    working_hours: tuple[tuple[dt.time, dt.time], ...]
    end_of_day: dt.time
    holidays: Mapping[dt.date, str]
    workdays: Mapping[dt.date, str]
    years: Mapping[int, YearInfo]

    @classmethod
    def from_data(cls, data: dict) -> BusinessCalendar:
        """Build the calendar from parsed calendar.yaml (already valid against ``CALENDAR_SCHEMA``).

        Checks what the schema cannot and raises ``ValueError`` (Chinese + English) for: an unknown
        time zone, working periods out of order or overlapping, a range ending before it starts,
        a date listed under another year, and a date that is both a holiday and a workday.
        """
        try:
            tz = ZoneInfo(data["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知时区 unknown time zone: {data['timezone']!r}") from None
        periods = tuple((_time(p["start"]), _time(p["end"])) for p in data.get("working_hours", ())) \
            or DEFAULT_WORKING_HOURS
        previous_end = dt.time.min
        for start, end in periods:
            if not previous_end <= start < end:
                raise ValueError(f"工作时段须按顺序且不重叠 working periods must be in order and not overlap: "
                                 f"{start:%H:%M}-{end:%H:%M}")
            previous_end = end
        holidays: dict[dt.date, str] = {}
        workdays: dict[dt.date, str] = {}
        years: dict[int, YearInfo] = {}
        for key, year in (data.get("years") or {}).items():
            number = int(key)
            years[number] = YearInfo(year["status"], year.get("source", ""))
            for block in year.get("holidays", ()):
                for day in cls._expand(block["dates"]):
                    holidays[cls._in_year(day, number)] = block["name"]
            for item in year.get("workdays", ()):
                workdays[cls._in_year(_date(item["date"]), number)] = item.get("name", "调休上班")
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise ValueError(f"{both[0]} 既是假日又是调休上班日 is both a holiday and a make-up workday")
        return cls(tz=tz, weekend=frozenset(data.get("weekend", (6, 7))), working_hours=periods,
                   end_of_day=_time(data.get("end_of_day", "23:59")), holidays=MappingProxyType(holidays),
                   workdays=MappingProxyType(workdays), years=MappingProxyType(years))

    @staticmethod
    def _expand(dates) -> Iterator[dt.date]:
        if isinstance(dates, Mapping):
            first, last = _date(dates["from"]), _date(dates["to"])
            if last < first:
                raise ValueError(f"日期范围颠倒 range ends before it starts: {first} .. {last}")
            for offset in range((last - first).days + 1):
                yield first + dt.timedelta(days=offset)
        else:
            yield from (_date(d) for d in dates)

    @staticmethod
    def _in_year(day: dt.date, year: int) -> dt.date:
        # A date under the wrong year is almost always a typo that would silently shift a holiday.
        if day.year != year:
            raise ValueError(f"{day} 不属于 {year} 年 is listed under year {year}")
        return day

    # ---- days -------------------------------------------------------------------------------

    def is_working_day(self, d: dt.date) -> bool:
        """True when ``d`` is worked: a 调休 workday beats the weekend, a holiday beats a weekday."""
        if d in self.workdays:
            return True
        return d not in self.holidays and d.isoweekday() not in self.weekend

    def day_reason(self, d: dt.date) -> str | None:
        """Why ``d`` is not a working day (holiday name, or 周六 / 周日 …), or None when it is one."""
        if self.is_working_day(d):
            return None
        return self.holidays.get(d) or WEEKDAY_NAMES[d.isoweekday()]

    # ---- due rules --------------------------------------------------------------------------

    def add_hours(self, start: dt.datetime, hours: float | dt.timedelta) -> DueResult:
        """Rule ``h`` / ``m``: elapsed clock time, ignoring the calendar (a DST change does not stretch it)."""
        delta = hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)
        return DueResult(self._local(self._local(start).astimezone(UTC) + delta))

    def add_days(self, start: dt.datetime, days: int) -> DueResult:
        """Rule ``d``: the same wall-clock time ``days`` calendar days later; holidays are NOT skipped."""
        local = self._local(start)
        # Wall-clock arithmetic, then a round trip through UTC to normalise a time a DST jump skipped.
        return DueResult(self._local(local.replace(tzinfo=None) + dt.timedelta(days=days), naive_ok=True))

    def add_working_hours(self, start: dt.datetime, hours: float | dt.timedelta) -> DueResult:
        """Rule ``wh``: count only time inside working periods of working days.

        A start outside working time begins counting at the next working period, so ``0`` hours
        gives that period's start. Ending exactly at a period's end gives that end (17:30), not
        the next morning.
        """
        remaining = hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)
        if remaining < dt.timedelta(0):
            raise ValueError("工作小时不能为负 working hours cannot be negative")
        local = self._local(start)
        cursor = local.astimezone(UTC)
        skipped: list[SkippedDay] = []
        day = local.date()
        while True:
            day = self._first_working_day(day, skipped)
            for period_start, period_end in self._periods(day):
                if period_end <= cursor:
                    continue
                begin = max(period_start, cursor)
                if remaining <= period_end - begin:
                    due = self._local(begin + remaining)
                    return DueResult(due, tuple(skipped), self._notes(local.date(), due.date()))
                remaining -= period_end - begin
            day += dt.timedelta(days=1)

    def add_working_days(self, start: dt.datetime, days: int) -> DueResult:
        """Rule ``wd``: the end of the last working period of the Nth working day after the start day.

        The start day itself never counts, whatever the time. ``0`` means "today": the end of the
        start day's working time if it is a working day and the start is before that end; a start
        on a non-working day or after close of business is due at the end of the next working day
        (received after hours counts as received the next working day, not as already overdue).
        """
        if days < 0:
            raise ValueError("工作日数不能为负 working days cannot be negative")
        local = self._local(start)
        skipped: list[SkippedDay] = []
        day = local.date()
        if days == 0 and not self.is_working_day(day):
            day = self._first_working_day(day, skipped)  # lists the start day among the skipped
        elif days == 0 and local >= self._end_of_work(day):
            day = self._first_working_day(day + dt.timedelta(days=1), skipped)
        for _ in range(days):
            day = self._first_working_day(day + dt.timedelta(days=1), skipped)
        due = self._end_of_work(day)
        return DueResult(due, tuple(skipped), self._notes(local.date(), day))

    def end_of_day_of(self, start: dt.datetime) -> DueResult:
        """Rule ``eod``: the start's own day at ``end_of_day``; a note says when that is already past."""
        local = self._local(start)
        due = self._at(local.date(), self.end_of_day)
        notes = ("开始时间已晚于当天截止时间 the start is after the end of its day",) if due < local else ()
        return DueResult(due, (), notes)

    # ---- warnings ---------------------------------------------------------------------------

    def missing_years(self, today: dt.date) -> list[str]:
        """Warnings (Chinese + English) when this or next year is absent or only provisional."""
        warnings = []
        for year in (today.year, today.year + 1):
            info = self.years.get(year)
            if info is None:
                warnings.append(f"工作日历缺少{year}年节假日安排，期限只跳过周末；请在 calendar.yaml 中补上。"
                                f" calendar.yaml has no {year} holidays: deadlines skip weekends only.")
            elif info.provisional:
                warnings.append(f"{year}年节假日安排为暂定（官方通知未录入），期限可能有变；通知发布后请更新 "
                                f"calendar.yaml。 The {year} arrangement is provisional: update calendar.yaml "
                                "when the official notice is out.")
        return warnings

    # ---- helpers ----------------------------------------------------------------------------

    def _local(self, moment: dt.datetime, naive_ok: bool = False) -> dt.datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            if not naive_ok:
                raise ValueError(f"需要带时区的时间 a timezone-aware datetime is required, got {moment!r}")
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(UTC).astimezone(self.tz)

    def _at(self, day: dt.date, clock: dt.time) -> dt.datetime:
        return self._local(dt.datetime.combine(day, clock), naive_ok=True)

    def _periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        # In UTC, because Python subtracts two datetimes of the same zone by wall clock, which
        # would miscount an hour across a DST change.
        return [(self._at(day, s).astimezone(UTC), self._at(day, e).astimezone(UTC)) for s, e in self.working_hours]

    def _end_of_work(self, day: dt.date) -> dt.datetime:
        return self._at(day, self.working_hours[-1][1])

    def _first_working_day(self, day: dt.date, skipped: list[SkippedDay]) -> dt.date:
        """``day`` or the first working day after it, appending the days passed over to ``skipped``."""
        for _ in range(MAX_GAP_DAYS):
            reason = self.day_reason(day)
            if reason is None:
                return day
            skipped.append(SkippedDay(day, reason))
            day += dt.timedelta(days=1)
        raise ValueError(f"{MAX_GAP_DAYS} 天内没有工作日 no working day within {MAX_GAP_DAYS} days: check calendar.yaml")

    def _notes(self, first: dt.date, last: dt.date) -> tuple[str, ...]:
        """Warn when a working-time deadline relied on a year that is provisional or missing."""
        notes = []
        for year in range(first.year, last.year + 1):
            info = self.years.get(year)
            if info is None:
                notes.append(f"缺少{year}年节假日安排，只跳过了周末 no {year} holiday data: only weekends skipped")
            elif info.provisional:
                notes.append(f"{year}年安排为暂定 provisional")
        return tuple(notes)
