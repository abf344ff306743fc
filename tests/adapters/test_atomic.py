"""Left-over temp files of a killed writer are swept at start: ours only, at any depth, never through a link."""

from __future__ import annotations

import os

from formflow.adapters.atomic import sweep_temp


def test_sweep_takes_temp_files_at_any_depth_and_nothing_else(tmp_path):
    data = tmp_path / "data"
    month = data / "archive" / "2026" / "11"
    month.mkdir(parents=True)
    (data / "db" / "index").mkdir(parents=True)
    left = [data / "db" / ".records-repair-2026.json.1234.tmp", data / "db" / "index" / "..tmp",
            month / ".000000001-abc-x.yaml.99.tmp"]
    kept = [data / "db" / "records-repair-2026.json", month / "000000001-abc-x.yaml", data / ".tmp",
            data / "notes.tmp", data / ".hidden"]
    for path in left + kept:
        path.write_text("x", encoding="utf-8")
    (data / "db" / ".a-folder.tmp").mkdir()  # a folder named like one is not a file to delete
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / ".someone-elses.tmp").write_text("x", encoding="utf-8")
    os.symlink(outside, data / "linked", target_is_directory=True)

    assert sweep_temp(data) == len(left)
    assert not any(path.exists() for path in left)
    assert all(path.exists() for path in kept)
    assert (data / "db" / ".a-folder.tmp").is_dir() and (outside / ".someone-elses.tmp").exists()
    assert sweep_temp(data) == 0 and sweep_temp(tmp_path / "missing") == 0


def test_sweep_leaves_the_folders_another_program_writes(tmp_path):
    ours = tmp_path / "archive" / "2026" / "11" / ".x.json.tmp"
    theirs = tmp_path / "stations" / "YGB" / "2026" / "11" / ".syncthing.y.json.tmp"
    for path in (ours, theirs):
        path.parent.mkdir(parents=True)
        path.write_text("half")
    assert sweep_temp(tmp_path, skip=(tmp_path / "stations",)) == 1
    assert not ours.exists() and theirs.exists()
