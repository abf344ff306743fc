"""`formflow sync export/import/status/fold` through the real entry point."""

from __future__ import annotations

import json

from formflow.cli import main

from ..stations_util import complaint, drop, process, station


def test_a_stick_round_trip_from_the_command_line(tmp_path, capsys):
    a, b = station(tmp_path, "YGA"), station(tmp_path, "YGB")
    drop(a, "a.yaml", complaint("住户甲", "2026-11-28T09:00:00+08:00"))
    process(a, "2026-11-28T09:10+08:00")
    stick = tmp_path / "U盘"
    assert main(["sync", "export", "--root", str(a), "--to", str(stick)]) == 0
    assert capsys.readouterr().out.splitlines() == ["  YGA: 4 个新文件 new files",
                                                    f"已导出 exported 4 个文件 files → {stick}"]
    assert main(["sync", "import", "--root", str(b), "--from", str(stick)]) == 0
    assert capsys.readouterr().out.splitlines() == ["  YGA: 4 个新文件 new files", "已合并 folded: 1 个文件 files"]
    assert main(["sync", "fold", "--root", str(b)]) == 0
    assert capsys.readouterr().out == "没有新到达的记录 nothing new from other stations\n"
    assert main(["sync", "status", "--root", str(b), "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["station"], found["records"], found["logs"]["YGA"]["folded"]) == ("YGB", 1, 1)
    assert found["held"] == [] and found["conflicts"] == [] and len(found["digest"]) == 64
    assert main(["sync", "status", "--root", str(a)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"digest: {found['digest']}"  # the same records
    assert main(["sync", "import", "--root", str(b), "--from", str(tmp_path / "none")]) == 1
    assert "找不到文件夹" in capsys.readouterr().err
