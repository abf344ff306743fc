"""Validating filled data against a real form definition: every problem at once, in Chinese, by label."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from formflow import validate_data

from ..conftest import NOW, SHANGHAI

FORM = """
id: t
title: 测试单
version: 1
number: {pattern: "T-{yyyy}-{seq:04}"}
sections:
  - title: 基本
    fields:
      - {name: role, label: 申请人身份, type: choice, required: true, choices: [业主, 使用人]}
      - {name: consent, label: 业主书面同意, type: yesno, required: "${role} == '使用人'"}
      - {name: category, label: 类别, type: choice, choices: [渗漏水, 其他]}
      - {name: leak_test, label: 试漏日期, type: date, show_if: "${category} == '渗漏水'"}
      - {name: start, label: 开工日期, type: date, default: today}
      - {name: end, label: 完工日期, type: date, constraint: "${.} >= ${start}", constraint_message: 完工日期不能早于开工日期}
      - {name: fee, label: 费用, type: money, min: 0, unit_label: 元}
      - name: workers
        label: 施工人员
        type: table
        min_rows: 1
        max_rows: 3
        columns:
          - {name: wname, label: 姓名, type: text, required: true}
          - {name: wphone, label: 电话, type: mobile}
          - {name: until, label: 出入证有效期, type: date, constraint: "${.} >= ${start}", constraint_message: 有效期早于开工日期}
      - {name: sign, label: 业主签名, type: signature}
  - title: 验收
    show_if: "filled(${end})"
    fields:
      - {name: result, label: 验收结果, type: choice, choices: [合格, 不合格]}
"""


@pytest.fixture
def form(workspace):
    workspace.write("forms/t.yaml", FORM)
    defs = workspace.load()
    return defs.forms["t"], defs.settings


def problems(form, data, now=NOW):
    f, settings = form
    return [str(p) for p in validate_data(f, data, settings, now).problems]


def test_valid_data_is_typed_and_defaults_filled(form):
    f, settings = form
    result = validate_data(f, {"role": "业主", "category": "渗漏水", "leak_test": "2026-11-20", "fee": "120.5",
                               "workers": [{"wname": "王五", "wphone": "13900001111"}, {"wname": "", "wphone": ""}]},
                           settings, NOW)
    assert result.ok
    assert result.values == {
        "role": "业主", "category": "渗漏水", "leak_test": dt.date(2026, 11, 20), "fee": Decimal("120.50"),
        "start": dt.date(2026, 11, 28),  # default: today, in the office's time zone
        "workers": [{"wname": "王五", "wphone": "13900001111"}],  # the empty row is dropped
    }


def test_all_problems_at_once_named_by_label_and_key(form):
    data = {
        "role": "使用人", "category": "其他", "leak_test": "2026-11-20", "start": "2026-12-01", "end": "2026-11-30",
        "fee": -5, "colour": "红",
        "workers": [{"wname": "王五", "wphone": "12345"}, {"wphone": "13900001111", "until": "2026-11-01"}],
    }
    assert problems(form, data) == [
        "未知字段“colour”：表单中没有这个字段，请删除或检查拼写",
        "「业主书面同意」：必填项未填写（因为「申请人身份」为“使用人”）",
        "「试漏日期」：此项仅当「类别」为“渗漏水”时填写，现在不适用，请删除或核对相关字段",
        "「完工日期」：完工日期不能早于开工日期",
        "「费用」：不能小于 0元，填写的是 -5.00",
        "「施工人员」第1行「电话」：不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “12345”",
        "「施工人员」第2行「姓名」：必填项未填写",
        "「施工人员」第2行「出入证有效期」：有效期早于开工日期",
    ]


def test_table_row_limits_and_shape(form):
    assert problems(form, {"role": "业主", "workers": []}) == []  # empty table = not filled; min_rows needs rows
    assert problems(form, {"role": "业主", "workers": [{"wname": "甲"}] * 4}) == [
        "「施工人员」：最多 3 行，填写了 4 行"]
    assert problems(form, {"role": "业主", "workers": "王五"}) == [
        "「施工人员」：表格应为若干行，每行是“字段: 值”的组合"]


def test_section_condition(form):
    assert problems(form, {"role": "业主", "result": "合格"}) == [
        "「验收结果」：此项仅当所在部分适用时填写，现在不适用，请删除或核对相关字段"]
    assert problems(form, {"role": "业主", "end": "2026-12-30", "result": "合格"}) == []


def test_constraint_against_an_empty_field_is_not_broken(form):
    # start has a default; without it, a comparison with an empty field cannot fail the clerk.
    assert problems(form, {"role": "业主", "end": "2026-11-01", "start": None}) == [
        "「完工日期」：完工日期不能早于开工日期"]  # the default (today) applies to an empty start


def test_data_must_be_a_mapping(form):
    assert problems(form, ["a", "b"]) == ["「表单内容」：data 应为“字段: 值”的组合"]


def test_signature_boxes_take_no_value(form):
    assert problems(form, {"role": "业主", "sign": "张三"}) == [
        "「业主签名」：此项是纸质表上的签名/盖章栏，只在纸上填写，不能填入数据"]


def test_today_default_follows_the_office_clock(form):
    late_utc = dt.datetime(2026, 11, 28, 17, 0, tzinfo=dt.timezone.utc)  # already the 29th in Shanghai
    f, settings = form
    assert validate_data(f, {"role": "业主"}, settings, late_utc).values["start"] == dt.date(2026, 11, 29)
    assert SHANGHAI.key == "Asia/Shanghai"


# ---- plausible dates (the settings' `dates`) ---------------------------------------------------------


def test_dates_outside_the_plausible_window_are_refused(form):
    """Year 9999 would make every deadline of the record uncomputable; 1899 is a typo too."""
    assert problems(form, {"role": "业主", "start": "9999-12-31", "end": "9999-12-31",
                           "workers": [{"wname": "王五", "until": "1899-12-31"}]}) == [
        "「开工日期」：日期不在合理范围内（应在 1900-01-01 至 2036-11-28 之间），填写的是 “9999-12-31”，请核对年份",
        "「完工日期」：日期不在合理范围内（应在 1900-01-01 至 2036-11-28 之间），填写的是 “9999-12-31”，请核对年份",
        "「施工人员」第1行「出入证有效期」：日期不在合理范围内（应在 1900-01-01 至 2036-11-28 之间），"
        "填写的是 “1899-12-31”，请核对年份",
    ]
    # the edges themselves are fine
    assert problems(form, {"role": "业主", "start": "1900-01-01", "end": "2036-11-28"}) == []


def test_the_window_is_a_workspace_setting(workspace):
    workspace.write("forms/t.yaml", FORM)
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\ndates: {earliest: 2000-01-01, years_ahead: 1}\n",
                        encoding="utf-8")
    defs = workspace.load()
    assert (defs.settings.dates.earliest, defs.settings.dates.years_ahead) == (dt.date(2000, 1, 1), 1)
    assert [str(p) for p in validate_data(defs.forms["t"], {"role": "业主", "start": "1999-12-31", "end": "2027-11-29"},
                                          defs.settings, NOW).problems] == [
        "「开工日期」：日期不在合理范围内（应在 2000-01-01 至 2027-11-28 之间），填写的是 “1999-12-31”，请核对年份",
        "「完工日期」：日期不在合理范围内（应在 2000-01-01 至 2027-11-28 之间），填写的是 “2027-11-29”，请核对年份",
    ]
