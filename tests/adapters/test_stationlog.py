"""Reading the stations' logs: one order for all, each log up to its first gap."""

from __future__ import annotations

import json
from pathlib import Path

from formflow.adapters.stationlog import Entry, Key, LogScan, merged, order_of, peer_entries


def scan_peer(folder: Path, station: str, after: int, previous: int) -> LogScan:
    """The entries read (as ``scan.entries``) and where the scan stopped."""
    scan = LogScan(station)
    scan.entries = list(peer_entries(folder, station, after, previous, scan))
    return scan


def _entry(folder: Path, month: str, seq: int, *, order: int | None = None, data: bool = True,
           received: str = "2026-11-28T10:00:00+08:00") -> None:
    place = folder / month
    place.mkdir(parents=True, exist_ok=True)
    name = f"{seq:09d}-abcdef012345-{seq}.yaml"
    meta = {"seq": seq, "received": received, "hash": "0" * 64, "created": []}
    if order is not None:
        meta["order"] = order
    if data:
        (place / name).write_text("x", encoding="utf-8")
    (place / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")


def test_an_entry_never_comes_before_the_one_its_station_wrote_earlier():
    assert order_of({"order": 500}, 100) == 500
    assert order_of({"order": 50}, 100) == 101  # a clock set back: still after
    # From before stations: the received time, in microseconds.
    assert order_of({"received": "1970-01-01T00:00:01+00:00"}, 0) == 1_000_000
    assert order_of({"received": "not a time"}, 7) == 8


def test_a_log_is_read_up_to_its_first_gap(tmp_path):
    for seq in (1, 2, 4):
        _entry(tmp_path, "2026/11", seq, order=seq * 10)
    scan = scan_peer(tmp_path, "YGB", 0, 0)
    assert [e.key for e in scan.entries] == [Key(10, "YGB", 1), Key(20, "YGB", 2)]
    assert (scan.waiting, scan.beyond) == ("YGB 站第 3 号文件尚未到达", 1)
    _entry(tmp_path, "2026/11", 3, order=30, data=False)  # its meta came before its data
    scan = scan_peer(tmp_path, "YGB", 2, 20)
    assert (scan.entries, scan.waiting) == ([], "YGB 站第 3 号文件的内容尚未到达")
    (tmp_path / "2026/11" / "000000003-abcdef012345-3.yaml").write_text("x", encoding="utf-8")
    assert [e.key.seq for e in scan_peer(tmp_path, "YGB", 2, 20).entries] == [3, 4]


def test_a_later_entry_in_an_earlier_month_is_still_found(tmp_path):
    _entry(tmp_path, "2026/11", 1, order=10)
    _entry(tmp_path, "2026/10", 2, order=20)  # the laptop's clock was set back a month
    _entry(tmp_path, "2026/11", 3, order=30)
    scan = LogScan("YGB")
    found = list(peer_entries(tmp_path, "YGB", 1, 10, scan, from_month="2026/11"))
    assert [e.key.seq for e in found] == [2, 3] and scan.waiting == ""


def test_logs_merge_by_clock_then_station_code():
    def stream(code, orders):
        return iter([Entry(Key(o, code, i + 1), Path(f"{code}{i}"), {}) for i, o in enumerate(orders)])

    keys = [e.key for e in merged([stream("YGB", [5, 9]), stream("YGA", [5, 7])])]
    assert keys == [Key(5, "YGA", 1), Key(5, "YGB", 1), Key(7, "YGA", 2), Key(9, "YGB", 2)]
