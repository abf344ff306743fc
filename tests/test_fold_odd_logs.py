"""Other stations' logs as they may really arrive: a laptop's clock set back across a month, a meta that
is not what formflow writes. Each case here once failed (a second pair of eyes tried to break the fold)."""
from __future__ import annotations

import datetime as dt
import json

from formflow.adapters.store import Store
from formflow.app import App

from .stations_util import action, complaint, deliver, drop, log_files, process, state_of, station


def test_next_entry_in_an_earlier_month_folder_is_folded(tmp_path):
    b = station(tmp_path, "YGB")
    drop(b, "b1.yaml", complaint("住户甲", "2026-12-05T09:00:00+08:00"))
    assert process(b, "2026-12-05T09:10+08:00") == ["✓ b1.yaml → TS-YGB-202612-0001"]   # clock a week ahead
    drop(b, "b2.yaml", complaint("住户乙", "2026-11-28T09:00:00+08:00"))
    assert process(b, "2026-11-28T09:10+08:00") == ["✓ b2.yaml → TS-YGB-202611-0001"]  # clock put right
    files = log_files(b, "YGB")
    obs = station(tmp_path, "OBS")
    first = [f for f in files if "/2026/12/" in f or "definitions" in f]
    deliver({"YGB": b}, obs, first)
    App.open(obs).fold()
    deliver({"YGB": b}, obs, [f for f in files if f not in first])
    App.open(obs).fold()
    folded = state_of(obs)
    numbers = sorted(r.number for r in Store(obs / "data" / "db").records())
    assert numbers == ["TS-YGB-202611-0001", "TS-YGB-202612-0001"]
    App.open(obs).rebuild()
    assert numbers == sorted(r.number for r in Store(obs / "data" / "db").records())
    assert state_of(obs) == folded


def test_a_peer_meta_with_a_non_text_received_time_is_held_and_intake_goes_on(tmp_path):
    b = station(tmp_path, "YGB")
    drop(b, "b1.yaml", complaint("住户甲", "2026-11-28T09:00:00+08:00"))
    process(b, "2026-11-28T09:10+08:00")
    obs = station(tmp_path, "OBS")
    deliver({"YGB": b}, obs, log_files(b, "YGB"))
    meta = next((obs / "data" / "stations" / "YGB").glob("2026/11/*.meta.json"))
    doc = json.loads(meta.read_text()); doc["received"] = 20261128; meta.write_text(json.dumps(doc))
    drop(obs, "own.yaml", complaint("本站住户", "2026-11-28T09:40:00+08:00"))
    assert process(obs, "2026-11-28T09:45+08:00") == ["✓ own.yaml → TS-OBS-202611-0001"]
    [held] = App.open(obs).store.fold_state()["held"]
    assert (held["station"], held["seq"]) == ("YGB", 1) and "收到时间无效" in held["why"]


def test_a_late_odd_entry_does_not_take_back_what_this_station_did(tmp_path):
    """A late entry before this station's own action, with a meta that cannot be read: it is held, the
    undone action is applied again, and the watcher's next pass commits the store with it."""
    b = station(tmp_path, "YGB")
    drop(b, "b1.yaml", complaint("住户甲", "2026-11-28T09:00:00+08:00"))
    process(b, "2026-11-28T09:10+08:00")
    obs = station(tmp_path, "OBS")
    deliver({"YGB": b}, obs, log_files(b, "YGB"))
    App.open(obs).fold()
    drop(obs, "x.yaml", action("TS-YGB-202611-0001", "assign", "李娜", "{routed_to: 环境部}"))
    assert process(obs, "2026-11-28T10:00+08:00") == ["✓ x.yaml → TS-YGB-202611-0001"]
    drop(b, "x.yaml", action("TS-YGB-202611-0001", "assign", "王芳", "{routed_to: 工程维修部}"))
    process(b, "2026-11-28T09:30+08:00")
    deliver({"YGB": b}, obs, log_files(b, "YGB"))
    meta = sorted((obs / "data" / "stations" / "YGB").glob("2026/11/*.meta.json"))[-1]
    doc = json.loads(meta.read_text()); doc["received"] = 1; meta.write_text(json.dumps(doc))
    app = App.open(obs)
    app.take_arrivals()
    drop(obs, "own2.yaml", complaint("住户乙", "2026-11-28T10:30:00+08:00"))
    app.engine.run_pass(lambda: dt.datetime.fromisoformat("2026-11-28T10:30+08:00"))
    events = [e.action for e in App.open(obs).store.get("TS-YGB-202611-0001").events]
    assert events == ["create", "assign"], events
    assert App.open(obs).store.get("TS-YGB-202611-0001").events[1].by == "李娜"  # this station's own
    assert [h["seq"] for h in App.open(obs).store.fold_state()["held"]] == [2]
