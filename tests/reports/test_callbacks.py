"""The monthly callback summary: exact figures for the October of conftest.py, then the command's files."""

from __future__ import annotations

import datetime as dt

from formflow.reports import callbacks as cb
from formflow.reports.base import month_period
from formflow.reports.callbacks import callback_summary

from ..conftest import SHANGHAI
from .conftest import OCT_REPORT, csv_rows, hf, november, pdffonts, pdftext, stored, wx

OCTOBER = month_period("2026-10", SHANGHAI)
NOVEMBER = month_period("2026-11", SHANGHAI)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def summary(office, period=OCTOBER, now=OCT_REPORT):
    defs, records = stored(office)
    return callback_summary(defs, records, period, at(now))


def figures(t: cb.Tally) -> tuple:
    return (t.label, t.owed, t.called_back, t.callback_rate.percent(), t.on_time_rate.percent(),
            t.satisfied_rate.percent(), t.rework)


def test_october_callback_rate_on_time_rate_and_satisfaction(october_office):
    s = summary(october_office)
    t = s.total
    # 5 completions (0001–0004, 0007); 4 called back; 0007's callback is not due until 2 November.
    assert figures(t) == ("合计", 5, 4, "80.0%", "75.0%", "75.0%", 1)
    assert t.statuses == {cb.ON_TIME: 3, cb.LATE: 1, cb.OVERDUE_OPEN: 0, cb.NOT_DUE: 1, cb.VOID: 0, cb.MISSING: 0,
                          cb.NO_DEADLINE: 0}
    assert t.satisfaction == {"满意": 2, "基本满意": 1, "不满意": 1, "未填": 0}
    assert t.callback_rate.reaches(s.target) is False
    assert [(c.repair, c.callback, c.status, c.repair_class) for c in s.completions] == [
        (wx(1), hf(1), cb.ON_TIME, "其他"), (wx(2), hf(3), cb.LATE, "安全设施"), (wx(3), hf(4), cb.ON_TIME, "渗漏水"),
        (wx(4), hf(5), cb.ON_TIME, "其他"), (wx(7), hf(6), cb.NOT_DUE, "其他")]
    assert s.completions[2].rework and s.completions[2].satisfaction == "不满意"
    assert s.completions[4].due == at("2026-11-02T15:00:00+08:00")
    assert [c.repair for c in s.open_completions] == [wx(7)]


def test_october_breakdowns_by_repair_class_and_person(october_office):
    s = summary(october_office)
    assert [figures(t) for t in s.by_class] == [
        ("安全设施", 1, 1, "100.0%", "0.0%", "100.0%", 0),
        ("渗漏水", 1, 1, "100.0%", "100.0%", "0.0%", 1),
        ("其他", 3, 2, "66.7%", "100.0%", "100.0%", 0),
    ]
    assert [figures(t) for t in s.by_person] == [
        ("工程维修部 · 孙磊", 2, 2, "100.0%", "100.0%", "50.0%", 1),
        ("工程维修部 · 张伟", 3, 2, "66.7%", "50.0%", "100.0%", 0),
    ]


def test_october_workload_due_and_done_in_the_month(october_office):
    s = summary(october_office)
    # Callback deadlines due in October: HF-0001 (10-07), -0003 (10-12, late), -0004 (10-18), -0005 (10-22).
    assert (s.due.total, s.due.counts) == (4, {"met": 3, "met_late": 1, "overdue": 0, "open": 0, "cancelled": 0})
    # Done in October: four repair callbacks and the complaint callback.
    assert [(v.callback, v.source_form, v.satisfaction) for v in s.visits] == [
        (hf(1), "维修单", "满意"), (hf(2), "投诉", "满意"), (hf(3), "维修单", "基本满意"), (hf(4), "维修单", "不满意"),
        (hf(5), "维修单", "满意")]
    assert s.visits_by_source == {"维修单": 4, "投诉": 1}
    assert [(v.callback, v.source_record, v.rework) for v in s.problems] == [(hf(4), wx(3), True)]


def test_the_same_month_later_an_unvisited_callback_becomes_overdue(october_office):
    s = summary(october_office, now="2026-11-28T10:00:00+08:00")
    assert figures(s.total) == ("合计", 5, 4, "80.0%", "60.0%", "75.0%", 1)
    assert s.total.statuses[cb.OVERDUE_OPEN] == 1


def test_a_rework_completed_again_is_owed_a_callback_in_its_own_month(october_office):
    november(october_office)
    # Events after the report time are left out: October as of 1 November is unchanged.
    assert figures(summary(october_office).total) == ("合计", 5, 4, "80.0%", "75.0%", "75.0%", 1)
    s = summary(october_office, NOVEMBER, "2026-11-28T10:00:00+08:00")
    assert [(c.repair, c.callback, c.status, c.satisfaction) for c in s.completions] == [
        (wx(3), hf(1, "11"), cb.ON_TIME, "满意")]
    assert figures(s.total) == ("合计", 1, 1, "100.0%", "100.0%", "100.0%", 0)
    assert s.total.callback_rate.reaches(100) is True


def test_a_voided_callback_is_neither_done_nor_on_time(october_office):
    o = october_office
    o.drop(o.act(hf(6), "void", "赵敏", "2026-11-01T08:00"), now="2026-11-01T08:00+08:00")
    s = summary(o)
    assert s.total.statuses[cb.VOID] == 1
    assert figures(s.total) == ("合计", 5, 4, "80.0%", "75.0%", "75.0%", 1)


def test_an_empty_month_has_no_rates(october_office):
    s = summary(october_office, month_period("2026-09", SHANGHAI))
    assert figures(s.total) == ("合计", 0, 0, "—", "—", "—", 0)
    assert (s.by_class, s.by_person, s.visits) == ((), (), ())


# -- the command ---------------------------------------------------------------------------------


def test_report_callbacks_writes_the_pdf_and_csv(october_office):
    ws = october_office.ws
    result = ws.cli("report", "callbacks", "--month", "2026-10", "--now", OCT_REPORT)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == ["已生成 written: outbox/reports/callbacks-2026-10.pdf",
                         "已生成 written: outbox/reports/callbacks-2026-10.csv"]
    assert lines[2] == "2026年10月 维修回访：应回访 5，已回访 4，回访率 80.0%（目标 100%）"
    assert lines[3] == "  按时率 75.0%（3/4）；逾期未回访 0，未到期 1"
    assert lines[4] == "  满意率 75.0%（3/4）；退回返工 1"

    rows = csv_rows(ws.root / "outbox/reports/callbacks-2026-10.csv")
    header, table = rows[0], rows[1:rows.index([])]
    assert header[:5] == ["分组", "名称", "应回访", "已回访", "回访率(%)"]
    by_name = {row[1]: dict(zip(header, row)) for row in table}
    assert list(by_name) == ["合计", "安全设施", "渗漏水", "其他", "工程维修部 · 孙磊", "工程维修部 · 张伟"]
    total = by_name["合计"]
    assert (total["应回访"], total["已回访"], total["回访率(%)"], total["按时率(%)"], total["满意率(%)"],
            total["退回返工"]) == ("5", "4", "80.0", "75.0", "75.0", "1")
    assert (by_name["其他"]["回访率(%)"], by_name["工程维修部 · 张伟"]["按时率(%)"]) == ("66.7", "50.0")
    facts = {row[0]: row[1:] for row in rows[rows.index(["指标", "数值", "说明"]) + 1:]}
    assert facts["回访率目标"] == ["100", "工作手册：对维修服务回访处理率达100%"]
    assert facts["本月完成回访"] == ["5", "维修单 4、投诉 1"]

    text = pdftext(ws.root / "outbox/reports/callbacks-2026-10.pdf")
    assert "2026年10月维修回访汇总分析" in text.replace(" ", "")
    for words in ("回访率", "80.0%", "75.0%", "安全设施", "渗漏水", "工程维修部 · 张伟", "统计口径", "管理处主任",
                  wx(7), hf(6), "卫生间仍渗水，联系 139****5678"):
        assert words in text, words
    assert "13912345678" not in text
    fonts = pdffonts(ws.root / "outbox/reports/callbacks-2026-10.pdf")
    assert fonts and all(f[-5] == "yes" for f in fonts), fonts          # emb
    assert all("Formflow-Sans-SC" in f[0] for f in fonts), fonts


def _pending_section(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """(title row, rows under it up to the next empty row) of the CSV's 尚未回访 section."""
    start = next(i for i, row in enumerate(rows) if row and row[0].startswith("尚未回访"))
    end = rows.index([], start)
    return rows[start], rows[start + 1:end]


def test_report_callbacks_csv_lists_the_repairs_not_called_back(october_office):
    """The CSV carries the list the PDF prints under 五、尚未回访, between the groups and the 指标 rows."""
    ws = october_office.ws
    assert ws.cli("report", "callbacks", "--month", "2026-10", "--now", OCT_REPORT).code == 0
    rows = csv_rows(ws.root / "outbox/reports/callbacks-2026-10.csv")
    title, table = _pending_section(rows)
    assert title == ["尚未回访：本月完工、尚未回访的维修 1 项"]
    assert table == [
        ["完工时间", "维修单", "房号", "类别", "维修部门·人员", "回访记录", "回访期限", "状态"],
        ["2026-10-31 15:00", wx(7), "6-2-901", "其他", "工程维修部 · 张伟", hf(6), "2026-11-02 15:00", "未到期待回访"]]
    assert rows.index(["指标", "数值", "说明"]) > rows.index(title)

    # The same month's report run later: still not called back, now overdue.
    assert ws.cli("report", "callbacks", "--month", "2026-10", "--now", "2026-11-28T10:00+08:00").code == 0
    title, table = _pending_section(csv_rows(ws.root / "outbox/reports/callbacks-2026-10.csv"))
    assert (title, table[1:]) == (["尚未回访：本月完工、尚未回访的维修 1 项"], [
        ["2026-10-31 15:00", wx(7), "6-2-901", "其他", "工程维修部 · 张伟", hf(6), "2026-11-02 15:00", "逾期未回访"]])

    assert ws.cli("report", "callbacks", "--month", "2026-09", "--now", OCT_REPORT).code == 0
    title, table = _pending_section(csv_rows(ws.root / "outbox/reports/callbacks-2026-09.csv"))
    assert (title, table) == (["尚未回访：本月完工、尚未回访的维修 0 项"],
                              [["完工时间", "维修单", "房号", "类别", "维修部门·人员", "回访记录", "回访期限", "状态"]])


def test_report_callbacks_output_folder_default_month_and_bad_month(october_office):
    ws = october_office.ws
    result = ws.cli("report", "callbacks", "-o", "月报", "--now", "2026-10-31T18:00+08:00")
    assert result.code == 0, result.err
    assert (ws.root / "月报" / "callbacks-2026-10.pdf").is_file()
    assert (ws.root / "月报" / "callbacks-2026-10.csv").is_file()
    result = ws.cli("report", "callbacks", "--month", "2026-13")
    assert result.code == 2
    assert "月份应写成 YYYY-MM" in result.err
