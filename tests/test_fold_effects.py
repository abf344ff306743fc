"""Stations with effects between records: a repair's completion makes a callback sheet, a callback sends
the repair back; duties; several documents in one file. Written as a second pair of eyes tried to break
the fold (fold ≠ replay, a number lost); each case here once failed."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formflow.adapters.store import Store
from formflow.app import App
from formflow.engine.records import CONFLICT
from formflow.fold import fold_arrived
from formflow.stations import export_logs, import_logs

from .stations_util import carry, deliver, drop, delivered_in_any_order, log_files, process, state_of, station

R = "WX-YGA-202611-0001"
CODES = ("YGA", "YGB", "YGC")


def new_repair(at="2026-11-20T09:00:00+08:00") -> str:
    return "\n".join([
        "form: repair", "by: 李娜", f"at: {at}", "data:",
        '  reported_at: "2026-11-20 09:00"', "  channel: 电话", "  area: 户内", "  reporter: 何丽萍",
        "  unit: 6-2-0901", '  phone: "13711458096"', "  location: 主卫洗手盆下方",
        "  category: 给排水", "  description: 洗手盆下方漏水", "  urgency: 一般", "  clerk: 李娜"]) + "\n"


def act(record, name, by, at, **data) -> str:
    return json.dumps({"record": record, "action": name, "by": by, "at": at, "data": data}, ensure_ascii=False)


def rebuilt_equals(root: Path) -> tuple[str, str]:
    folded = state_of(root)
    App.open(root).rebuild()
    return folded, state_of(root)


def records(root):
    return {r.number: [e.action for e in r.events] for r in Store(root / "data" / "db").records()}


def held(root):
    return [(h["station"], h["seq"], h["why"]) for h in App.open(root).store.fold_state().get("held", [])]


def setup(tmp_path):
    a, b = station(tmp_path, "YGA"), station(tmp_path, "YGB")
    stick = tmp_path / "stick"
    drop(a, "r.yaml", new_repair())
    drop(a, "d.json", act(R, "dispatch", "李娜", "2026-11-20T09:10:00+08:00", assignee="张伟", team="工程维修部"))
    assert process(a, "2026-11-20T09:10+08:00")[0].endswith(R)
    drop(a, "ar.json", act(R, "arrive", "张伟", "2026-11-20T09:40:00+08:00"))
    drop(a, "sw.json", act(R, "start_work", "张伟", "2026-11-20T09:41:00+08:00"))
    process(a, "2026-11-20T09:45+08:00")
    carry(a, b, stick)
    return a, b, stick


def test_both_stations_complete_the_same_repair_while_apart(tmp_path):
    a, b, stick = setup(tmp_path)
    drop(a, "c.json", act(R, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="换阀门"))
    process(a, "2026-11-20T16:00+08:00")
    drop(b, "c.json", act(R, "complete", "孙磊", "2026-11-20T16:30:00+08:00", work_done="换管子"))
    process(b, "2026-11-20T16:30+08:00")
    carry(a, b, stick)
    carry(b, a, stick)
    assert state_of(a) == state_of(b)
    fa, ra = rebuilt_equals(a)
    assert fa == ra
    for root in (a, b):
        # A's completion came first; B's is a conflict on the repair, and the callback sheet it made keeps
        # its number (flagged as made by an action that did not apply), nothing held.
        assert records(root)[R][-2:] == ["complete", CONFLICT]
        assert held(root) == []
        callback = Store(root / "data" / "db").get("HF-YGB-202611-0001")
        assert callback is not None and "未生效的「完工」生成（同步冲突）" in callback.events[0].note


def test_the_same_file_accepted_twice_by_one_station_folds_as_it_replays(tmp_path):
    a, b, stick = setup(tmp_path)
    c = station(tmp_path, "YGC")
    carry(a, c, stick)
    complete_b = act(R, "complete", "孙磊", "2026-11-20T16:30:00+08:00", work_done="换管子")
    # A completes; C (who got A's log) sends the callback back: R goes to rework.
    drop(a, "c.json", act(R, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="换阀门"))
    process(a, "2026-11-20T16:00+08:00")
    carry(a, c, stick)
    drop(c, "sb.json", act("HF-YGA-202611-0001", "send_back", "李娜", "2026-11-20T16:20:00+08:00", problem_found="仍漏水"))
    assert process(c, "2026-11-20T16:20+08:00") == ["✓ sb.json → HF-YGA-202611-0001"]
    # B, apart, completes too (later): its own entry E1.
    drop(b, "c.json", complete_b)
    assert process(b, "2026-11-20T16:30+08:00") == ["✓ c.json → WX-YGA-202611-0001"]
    # A's log reaches B: E1 is now held (A's completion came first), B's callback is gone.
    export = tmp_path / "stickA"
    export_logs(a / "data", "YGA", export)
    import_logs(b / "data", "YGB", export)
    App.open(b).fold()
    # B sends the repair back to rework itself, and the technician drops the very same completion file again.
    drop(b, "rw.json", act(R, "rework", "李娜", "2026-11-20T16:40:00+08:00"))
    process(b, "2026-11-20T16:40+08:00")
    drop(b, "c2.json", complete_b)
    process(b, "2026-11-20T16:45+08:00")
    # Now C's log arrives at B (its send_back comes before E1 in the office order).
    carry(c, b, stick)
    folded, replayed = rebuilt_equals(b)
    assert folded == replayed


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    base = tmp_path_factory.mktemp("office2")
    a, b, c = (station(base, code) for code in CODES)
    stick = base / "stick"
    drop(a, "r.yaml", new_repair())
    process(a, "2026-11-20T09:05+08:00")
    multi = "\n---\n".join([
        f"record: {R}\naction: dispatch\nby: 李娜\nat: 2026-11-20T09:10:00+08:00\ndata: {{assignee: 张伟, team: 工程维修部}}",
        f"record: {R}\naction: arrive\nby: 张伟\nat: 2026-11-20T09:40:00+08:00\ndata: {{}}",
        f"record: {R}\naction: start_work\nby: 张伟\nat: 2026-11-20T09:41:00+08:00\ndata: {{}}"]) + "\n"
    drop(a, "m.yaml", multi)
    assert process(a, "2026-11-20T09:45+08:00") == [f"✓ m.yaml → {R}, {R}, {R}"]
    carry(a, b, stick)
    carry(a, c, stick)
    drop(a, "c.json", act(R, "complete", "张伟", "2026-11-20T16:00:00+08:00", work_done="换阀门"))
    process(a, "2026-11-20T16:00+08:00")
    drop(b, "c.json", act(R, "complete", "孙磊", "2026-11-20T16:30:00+08:00", work_done="换管子"))
    process(b, "2026-11-20T16:30+08:00")
    carry(a, c, stick)
    drop(c, "sb.json", act("HF-YGA-202611-0001", "send_back", "李娜", "2026-11-20T16:20:00+08:00", problem_found="仍漏水"))
    assert process(c, "2026-11-20T16:20+08:00") == ["✓ sb.json → HF-YGA-202611-0001"]
    drop(a, "v.json", act("HF-YGA-202611-0001", "visit", "王芳", "2026-11-20T16:25:00+08:00", resolved=True, satisfaction="满意"))
    process(a, "2026-11-20T16:25+08:00")
    drop(c, "c2.json", act(R, "complete", "孙磊", "2026-11-20T16:50:00+08:00", work_done="再换"))
    process(c, "2026-11-20T16:50+08:00")
    drop(b, "duty.yaml", "duty: callback_summary\nby: 赵敏\nat: 2026-11-20T17:00:00+08:00\n")
    process(b, "2026-11-20T17:00+08:00")
    drop(b, "r2.yaml", new_repair("2026-11-20T17:05:00+08:00"))
    process(b, "2026-11-20T17:05+08:00")
    for s, t in ((a, b), (b, c), (c, a), (a, b)):
        carry(s, t, stick)
    return {"base": base, "roots": dict(zip(CODES, (a, b, c)))}


def test_office_converges(office):
    roots = office["roots"]
    digests = {code: state_of(root) for code, root in roots.items()}
    assert len(set(digests.values())) == 1, digests
    for root in roots.values():
        before = state_of(root)
        tmp = Path(tempfile.mkdtemp(dir=office["base"])) / "x"
        shutil.copytree(root, tmp)
        App.open(tmp).rebuild()
        assert state_of(tmp) == before


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_observer_any_order(office, data):
    roots = office["roots"]
    assert delivered_in_any_order(roots, office["base"], data, most_cuts=4) == state_of(roots["YGA"])


def test_observer_one_file_at_a_time_in_log_order_reversed(office, tmp_path):
    roots = office["roots"]
    observer = station(tmp_path, "OBS")
    for code in reversed(CODES):
        for f in log_files(roots[code], code):
            deliver(roots, observer, [f])
            App.open(observer).fold()
    assert state_of(observer) == state_of(roots["YGA"])


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_observer_small_chunks(office, tmp_path, chunk):
    roots = office["roots"]
    observer = station(tmp_path, "OBS")
    for code in ("YGC", "YGB", "YGA"):
        deliver(roots, observer, log_files(roots[code], code))
        app = App.open(observer)
        report = fold_arrived(observer, app.defs, app.store, dt.datetime.fromisoformat("2026-11-21T10:00+08:00"),
                              chunk=chunk)
        if report.replay_needed:
            app.rebuild()
        folded = state_of(observer)
        App.open(observer).rebuild()
        assert state_of(observer) == folded
    assert folded == state_of(roots["YGA"])
