"""Workspace settings (formflow.yaml): the plausible-date window `dates:` and its errors."""

from __future__ import annotations

import datetime as dt

from formflow.definitions.settings import DateWindow


def _settings(workspace, extra: str) -> None:
    path = workspace.root / "formflow.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")


def test_the_defaults_without_a_dates_key(workspace):
    dates = workspace.load().settings.dates
    assert dates == DateWindow(dt.timedelta(days=731), dt.timedelta(minutes=15), dt.date(1900, 1, 1), 10)


def test_every_key_is_read(workspace):
    _settings(workspace, "dates: {backdate_days: 30, ahead_minutes: 0, earliest: 1950-01-01, years_ahead: 3}")
    assert workspace.load().settings.dates == DateWindow(dt.timedelta(days=30), dt.timedelta(0), dt.date(1950, 1, 1), 3)


def test_the_latest_date_of_a_leap_day(workspace):
    assert DateWindow().latest(dt.date(2028, 2, 29)) == dt.date(2038, 2, 28)
    assert DateWindow().latest(dt.date(9995, 1, 1)) == dt.date.max  # never past the calendar


def test_a_bad_window_is_a_settings_error(workspace):
    _settings(workspace, "dates: {years_ahead: 1000, backdays: 3}")
    result = workspace.cli("check")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("formflow.yaml:")]
    assert sorted(line.split(": ", 1)[1].split(" ", 1)[0] for line in errors) == ["dates.backdays:", "dates.years_ahead:"]


def test_an_impossible_earliest_date_is_named(workspace):
    _settings(workspace, "dates: {earliest: '1900-02-30'}")  # unquoted, the YAML reader already refuses it
    line = len((workspace.root / "formflow.yaml").read_text(encoding="utf-8").splitlines())
    assert workspace.cli("check").err.splitlines()[:2] == [
        f"formflow.yaml:{line}:9: dates.earliest: 没有这一天 not a real date: '1900-02-30'",
        "    修改建议 fix: 写成 write it as YYYY-MM-DD, e.g. 1900-01-01",
    ]
