"""Several stations, one office: the same logs give the same records, whatever order they arrive in.

Three real stations register and act (some on the same record while apart), carry their logs to one
another, and an observer receives every file in many orders and parts; every fold is compared with a
full replay of what it holds, and the end with everyone else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formflow.adapters.store import Store
from formflow.app import App
from formflow.engine.records import CONFLICT

from .stations_util import (action, carry, complaint, deliver, drop, delivered_in_any_order, log_files, process, state_of,
                            station)

CODES = ("YGA", "YGB", "YGC")


def _edit_complaint_form(root: Path) -> None:
    """A supervisor's edit at one station: version 2, a new required field."""
    path = root / "forms" / "complaint.yaml"
    text = path.read_text(encoding="utf-8").replace("version: 1\n", "version: 2\n", 1)
    anchor = "      - {name: complainant,"
    line = next(ln for ln in text.splitlines(keepends=True) if ln.startswith(anchor))
    path.write_text(text.replace(line, line + "      - {name: id_last4, label: 证件后四位, type: text, required: true}\n"),
                    encoding="utf-8")


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> dict:
    """Three stations' history: registrations, one exchange, then actions while apart (two conflicts,
    one form edited at one station), and a full exchange at the end."""
    base = tmp_path_factory.mktemp("office")
    a, b, c = (station(base, code) for code in CODES)
    stick = base / "stick"
    given_numbers = {}
    drop(a, "a1.yaml", complaint("住户甲", "2026-11-28T09:00:00+08:00"))
    drop(a, "a2.yaml", complaint("住户乙", "2026-11-28T09:05:00+08:00"))
    given_numbers["a"] = process(a, "2026-11-28T09:10+08:00")
    drop(b, "b1.yaml", complaint("住户丙", "2026-11-28T09:20:00+08:00"))
    given_numbers["b"] = process(b, "2026-11-28T09:30+08:00")
    carry(a, b, stick)
    carry(b, c, stick)
    carry(c, a, stick)
    # Apart: A and B assign A's first complaint (B later: a conflict); C assigns B's; B's form changes.
    drop(a, "x.yaml", action("TS-YGA-202611-0001", "assign", "李娜", "{routed_to: 环境部}"))
    process(a, "2026-11-28T10:00+08:00")
    drop(c, "x.yaml", action("TS-YGB-202611-0001", "assign", "李娜", "{routed_to: 工程维修部}"))
    process(c, "2026-11-28T10:02+08:00")
    drop(b, "x.yaml", action("TS-YGA-202611-0001", "assign", "王芳", "{routed_to: 工程维修部}"))
    process(b, "2026-11-28T10:05+08:00")
    _edit_complaint_form(b)
    drop(b, "b2.yaml", complaint("住户丁", "2026-11-28T10:08:00+08:00").replace("  receiver: 李娜\n",
                                                                             "  receiver: 李娜\n  id_last4: '1234'\n"))
    given_numbers["b2"] = process(b, "2026-11-28T10:10+08:00")
    # A declares its second complaint invalid; C, not knowing, assigns it later: a conflict.
    drop(a, "y.yaml", action("TS-YGA-202611-0002", "mark_invalid", "赵敏", "{result: 重复投诉}"))
    process(a, "2026-11-28T10:15+08:00")
    drop(c, "y.yaml", action("TS-YGA-202611-0002", "assign", "李娜", "{routed_to: 环境部}"))
    process(c, "2026-11-28T10:20+08:00")
    drop(c, "c1.yaml", complaint("住户戊", "2026-11-28T10:25:00+08:00"))
    given_numbers["c"] = process(c, "2026-11-28T10:30+08:00")
    for source, target in ((a, b), (b, c), (c, a), (a, b)):
        carry(source, target, stick)
    return {"base": base, "roots": dict(zip(CODES, (a, b, c))), "given": given_numbers}


def test_every_station_ends_with_the_same_records_conflicts_and_numbers(office):
    roots = office["roots"]
    assert office["given"] == {"a": ["✓ a1.yaml → TS-YGA-202611-0001", "✓ a2.yaml → TS-YGA-202611-0002"],
                               "b": ["✓ b1.yaml → TS-YGB-202611-0001"], "b2": ["✓ b2.yaml → TS-YGB-202611-0002"],
                               "c": ["✓ c1.yaml → TS-YGC-202611-0001"]}
    digests = {code: state_of(root) for code, root in roots.items()}
    assert len(set(digests.values())) == 1, digests
    for root in roots.values():
        records = {r.number: r for r in Store(root / "data" / "db").records()}
        assert sorted(records) == ["TS-YGA-202611-0001", "TS-YGA-202611-0002", "TS-YGB-202611-0001",
                                   "TS-YGB-202611-0002", "TS-YGC-202611-0001"]
        first, second = records["TS-YGA-202611-0001"], records["TS-YGA-202611-0002"]
        # The earlier assignment applies; the later one is kept, flagged, with who did what.
        assert [e.action for e in first.events] == ["create", "assign", CONFLICT]
        assert first.events[1].data["routed_to"] == "环境部"
        assert first.events[2].note.startswith("YGB 站 王芳 于 2026-11-28 10:05")
        assert "转交部门：工程维修部" in first.events[2].note
        assert [e.action for e in second.events] == ["create", "mark_invalid", CONFLICT]
        assert second.events[2].note.startswith("YGC 站 李娜 于 2026-11-28 10:20")
        # Form versions are those each record was made under, at every station.
        assert records["TS-YGB-202611-0002"].form_version == 2
        assert records["TS-YGB-202611-0001"].form_version == 1
        assert records["TS-YGB-202611-0002"].events[0].data["id_last4"] == "1234"


def test_conflicts_are_on_the_supervisors_list_until_an_ordinary_action(office, tmp_path):
    a = tmp_path / "YGA"
    shutil.copytree(office["roots"]["YGA"], a)
    tasks = App.open(a).todo(_at("2026-11-28T11:00+08:00"))
    flagged = [t for t in tasks if t.clock == CONFLICT]
    assert [(t.record, t.task, t.who) for t in flagged] == [
        ("TS-YGA-202611-0001", "处理同步冲突", ("supervisor",)), ("TS-YGA-202611-0002", "处理同步冲突", ("supervisor",))]
    drop(a, "start.yaml", action("TS-YGA-202611-0001", "start", "张伟", "{actions: 已联系住户}"))
    assert process(a, "2026-11-28T11:05+08:00") == ["✓ start.yaml → TS-YGA-202611-0001"]
    tasks = App.open(a).todo(_at("2026-11-28T11:10+08:00"))
    assert [t.record for t in tasks if t.clock == CONFLICT] == ["TS-YGA-202611-0002"]


def test_own_counters_count_only_own_records_and_a_rebuild_changes_nothing(office, tmp_path):
    c = tmp_path / "YGC"
    shutil.copytree(office["roots"]["YGC"], c)
    before = state_of(c)
    report = App.open(c).rebuild()
    assert (report.records, report.held) == (5, 0)
    assert state_of(c) == before
    drop(c, "c2.yaml", complaint("住户己", "2026-11-28T11:00:00+08:00"))
    assert process(c, "2026-11-28T11:05+08:00") == ["✓ c2.yaml → TS-YGC-202611-0002"]


def test_an_action_whose_record_has_not_arrived_is_held_then_applied(office, tmp_path):
    roots = office["roots"]
    observer = station(tmp_path, "OBS")
    deliver(roots, observer, log_files(roots["YGB"], "YGB"))
    app = App.open(observer)
    report = app.fold()
    assert report.held == 1
    held = app.store.fold_state()["held"]
    assert [(h["station"], h["seq"], h["why"]) for h in held] == [
        ("YGB", 2, "要办理的记录 TS-YGA-202611-0001 尚未到达")]
    deliver(roots, observer, log_files(roots["YGA"], "YGA") + log_files(roots["YGC"], "YGC"))
    report = App.open(observer).fold()
    # A's files belong before B's: B's three are undone and applied again after them (no full replay).
    assert (report.applied, report.undone, report.held, report.replayed) == (7, 3, 0, False)
    assert state_of(observer) == state_of(roots["YGA"])


def test_a_file_under_definitions_not_yet_arrived_waits_for_them(office, tmp_path):
    roots = office["roots"]
    observer = station(tmp_path, "OBS")
    files = log_files(roots["YGA"], "YGA") + log_files(roots["YGB"], "YGB")
    b_versions = [f for f in files if f.startswith("YGB/definitions/")]
    assert len(b_versions) == 2  # before and after the edit
    late = max(b_versions, key=lambda f: (roots["YGB"] / "data" / "archive" / f.split("/", 1)[1]).stat().st_mtime_ns)
    deliver(roots, observer, [f for f in files if f != late])
    app = App.open(observer)
    report = app.fold()
    assert report.held == 0
    assert report.waiting == {"YGB": "YGB 站第 3 号文件所用的表单定义版本尚未到达"}
    assert app.store.get("TS-YGB-202611-0002") is None
    deliver(roots, observer, [late])
    App.open(observer).fold()
    assert App.open(observer).store.get("TS-YGB-202611-0002").form_version == 2


def test_a_store_from_before_stations_replays_every_log_once(office, tmp_path):
    """Events stored before entries were keyed cannot be undone one by one: the first late file makes
    the station replay every log (and the store it builds has keys from then on)."""
    roots = office["roots"]
    observer = station(tmp_path, "OBS")
    deliver(roots, observer, log_files(roots["YGB"], "YGB") + log_files(roots["YGC"], "YGC"))
    App.open(observer).fold()
    drop(observer, "own.yaml", complaint("本站住户", "2026-11-28T09:40:00+08:00"))
    process(observer, "2026-11-28T09:45+08:00")  # (an own file, so the store has history of its own)
    app = App.open(observer)
    state = app.store.fold_state()
    del state["high"]  # as a store written before stations kept it
    app.store.set_fold_state(state)
    app.store.commit()
    deliver(roots, observer, log_files(roots["YGA"], "YGA"))
    report = App.open(observer).fold()
    assert report.replayed and report.undone == 0
    assert App.open(observer).store.fold_high() is not None
    # Another station holding the same four logs, folded file by file in the usual way, agrees.
    sources = {**roots, "OBS": observer}
    reference = station(tmp_path, "REF")
    for code, root in sources.items():
        deliver(sources, reference, log_files(root, code))
        App.open(reference).fold()
    assert state_of(observer) == state_of(reference)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_delivery_order_in_any_parts_folds_to_the_same_records(office, data):
    """Files of the three logs — data, metas, definition versions — arrive one by one in any order, in
    parts; after each part the fold equals a full replay of what is held; in the end, everyone's records."""
    roots = office["roots"]
    assert delivered_in_any_order(roots, office["base"], data, most_cuts=3) == state_of(roots["YGA"])


def _at(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def big_log(tmp_path_factory) -> Path:
    """A station whose log holds 1,500 registrations (one pass)."""
    base = tmp_path_factory.mktemp("big")
    source = station(base, "YGS")
    for i in range(1500):
        drop(source, f"{i:05d}.yaml", complaint(f"住户{i}", "2026-11-28T09:00:00+08:00"))
    assert len(process(source, "2026-11-28T09:30+08:00")) == 1500
    return source


@pytest.mark.parametrize("mode", ["append", "undo"])
def test_a_fold_killed_at_any_moment_ends_as_one_uninterrupted(big_log, tmp_path, mode):
    """SIGKILL a `sync fold` of a 1,500-file log again and again; the next run finishes it, and the
    records are those of the station that wrote the log (plus, when the observer had a file of its own
    received after them — undone and applied again behind them — that one)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    observer = station(tmp_path, "OBS")
    if mode == "undo":  # something of its own, later than the incoming log: undone, applied again after it
        drop(observer, "own.yaml", complaint("本站住户", "2026-11-28T09:40:00+08:00"))
        assert process(observer, "2026-11-28T09:45+08:00") == ["✓ own.yaml → TS-OBS-202611-0001"]
    deliver({"YGS": big_log}, observer, log_files(big_log, "YGS"))
    env = {**os.environ, "FORMFLOW_NOW": "2026-11-28T10:00+08:00"}
    command = [sys.executable, "-m", "formflow", "sync", "fold", "--root", str(observer)]
    for delay in (0.7, 1.2, 1.8):  # from start-up to the last commit
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    records = {r.number for r in Store(observer / "data" / "db").records()}
    wanted = {r.number for r in Store(big_log / "data" / "db").records()}
    assert records == wanted | ({"TS-OBS-202611-0001"} if mode == "undo" else set())
    assert len(wanted) == 1500
    reference = station(tmp_path / "clean", "OBS")
    if mode == "undo":
        drop(reference, "own.yaml", complaint("本站住户", "2026-11-28T09:40:00+08:00"))
        process(reference, "2026-11-28T09:45+08:00")
    deliver({"YGS": big_log}, reference, log_files(big_log, "YGS"))
    App.open(reference).fold()
    assert state_of(observer) == state_of(reference)


def test_reports_cover_every_station_held_or_one_of_them(office, tmp_path, capsys):
    """A headquarters (or any station) reports across all the logs it holds, or per station."""
    import re

    from formflow.cli import main

    root = office["roots"]["YGC"]
    due = {}
    for code in ("all", "YGA", "YGB", "YGC"):
        capsys.readouterr()
        assert main(["report", "deadlines", "--month", "2026-11", "--station", code, "--now",
                     "2026-11-28T12:00+08:00", "--root", str(root), "-o", str(tmp_path)]) == 0
        due[code] = int(re.search(r"到期 (\d+)", capsys.readouterr().out)[1])
    assert due == {"all": 5, "YGA": 2, "YGB": 2, "YGC": 1}
    assert (tmp_path / "deadlines-2026-11-YGB.csv").is_file() and (tmp_path / "deadlines-2026-11.csv").is_file()
    assert main(["report", "deadlines", "--station", "../x", "--root", str(root)]) == 2


def test_records_folded_in_from_another_station_are_printed_here_too(tmp_path):
    """A station prints on paper what it folds in: the other station's new complaint and the repair its own
    action moved, not only what came through its own inbox."""
    a, b = station(tmp_path, "YGA"), station(tmp_path, "YGB")
    settings = b / "formflow.yaml"  # B prints record PDFs (the stations of these tests do not, to be quick)
    settings.write_text(settings.read_text(encoding="utf-8").replace("record_pdfs: false", "record_pdfs: true"),
                        encoding="utf-8")
    drop(a, "a1.yaml", complaint("住户甲", "2026-11-28T09:00:00+08:00"))
    [line] = process(a, "2026-11-28T09:10+08:00")
    number = line.split("→ ")[1]
    carry(a, b, tmp_path / "stick")
    app = App.open(b)
    assert number in app.outbox.pending()  # queued by the fold, before its commit
    app.write_outputs(app.now())
    assert (b / "outbox" / "records" / "complaint" / f"{number}.pdf").is_file()
