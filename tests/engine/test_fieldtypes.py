"""Each field type: what a clerk may write, what it becomes, and the Chinese message when it is wrong."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from decimal import Decimal

import pytest

from formflow.definitions.choices import ChoiceList, Option
from formflow.definitions.forms import Field
from formflow.definitions.settings import DEFAULT_UNIT_PATTERN
from formflow.engine import fieldtypes as ft
from formflow.engine.fieldtypes import BadValue, id_check_digit

from ..conftest import SHANGHAI

CHOICES = ChoiceList("c", "类别", (Option("渗漏水", "渗漏水"), Option("给排水", "给排水"), Option("zz", "其他")))
UNIT = re.compile(DEFAULT_UNIT_PATTERN)
#: What read_unit asks of the settings, as a workspace made before unit spellings were unified has them.
UNIT_SETTINGS = SimpleNamespace(unit_pattern=UNIT, unit_example="3-2-1502", unify_units=False, register=None,
                                unknown_unit="refuse", plausibility=True)


def read(ftype: str, value, **extra):
    field = Field(name="x", label="X", type=ftype, **extra)
    match ftype:
        case "text" | "textarea":
            return ft.read_text(field, value)
        case "integer":
            return ft.read_integer(field, value)
        case "decimal" | "money":
            return ft.read_decimal(field, value)
        case "date":
            return ft.read_date(field, value)
        case "time":
            return ft.read_time(field, value)
        case "datetime":
            return ft.read_datetime(field, value, SHANGHAI)
        case "yesno":
            return ft.read_yesno(field, value)
        case "choice":
            return ft.read_choice(field, value)
        case "multichoice":
            return ft.read_multichoice(field, value)
        case "mobile":
            return ft.read_mobile(field, value)
        case "id_number":
            return ft.read_id_number(field, value)
        case "unit":
            return ft.read_unit(field, value, UNIT_SETTINGS)
    raise AssertionError(ftype)


@pytest.mark.parametrize(("ftype", "raw", "expected", "extra"), [
    ("text", "  张三 ", "张三", {}),
    ("text", 1502, "1502", {}),
    ("textarea", "第一行\n第二行\n", "第一行\n第二行", {}),
    ("integer", "１２", 12, {}),
    ("integer", 3.0, 3, {}),
    ("decimal", "3.1", Decimal("3.100"), {"decimals": 3}),
    ("time", "14:30:15", dt.time(14, 30, 15), {}),
    ("time", "14时30分", dt.time(14, 30), {}),
    ("money", "¥1,280.5", Decimal("1280.50"), {}),
    ("money", 0, Decimal("0.00"), {"min": 0}),
    ("date", "2026-11-28", dt.date(2026, 11, 28), {}),
    ("date", "2026/2/3", dt.date(2026, 2, 3), {}),
    ("date", "2026年2月3日", dt.date(2026, 2, 3), {}),
    ("time", "9:05", dt.time(9, 5), {}),
    ("time", 630, dt.time(10, 30), {}),  # YAML 1.1 read an unquoted 10:30 as 630
    ("datetime", "2026-11-28 14:30", dt.datetime(2026, 11, 28, 14, 30, tzinfo=SHANGHAI), {}),
    ("datetime", "2026-11-28T06:30:00+00:00", dt.datetime(2026, 11, 28, 14, 30, tzinfo=SHANGHAI), {}),
    ("datetime", "2026年11月28日 14时30分", dt.datetime(2026, 11, 28, 14, 30, tzinfo=SHANGHAI), {}),
    ("yesno", "是", True, {}),
    ("yesno", "否", False, {}),
    ("yesno", False, False, {}),
    ("choice", "渗漏水", "渗漏水", {"choices": CHOICES}),
    ("choice", "其他", "zz", {"choices": CHOICES}),  # the label is accepted, the value stored
    ("multichoice", ["给排水", "渗漏水"], ["渗漏水", "给排水"], {"choices": CHOICES}),
    ("multichoice", "给排水", ["给排水"], {"choices": CHOICES}),
    ("mobile", "138 1234 5678", "13812345678", {}),
    ("mobile", "+8613812345678", "13812345678", {}),
    ("mobile", 13812345678, "13812345678", {}),
    ("id_number", "11010519491231002x", "11010519491231002X", {}),
    ("unit", "3-2-1502", "3-2-1502", {}),
])
def test_good_values(ftype, raw, expected, extra):
    assert read(ftype, raw, **extra) == expected


@pytest.mark.parametrize(("ftype", "raw", "message", "extra"), [
    ("text", "一二三四五六", "最多 5 个字，填写了 6 个字，请删减", {"max_length": 5}),
    ("text", "楼" * 201, "最多 200 个字，填写了 201 个字，请删减", {}),  # the default of a line of text
    ("textarea", "漏" * 5001, "最多 5000 个字，填写了 5001 个字，请删减", {}),  # the default of a long text
    ("textarea", "漏" * 8001, "最多 8000 个字，填写了 8001 个字，请删减", {"max_length": 8000}),
    ("datetime", "0001-01-01T00:00+14:00", "日期超出范围，请核对年份，填写的是 “0001-01-01T00:00+14:00”", {}),
    ("datetime", "9999-12-31T23:59-12:00", "日期超出范围，请核对年份，填写的是 “9999-12-31T23:59-12:00”", {}),
    ("integer", "12.5", "应为整数，填写的是 “12.5”", {}),
    ("integer", True, "应为整数，填写的是 是", {}),
    ("integer", -1, "不能小于 0，填写的是 -1", {"min": 0}),
    ("decimal", "abc", "应为数字，填写的是 “abc”", {}),
    ("decimal", "3.14159", "最多保留 3 位小数，填写的是 “3.14159”", {"decimals": 3}),
    ("decimal", "NaN", "应为数字，填写的是 “NaN”", {}),
    ("money", "12.345", "金额最多保留两位小数（分），填写的是 “12.345”", {}),
    ("money", 20000, "不能大于 10000元，填写的是 20000.00", {"max": 10000, "unit_label": "元"}),
    ("date", "2026-02-30", "没有这一天，填写的是 “2026-02-30”", {}),
    ("date", "下周一", "日期格式不对，应写成 2026-11-28，填写的是 “下周一”", {}),
    ("time", "25:00", "时间格式不对，应写成 14:30，填写的是 “25:00”", {}),
    ("datetime", "明天上午", "日期时间格式不对，应写成 2026-11-28 14:30，填写的是 “明天上午”", {}),
    ("yesno", "也许", "应填“是”或“否”，填写的是 “也许”", {}),
    ("choice", "漏水", "“漏水”不在选项中，可选：渗漏水、给排水、zz", {"choices": CHOICES}),
    ("multichoice", ["渗漏水", "渗漏水"], "同一选项选了两次", {"choices": CHOICES}),
    ("multichoice", ["渗漏水", "给排水"], "最多选 1 项，选了 2 项", {"choices": CHOICES, "max_choices": 1}),
    ("mobile", "1381234567", "不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “1381234567”", {}),
    ("mobile", "12812345678", "不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “12812345678”", {}),
    ("mobile", "0755-8888888", "不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “0755-8888888”", {}),
    ("id_number", "110105194912310021", "身份证号校验位不对（最后一位应为 X，填写的是 1），请核对号码", {}),
    ("id_number", "110105194902300026", "身份证号中的出生日期 19490230 不存在，请核对", {}),
    ("id_number", "11010519491231", "身份证号应为 18 位（前 17 位为数字，最后一位为数字或 X），填写的是 “11010519491231”", {}),
    ("unit", "3栋1502", "房号格式不对，应写成 3-2-1502，填写的是 “3栋1502”", {}),
    ("unit", "9-9-999", "房号“9-9-999”不在房号清单中，请核对",
     {"choices": ChoiceList("units", "房号", (Option("3-2-1502", "3-2-1502"),))}),
])
def test_bad_values_explain_in_chinese(ftype, raw, message, extra):
    with pytest.raises(BadValue) as info:
        read(ftype, raw, **extra)
    assert str(info.value) == message


def test_a_field_may_allow_more_than_the_default_length():
    assert read("textarea", "漏" * 6000, max_length=8000) == "漏" * 6000
    assert read("text", "楼" * 200) == "楼" * 200


def test_id_check_digit_matches_the_gb11643_examples():
    # Worked examples of GB 11643-1999 and a mod-11 remainder of 2 (check character X).
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"


def test_text_keeps_the_chinese_punctuation_typed_and_folds_full_width_letters_and_digits():
    assert read("text", "　林晓燕（配偶），电话１３８，房号Ａ座：") == "林晓燕（配偶），电话138，房号A座："
    assert read("textarea", "维修及时，师傅干活仔细。") == "维修及时，师傅干活仔细。"
