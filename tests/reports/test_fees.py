"""``formflow report fees``: the month of December 2026 of tests/fees/test_reconcile.py, its figures worked out
here by hand from the fixture's numbers (not by the code under test) and read back from the CSV, the .xlsx and
the PDF's text.

The lists: 28 November (start of December: the latest on or before 1 December) and 20 December (the end).

=========  =====================================  =====================================================
unit       28 Nov (应收 / 已收 / 欠费)               20 Dec
=========  =====================================  =====================================================
3-2-1502   物业费 1200/0/1200, 水费 35.50/0/35.50   both paid up; a December bill 200/0/200
3-1-101    物业费 200/200/0 (no record)            refused row
3-1-402    物业费 1000/0/1000                       1000/400/600
99-9-909   物业费 500/0/500                         500/0/500
=========  =====================================  =====================================================

Calls in December: 王芳 4 (3-1-402 promise 12-02 for 12-05, refused 12-16; 3-2-1502 no answer 12-14, promise
12-15 for 12-20), 李娜 2 (99-9-909, its collector since 12-01: no answer, wrong number). 3-2-1502 closed on the
20 December list (paid 1,235.50 on 12-20: its promise kept); 3-1-402 partly paid 400 (its promise broken).
"""

from __future__ import annotations

import subprocess
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import load_workbook

from ..fees.test_reconcile import collection_month
from .conftest import csv_rows

NOW = "2026-12-31T18:00:00+08:00"


def pct(num, den) -> str:
    return str((Decimal(100) * Decimal(str(num)) / Decimal(str(den))).quantize(Decimal("0.1"), ROUND_HALF_UP))


# By hand. Start: due 1200 + 35.50 + 200 + 500 + 1000, paid 200 (3-1-101). End: due 1200 + 35.50 + 200 + 1000 + 500,
# paid 1200 + 35.50 + 400.
DUE_START, PAID_START = 1200 + 35.5 + 200 + 500 + 1000, 200
DUE_END, PAID_END = 1200 + 35.5 + 200 + 1000 + 500, 1200 + 35.5 + 400
# 3栋: everything but 99-9-909.
B3_DUE_START, B3_PAID_START, B3_DUE_END, B3_PAID_END = 1200 + 35.5 + 200 + 1000, 200, 1200 + 35.5 + 200 + 1000, 1635.5
HEADER = ["分组", "名称", "期初欠费户数", "通话次数", "接通", "接通率(%)", "承诺", "承诺已兑现", "承诺未兑现", "承诺未到期",
          "兑现率(%)", "期初欠费金额", "结案户数", "收回金额", "期初收缴率(%)", "期末收缴率(%)"]
GROUPS = [
    ["合计", "合计", "3", "6", "3", pct(3, 6), "2", "1", "1", "0", pct(1, 2), "2735.50", "1", "1235.50",
     pct(PAID_START, DUE_START), pct(PAID_END, DUE_END)],
    # 王芳: 3-2-1502 and 3-1-402; the list's 3-1-101 has no record (未分配)
    ["催费人", "李娜", "1", "2", "0", "0.0", "0", "0", "0", "0", "", "500.00", "0", "0.00", "0.0", "0.0"],
    ["催费人", "王芳", "2", "4", "3", pct(3, 4), "2", "1", "1", "0", pct(1, 2), "2235.50", "1", "1235.50",
     "0.0", pct(1635.5, 1200 + 35.5 + 200 + 1000)],
    ["催费人", "未分配", "0", "0", "0", "", "0", "0", "0", "0", "", "0.00", "0", "0.00", "100.0", ""],
    ["楼栋", "3栋", "2", "4", "3", pct(3, 4), "2", "1", "1", "0", pct(1, 2), "2235.50", "1", "1235.50",
     pct(B3_PAID_START, B3_DUE_START), pct(B3_PAID_END, B3_DUE_END)],
    ["楼栋", "99栋", "1", "2", "0", "0.0", "0", "0", "0", "0", "", "500.00", "0", "0.00", "0.0", "0.0"],
]
OWING = [
    ["房号", "业主", "联系电话", "欠费金额", "欠费月数", "催费人", "催缴次数", "最近一次结果", "最近日期", "档案状态"],
    ["3-1-402", "王明辉", "189****4046", "600.00", "5", "王芳", "2", "有异议", "2026-12-16", "拒缴或有异议"],
    ["99-9-909", "钱某", "—", "500.00", "1", "李娜", "2", "号码错误", "2026-12-05", "暂未联系上"],
    ["3-2-1502", "黄秀英", "138****7094", "200.00", "1", "王芳", "2", "已缴费", "2026-12-20", "已缴清（结案）"],
]


def test_the_december_report_by_collector_and_building(workspace, monkeypatch):
    collection_month(workspace, monkeypatch)
    result = workspace.cli("report", "fees", "--month", "2026-12", "--now", NOW)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "已生成 written: outbox/reports/fees-2026-12.pdf",
        "已生成 written: outbox/reports/fees-2026-12.csv",
        "2026年12月 电话催费：期初欠费 3 户 2,735.50 元；通话 6 次，接通率 50.0%（3/6）",
        "  承诺 2 次：已兑现 1、未兑现 1、未到期 0",
        f"  结案 1 户，收回 1,235.50 元；收缴率 期初 {pct(PAID_START, DUE_START)}% → 期末 {pct(PAID_END, DUE_END)}%",
        "  仍欠费 3 户"]
    rows = csv_rows(workspace.root / "outbox/reports/fees-2026-12.csv")
    assert rows[0] == HEADER and rows[1:7] == GROUPS
    assert rows[7:13] == [[], ["仍欠费户：期末清单中仍欠费的房屋 3 项"], *OWING]
    facts = {r[0]: r[1:] for r in rows[14:]}
    assert facts["期初清单"][0] == "2026-11-28" and facts["期末清单"][0] == "2026-12-20"
    assert facts["部分缴费未结案"] == ["1", "尚未结案的档案已记实缴金额 400.00 元"]
    assert facts["收回金额"][0] == "1235.50"

    xlsx = workspace.cli("report", "fees", "--month", "2026-12", "--now", NOW, "--format", "xlsx")
    assert xlsx.out.splitlines()[0] == "已生成 written: outbox/reports/fees-2026-12.xlsx"
    sheet = load_workbook(workspace.root / "outbox/reports/fees-2026-12.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "电话催费统计（2026年12月）" and list(values[1]) == HEADER
    assert values[2][:6] == ("合计", "合计", 3, 6, 3, float(pct(3, 6)))
    assert values[2][11:14] == (2735.5, 1, 1235.5)
    assert [v for v in values if v[0] == "3-1-402"] == [("3-1-402", "王明辉", "189****4046", 600, 5, "王芳", 2, "有异议",
                                                        "2026-12-16", "拒缴或有异议", *[None] * 6)]

    pdf = workspace.root / "outbox/reports/fees-2026-12.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "2026年12月电话催费统计" in flat
    assert "期初（2026-11-28导入的欠费清单（欠费明细.xlsx））欠费3户，共2,735.50元。" in flat.replace(" ", "")
    for shown in (f"合计 期初 {pct(PAID_START, DUE_START)}%", f"合计 期末 {pct(PAID_END, DUE_END)}%",
                  f"3栋 期初 {pct(B3_PAID_START, B3_DUE_START)}%", f"3栋 期末 {pct(B3_PAID_END, B3_DUE_END)}%",
"接通率 50.0%（3/6）",
                  "兑现率 50.0%（1/2）", "189****4046", "138****7094", "收回 1,235.50 元"):
        assert shown in flat, shown
    assert "18950994046" not in text and "13826517094" not in text
    assert "3-1-402 王明辉 189****4046 600.00 5 王芳 2 有异议 2026-12-16 拒缴或有异议" in flat


def test_a_list_without_due_and_paid_has_no_collection_rate_and_says_so(workspace):
    owed_only = workspace.root / "欠费.csv"
    owed_only.write_bytes("房号,收费项目,所属期间,欠费金额\r\n3-1-402,物业费,2026-11,300\r\n".encode("gbk"))
    assert workspace.cli("fees", "import", str(owed_only), "--yes").code == 0     # 28 November
    result = workspace.cli("report", "fees", "--month", "2026-12", "--now", NOW)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-2] == "  结案 0 户，收回 0.00 元；收缴率 期初 — → 期末 —"
    rows = csv_rows(workspace.root / "outbox/reports/fees-2026-12.csv")
    facts = {r[0]: r[1:] for r in rows if r}
    assert facts["期初收缴率"] == ["", "清单没有应收、已收金额，无法计算收缴率"]
    assert facts["期末清单"] == ["2026-11-28", "2026-11-28 导入的欠费清单（欠费.csv）；本月没有新导入的欠费清单，期末与期初相同"]
    assert ["3-1-402", "王明辉", "189****4046", "300.00", "1", "未分配", "0", "未建档", "—", "未建档"] in rows
    pdf = workspace.root / "outbox/reports/fees-2026-12.pdf"
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "清单没有应收、已收金额，无法计算收缴率。" in text and "本月没有新导入的欠费清单，期末与期初相同。" in text
