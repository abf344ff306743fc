"""The monthly deadline report: exact figures for the October of conftest.py, then the command's files."""

from __future__ import annotations

import datetime as dt

from formflow.reports import deadlines as dl
from formflow.reports.base import month_period
from formflow.reports.deadlines import deadline_summary

from ..conftest import SHANGHAI
from .conftest import OCT_REPORT, csv_rows, november, pdffonts, pdftext, stored, wx

OCTOBER = month_period("2026-10", SHANGHAI)


def summary(office, now=OCT_REPORT, period=OCTOBER):
    defs, records = stored(office)
    return deadline_summary(defs, records, period, dt.datetime.fromisoformat(now))


def counts(row: dl.ClockTally) -> tuple:
    c = row.counts
    return (row.total, c[dl.ON_TIME], c[dl.LATE], c[dl.OVERDUE_OPEN], c[dl.OPEN], c[dl.CANCELLED],
            row.on_time_rate.percent())


def test_october_deadlines_per_form_and_clock(october_office):
    s = summary(october_office)
    rows = {(r.form, r.clock): counts(r) for r in s.active_rows}
    assert rows == {
        # total, met, met late, overdue, open, cancelled, on-time rate
        ("callback", "callback"): (4, 3, 1, 0, 0, 0, "75.0%"),
        ("repair", "urgent_arrival"): (1, 1, 0, 0, 0, 0, "100.0%"),
        # 0001, 0002, 0004 on time; 0003 completed 10-15 11:00 after 10-15 09:00; 0005 never completed; 0006 voided.
        ("repair", "finish"): (5, 3, 1, 1, 0, 1, "60.0%"),
        # 0003 sent back 10-16 10:00, due 10-18 10:00, reworked only on 3 November.
        ("repair", "rework"): (1, 0, 0, 1, 0, 0, "0.0%"),
    }
    assert counts(s.total) == (11, 7, 2, 2, 0, 1, "63.6%")
    # Every clock of every workflow has a row (zeros included), in definition order.
    assert len(s.rows) == sum(len(w.clocks) for w in stored(october_office)[0].workflows.values())
    assert [(b.record, b.clock, b.outcome) for b in s.breaches] == [
        ("HF-YG-202610-0003", "callback", dl.LATE), (wx(3), "finish", dl.LATE),
        (wx(3), "rework", dl.OVERDUE_OPEN), (wx(5), "finish", dl.OVERDUE_OPEN)]


def test_a_report_run_before_the_month_ends_leaves_deadlines_open(october_office):
    s = summary(october_office, now="2026-10-27T12:00:00+08:00")
    rows = {(r.form, r.clock): counts(r) for r in s.active_rows}
    # 0005's finish (due 10-28 09:00) is still ahead; 0007 was not reported yet; 0006 was voided already.
    assert rows[("repair", "finish")] == (5, 3, 1, 0, 1, 1, "75.0%")
    assert counts(s.total) == (11, 7, 2, 1, 1, 1, "70.0%")


def test_rework_done_later_is_met_late(october_office):
    november(october_office)
    s = summary(october_office, now="2026-11-28T10:00:00+08:00")
    rows = {(r.form, r.clock): counts(r) for r in s.active_rows}
    assert rows[("repair", "rework")] == (1, 0, 1, 0, 0, 0, "0.0%")
    assert rows[("repair", "finish")] == (5, 3, 1, 1, 0, 1, "60.0%")


def test_report_deadlines_writes_the_pdf_and_csv(october_office):
    ws = october_office.ws
    result = ws.cli("report", "deadlines", "--month", "2026-10", "--now", OCT_REPORT)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "已生成 written: outbox/reports/deadlines-2026-10.pdf",
        "已生成 written: outbox/reports/deadlines-2026-10.csv",
        "2026年10月 期限：到期 11，按时率 63.6%（7/11）；逾期完成 2，逾期未办 2，未到期 0",
        "  回访记录 · 维修回访：4 项，按时 3、逾期完成 1、逾期未办 0、未到期 0",
        "  维修派工单 · 紧急维修到场：1 项，按时 1、逾期完成 0、逾期未办 0、未到期 0",
        "  维修派工单 · 维修完工：5 项，按时 3、逾期完成 1、逾期未办 1、未到期 0",
        "  维修派工单 · 返工整改：1 项，按时 0、逾期完成 0、逾期未办 1、未到期 0",
    ]
    rows = csv_rows(ws.root / "outbox/reports/deadlines-2026-10.csv")
    table = [dict(zip(rows[0], row)) for row in rows[1:rows.index([])]]
    assert rows[rows.index([]) + 1] == ["指标", "数值", "说明"]
    finish = next(r for r in table if r["期限"] == "维修完工")
    assert (finish["表单"], finish["到期数"], finish["按时完成"], finish["逾期完成"], finish["逾期未办"],
            finish["作废/无效"], finish["按时率(%)"]) == ("维修派工单", "5", "3", "1", "1", "1", "60.0")
    assert table[-1]["表单"] == "合计" and table[-1]["按时率(%)"] == "63.6"
    quiet = next(r for r in table if r["期限"] == "转呈部门主管")
    assert (quiet["到期数"], quiet["按时率(%)"]) == ("0", "")

    pdf = ws.root / "outbox/reports/deadlines-2026-10.pdf"
    text = pdftext(pdf)
    assert "2026年10月期限执行情况" in text.replace(" ", "")
    for words in ("63.6%", "维修派工单 · 维修完工", "逾期清单", wx(5), "逾期未办", "统计口径"):
        assert words in text, words
    assert all(f[-5] == "yes" for f in pdffonts(pdf))


def test_every_report_of_an_empty_workspace_prints_zeros_and_dashes(workspace):
    for args, line in ((("callbacks", "--month", "2026-11"), "2026年11月 维修回访：应回访 0，已回访 0，回访率 —（目标 100%）"),
                       (("survey",), "2026年 业主意见征询：回收 0 份 / 0 户，应发放 — 户，回收率 —"),
                       (("deadlines",), "2026年11月 期限：到期 0，按时率 —；逾期完成 0，逾期未办 0，未到期 0")):
        result = workspace.cli("report", *args)
        assert result.code == 0, result.err
        assert result.out.splitlines()[2] == line
    names = sorted(p.name for p in (workspace.root / "outbox" / "reports").iterdir())
    assert names == ["callbacks-2026-11.csv", "callbacks-2026-11.pdf", "deadlines-2026-11.csv", "deadlines-2026-11.pdf",
                     "survey-2026.csv", "survey-2026.pdf"]
    assert "本月没有到期的期限" in pdftext(workspace.root / "outbox/reports/deadlines-2026-11.pdf")
