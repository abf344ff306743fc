"""Computed values (``calculate:``): filled in when they can be, a different value refused naming the expected one."""

from __future__ import annotations

from decimal import Decimal

from formflow.engine.validate import validate_data

from ..conftest import NOW

REPAIR = {
    "reported_at": "2026-11-28 09:00", "channel": "电话", "reporter": "黄秀英", "unit": "3-2-1502",
    "phone": "13826517094", "area": "户内", "location": "卫生间", "category": "给排水", "description": "漏水",
    "urgency": "一般", "clerk": "李娜", "chargeable": "是",
    "materials": [{"mat_name": "软管", "mat_price": "28", "mat_qty": "1"},
                  {"mat_name": "玻璃胶", "mat_price": "18", "mat_qty": "0.5"}],
    "labour_fee": "50",
}


def test_line_totals_a_table_total_and_a_sum_are_filled_in(defs):
    result = validate_data(defs.forms["repair"], REPAIR, defs.settings, NOW)
    assert result.ok, result.problems
    values = result.values
    assert [row["mat_amount"] for row in values["materials"]] == [Decimal("28.00"), Decimal("9.00")]
    assert values["material_fee"] == Decimal("37.00")
    assert values["total_fee"] == Decimal("87.00")


def test_a_different_value_is_refused_naming_the_expected_one(defs):
    data = {**REPAIR, "total_fee": "90", "materials": [{**REPAIR["materials"][0], "mat_amount": "30"},
                                                        REPAIR["materials"][1]]}
    problems = [str(p) for p in validate_data(defs.forms["repair"], data, defs.settings, NOW).problems]
    assert "「材料清单」第1行「金额」：应为 28.00 元（「单价」 × 「数量」），填写的是 30.00 元" in problems
    assert any(p.startswith("「费用合计」：应为 87.00 元（") and p.endswith("填写的是 90.00 元") for p in problems), problems


def test_not_computed_while_a_value_it_reads_is_missing(defs):
    data = {**REPAIR, "materials": [{"mat_name": "软管", "mat_qty": "1"}], "labour_fee": None}
    values = validate_data(defs.forms["repair"], data, defs.settings, NOW).values
    assert "mat_amount" not in values["materials"][0]
    assert "material_fee" not in values and "total_fee" not in values
    typed = validate_data(defs.forms["repair"], {**data, "material_fee": "40", "labour_fee": "10"}, defs.settings, NOW)
    assert typed.ok and typed.values["total_fee"] == Decimal("50.00")  # typed by hand where nothing computes it


def test_service_fee_rounds_half_up_to_the_fen(defs):
    form = defs.forms["service"]
    data = {"unit": "3-2-1502", "customer": "黄秀英", "phone": "13826517094", "service_item": "家政保洁",
            "agreed_time": "2026-11-29 09:00", "unit_price": "3.35", "quantity": "1.5", "clerk": "李娜"}
    result = validate_data(form, data, defs.settings, NOW)
    assert result.values.get("agreed_fee") == Decimal("5.03"), result.problems  # 5.025 → 5.03
