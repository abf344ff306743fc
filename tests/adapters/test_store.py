"""The store on its own: bounded partitions, indexes rebuilt on open, old layouts, the WAL and its lock."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from zoneinfo import ZoneInfo

import pytest

from formflow.adapters import partitions as partitions_module
from formflow.adapters import partitionset as partitionset_module
from formflow.adapters import store as store_module
from formflow.adapters import storeopen
from formflow.adapters.store import Store, record_to_doc
from formflow.engine.records import Event, Record

TZ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)


def record(n: int, form: str = "complaint", *, year: int = 2026, parent: str = "", actions: int = 0) -> Record:
    at = AT.replace(year=year)
    events = [Event("create", "李娜", at, {"complainant": f"住户{n}", "unit": "3-2-1502"})]
    events += [Event("assign", "李娜", at + dt.timedelta(hours=i + 1), {"routed_to": "工程维修部"})
               for i in range(actions)]
    return Record(f"TS-{year}-{n:05d}", form, tuple(events), 1, 1, parent)


def digest(n: int) -> str:
    return hashlib.sha256(f"file {n}".encode()).hexdigest()


def fill(store: Store, numbers, *, state: str = "registered", form: str = "complaint") -> None:
    for n in numbers:
        store.put(record(n, form), state)
        store.note_submission(digest(n), {"name": f"{n}.yaml", "received": AT.isoformat(),
                                          "records": [f"TS-2026-{n:05d}"], "archive": f"2026/11/{n}.yaml"})
    store.commit()


@pytest.fixture
def small_partitions(monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK_RECORDS", 4)
    monkeypatch.setattr(store_module, "CHUNK_SUBMISSIONS", 5)
    monkeypatch.setattr(partitionset_module, "CACHED_PARTITIONS", 2)
    monkeypatch.setattr(store_module, "CACHED_RECORDS", 3)


def test_partitions_stay_bounded_and_a_commit_rewrites_only_what_changed(tmp_path, small_partitions):
    db = tmp_path / "db"
    store = Store(db)
    fill(store, range(1, 11))
    names = sorted(p.name for p in db.glob("*.json"))
    assert names == ["records-complaint-2026.2.json", "records-complaint-2026.3.json",
                     "records-complaint-2026.json", "submissions-2026.2.json", "submissions-2026.json"]
    assert len(json.loads((db / "records-complaint-2026.3.json").read_text("utf-8"))["_default"]) == 2

    before = {p.name: p.stat().st_mtime_ns for p in db.glob("*.json")}
    time.sleep(0.01)
    changed = store.get("TS-2026-00002")
    store.put(changed.with_event(Event("assign", "李娜", AT, {"routed_to": "环境部"})), "assigned")
    store.commit()
    after = {p.name: p.stat().st_mtime_ns for p in db.glob("*.json")}
    assert [n for n in after if after[n] != before[n]] == ["records-complaint-2026.json"]
    assert not (db / "wal.json").exists()

    reopened = Store(db)
    assert reopened.count() == 10
    assert [r.number for r in reopened.records()] == [f"TS-2026-{n:05d}" for n in range(1, 11)]
    assert reopened.get("TS-2026-00002").events[-1].data == {"routed_to": "环境部"}
    assert reopened.submission(digest(7))["records"] == ["TS-2026-00007"]
    assert reopened.submission(digest(70)) is None
    assert len(list(reopened.submissions())) == 10
    assert {s["number"]: s["state"] for s in reopened.states()}["TS-2026-00002"] == "assigned"


def counting_reads(monkeypatch) -> list[str]:
    """Names of the partition files TinyDB reads through our storage from now on."""
    reads = []
    original = partitions_module.PartitionStorage.read

    def read(storage):
        reads.append(storage.path.name)
        return original(storage)
    monkeypatch.setattr(partitions_module.PartitionStorage, "read", read)
    return reads


def test_records_where_reads_only_the_chosen_states(tmp_path, small_partitions, monkeypatch):
    db = tmp_path / "db"
    store = Store(db)
    fill(store, range(1, 9), state="closed")
    fill(store, range(9, 12), state="registered")
    store = Store(db)
    reads = counting_reads(monkeypatch)
    open_ = [r.number for r in store.records_where(lambda form, state: state != "closed")]
    assert open_ == ["TS-2026-00009", "TS-2026-00010", "TS-2026-00011"]
    assert reads == ["records-complaint-2026.3.json"]  # 9..11 live there; the closed history is not read
    store.put(record(12), "registered")  # pending records are seen too
    assert [r.number for r in store.records_where(lambda f, s: s == "registered")][-1] == "TS-2026-00012"


def test_recent_reads_only_the_newest_partitions(tmp_path, small_partitions, monkeypatch):
    """The web desk's start page: the newest records without reading the history of every form."""
    def made(n: int, form: str, at: dt.datetime) -> Record:
        return Record(f"{form[:2].upper()}-{at.year}-{n:05d}", form, (Event("create", "李娜", at, {"unit": "1-1-101"}),))

    db = tmp_path / "db"
    store = Store(db)
    everything = []
    for n in range(12):  # 2025: three partitions of complaints, then 2026: three more, and some repairs
        everything.append(made(n, "complaint", AT.replace(year=2025) + dt.timedelta(days=n)))
        everything.append(made(n, "complaint", AT + dt.timedelta(hours=n)))
    everything += [made(n, "repair", AT + dt.timedelta(hours=n, minutes=30)) for n in range(5)]
    for r in everything:
        store.put(r, "registered")
    store.commit()
    store = Store(db)
    reads = counting_reads(monkeypatch)
    newest = store.recent(6)
    expected = sorted(everything, key=lambda r: r.created_at, reverse=True)[:6]
    assert [r.number for r in newest] == [r.number for r in expected]
    assert all(".json" in name and "2025" not in name for name in reads)  # last year is never opened
    assert len(reads) <= 4  # the last two chunks of 2026's complaints, the repairs
    new = made(99, "repair", AT + dt.timedelta(days=30))
    store.put(new, "registered")  # pending: shown before it is committed
    assert store.recent(1)[0].number == new.number


def test_children_are_indexed(tmp_path):
    store = Store(tmp_path / "db")
    store.put(record(1), "closed")
    store.put(record(2, "callback", parent="TS-2026-00001"), "pending")
    assert store.children("TS-2026-00001") == ["TS-2026-00002"]
    store.commit()
    store.put(store.get("TS-2026-00002"), "done")
    store.commit()
    assert Store(tmp_path / "db").children("TS-2026-00001") == ["TS-2026-00002"]
    assert store.children("TS-2026-00001") == ["TS-2026-00002"]


def test_parents_of_many_records_read_each_partition_once(tmp_path, small_partitions, monkeypatch):
    """A fold queues the PDFs of every record it changed and of their parents: the parents come from records
    read in stored order, each partition parsed once, pending ones from memory."""
    from formflow.adapters import partitions as partitions_module

    db = tmp_path / "db"
    store = Store(db)
    for n in range(1, 21):
        store.put(record(n), "closed")
    for n in range(21, 41):  # callbacks made from the complaints, five partitions of four
        store.put(record(n, "callback", parent=f"TS-2026-{n - 20:05d}"), "pending")
    store.commit()
    store.put(record(41, "callback", parent="TS-2026-00020"), "pending")  # pending
    parsed = []
    real = partitions_module.parse_partition
    monkeypatch.setattr(partitions_module, "parse_partition", lambda *a, **k: parsed.append(a) or real(*a, **k))
    reader = Store(db)
    reader.put(record(41, "callback", parent="TS-2026-00020"), "pending")
    numbers = {f"TS-2026-{n:05d}" for n in range(40, 0, -1)} | {"TS-2026-00041", "TS-2026-99999"}
    parsed.clear()
    assert reader.parents_of(numbers) == {f"TS-2026-{n:05d}" for n in range(1, 21)}
    assert len(parsed) <= 10  # ten partitions of four, each read once (at most)
    assert reader.parents_of(set()) == set() and store.parents_of({"TS-2026-00041"}) == {"TS-2026-00020"}


def test_a_partition_of_the_old_unbounded_layout_is_read_and_continued(tmp_path, small_partitions):
    db = tmp_path / "db"
    db.mkdir()
    old = {"_default": {str(i): record_to_doc(record(i), "registered") for i in range(1, 8)}}
    (db / "records-complaint-2026.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    store = Store(db)
    assert store.count() == 7
    store.put(record(8), "registered")
    store.commit()
    assert json.loads((db / "records-complaint-2026.2.json").read_text("utf-8"))["_default"]["1"]["number"] == \
        "TS-2026-00008"
    assert [r.number for r in Store(db).records("complaint")][-1] == "TS-2026-00008"


def test_a_reader_waits_for_a_live_commit_instead_of_replaying_its_wal(tmp_path, monkeypatch):
    """The owner is between writing wal.json and removing it; a reader opening the store meanwhile
    must not replay that WAL itself (it could write stale partitions over a later commit)."""
    db = tmp_path / "db"
    writer = Store(db)
    fill(writer, [1])
    in_commit, release = threading.Event(), threading.Event()
    real_write = partitions_module.write_bytes

    def slow_write(path, data):
        real_write(path, data)
        if path.name == "wal.json":
            in_commit.set()
            release.wait(5)

    monkeypatch.setattr(partitions_module, "write_bytes", slow_write)
    writer.put(record(2), "registered")
    thread = threading.Thread(target=writer.commit)
    thread.start()
    assert in_commit.wait(5)
    opened: list[Store] = []
    reader = threading.Thread(target=lambda: opened.append(Store(db)))
    reader.start()
    time.sleep(0.2)
    assert not opened, "the reader must wait for the commit lock"
    release.set()
    thread.join(5)
    reader.join(5)
    assert opened and opened[0].count() == 2
    assert not (db / "wal.json").exists()


@pytest.mark.parametrize("text", ['{"_default": {"1": ', '[1, 2]', '{"_default": []}',
                                  '{"_default": {"x1": {"number": "TS-1"}}}', '{"_default": {"1": "text"}}'])
def test_a_damaged_partition_is_reported_in_chinese(tmp_path, text):
    """Cut short, or JSON that is not a TinyDB table of documents with numeric ids (TinyDB itself would fail
    with a traceback on its first change)."""
    db = tmp_path / "db"
    db.mkdir()
    (db / "records-complaint-2026.json").write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="数据库文件损坏"):
        Store(db)


def test_opening_reads_the_summaries_not_the_partitions(tmp_path, small_partitions, monkeypatch):
    db = tmp_path / "db"
    store = Store(db)
    fill(store, range(1, 11))
    child = record(11, "callback", parent="TS-2026-00003")
    store.put(child, "pending")
    store.commit()
    assert sorted(p.name for p in (db / "index").iterdir()) == sorted(
        [p.name for p in db.glob("*.json") if p.name != "meta.json"] + ["records.snapshot"])
    reads = counting_reads(monkeypatch)
    (db / "index" / "records.snapshot").unlink()  # (the snapshot's own test is test_indexsnapshot.py)
    reopened = Store(db)
    assert reads == []  # the partitions are known from their summaries
    assert reopened.count() == 11 and reopened.children("TS-2026-00003") == ["TS-2026-00011"]
    assert reopened.submission(digest(9))["name"] == "9.yaml"
    assert sorted(s["number"] for s in reopened.states()) == sorted(s["number"] for s in store.states())

    # A partition replaced behind the store's back (a WAL replay, a copy from a backup): its summary no longer
    # matches the file, so the file itself is read, and the summary made again.
    partition = db / "records-complaint-2026.json"
    data = json.loads(partition.read_text("utf-8"))
    data["_default"]["1"]["state"] = "closed"
    partition.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (db / "index" / "submissions-2026.json").write_text("{not json", encoding="utf-8")
    reads.clear()
    again = Store(db)
    assert reads == ["records-complaint-2026.json"]  # submissions are indexed when first asked about
    assert {s["number"]: s["state"] for s in again.states()}["TS-2026-00001"] == "closed"
    assert again.submission(digest(2))["name"] == "2.yaml"
    # its damaged summary: the file is read to index it (then to find the submission's details)
    assert reads[0] == "records-complaint-2026.json" and set(reads[1:]) == {"submissions-2026.json"}
    reads.clear()
    Store(db).submission(digest(2))
    assert reads == ["submissions-2026.json"]  # (a duplicate's details: its partition, found from the summary)


def test_plain_tinydb_reads_every_partition_and_finds_every_record(tmp_path, small_partitions):
    """The files are TinyDB databases: TinyDB itself, with its own JSON storage, finds every record as stored."""
    from tinydb import Query, TinyDB

    db = tmp_path / "db"
    store = Store(db)
    fill(store, range(1, 11))
    for n in (2, 9):  # changed after they were stored: updated in place in their partitions
        store.put(store.get(f"TS-2026-{n:05d}").with_event(Event("assign", "李娜", AT, {"routed_to": "环境部"})),
                  "assigned")
    store.next_serial("complaint:2026-11")
    store.commit()
    found = {}
    for path in sorted(db.glob("*.json")):
        with TinyDB(path, access_mode="r") as plain:
            if path.name.startswith("records-"):
                for doc in plain.all():
                    found[doc["number"]] = doc
                assert plain.search(Query().state == "assigned") == [
                    d for d in plain.all() if d["number"] in ("TS-2026-00002", "TS-2026-00009")]
            elif path.name == "meta.json":
                assert plain.get(doc_id=1)["counters"] == {"complaint:2026-11": 1}
            else:
                assert all(doc["records"] == [f"TS-2026-{int(doc['name'][:-5]):05d}"] for doc in plain.all())
    assert sorted(found) == [f"TS-2026-{n:05d}" for n in range(1, 11)]
    reopened = Store(db)
    for number, doc in found.items():
        assert doc == record_to_doc(reopened.get(number), doc["state"])
    assert found["TS-2026-00009"]["state"] == "assigned" and len(found["TS-2026-00009"]["events"]) == 2


def test_a_failed_commit_leaves_the_files_and_a_later_commit_writes_everything(tmp_path, monkeypatch):
    """Disk full while writing the WAL: nothing half-written; the partitions TinyDB had changed in memory are
    read again from their files, so the next commit writes the whole change and not a mix."""
    import errno

    db = tmp_path / "db"
    store = Store(db)
    fill(store, [1, 2])
    before = {p.name: p.read_bytes() for p in db.glob("*.json")}
    real_write = partitions_module.write_bytes

    def full(path, data):
        if path.name == "wal.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(partitions_module, "write_bytes", full)
    store.put(store.get("TS-2026-00001").with_event(Event("assign", "李娜", AT, {"routed_to": "环境部"})), "assigned")
    store.put(record(3), "registered")
    with pytest.raises(OSError):
        store.commit()
    assert {p.name: p.read_bytes() for p in db.glob("*.json")} == before
    assert [s["state"] for s in Store(db).states()] == ["registered", "registered"]
    monkeypatch.setattr(partitions_module, "write_bytes", real_write)
    store.commit()
    reopened = Store(db)
    assert {s["number"]: s["state"] for s in reopened.states()} == {
        "TS-2026-00001": "assigned", "TS-2026-00002": "registered", "TS-2026-00003": "registered"}
    assert len(reopened.get("TS-2026-00001").events) == 2
    assert [r.number for r in reopened.records()] == ["TS-2026-00001", "TS-2026-00002", "TS-2026-00003"]


def test_index_picks_records_by_state_groups_and_sees_pending_changes(tmp_path):
    store = Store(tmp_path / "db")
    fill(store, [1, 2], state="registered")
    fill(store, [3], state="closed")
    registered = lambda form, state: state == "registered"  # noqa: E731
    assert [row[0] for row in store.index("complaint", registered)] == ["TS-2026-00001", "TS-2026-00002"]
    store.put(store.get("TS-2026-00003"), "registered")  # reopened, not yet committed
    store.put(store.get("TS-2026-00001"), "closed")
    store.put(record(4), "registered")  # new, pending
    assert [row[0] for row in store.index(None, registered)] == ["TS-2026-00002", "TS-2026-00003", "TS-2026-00004"]
    assert [row[0] for row in store.index("callback", registered)] == []
    assert store.index(None, registered) == [row for row in store.index() if row[2] == "registered"]


def test_a_damaged_submission_partition_is_reported_at_every_look_up(tmp_path):
    """Indexed when first asked about: a damaged one must not be skipped after the first error (a duplicate
    file would then be stored again)."""
    db = tmp_path / "db"
    fill(Store(db), [1, 2])
    (db / "index" / "submissions-2026.json").unlink()
    (db / "submissions-2026.json").write_text('{"_default": {"1": ', encoding="utf-8")
    store = Store(db)  # records are still there to read
    assert store.count() == 2
    for _ in range(2):
        with pytest.raises(Exception, match="数据库文件损坏"):
            store.submission(digest(1))
    with pytest.raises(Exception, match="数据库文件损坏"):
        store.put(record(3), "registered") or store.note_submission(digest(3), {"received": AT.isoformat()}) \
            or store.commit()


def test_a_commit_that_fails_before_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    """The tables took the change, then something failed before the files: a retry writes each record once."""
    from tinydb.table import Table

    db = tmp_path / "db"
    store = Store(db)
    store.put(record(1), "registered")
    store.next_serial("complaint:2026-11")

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Table, "upsert", full)  # the meta partition's update, after the records were inserted
    with pytest.raises(OSError):
        store.commit()
    assert [r.number for r in store.recent(5)] == ["TS-2026-00001"]  # pending, once
    monkeypatch.undo()
    store.commit()
    stored = json.loads((db / "records-complaint-2026.json").read_text("utf-8"))["_default"]
    assert [doc["number"] for doc in stored.values()] == ["TS-2026-00001"]
    assert [r.number for r in Store(db).records()] == ["TS-2026-00001"]


def test_a_commit_interrupted_after_its_wal_is_finished_by_the_next_open_not_by_a_retry(tmp_path, monkeypatch):
    """The WAL is on disk and one partition was replaced when the disk filled: retrying on the same store
    would give the same records new ids; it refuses, and the next open finishes the commit from the WAL."""
    import errno

    db = tmp_path / "db"
    store = Store(db)
    fill(store, [1])
    real_write = partitions_module.write_bytes
    written = []

    def fills_up(path, data):
        if path.name != "wal.json" and written:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)
        written.append(path.name)

    monkeypatch.setattr(partitions_module, "write_bytes", fills_up)
    store.put(record(2), "registered")
    store.note_submission(digest(2), {"name": "2.yaml", "received": AT.isoformat(), "records": ["TS-2026-00002"]})
    with pytest.raises(OSError):
        store.commit()
    assert (db / "wal.json").exists()
    monkeypatch.undo()
    with pytest.raises(Exception, match="重新打开"):
        store.commit()
    reopened = Store(db)
    assert [r.number for r in reopened.records()] == ["TS-2026-00001", "TS-2026-00002"]
    assert reopened.submission(digest(2))["records"] == ["TS-2026-00002"]
    assert not (db / "wal.json").exists()


def test_request_threads_sharing_a_store_all_see_the_submissions(tmp_path, small_partitions, monkeypatch):
    """The desk's threads share one store: the first look-ups, at once, must each wait for the whole index."""
    db = tmp_path / "db"
    fill(Store(db), range(1, 13))  # three submission partitions of five
    store = Store(db)
    real = storeopen.Indexes.index_partition

    def slow(self, name, path):
        time.sleep(0.05)  # (widens the window in which another thread looks)
        return real(self, name, path)

    monkeypatch.setattr(storeopen.Indexes, "index_partition", slow)
    found = {}
    threads = [threading.Thread(target=lambda i=i: found.__setitem__(i, store.submission(digest(12)) is not None))
               for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert found == {0: True, 1: True, 2: True}


def test_a_store_let_go_is_freed_at_once(tmp_path):
    """No reference cycle through the store: a rebuild lets the old store go and opens the new one, and a
    store waiting for the cyclic collector would hold its whole index meanwhile (two at once at 100k)."""
    import gc
    import weakref

    db = tmp_path / "db"
    fill(Store(db), range(1, 4))
    store = Store(db)
    assert store.search("住户2") == {"TS-2026-00002"}  # the search index made too
    store.get("TS-2026-00001")
    gone = weakref.ref(store)
    collecting = gc.isenabled()
    gc.disable()
    try:
        del store
        assert gone() is None
    finally:
        if collecting:
            gc.enable()
