"""One cell of an arrears list: amounts to the fen, 所属期间 as YYYY-MM or a range of months."""

from __future__ import annotations

from decimal import Decimal

import pytest

from formflow.fees.values import NotAnAmount, amount, period


@pytest.mark.parametrize(("text", "expected"), [
    ("1200", "1200.00"), ("¥1,234.50", "1234.50"), ("1234.5元", "1234.50"), ("１２３４．５０", "1234.50"),
    ("￥ 12", "12.00"), ("0.30000000000000004", "0.30"), ("2.345", "2.35"), ("(100.00)", "-100.00"), ("-5", "-5.00"),
    ("RMB 88", "88.00"), ("１，０００元", "1000.00"),
])
def test_amounts_as_billing_systems_write_them(text, expected):
    assert amount(text) == Decimal(expected)


def test_an_empty_cell_or_a_dash_is_no_amount_and_words_are_not_numbers():
    assert amount("") is None and amount("-") is None and amount(" — ") is None
    for text in ("abc", "12.3.4", "1200元整", "壹佰元"):
        with pytest.raises(NotAnAmount):
            amount(text)


@pytest.mark.parametrize(("text", "label", "months"), [
    ("2026-11", "2026-11", 1), ("2026年11月", "2026-11", 1), ("202611", "2026-11", 1), ("2026.11", "2026-11", 1),
    ("2026/3", "2026-03", 1), ("2026-11-01", "2026-11", 1), ("２０２６年１１月", "2026-11", 1),
    ("2026-01至2026-06", "2026-01至2026-06", 6), ("2026-01-2026-06", "2026-01至2026-06", 6),
    ("2026年1月至6月", "2026-01至2026-06", 6), ("2026/1/1 - 2026/3/31", "2026-01至2026-03", 3),
    ("2025-11至2026-02", "2025-11至2026-02", 4),
])
def test_periods_are_read_into_months(text, label, months):
    read = period(text)
    assert (read.label, len(read.months()), read.text) == (label, months, text)


def test_a_period_that_cannot_be_read_is_kept_as_written():
    for text in ("2026-13", "上半年", "2026-06至2026-01"):
        read = period(text)
        assert (read.start, read.label, read.months()) == ("", text, (text,))
    assert period("").months() == ()
