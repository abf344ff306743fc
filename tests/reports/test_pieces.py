"""The small pure pieces: periods, ratios and their rounding, grades, bars, the CSV encoding, --targets."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from formflow.cli.reports import _targets
from formflow.reports.base import Ratio, month_period, year_period
from formflow.reports.charts import BAD, GOOD, stacked_bar
from formflow.reports.survey import BELOW, DEFAULT_TARGETS, grade_of
from formflow.reports.tables import csv_bytes

from ..conftest import SHANGHAI


def test_a_month_runs_from_the_first_to_the_first_of_the_next_in_the_office_zone():
    december = month_period("2026-12", SHANGHAI)
    assert (december.key, december.label) == ("2026-12", "2026年12月")
    assert december.start == dt.datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert december.end == dt.datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert dt.datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI) not in december
    assert dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.timezone.utc) in december   # 00:00 in Shanghai
    assert month_period("2026-3", SHANGHAI).key == "2026-03"
    for bad in ("2026-13", "2026/10", "十月", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            month_period(bad, SHANGHAI)
    assert year_period(2026, SHANGHAI).label == "2026年"


def test_ratios_round_half_up_and_have_no_value_without_a_denominator():
    assert [Ratio(n, d).percent() for n, d in ((4, 5), (2, 3), (1, 3), (1, 8), (0, 4), (0, 0))] == [
        "80.0%", "66.7%", "33.3%", "12.5%", "0.0%", "—"]
    assert Ratio(1, 16).percent() == "6.3%"           # 6.25 → 6.3, not banker's 6.2
    assert (Ratio(2, 3).number(), Ratio(0, 0).number()) == ("66.7", "")
    assert (Ratio(3, 4).reaches(75), Ratio(74999, 100000).reaches(75), Ratio(0, 0).reaches(75)) == (True, False, None)
    assert Ratio(1, 3).width() == 33.333


def test_grades_take_the_best_target_reached():
    assert [grade_of(Ratio(n, 100), DEFAULT_TARGETS) for n in (95, 80, 79, 75, 70, 69)] == [
        "一级", "一级", "二级", "二级", "三级", BELOW]
    assert grade_of(Ratio(0, 0), DEFAULT_TARGETS) == ""


def test_stacked_bars_add_up_to_the_whole_track():
    bar = stacked_bar("其他", [(1, GOOD, "按时"), (0, "x", "无"), (2, BAD, "逾期")], 3, "1/3")
    assert [(s.left, s.width, s.css, s.title) for s in bar.segments] == [
        (0.0, 33.333, GOOD, "按时 1"), (33.333, 66.667, BAD, "逾期 2")]
    assert stacked_bar("空", [(0, GOOD, "按时")], 0, "—").segments == ()


def test_csv_is_utf8_with_a_bom_and_crlf():
    data = csv_bytes([["项目", "满意率(%)"], ["供电, 供水", "80.0"]])
    assert data == "\ufeff项目,满意率(%)\r\n\"供电, 供水\",80.0\r\n".encode()


def test_targets_option():
    assert _targets(None) == DEFAULT_TARGETS
    assert _targets("70,80，75%") == (("一级", 80.0), ("二级", 75.0), ("三级", 70.0))
    assert _targets("合格=90, 优秀=95") == (("优秀", 95.0), ("合格", 90.0))
    with pytest.raises(click.BadParameter):
        _targets("0")
