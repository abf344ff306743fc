"""人民币大写: amounts as receipts and contracts write them (中国人民银行《支付结算办法》的写法)."""

from __future__ import annotations

import pytest

from formflow.render.values import capital_rmb


@pytest.mark.parametrize(("amount", "capitals"), [
    ("0", "零元整"), ("0.05", "伍分"), ("0.5", "伍角"), ("1.05", "壹元零伍分"), ("10", "壹拾元整"),
    ("100", "壹佰元整"), ("110", "壹佰壹拾元整"), ("1001", "壹仟零壹元整"), ("1005.30", "壹仟零伍元叁角"),
    ("1010", "壹仟零壹拾元整"), ("1280.50", "壹仟贰佰捌拾元伍角"), ("2000.07", "贰仟元零柒分"),
    ("3258.60", "叁仟贰佰伍拾捌元陆角"), ("10000", "壹万元整"), ("50000.5", "伍万元伍角"),
    ("100010", "壹拾万零壹拾元整"), ("200001", "贰拾万零壹元整"), ("1000001", "壹佰万零壹元整"),
    ("12345678.9", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"), ("20300400.1", "贰仟零叁拾万零肆佰元壹角"),
    ("100000000", "壹亿元整"), ("100000001", "壹亿零壹元整"), ("100100000", "壹亿零壹拾万元整"),
    ("87.005", "捌拾柒元零壹分"), ("-5", "负伍元整"),
])
def test_capitals(amount, capitals):
    assert capital_rmb(amount) == capitals


@pytest.mark.parametrize("odd", ["", "abc", "NaN", "1e20", None])
def test_what_is_not_an_amount_has_no_capitals(odd):
    assert capital_rmb(odd) == ""
