"""The archive on its own: the order rebuild replays it in, whatever the month folders say."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from zoneinfo import ZoneInfo

from formflow.adapters import archive as archive_module
from formflow.adapters.archive import Archive

TZ = ZoneInfo("Asia/Shanghai")


def archived(archive: Archive, seq: int, received: dt.datetime) -> str:
    raw = f"file {seq}".encode()
    relative = archive.stage(raw, f"{seq}.yaml", received, seq, hashlib.sha256(raw).hexdigest(), "", [])
    archive.publish([relative])
    return relative


def test_files_come_in_sequence_order_across_months_one_month_listed_at_a_time(tmp_path, monkeypatch):
    archive = Archive(tmp_path / "archive")
    start = dt.datetime(2025, 11, 28, 9, 0, tzinfo=TZ)
    made = [archived(archive, seq, start + dt.timedelta(days=seq)) for seq in range(1, 40, 3)]  # Nov .. Jan
    listed = []
    real_listdir = archive_module.os.listdir
    monkeypatch.setattr(archive_module.os, "listdir", lambda path: listed.append(str(path)) or real_listdir(path))
    order = []
    for path, meta, error in archive.files():
        assert error == "" and path.is_file()
        order.append(meta["path"])
        if len(order) == 1:  # months are listed again when their turn comes, not all held from the start
            assert listed.count(str(tmp_path / "archive" / "2026" / "01")) == 1
    assert order == made
    assert {p.rsplit("/", 1)[0] for p in made} == {"2025/11", "2025/12", "2026/01"}


def test_a_clock_set_back_still_gives_sequence_order(tmp_path):
    """The office clock went back a month for a while: months' sequence ranges overlap; order stays by sequence."""
    archive = Archive(tmp_path / "archive")
    october, november = dt.datetime(2026, 10, 5, tzinfo=TZ), dt.datetime(2026, 11, 5, tzinfo=TZ)
    made = [archived(archive, seq, november if seq % 2 else october) for seq in range(1, 9)]
    assert [meta["path"] for _, meta, _ in archive.files()] == made


def test_an_unreadable_meta_is_named_in_its_place(tmp_path):
    archive = Archive(tmp_path / "archive")
    at = dt.datetime(2026, 11, 5, tzinfo=TZ)
    made = [archived(archive, seq, at) for seq in (1, 2, 3)]
    (archive.folder / (made[1] + ".meta.json")).write_text("{cut", encoding="utf-8")
    found = list(archive.files())
    assert [m["path"] if m else None for _, m, _ in found] == [made[0], None, made[2]]
    assert "存档说明文件无法读取" in found[1][2]
    assert json.loads((archive.folder / (made[0] + ".meta.json")).read_text("utf-8"))["seq"] == 1


def test_a_month_that_cannot_be_listed_is_named_not_skipped(tmp_path, monkeypatch):
    """A rebuild without a month's files would lose their records: the month comes back as an error."""
    archive = Archive(tmp_path / "archive")
    made = [archived(archive, seq, dt.datetime(2026, 9 + seq, 5, tzinfo=TZ)) for seq in (1, 2)]
    real_listdir = archive_module.os.listdir

    def denied(path):
        if str(path).endswith("2026/10"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(archive_module.os, "listdir", denied)
    found = list(archive.files())
    assert [m["path"] for _, m, _ in found if m] == made[1:]
    assert [e for _, m, e in found if m is None] == [
        f"存档文件夹无法读取 archive folder unreadable: [Errno 13] Permission denied: '{tmp_path / 'archive' / '2026' / '10'}'"]


def test_a_month_of_names_is_kept_packed_and_given_back_in_order_unchanged():
    # Chinese, spaces, accents, one name alone, none at all: each comes back as it went in, in order.
    names = sorted(["000000002-abc-投诉 单.yaml.meta.json", "000000001-def-x.yaml.meta.json",
                    "000000010-0-é.pdf.meta.json"])
    assert list(archive_module._Names(names)) == names
    assert list(archive_module._Names(names[:1])) == names[:1]
    assert list(archive_module._Names([])) == []


def test_files_with_chinese_names_replay_in_order(tmp_path):
    archive = Archive(tmp_path / "archive")
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    made = []
    for seq in (3, 1, 2):
        raw = f"file {seq}".encode()
        made.append(archive.stage(raw, f"投诉{seq}.yaml", start, seq, hashlib.sha256(raw).hexdigest(), "", []))
    archive.publish(made)
    assert [meta["seq"] for _, meta, _ in archive.files()] == [1, 2, 3]
    assert [path.name for path, _, _ in archive.files()] == sorted(p.rsplit("/", 1)[1] for p in made)
