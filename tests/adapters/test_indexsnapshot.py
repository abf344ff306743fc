"""The record index snapshot: used where the partitions did not change, brought up to date where they did,
ignored when damaged or when it cannot be brought up to date — and the index always equals a fresh build."""

from __future__ import annotations

import json
import shutil

import pytest

from formflow.adapters import indexsnapshot
from formflow.adapters import storeopen
from formflow.adapters.store import Store
from formflow.engine.records import Event

from .test_store import AT, fill, record, small_partitions  # noqa: F401 - a fixture


def summaries_read(monkeypatch) -> list[str]:
    """Names of the partitions whose summaries (or files) are read to index them, from now on."""
    names = []
    original = storeopen.Indexes.index_partition

    def index_partition(self, name, path):
        names.append(name)
        return original(self, name, path)
    monkeypatch.setattr(storeopen.Indexes, "index_partition", index_partition)
    return names


def view(store: Store) -> tuple:
    """Everything the record index answers."""
    numbers = sorted(s["number"] for s in store.states())
    return (sorted((s["number"], s["state"], s["form_version"]) for s in store.states()),
            {n: store.children(n) for n in numbers}, store.count(),
            store.index(), store.index("callback", lambda form, state: state == "pending"),
            [r.number for r in store.records_where(lambda form, state: state == "assigned")])


def fresh(db) -> tuple:
    """What a store opened with no snapshot answers (built from the summaries alone)."""
    copy = db.parent / f"fresh-{len(list(db.parent.iterdir()))}"
    shutil.copytree(db, copy)
    indexsnapshot.snapshot_path(copy).unlink(missing_ok=True)
    return view(Store(copy))


@pytest.fixture
def db(tmp_path, small_partitions):  # noqa: F811
    db = tmp_path / "db"
    store = Store(db)
    fill(store, range(1, 21))
    store.put(record(21, "callback", parent="TS-2026-00003"), "pending")
    store.commit()
    return db


def test_an_unchanged_store_opens_from_the_snapshot_alone(db, monkeypatch):
    first = Store(db)  # the writer's commits leave no snapshot; the first open saves one
    assert indexsnapshot.snapshot_path(db).is_file()
    read = summaries_read(monkeypatch)
    again = Store(db)
    assert read == []  # no summary, no partition read
    assert view(again) == view(first)
    assert view(again) == fresh(db)
    assert again.get("TS-2026-00017").number == "TS-2026-00017"
    assert again.children("TS-2026-00003") == ["TS-2026-00021"]


def test_partitions_changed_since_are_indexed_again_and_the_rest_comes_from_the_snapshot(db, monkeypatch):
    Store(db)
    writer = Store(db)
    for n in (2, 18):  # two partitions change: records-complaint-2026 and its .5 continuation
        writer.put(writer.get(f"TS-2026-{n:05d}").with_event(Event("assign", "李娜", AT, {"routed_to": "环境部"})),
                   "assigned")
    writer.put(record(22, "callback", parent="TS-2026-00003"), "pending")  # and a new record, with a parent
    writer.commit()
    read = summaries_read(monkeypatch)
    reader = Store(db)
    assert 1 <= len(read) <= 3 and "records-complaint-2026" in read
    assert view(reader) == view(writer) == fresh(db)
    assert reader.children("TS-2026-00003") == ["TS-2026-00021", "TS-2026-00022"]
    assert [r.number for r in reader.records_where(lambda f, s: s == "assigned")] == ["TS-2026-00002",
                                                                                       "TS-2026-00018"]


def test_after_many_changed_partitions_the_snapshot_is_saved_again(db, monkeypatch):
    Store(db)
    writer = Store(db)
    fill(writer, range(23, 23 + 4 * storeopen.SNAPSHOT_REWRITE))  # that many new partitions
    Store(db)  # brings it up to date, and saves it
    read = summaries_read(monkeypatch)
    reader = Store(db)
    assert read == []
    assert view(reader) == fresh(db)


def test_a_record_copied_into_another_partition_makes_a_fresh_build(db, monkeypatch):
    """A hand copy: the same number in two partitions. Which copy wins depends on the partitions' order,
    which only a build from the summaries keeps, so the snapshot is not used."""
    Store(db)
    source, target = db / "records-complaint-2026.json", db / "records-complaint-2026.3.json"
    docs = json.loads(target.read_text("utf-8"))
    moved = json.loads(source.read_text("utf-8"))["_default"]["1"]
    moved["state"] = "closed"
    docs["_default"]["99"] = moved
    target.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    read = summaries_read(monkeypatch)
    reader = Store(db)
    assert len(read) > 2  # every record partition: built afresh
    assert view(reader) == fresh(db)
    assert {s["number"]: s["state"] for s in reader.states()}["TS-2026-00001"] == "closed"  # the later copy


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "other format", "gone partition"])
def test_a_snapshot_that_cannot_be_trusted_is_ignored(db, damage, monkeypatch):
    Store(db)
    path = indexsnapshot.snapshot_path(db)
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0x55
        path.write_bytes(raw)
    elif damage == "truncate":
        path.write_bytes(raw[: len(raw) // 3])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "other format":
        monkeypatch.setattr(indexsnapshot, "SNAPSHOT_FORMAT", indexsnapshot.SNAPSHOT_FORMAT + 1)
    else:  # a partition the snapshot covers is no longer there (its records with it)
        (db / "records-complaint-2026.5.json").unlink()
    read = summaries_read(monkeypatch)
    reader = Store(db)
    assert len(read) >= 5
    assert view(reader) == fresh(db)
    if damage == "gone partition":
        assert reader.count() == 17 and reader.get("TS-2026-00017") is None
    expected = fresh(db)
    read.clear()
    assert view(Store(db)) == expected and read == []  # saved again, and used


def test_a_store_that_cannot_write_its_snapshot_still_opens(db, monkeypatch):
    indexsnapshot.snapshot_path(db).unlink()
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(indexsnapshot.Path, "write_bytes", refuse)
    reader = Store(db)
    assert not indexsnapshot.snapshot_path(db).exists()
    assert view(reader) == fresh(db)
    assert not list((db / "index").glob(".*.tmp"))


@pytest.mark.parametrize("how", ["deleted", "tail restored", "copy removed again"])
def test_records_that_left_a_partition_are_not_kept_from_the_snapshot(db, how):
    """A record deleted by hand, a partition restored from an older backup, a hand copy taken back: the
    snapshot still lists what left, so the index is built afresh (and new records never reuse a document id)."""
    Store(db)
    partition = db / "records-complaint-2026.2.json"
    docs = json.loads(partition.read_text("utf-8"))
    if how == "deleted":
        del docs["_default"]["2"]
        partition.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    elif how == "tail restored":
        writer = Store(db)
        fill(writer, range(22, 24))  # into the tail partition .6 (of four each)
        tail = db / "records-complaint-2026.6.json"
        old_tail = json.loads(tail.read_text("utf-8"))
        Store(db)  # a snapshot that knows both new records
        del old_tail["_default"]["2"]  # the backup from before the second of them
        tail.write_text(json.dumps(old_tail, ensure_ascii=False), encoding="utf-8")
    else:
        target = db / "records-complaint-2026.3.json"
        original = target.read_text("utf-8")
        copied = json.loads(original)
        copied["_default"]["99"] = docs["_default"]["1"]
        target.write_text(json.dumps(copied, ensure_ascii=False), encoding="utf-8")
        assert Store(db).count() == view(Store(db))[2]
        target.write_text(original, encoding="utf-8")
    reader = Store(db)
    assert view(reader) == fresh(db)
    if how == "copy removed again":
        assert reader.get("TS-2026-00005").number == "TS-2026-00005"
    new = record(40)
    reader.put(new, "registered")
    reader.commit()
    ids = [reader._index.locate(number) for number in reader._index.where]
    assert len(ids) == len(set(ids))  # no two records on one document
    assert view(Store(db)) == fresh(db)


def test_the_writer_saves_the_snapshot_when_its_commits_changed_many_partitions(db, monkeypatch):
    """The watcher, idle, asks its store to save the snapshot: the next reader then reads no summary."""
    fill(Store(db), range(100, 400))  # 75 more partitions of four: a store where saving is weighed
    Store(db)
    writer = Store(db)
    writer.put(writer.get("TS-2026-00002").with_event(Event("assign", "李娜", AT, {"routed_to": "环境部"})),
               "assigned")
    writer.commit()
    assert not writer.save_index_snapshot()  # one partition written: not worth a save (~0.1 s at 100k records)
    fill(writer, range(400, 400 + 4 * storeopen.SNAPSHOT_REWRITE))
    writer.put(record(900), "registered")
    assert not writer.save_index_snapshot()  # never with changes pending
    writer.commit()
    assert writer.save_index_snapshot()
    assert not writer.save_index_snapshot()  # nothing written since
    read = summaries_read(monkeypatch)
    reader = Store(db)
    assert read == []
    assert view(reader) == view(writer)
    assert view(reader) == fresh(db)
