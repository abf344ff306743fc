"""Reconciliation by the next ``formflow fees import``: a newer arrears list closes the collection records it
shows paid up (确认已缴清 with 缴清日期 and 实缴金额), records what was partly paid, leaves the rest, and does
nothing more when imported again; promises kept and broken by the date (fees/promises.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import Workbook

from formflow.cli import cli
from formflow.fees.arrears import Item
from formflow.fees.promises import BROKEN, KEPT, OPEN, judge, promises
from formflow.fees.reconcile import CLOSE, NONE, PART, OpenRecord, check, preview, reconcile
from formflow.fees.values import period

from ..conftest import without_pdfs
from .test_import import _own_columns, billing_export
from .test_round import ROUND, Desk, _made

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
#: The list of 20 December (GBK CSV, the billing system's usual header names): 3-2-1502 paid up (its 水费 period
#: written another way), with a new bill of December that is not the round's; 3-1-402 paid 400 of 1,000;
#: 99-9-909 unchanged; a row refused.
DECEMBER = [
    ["房号", "业主", "收费项目", "所属期间", "应收", "已收", "欠费金额"],
    ["3-2-1502", "黄秀英", "物业费", "2026-01至2026-06", "1200.00", "1200.00", "0.00"],
    ["3-2-1502", "黄秀英", "水费", "2026-10", "35.50", "35.50", "0"],
    ["3-2-1502", "黄秀英", "物业费", "2026-12", "200.00", "0", "200.00"],
    ["3-1-402", "王明辉", "物业费", "2026年7月至11月", "1000.00", "400.00", "600.00"],
    ["99-9-909", "钱某", "物业费", "2026-09", "500", "0", "500"],
    ["3-1-101", "蔡建华", "物业费", "2026-12", "200", "二百", ""],            # refused: not an amount
]


def december_csv(path):
    """The list of 20 December as the billing system exports it: CSV in GBK."""
    path.write_bytes("\r\n".join(",".join(row) for row in DECEMBER).encode("gbk"))
    return path


def december_xlsx(path):
    """The same list as .xlsx (exported again the next day)."""
    book = Workbook()
    for row in DECEMBER[:-1]:
        book.active.append(row)
    book.save(path)
    return path


def at(day: str, monkeypatch) -> None:
    monkeypatch.setenv("FORMFLOW_NOW", f"{day}T10:00:00+08:00")


def collection_month(workspace, monkeypatch) -> dict[str, str]:
    """The round of 28 November (3 records), calls and promises in December, the list of 20 December imported
    and processed; 房号 → record number."""
    if "record_pdfs: false" not in (workspace.root / "formflow.yaml").read_text(encoding="utf-8"):
        without_pdfs(workspace.root)   # (tests/reports' workspace has them off already)
    _own_columns(workspace)
    assert workspace.cli("fees", "import", str(billing_export(workspace.root / "欠费明细.xlsx")), "--yes").code == 0
    assert workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes").code == 0
    made = _made(workspace)
    desk = Desk(workspace)
    huang, wang, qian = made["3-2-1502"], made["3-1-402"], made["99-9-909"]
    workspace.write("inbox/collector.yaml", yaml.safe_dump(   # 99-9-909 handed to 李娜
        {"record": qian, "action": "correct", "by": "李娜", "at": "2026-12-01T09:00+08:00",
         "data": {"collector": "李娜"}, "note": "改由李娜催缴"}, allow_unicode=True))
    assert "0 个未登记 set aside" in workspace.cli("process", "--now", "2026-12-01T09:00+08:00").out
    desk.act(wang, "call_promise", "2026-12-02T10:00+08:00", promised_date="2026-12-05", promised_amount="1000.00",
             reason="经济困难")                                       # broken: not paid by 12-05
    desk.act(qian, "call_no_answer", "2026-12-03T09:00+08:00", outcome="无人接听", by="李娜")
    desk.act(qian, "call_no_answer", "2026-12-05T09:00+08:00", outcome="号码错误", by="李娜")
    desk.act(huang, "call_no_answer", "2026-12-14T09:00+08:00", outcome="无人接听", by="李娜")
    desk.act(huang, "call_promise", "2026-12-15T10:00+08:00", promised_date="2026-12-20", promised_amount="1235.50")
    desk.act(wang, "call_refused", "2026-12-16T10:00+08:00", outcome="有异议", reason="对服务不满",
             reason_text="楼上渗水一直没修好")
    at("2026-12-20", monkeypatch)
    asked = CliRunner().invoke(cli, ["fees", "import", str(december_csv(workspace.root / "欠费明细-12月.csv"))],
                               input="n\n")
    assert asked.output.splitlines()[-5:] == [   # the preview says it before anything is written
        ("核对催缴档案 reconciliation：比对 compared 3 份未结案档案；缴清结案 to close 1 户，部分缴费 partly paid 1 户，"
         "收回 recovered 1,635.50 元"),
        f"  = {huang} 3-2-1502：已缴清 1,235.50 元，结案",
        f"  ~ {wang} 3-1-402：已缴 400.00 元，尚欠 600.00 元",
        "保存这份欠费快照？ keep this snapshot? [y/N]: n", "未保存 nothing written"]
    assert not list((workspace.root / "inbox").glob("*.yaml"))
    result = workspace.cli("fees", "import", str(december_csv(workspace.root / "欠费明细-12月.csv")), "--by", "郑丽",
                           "--yes")
    assert result.code == 0, result.err
    assert "  ✗ 第 7 行 row 7：3-1-101：已收“二百”不是金额" in result.out.splitlines()
    assert result.out.splitlines()[-5:] == [
        ("核对催缴档案 reconciliation：比对 compared 3 份未结案档案；缴清结案 to close 1 户，部分缴费 partly paid 1 户，"
         "收回 recovered 1,635.50 元"),
        f"  = {huang} 3-2-1502：已缴清 1,235.50 元，结案",
        f"  ~ {wang} 3-1-402：已缴 400.00 元，尚欠 600.00 元",
        result.out.splitlines()[-2],
        "核对结果已放入收件箱 reconciliation written: 2 个文件 files（formflow process 或 watch 处理）"]
    assert result.out.splitlines()[-2].startswith("已保存 kept: data/archive/fees/2026-12-20-")
    assert workspace.cli("process").code == 0
    return made


def test_a_second_import_closes_the_paid_records_records_part_payments_and_leaves_the_rest(workspace, monkeypatch):
    made = collection_month(workspace, monkeypatch)
    desk = Desk(workspace)
    huang = desk.record(made["3-2-1502"])
    assert (huang["state"], huang["paid_on"], huang["paid_amount"], huang["outcome"], huang["attempts"]) == (
        "paid", "2026-12-20", "1235.50", "已缴费", 2)
    wang = desk.record(made["3-1-402"])          # partly paid: recorded, still open in its state
    assert (wang["state"], wang["paid_amount"], wang.get("paid_on")) == ("disputed", "400.00", None)
    qian = desk.record(made["99-9-909"])         # untouched
    assert (qian["state"], qian.get("paid_amount")) == ("unreachable", None)
    shown = workspace.cli("show", made["3-2-1502"]).out
    assert "据2026年12月20日欠费清单核对已缴清" in shown
    # the reconciliation went through the engine: a rebuild from the archive gives the same records
    assert workspace.cli("rebuild").code == 0
    assert desk.record(made["3-2-1502"]) == huang and desk.record(made["3-1-402"]) == wang

    # the same list again, and again as .xlsx the next day: nothing more
    again = workspace.cli("fees", "import", str(workspace.root / "欠费明细-12月.csv"), "--yes")
    assert "已经导入过，不再重复保存" in again.out.splitlines()[-1]
    at("2026-12-21", monkeypatch)
    later = workspace.cli("fees", "import", str(december_xlsx(workspace.root / "欠费明细-12月.xlsx")), "--yes")
    assert later.code == 0, later.err
    assert ("核对催缴档案 reconciliation：比对 compared 2 份未结案档案；缴清结案 to close 0 户，部分缴费 partly paid 0 户，"
            "收回 recovered 0.00 元") in later.out.splitlines()
    assert later.out.splitlines()[-1] == "核对结果已放入收件箱 reconciliation written: 0 个文件 files（formflow process 或 watch 处理）"
    assert not list((workspace.root / "inbox").glob("*.yaml"))

    # a list older than one kept (back-filling) reconciles nothing
    older = workspace.cli("fees", "import", str(workspace.root / "欠费明细-12月.xlsx"), "--date", "2026-12-01", "--yes")
    assert older.code == 0 and "核对催缴档案" not in older.out


def test_promises_kept_and_broken_by_the_date(workspace, monkeypatch):
    made = collection_month(workspace, monkeypatch)
    from formflow.app import App
    from formflow.engine.records import replay

    app = App.open(workspace.root)
    workflow = app.defs.workflows["fee_collection"]
    now = dt.datetime(2026, 12, 31, 18, tzinfo=SHANGHAI)

    def judged(unit):
        return [(p.date.isoformat(), p.status) for p in promises(replay(app.store.get(made[unit]), workflow), now,
                                                                   SHANGHAI)]

    assert judged("3-2-1502") == [("2026-12-20", KEPT)]     # paid up by the list of its promised day
    assert judged("3-1-402") == [("2026-12-05", BROKEN)]     # partly paid: not kept
    assert judged("99-9-909") == []
    early = dt.datetime(2026, 12, 4, 18, tzinfo=SHANGHAI)    # before its date ended: still open
    assert [p.status for p in promises(replay(app.store.get(made["3-1-402"]), workflow), early, SHANGHAI)] == [OPEN]


@pytest.mark.parametrize(("paid_on", "today", "status"), [
    ("2026-12-10", "2026-12-20", KEPT), ("2026-12-09", "2026-12-09", KEPT), (None, "2026-12-10", OPEN),
    (None, "2026-12-11", BROKEN), ("2026-12-11", "2026-12-11", BROKEN)])
def test_judge(paid_on, today, status):
    paid = dt.date.fromisoformat(paid_on) if paid_on else None
    assert judge(dt.date(2026, 12, 10), paid, dt.date.fromisoformat(today)) == status


def _item(unit, item, text, owed):
    return Item(1, unit, "", item, period(text), Decimal(owed))


def test_check_by_the_records_own_rows():
    record = OpenRecord("CJ-1", "3-2-1502", "王芳", "2026-11-28",
                        (("物业费", "2026-01至2026-06", Decimal("1200.00")), ("水费", "2026年10月", Decimal("35.50"))),
                        None)
    # a row that went up (late fees on the same period) is not a payment, nor netted against another row's
    rose = check(record, [_item("3-2-1502", "物业费", "2026-01至2026-06", "1000"),
                          _item("3-2-1502", "水费", "2026-10", "40.00")])
    assert (rose.kind, rose.paid, [r.item for r in rose.rose]) == (PART, Decimal("200.00"), ["水费"])
    # gone from the list: paid up; a later period does not count against the record
    gone = check(record, [_item("3-2-1502", "物业费", "2026-12", "200")])
    assert (gone.kind, gone.paid) == (CLOSE, Decimal("1235.50"))
    recorded = dataclasses.replace(record, paid_amount=Decimal("200.00"))   # recorded before: nothing new
    assert check(recorded, [_item("3-2-1502", "物业费", "2026-01至2026-06", "1000"),
                            _item("3-2-1502", "水费", "2026年10月", "35.5")]).kind == NONE


def test_a_list_of_other_buildings_closes_nothing_there():
    """An export of building 6 only says nothing of building 3: its records are left out, not closed as paid."""
    rows = (("物业费", "2026-11", Decimal("500.00")),)
    three, six = (OpenRecord(n, u, "王芳", "2026-11-28", rows, None) for n, u in (("CJ-1", "3-2-1502"), ("CJ-2", "6-1-101")))
    only_six = [_item("6-1-102", "物业费", "2026-11", "300")]          # 6-1-101 gone from its own building: paid
    result = reconcile([three, six], only_six, dt.date(2026, 12, 20))
    assert [(o.record.number, o.kind) for o in result.outcomes] == [("CJ-2", CLOSE)]
    assert result.uncovered == ("CJ-1",)
    assert any("CJ-1" in line and "不核对" in line for line in preview(result))


def test_the_importer_must_be_allowed_to_sign(workspace):
    result = workspace.cli("fees", "import", str(december_csv(workspace.root / "欠费.csv")), "--by", "张伟", "--yes")
    assert result.code == 2 and "“张伟”不能核对催缴档案 cannot sign the reconciliation（需要角色：" in result.err
