"""The yearly survey analysis: exact figures for the survey year of conftest.py, then the command's files."""

from __future__ import annotations

import datetime as dt

from formflow.reports.survey import BELOW, DEFAULT_TARGETS, count_units, survey_analysis

from .conftest import csv_rows, pdffonts, pdftext, stored

NOW = dt.datetime.fromisoformat("2026-11-28T10:00:00+08:00")


def analysis(office, **kwargs):
    defs, records = stored(office)
    return survey_analysis(defs, records, 2026, NOW, **kwargs)


def row(item) -> tuple:
    return (item.label, item.counts, item.unanswered, item.satisfied.percent(), item.very.percent(), item.grade)


def test_returns_counted_against_the_units_that_moved_in(survey_office):
    a = analysis(survey_office)
    # Six move-ins, one cancelled: five units. Four valid forms of 2026 from four units; one invalid; 2025 left out.
    assert (a.units, a.units_source) == (5, "入住登记记录中的不同房号数")
    assert (a.forms_returned, a.units_returned, a.invalid) == (4, 4, 1)
    assert a.return_rate.percent() == "80.0%"
    assert a.by_collection == (("上门", 4),)
    assert analysis(survey_office, units=8).return_rate.percent() == "50.0%"
    assert analysis(survey_office, units=8).units_source == "命令参数 --units"


def test_overall_and_per_item_satisfaction_against_the_grade_targets(survey_office):
    a = analysis(survey_office)
    assert a.targets == DEFAULT_TARGETS == (("一级", 80), ("二级", 75), ("三级", 70))
    # 总体: 满意 2 (0101, 0202), 基本满意 1, 不满意 1 → 75.0%: exactly the 二级 line.
    assert row(a.overall) == ("总体评价", (2, 1, 1), 0, "75.0%", "50.0%", "二级")
    items = {i.key: row(i) for i in a.items}
    assert len(items) == 12
    assert items["rate_power"] == ("供电", (3, 0, 0), 1, "100.0%", "100.0%", "一级")
    assert items["rate_water"] == ("供水", (1, 1, 0), 2, "100.0%", "50.0%", "一级")
    assert items["rate_cleaning"] == ("保洁卫生", (1, 0, 1), 2, "50.0%", "50.0%", BELOW)
    assert items["rate_greening"] == ("绿化", (3, 0, 1), 0, "75.0%", "75.0%", "二级")
    assert items["rate_parking"] == ("停车管理", (0, 1, 2), 1, "33.3%", "0.0%", BELOW)
    assert items["rate_fees"] == ("收费公开", (1, 0, 0), 3, "100.0%", "100.0%", "一级")
    assert [i.key for i in a.weakest] == ["rate_parking", "rate_cleaning", "rate_greening"]
    assert [(c.unit, c.overall, c.text) for c in a.comments] == [
        ("5-1-101", "满意", "停车位太少"), ("5-1-201", "不满意", "楼道保洁不及时，电话 13812345678")]


def test_targets_are_a_parameter(survey_office):
    a = analysis(survey_office, targets=(("达标", 90),))
    assert (a.overall.grade, [i.key for i in a.weakest]) == (BELOW, ["rate_parking", "rate_cleaning", "rate_greening"])
    a = analysis(survey_office, targets=(("一级", 95), ("二级", 85), ("三级", 75)))
    assert a.overall.grade == "三级"


def test_a_unit_register_in_the_choice_lists_gives_the_number_of_units(survey_office):
    ws = survey_office.ws
    ws.write("choices/units.yaml", """
        lists:
          units:
            label: 房号清单
            options: [5-1-0101, 5-1-0102, 5-1-0201, 5-1-0202, 5-1-0301, 5-1-0302, 5-1-0401, 5-1-0402]
        """)
    defs, records = stored(survey_office)
    assert count_units(defs, records) == (8, "房号清单（房号清单）")


def test_report_survey_writes_the_pdf_and_csv(survey_office):
    ws = survey_office.ws
    result = ws.cli("report", "survey", "--year", "2026")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "已生成 written: outbox/reports/survey-2026.pdf",
        "已生成 written: outbox/reports/survey-2026.csv",
        "2026年 业主意见征询：回收 4 份 / 4 户，应发放 5 户，回收率 80.0%",
        "  总体满意率 75.0%（3/4），二级；满意占比 50.0%",
        "  低于目标：停车管理 33.3%、保洁卫生 50.0%、绿化 75.0%",
    ]
    rows = csv_rows(ws.root / "outbox/reports/survey-2026.csv")
    assert rows[0] == ["项目", "有效回答", "满意", "基本满意", "不满意", "未答", "满意率(%)", "满意占比(%)", "等级"]
    assert rows[1] == ["总体评价", "4", "2", "1", "1", "0", "75.0", "50.0", "二级"]
    assert ["停车管理", "3", "0", "1", "2", "1", "33.3", "0.0", "未达标"] in rows
    facts = {r[0]: r[1:] for r in rows[rows.index(["指标", "数值", "说明"]) + 1:]}
    assert facts["回收率"][0] == "80.0" and facts["应发放户数"] == ["5", "入住登记记录中的不同房号数"]
    assert facts["满意率目标"][0] == "一级 ≥80%、二级 ≥75%、三级 ≥70%"

    pdf = ws.root / "outbox/reports/survey-2026.pdf"
    text = pdftext(pdf)
    assert "2026年度业主意见征询统计分析" in text.replace(" ", "")
    for words in ("回收率", "80.0%", "停车管理", "33.3%", "二级", "一级 80%", "楼道保洁不及时，电话 138****5678",
                  "行业评定参考", "工作手册未规定指标"):
        assert words in text, words
    assert all(f[-5] == "yes" for f in pdffonts(pdf))


def test_report_survey_options(survey_office):
    ws = survey_office.ws
    result = ws.cli("report", "survey", "--year", "2026", "--units", "8", "--targets", "90,85", "-o", "年报")
    assert result.code == 0, result.err
    assert "回收率 50.0%" in result.out and "总体满意率 75.0%（3/4），未达标" in result.out
    assert (ws.root / "年报" / "survey-2026.pdf").is_file()
    result = ws.cli("report", "survey", "--targets", "八十")
    assert result.code == 2 and "--targets" in result.err
    # A year without forms: zeros and dashes, not an error.
    result = ws.cli("report", "survey", "--year", "2024")
    assert result.code == 0, result.err
    assert "回收 0 份 / 0 户，应发放 5 户，回收率 0.0%" in result.out
