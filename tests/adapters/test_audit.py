"""The audit log: appended lines, read oldest first from every station's log, carried by a stick as it grows."""

from __future__ import annotations

import datetime as dt

from formflow.adapters.audit import AuditLog, read_all
from formflow.stations import export_logs, import_logs

TZ = dt.timezone(dt.timedelta(hours=8))


def test_lines_are_appended_read_in_order_and_a_cut_line_is_skipped(tmp_path):
    data = tmp_path / "data"
    log = AuditLog(data, "YGA")
    log.append("signed_in", "李娜", "desk", at=dt.datetime(2026, 11, 28, 9, 0, tzinfo=TZ))
    log.append("stored", "李娜", "file", at=dt.datetime(2026, 11, 28, 8, 0, tzinfo=TZ), file="a.yaml")
    [month] = (data / "archive" / "audit").glob("*.jsonl")
    with open(month, "a", encoding="utf-8") as out:
        out.write('{"at": "2026-11-28T10:00:00+08:00", "event": "sto')  # a crash mid-line
    assert [e["event"] for e in read_all(data)] == ["stored", "signed_in"]


def test_a_stick_carries_the_audit_log_and_what_was_added_since(tmp_path):
    a, b, stick = tmp_path / "a" / "data", tmp_path / "b" / "data", tmp_path / "stick"
    (a / "archive").mkdir(parents=True)
    (b / "archive").mkdir(parents=True)
    log = AuditLog(a, "YGA")
    log.append("signed_in", "李娜", "desk", at=dt.datetime(2026, 11, 28, 9, 0, tzinfo=TZ))
    export_logs(a, "YGA", stick)
    import_logs(b, "YGB", stick)
    assert [(e["station"], e["who"]) for e in read_all(b)] == [("YGA", "李娜")]
    log.append("signed_out", "李娜", "desk", at=dt.datetime(2026, 11, 28, 9, 30, tzinfo=TZ))
    export_logs(a, "YGA", stick)  # the month file grew: carried again
    import_logs(b, "YGB", stick)
    assert [e["event"] for e in read_all(b)] == ["signed_in", "signed_out"]
