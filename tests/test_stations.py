"""Logs carried on a USB stick, this station's own code, and who runs other definitions."""

from __future__ import annotations

import os

from formflow.app import App
from formflow.stations import definitions_in_use, export_logs, import_logs

from .stations_util import complaint, drop, process, station


def test_a_stick_carries_every_log_but_never_into_its_own_station(tmp_path):
    a, b = station(tmp_path, "YGA"), station(tmp_path, "YGB")
    drop(a, "a.yaml", complaint("住户甲", "2026-11-28T09:00:00+08:00"))
    process(a, "2026-11-28T09:10+08:00")
    (a / "data" / "archive" / ".pending").mkdir(exist_ok=True)
    (a / "data" / "archive" / ".pending" / "staged.yaml").write_text("x", encoding="utf-8")
    stick = tmp_path / "stick"
    carried = export_logs(a / "data", "YGA", stick)
    assert carried.stations == {"YGA": 4}  # the file, its meta, its definitions version, its audit lines; nothing staged
    assert not (stick / "YGA" / ".pending").exists()
    (stick / "..evil").mkdir()
    (stick / "lower").mkdir()
    back = import_logs(a / "data", "YGA", stick)
    assert back.files == 0 and back.skipped[1].startswith("YGA（本站自己的记录")
    carried = import_logs(b / "data", "YGB", stick)
    assert carried.stations == {"YGA": 4}
    assert (b / "data" / "stations" / "YGA" / "audit").is_dir()  # who did it travels too
    assert sorted(carried.skipped) == ["..evil（不是站点代码 not a station code）", "lower（不是站点代码 not a station code）"]
    assert import_logs(b / "data", "YGB", stick).files == 0  # what is there is not copied again
    assert not [n for _, _, files in os.walk(b / "data" / "stations") for n in files if n.startswith(".")]
    App.open(b).fold()
    assert App.open(b).store.get("TS-YGA-202611-0001") is not None


def test_each_laptop_numbers_with_its_own_code(workspace):
    workspace.write("station.yaml", "station: YG2\n")
    assert workspace.load().settings.station == "YG2"
    workspace.write("station.yaml", "station: yg2\n")
    result = workspace.cli("check")
    assert result.code == 2 or result.code == 1
    assert "station.yaml:1:1: station: 格式不对 bad format" in result.err


def test_check_names_the_stations_on_other_definitions(tmp_path):
    a, b = station(tmp_path, "YGA"), station(tmp_path, "YGB")
    drop(b, "b.yaml", complaint("住户乙", "2026-11-28T09:00:00+08:00"))
    process(b, "2026-11-28T09:10+08:00")
    stick = tmp_path / "stick"
    export_logs(b / "data", "YGB", stick)
    import_logs(a / "data", "YGA", stick)
    drop(a, "a0.yaml", complaint("住户丙", "2026-11-28T09:05:00+08:00"))
    process(a, "2026-11-28T09:15+08:00")
    current = App.open(a).defs.version_id
    assert definitions_in_use(a / "data", "YGA", current) == []  # both run the shipped definitions
    form = a / "forms" / "complaint.yaml"
    form.write_text(form.read_text(encoding="utf-8").replace("version: 1\n", "version: 2\n", 1), encoding="utf-8")
    drop(a, "a.yaml", complaint("住户甲", "2026-11-28T09:20:00+08:00"))
    process(a, "2026-11-28T09:30+08:00")  # keeps the new version
    newer = App.open(a).defs.version_id
    [line] = definitions_in_use(a / "data", "YGA", newer)
    assert line.startswith("站点 YGB 最近一份文件（2026-11-28 09:10）所用的定义较早 runs older definitions (version ")
