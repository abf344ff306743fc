"""The shipped business calendar against two independent sources, and the due rules on it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import jsonschema
import pytest
import yaml

from formflow.definitions.calendar_schema import CALENDAR_SCHEMA
from formflow.engine.calendar import BusinessCalendar, SkippedDay

from ..conftest import REPO

SH = ZoneInfo("Asia/Shanghai")


def plain(value):
    """What the loader hands on: dates as ISO strings, mapping keys as strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def at(text: str) -> dt.datetime:
    """'2025-09-30 17:50' in Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture(scope="module")
def data() -> dict:
    return plain(yaml.safe_load((REPO / "calendar.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def cal(data) -> BusinessCalendar:
    return BusinessCalendar.from_data(data)


def days_of(*years: int):
    day = dt.date(years[0], 1, 1)
    while day.year <= years[-1]:
        yield day
        day += dt.timedelta(days=1)


# ---- the shipped data ----------------------------------------------------------------------


def test_2025_2026_match_chinese_calendar_and_holidays(cal):
    official = holidays.China(years=[2025, 2026])
    wrong = [(d, cal.is_working_day(d), chinese_calendar.is_workday(d), official.is_working_day(d))
             for d in days_of(2025, 2026)
             if not cal.is_working_day(d) == chinese_calendar.is_workday(d) == official.is_working_day(d)]
    assert wrong == []


def test_2025_2026_are_official_with_make_up_workdays(cal):
    assert {y: i.status for y, i in cal.years.items()} == {2025: "official", 2026: "official", 2027: "provisional"}
    weekend_workdays = [d for d in cal.workdays if d.year in (2025, 2026)]
    assert len(weekend_workdays) == 11 and all(d.isoweekday() in (6, 7) for d in weekend_workdays)


def test_2027_is_the_statutory_holidays_only(cal):
    ours = {d for d in cal.holidays if d.year == 2027}
    # holidays' own estimate adds "(observed)" days; the statutory days themselves must agree.
    statutory = {d for d, name in holidays.China(years=2027).items() if "observed" not in name}
    assert ours == statutory
    assert len(ours) == 1 + 4 + 1 + 2 + 1 + 1 + 3
    assert (dt.date(2027, 4, 5), "清明") in chinese_calendar.get_solar_terms(dt.date(2027, 4, 1), dt.date(2027, 4, 30))
    assert cal.day_reason(dt.date(2027, 2, 5)) == "春节" and cal.day_reason(dt.date(2027, 9, 15)) == "中秋节"


def test_day_rules(cal):
    assert cal.is_working_day(dt.date(2025, 9, 28)) and cal.day_reason(dt.date(2025, 9, 28)) is None  # 调休 Sunday
    assert cal.day_reason(dt.date(2025, 10, 4)) == "国庆节、中秋节"  # a Saturday inside the block
    assert cal.day_reason(dt.date(2025, 11, 8)) == "周六"
    assert cal.day_reason(dt.date(2025, 11, 9)) == "周日"
    assert cal.day_reason(dt.date(2026, 6, 19)) == "端午节"  # a Friday


# ---- due rules -----------------------------------------------------------------------------


def test_complaint_before_national_day_plus_one_working_day(cal):
    result = cal.add_working_days(at("2025-09-30 17:50"), 1)  # a Tuesday, after close of business
    assert result.due.isoformat() == "2025-10-09T17:30:00+08:00"
    assert result.skipped == tuple(SkippedDay(dt.date(2025, 10, d), "国庆节、中秋节") for d in range(1, 9))
    assert result.notes == ()


def test_make_up_saturday_is_worked(cal):
    assert cal.add_working_days(at("2025-10-10 16:00"), 1).due.isoformat() == "2025-10-11T17:30:00+08:00"
    result = cal.add_working_hours(at("2025-10-10 16:00"), 2)
    assert result.due.isoformat() == "2025-10-11T09:00:00+08:00" and result.skipped == ()
    # From a normal Saturday the 调休 Sunday 2025-09-28 is the first working time.
    result = cal.add_working_hours(at("2025-09-27 10:00"), 1)
    assert result.due.isoformat() == "2025-09-28T09:30:00+08:00"
    assert result.skipped == (SkippedDay(dt.date(2025, 9, 27), "周六"),)


def test_working_hours_across_lunch_overnight_and_weekend(cal):
    assert cal.add_working_hours(at("2025-11-03 11:00"), 2).due.isoformat() == "2025-11-03T14:30:00+08:00"
    assert cal.add_working_hours(at("2025-11-03 16:30"), 3).due.isoformat() == "2025-11-04T10:30:00+08:00"
    assert cal.add_working_hours(at("2025-11-03 13:30"), 4).due.isoformat() == "2025-11-03T17:30:00+08:00"
    assert cal.add_working_hours(at("2025-11-03 09:00"), dt.timedelta(minutes=30)).due == at("2025-11-03 09:30")
    result = cal.add_working_hours(at("2025-11-07 17:00"), 1)  # Friday
    assert result.due.isoformat() == "2025-11-10T09:00:00+08:00"
    assert [s.reason for s in result.skipped] == ["周六", "周日"]


def test_working_hours_start_outside_working_time(cal):
    assert cal.add_working_hours(at("2025-11-03 07:00"), 1).due == at("2025-11-03 09:30")
    assert cal.add_working_hours(at("2025-11-03 12:30"), 1).due == at("2025-11-03 14:30")
    assert cal.add_working_hours(at("2025-11-03 20:00"), 0).due == at("2025-11-04 08:30")
    assert cal.add_working_hours(at("2025-11-03 10:15"), 0).due == at("2025-11-03 10:15")


def test_calendar_days_do_not_skip_holidays(cal):
    result = cal.add_days(at("2025-09-30 17:50"), 3)
    assert result.due.isoformat() == "2025-10-03T17:50:00+08:00" and result.skipped == ()
    assert cal.add_days(at("2025-10-03 09:00"), -1).due == at("2025-10-02 09:00")


def test_clock_hours_and_zone_conversion(cal):
    utc = dt.datetime(2025, 9, 30, 9, 50, tzinfo=dt.timezone.utc)  # = 17:50 in Shanghai
    assert cal.add_hours(utc, 2).due.isoformat() == "2025-09-30T19:50:00+08:00"
    assert cal.add_working_days(utc, 1).due == at("2025-10-09 17:30")
    with pytest.raises(ValueError):
        cal.add_hours(dt.datetime(2025, 9, 30, 17, 50), 2)
    with pytest.raises(ValueError):
        cal.add_working_days(dt.datetime(2025, 9, 30, 17, 50), 1)


def test_end_of_day(cal, data):
    result = cal.end_of_day_of(at("2025-10-01 10:00"))
    assert result.due.isoformat() == "2025-10-01T23:59:00+08:00" and result.notes == ()
    office = BusinessCalendar.from_data({**data, "end_of_day": "17:30"})
    assert office.end_of_day_of(at("2025-11-03 09:00")).due == at("2025-11-03 17:30")
    assert office.end_of_day_of(at("2025-11-03 18:00")).notes  # already past: said so


def test_zero_working_days(cal):
    assert cal.add_working_days(at("2025-11-04 10:00"), 0).due == at("2025-11-04 17:30")
    result = cal.add_working_days(at("2025-11-02 10:00"), 0)  # Sunday
    assert result.due == at("2025-11-03 17:30")
    assert result.skipped == (SkippedDay(dt.date(2025, 11, 2), "周日"),)
    result = cal.add_working_days(at("2025-10-03 10:00"), 0)  # inside 国庆
    assert result.due == at("2025-10-09 17:30") and len(result.skipped) == 6
    # After close of business "today" is the next working day, not already overdue.
    assert cal.add_working_days(at("2025-11-04 18:00"), 0).due == at("2025-11-05 17:30")


def test_provisional_year_is_noted(cal):
    result = cal.add_working_days(at("2026-12-31 10:00"), 1)
    assert result.due.isoformat() == "2027-01-04T17:30:00+08:00"
    assert [s.reason for s in result.skipped] == ["元旦", "周六", "周日"]
    assert result.notes == ("2027年安排为暂定 provisional",)
    assert cal.add_working_days(at("2026-12-28 10:00"), 1).notes == ()


def test_negative_working_time_is_refused(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(at("2025-11-04 10:00"), -1)
    with pytest.raises(ValueError):
        cal.add_working_hours(at("2025-11-04 10:00"), -1)


def test_missing_years(cal):
    warned = cal.missing_years(dt.date(2026, 11, 28))
    assert len(warned) == 1 and "2027" in warned[0] and "暂定" in warned[0] and "provisional" in warned[0]
    assert cal.missing_years(dt.date(2025, 6, 1)) == []
    warned = cal.missing_years(dt.date(2028, 1, 1))
    assert len(warned) == 2 and "2028" in warned[0] and "2029" in warned[1] and "缺少" in warned[0]


def test_meaning_errors_are_refused(data):
    clash = plain(yaml.safe_load("""
        timezone: Asia/Shanghai
        years:
          2025:
            status: official
            holidays: [{name: 国庆节, dates: {from: 2025-10-01, to: 2025-10-08}}]
            workdays: [{date: 2025-10-08}]
    """))
    with pytest.raises(ValueError, match="2025-10-08"):
        BusinessCalendar.from_data(clash)
    wrong_year = {**data, "years": {"2026": {"status": "official", "holidays": [{"name": "元旦", "dates": ["2025-01-01"]}]}}}
    with pytest.raises(ValueError, match="2026"):
        BusinessCalendar.from_data(wrong_year)
    overlapping = {**data, "working_hours": [{"start": "08:30", "end": "12:00"}, {"start": "11:00", "end": "17:00"}]}
    with pytest.raises(ValueError):
        BusinessCalendar.from_data(overlapping)


# ---- the schema ----------------------------------------------------------------------------


def test_shipped_calendar_is_valid(data):
    jsonschema.Draft202012Validator.check_schema(CALENDAR_SCHEMA)
    errors = [e.message for e in jsonschema.Draft202012Validator(CALENDAR_SCHEMA).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("change", [
    {"working_hours": [{"start": 810, "end": "17:30"}]},  # unquoted 13:30 arrives as a number
    {"end_of_day": "24:00"},
    {"weekend": [0]},
    {"holiday": True},
    {"years": {"25": {"status": "official", "holidays": []}}},
    {"years": {"2025": {"status": "draft", "holidays": []}}},
    {"years": {"2025": {"status": "official", "holidays": [{"name": "元旦", "dates": {"from": "2025-1-1", "to": "2025-01-01"}}]}}},
    {"years": {"2025": {"status": "official", "holidays": [{"name": "元旦", "dates": {"from": "2025-01-01"}}]}}},
    {"years": {"2025": {"status": "official", "holidays": [], "workdays": [{"date": "2025-09-28", "reason": "x"}]}}},
])
def test_schema_rejects(data, change):
    assert list(jsonschema.Draft202012Validator(CALENDAR_SCHEMA).iter_errors({**data, **change}))


def _properties(node, path="$"):
    """Every (path, schema) under a `properties` anywhere in the schema."""
    if isinstance(node, dict):
        for name, child in node.get("properties", {}).items():
            yield f"{path}.{name}", child
        for key, child in node.items():
            yield from _properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _properties(child, f"{path}[{i}]")


def test_every_schema_property_has_a_description():
    found = list(_properties(CALENDAR_SCHEMA))
    assert len(found) >= 15  # the walk really reaches the nested keys (from/to, date, ...)
    assert [path for path, child in found if not child.get("description")] == []
