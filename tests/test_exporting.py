"""Lists, search results and a unit's file written as .xlsx, read back with openpyxl."""

from __future__ import annotations

from openpyxl import load_workbook

from .test_residents import office  # noqa: F401 - the fixture


def rows(path):
    book = load_workbook(path, read_only=True)
    try:
        return [list(r) for r in book.active.iter_rows(values_only=True)]
    finally:
        book.close()


def test_a_list_of_one_form_carries_every_field_under_its_label(office):  # noqa: F811
    target = office.root / "维修登记"
    result = office.cli("list", "--form", "repair", "--format", "xlsx", "-o", str(target))
    assert result.code == 0, result.err
    table = rows(office.root / "维修登记.xlsx")
    assert table[0][0] == "阳光花园管理处 维修派工单"
    header = table[1]
    assert header[:8] == ["登记时间", "表单", "编号", "房号", "姓名", "联系电话", "状态", "未完成的期限"]
    assert {"报修人", "维修位置", "材料清单", "人工费（元）"} <= set(header)
    by_number = {r[2]: dict(zip(header, r)) for r in table[2:]}
    assert set(by_number) == {"WX-YG-202611-0001", "WX-YG-202611-0002", "WX-YG-202611-0003", "WX-YG-202611-0004"}
    example = by_number["WX-YG-202611-0001"]
    assert (example["房号"], example["报修人"], example["联系电话"]) == ("6-2-901", "何丽萍", "13711458096")
    assert example["未完成的期限"].startswith("维修完工 2026-11-19 08:25（已逾期）")
    assert (example["人工费（元）"], example["费用合计（元）"]) == (50, 122)  # numbers Excel can add up
    assert "不锈钢编织下水软管" in example["材料清单"]


def test_search_results_and_a_unit_file(office):  # noqa: F811
    assert office.cli("search", "何丽萍", "--format", "xlsx", "-o", str(office.root / "查找.xlsx")).code == 0
    table = rows(office.root / "查找.xlsx")
    assert table[0][0] == "查找“何丽萍”：共 2 条记录"
    assert [r[2] for r in table[2:]] == ["HF-YG-202611-0001", "WX-YG-202611-0001"]
    assert office.cli("unit", "3栋2单元1502", "--format", "xlsx", "-o", str(office.root / "3-2-1502.xlsx")).code == 0
    table = rows(office.root / "3-2-1502.xlsx")
    assert table[0][0].startswith("房号 3-2-1502　业主 黄秀英　电话 13826517094　入住状态 已入住")
    assert [r[2] for r in table[2:]] == ["WX-YG-202611-0003", "WX-YG-202611-0002", "TS-YG-202611-0001"]
    assert not list(office.root.glob(".*.tmp"))


def test_the_to_do_list_with_each_residents_name_and_phone(office):  # noqa: F811
    assert office.cli("todo", "--format", "xlsx", "-o", str(office.root / "待办.xlsx")).code == 0
    table = rows(office.root / "待办.xlsx")
    assert table[1] == ["状态", "期限", "记录编号", "表单", "事项", "负责", "房号", "住户", "联系电话"]
    repair = next(r for r in table[2:] if r[2] == "WX-YG-202611-0001")
    assert (repair[0], repair[6], repair[7], repair[8]) == ("已逾期", "6-2-901", "何丽萍", "13711458096")
    text = office.cli("todo").out
    assert "WX-YG-202611-0001 6-2-901 何丽萍 137****8096" in text  # masked in the text list
    assert "13711458096" not in text
