"""The call list (``formflow fees calls``): a collector's open 催缴档案 in calling order on a fixed clock, the
order written out by hand; the printed list and the spreadsheet mask the phones."""

from __future__ import annotations

import json
import subprocess

import yaml
from openpyxl import load_workbook

from ..conftest import without_pdfs
from .test_round import Desk

NOW = "2026-12-01T10:00+08:00"
CREATED = "2026-11-23T09:00+08:00"
#: 房号 → (collector, [(item, period, owed)]): amounts and months chosen to test each key of the order.
UNITS = {
    "3-2-1502": ("王芳", [("物业费", "2026-01至2026-06", "1200.00")]),
    "3-1-402": ("王芳", [("物业费", "2026-11", "500.00")]),
    "6-1-101": ("王芳", [("物业费", "2025-12至2026-11", "3000.00")]),
    "6-1-102": ("王芳", [("物业费", "2026-09至2026-11", "3000.00")]),
    "6-1-202": ("王芳", [("物业费", "2026-10至2026-11", "800.00")]),
    "6-1-301": ("李娜", [("物业费", "2026-10至2026-11", "800.00")]),
    "6-1-302": ("王芳", [("物业费", "2026-10", "400.00"), ("水费", "2026-11", "400.00")]),
    "6-1-401": ("王芳", [("物业费", "2026-10至2026-11", "800.00")]),
}


def collection_records(workspace) -> tuple[dict[str, str], Desk]:
    """One 催缴档案 per unit of :data:`UNITS`, made on :data:`CREATED`; 房号 → record number."""
    without_pdfs(workspace.root)
    register = workspace.load().settings.register
    for unit, (collector, items) in UNITS.items():
        entry = register[unit]
        data = {"round": "2026年11月催费", "unit": unit, "owner": entry.owner, "phone": "、".join(entry.phones),
                "items": [{"item": i, "period": p, "owed": o} for i, p, o in items],
                "amount": f"{sum(float(o) for _, _, o in items):.2f}", "snapshot_date": "2026-11-22",
                "collector": collector}
        doc = {"form": "fee_collection", "by": "赵敏", "at": CREATED, "data": data}
        workspace.write(f"inbox/催缴-{unit}.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    done = workspace.cli("process", "--now", CREATED)
    assert done.code == 0, done.out + done.err
    desk = Desk(workspace)
    from formflow.app import App

    app = App.open(workspace.root)
    made = {}
    for record in app.store.records("fee_collection"):
        made[desk.record(record.number)["unit"]] = record.number
    return made, desk


def calls_made(made, desk) -> None:
    """The calls of the week before :data:`NOW` (see each unit's comment)."""
    # 3-2-1502: promised for 11-27, reminded, never paid — one broken promise, nothing due
    desk.act(made["3-2-1502"], "call_promise", "2026-11-24T10:00+08:00", promised_date="2026-11-27", reason="经济困难")
    desk.act(made["3-2-1502"], "call_reminded", "2026-11-26T10:00+08:00")
    # 3-1-402: no answer on 11-30 — the retry (12-02 09:00) is due soon: due now
    desk.act(made["3-1-402"], "call_no_answer", "2026-11-30T09:00+08:00", outcome="无人接听")
    # 6-1-101: never called, first call overdue since 11-26: due now
    # 6-1-102: refused on 11-25 — nothing due
    desk.act(made["6-1-102"], "call_refused", "2026-11-25T10:00+08:00", outcome="拒绝缴费", reason="经济困难")
    # 6-1-202: two promises, both dates past — two broken promises
    desk.act(made["6-1-202"], "call_promise", "2026-11-24T11:00+08:00", promised_date="2026-11-25", reason="经济困难")
    desk.act(made["6-1-202"], "call_promise", "2026-11-26T11:00+08:00", promised_date="2026-11-28", reason="经济困难")
    desk.act(made["6-1-202"], "call_reminded", "2026-11-27T11:00+08:00")
    # 6-1-302 and 6-1-401: 800.00 for two months each, refused — called 7 and 4 days ago
    desk.act(made["6-1-302"], "call_refused", "2026-11-24T15:00+08:00", outcome="有异议", reason="经济困难")
    desk.act(made["6-1-401"], "call_refused", "2026-11-27T15:00+08:00", outcome="拒绝缴费", reason="经济困难")


#: Worked out by hand from the module's order: the two calls due now (the larger amount first), then broken
#: promises (2, then 1), then amount (3000), then the same 800.00 × 2 months by days since the last call.
WANG_FANG = ["6-1-101", "3-1-402", "6-1-202", "3-2-1502", "6-1-102", "6-1-302", "6-1-401"]


def test_the_order_on_a_fixed_clock(workspace):
    made, desk = collection_records(workspace)
    calls_made(made, desk)
    result = workspace.cli("fees", "calls", "--collector", "王芳", "--format", "json", "--now", NOW)
    assert result.code == 0, result.err
    [mine] = json.loads(result.out)["lists"]
    rows = mine["rows"]
    assert [r["unit"] for r in rows] == WANG_FANG
    by_unit = {r["unit"]: r for r in rows}
    assert [by_unit[u]["due_now"] for u in WANG_FANG] == [True, True, False, False, False, False, False]
    assert (by_unit["6-1-202"]["broken_promises"], by_unit["3-2-1502"]["broken_promises"]) == (2, 1)
    assert (by_unit["6-1-101"]["months"], by_unit["6-1-302"]["months"], by_unit["3-2-1502"]["months"]) == (12, 2, 6)
    assert (by_unit["6-1-302"]["days_since"], by_unit["6-1-401"]["days_since"], by_unit["6-1-101"]["days_since"]) == (
        7, 4, None)
    assert by_unit["6-1-202"]["attempts"] == 3 and by_unit["6-1-202"]["promised_date"] == "2026-11-28"
    assert by_unit["6-1-101"]["next"].startswith("已逾期：")
    assert by_unit["3-2-1502"]["next"] == "业主承诺缴费日期已过仍未缴清，2个工作日内发出催缴通知书"   # the task
    assert by_unit["3-1-402"]["phones"] == "189****4046"   # masked: the supervisor's view
    assert "6-1-301" not in by_unit   # 李娜's

    text = workspace.cli("fees", "calls", "--collector", "王芳", "--now", NOW).out.splitlines()
    assert text[0] == "催费电话清单：王芳：7 户，共 10,100.00 元，现在该打 2 户；通话时段 calling hours：9:00–12:00、14:00–20:00"
    assert text[1] == "   1. 6-1-101  白凤英  184****4908  3,000.00 元  12 个月  上次 未联系  已催 0 次"
    everyone = json.loads(workspace.cli("fees", "calls", "--format", "json", "--now", NOW).out)
    assert [(one["collector"], len(one["rows"])) for one in everyone["lists"]] == [("王芳", 7), ("李娜", 1)]


def test_the_printed_list_and_the_spreadsheet_mask_the_phones(workspace):
    made, desk = collection_records(workspace)
    calls_made(made, desk)
    register = workspace.load().settings.register
    pdf = workspace.root / "催费电话清单.pdf"
    result = workspace.cli("fees", "calls", "--collector", "王芳", "--format", "pdf", "-o", str(pdf), "--now", NOW)
    assert result.code == 0, result.err
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "催费电话清单：王芳" in text and "通话结果（手写）" in text
    for unit in WANG_FANG:
        phone = register[unit].phones[0]
        assert phone not in text
        assert f"{phone[:3]}****{phone[-4:]}" in text
    assert text.index("6-1-101") < text.index("3-1-402") < text.index("6-1-202") < text.index("6-1-401")
    assert "6-1-301" not in text

    book = workspace.root / "清单.xlsx"
    assert workspace.cli("fees", "calls", "--format", "xlsx", "-o", str(book), "--now", NOW).code == 0
    cells = [str(c.value) for row in load_workbook(book).active.iter_rows() for c in row if c.value is not None]
    assert not any(p in c for c in cells for u in UNITS for p in register[u].phones)
    assert "138****7094" in cells


def test_a_mobile_and_a_landline_masked():
    from formflow.fees.calllist import masked_phones

    assert masked_phones("13826517094、0755-12345678") == "138****7094、****5678"


def test_no_phone_is_printed_whole_however_it_is_written():
    """A register's phones written in groups (138 0000 1111, +86 …) or several landlines in one text: every list
    and the report mask each number (a landline's area code may stay)."""
    from formflow.fees.calllist import masked_phones
    from formflow.reports.feespages import mask_phone

    written = "138 2651 7094、+86 139-0000-1111，0755-26881234,0755 8765 4321"
    for masked in (masked_phones(written), mask_phone(written)):
        digits = "".join(c for c in masked if c.isdigit())
        for whole in ("13826517094", "13900001111", "26881234", "87654321"):
            assert whole not in digits.replace("0755", "", 1) and whole not in masked
        assert "138****7094" in masked and "139****1111" in masked and "****1234" in masked and "****4321" in masked
    assert mask_phone("0755-26881234，0755-12345678") == "0755-****1234，0755-****5678"
    assert masked_phones("0755-26881234 13800001111") == "****1234 138****1111"


def test_the_call_list_orders_and_shows_what_is_still_owed():
    from decimal import Decimal

    from formflow.fees.calllist import owed_now

    assert owed_now({"amount": "1235.50", "paid_amount": "400.00"}) == Decimal("835.50")
    assert owed_now({"amount": "1235.50"}) == Decimal("1235.50")
