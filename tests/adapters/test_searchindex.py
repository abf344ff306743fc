"""Search over the values written into records: every partition, casefolded, one value at a time, pending
changes included, through a trigram index kept on disk and read again only where partitions changed."""

from __future__ import annotations

import json
import sqlite3

from formflow.adapters import searchindex
from formflow.adapters import store as store_module
from formflow.adapters.store import Store
from formflow.engine.records import Event

from .test_store import AT, fill, record, small_partitions  # noqa: F401 - a fixture


def summaries_read(monkeypatch) -> list[str]:
    names = []
    original = store_module.partition_summary

    def summary(folder, name, path):
        names.append(name)
        return original(folder, name, path)
    monkeypatch.setattr(store_module, "partition_summary", summary)
    return names


def test_values_of_every_partition_are_searched_one_value_at_a_time(tmp_path, small_partitions):  # noqa: F811
    store = Store(tmp_path / "db")
    fill(store, range(1, 13))  # three partitions of four
    assert store.search("住户11") == {"TS-2026-00011"}
    assert store.search("住户1") == {"TS-2026-00001", "TS-2026-00010", "TS-2026-00011", "TS-2026-00012"}
    assert store.search("3-2-1502") == {f"TS-2026-{n:05d}" for n in range(1, 13)}
    assert store.search("ts-2026-0000") == {f"TS-2026-{n:05d}" for n in range(1, 10)}  # numbers, case ignored
    assert store.search("1502住户") == set()  # never across two values
    assert store.search("complainant") == set()  # field keys are not values
    assert store.search("") == set() and store.search("没有") == set()
    fill(store, range(13, 15), form="repair")
    assert store.search("住户1", form="repair") == {"TS-2026-00013", "TS-2026-00014"}
    assert store.search("住户13", form="complaint") == set()


def test_free_text_and_dates_are_not_searched(tmp_path):
    store = Store(tmp_path / "db")
    long = "楼上卫生间漏水，天花板有水渍，已经持续三天，影响正常生活，请尽快安排维修人员上门查看处理"
    store.put(record(1).with_event(Event("assign", "李娜", AT, {"details": long, "due": "2026-12-01",
                                                              "at": "2026-11-20T09:00:00+08:00"})), "assigned")
    store.commit()
    assert store.search("3-2-1502") == {"TS-2026-00001"}
    assert store.search("漏水") == store.search("2026-12-01") == store.search("09:00") == set()


def test_a_change_is_found_by_what_the_record_says_now_pending_or_committed(tmp_path, small_partitions):  # noqa: F811
    store = Store(tmp_path / "db")
    fill(store, range(1, 9))
    assert store.search("Garden Team") == set()
    changed = store.get("TS-2026-00002").with_event(Event("assign", "李娜", AT, {"routed_to": "Garden Team"}))
    store.put(changed, "assigned")
    store.put(record(9), "registered")
    assert store.search("garden team") == {"TS-2026-00002"}  # pending, case ignored
    assert "TS-2026-00009" in store.search("住户9")
    store.commit()
    assert store.search("GARDEN") == {"TS-2026-00002"}
    assert Store(tmp_path / "db").search("garden") == {"TS-2026-00002"}


def test_the_index_is_kept_on_disk_and_only_changed_partitions_are_read_again(tmp_path, small_partitions,  # noqa: F811
                                                                              monkeypatch):
    db = tmp_path / "db"
    fill(Store(db), range(1, 13))
    assert Store(db).search("住户7") == {"TS-2026-00007"}  # the first search makes the index
    assert (db / "index" / searchindex.DATABASE).is_file()
    read = summaries_read(monkeypatch)
    assert Store(db).search("住户7") == {"TS-2026-00007"}
    assert read == []
    # a partition edited behind the store's back: only it is read again
    partition = db / "records-complaint-2026.2.json"
    docs = json.loads(partition.read_text("utf-8"))
    docs["_default"]["1"]["events"][0]["data"]["complainant"] = "王五"
    partition.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    reader = Store(db)
    read.clear()
    assert reader.search("王五") == {"TS-2026-00005"} and reader.search("住户5") == set()
    assert read == ["records-complaint-2026.2"]
    # a partition gone (a store restored from an older backup): its records are no longer found
    partition.unlink()
    assert Store(db).search("王五") == set() and Store(db).search("住户11") == {"TS-2026-00011"}


def test_prepared_ahead_the_first_search_reads_no_partition(tmp_path, small_partitions, monkeypatch):  # noqa: F811
    db = tmp_path / "db"
    fill(Store(db), range(1, 13))
    read = summaries_read(monkeypatch)
    store = Store(db)
    store.prepare_search()
    assert len(read) == 3
    read.clear()
    assert store.search("住户12") == {"TS-2026-00012"} and read == []


def test_a_damaged_index_is_made_again_and_an_unwritable_one_lives_in_memory(tmp_path, small_partitions,  # noqa: F811
                                                                            monkeypatch):
    db = tmp_path / "db"
    fill(Store(db), range(1, 13))
    index = db / "index" / searchindex.DATABASE
    index.write_bytes(b"formflow\0garbage" * 100)
    read = summaries_read(monkeypatch)
    assert Store(db).search("住户7") == {"TS-2026-00007"} and len(read) == 3
    read.clear()
    assert Store(db).search("住户8") == {"TS-2026-00008"} and read == []  # made again, on disk
    # an index of another format (an older formflow) is made again too
    with sqlite3.connect(index) as old:
        old.execute("PRAGMA user_version = 0")
    old.close()
    assert Store(db).search("住户9") == {"TS-2026-00009"} and len(read) == 3
    # where nothing can be written (here: a folder in its place), searching still works
    index.unlink()
    index.mkdir()
    (index / "kept.txt").write_text("not the index's", encoding="utf-8")
    assert Store(db).search("住户10") == {"TS-2026-00010"}
    assert (index / "kept.txt").is_file()


def test_an_index_damaged_past_its_header_is_made_again_at_the_search_that_finds_it(tmp_path,
                                                                                   small_partitions):  # noqa: F811
    db = tmp_path / "db"
    fill(Store(db), range(1, 13))
    assert Store(db).search("住户7") == {"TS-2026-00007"}
    index = db / "index" / searchindex.DATABASE
    with sqlite3.connect(index) as other:
        other.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
    other.close()
    size = index.stat().st_size
    with open(index, "r+b") as file:  # the header intact, every page after it garbage
        file.seek(4096)
        file.write(b"\xff" * (size - 4096))
    assert Store(db).search("住户8") == {"TS-2026-00008"}
    with sqlite3.connect(index) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT count(*) FROM recs").fetchone() == (12,)
    check.close()


def test_without_the_trigram_tokenizer_the_rows_are_scanned_with_the_same_answers(tmp_path, small_partitions,  # noqa: F811
                                                                                   monkeypatch):
    """An SQLite without FTS5's trigram tokenizer (older than 3.34, or built without FTS5): searching still
    answers, by a scan; where the tokenizer is there again, the index is made again with it."""
    db = tmp_path / "db"
    fill(Store(db), range(1, 13))
    asked = ["住户1", "住户11", "3-2-1502", "ts-2026-0000", "11", "户", "没有"]
    expected = {needle: Store(db).search(needle) for needle in asked}
    assert expected["住户1"] == {"TS-2026-00001", "TS-2026-00010", "TS-2026-00011", "TS-2026-00012"}
    monkeypatch.setattr(searchindex, "TOKENIZER", "no_such_tokenizer")
    assert not searchindex.trigrams_available()
    assert {needle: Store(db).search(needle) for needle in asked} == expected
    with sqlite3.connect(db / "index" / searchindex.DATABASE) as made:
        assert made.execute("PRAGMA user_version").fetchone() == (-searchindex.SCHEMA_VERSION,)
        assert made.execute("SELECT count(*) FROM sqlite_master WHERE name = 'fts'").fetchone() == (0,)
    made.close()
    monkeypatch.undo()
    assert {needle: Store(db).search(needle) for needle in asked} == expected
    with sqlite3.connect(db / "index" / searchindex.DATABASE) as made:
        assert made.execute("PRAGMA user_version").fetchone() == (searchindex.SCHEMA_VERSION,)
    made.close()


def test_needles_of_any_length_find_what_a_scan_of_the_values_finds(tmp_path, small_partitions,  # noqa: F811
                                                                   monkeypatch):
    """The index answers one-, two- and longer needles (trigrams, trigram prefixes, a scan) exactly as
    ``needle in value`` over every record's values would: random values from a small alphabet, every
    substring of them searched."""
    import random

    from formflow.adapters.partitions import search_text
    from formflow.engine.records import Record

    rng = random.Random(7)
    alphabet = "王秀英3-2a\"%_*"
    store = Store(tmp_path / "db")
    values = {}
    for n in range(1, 41):
        data = {f"f{i}": "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for i in range(3)}
        number = f"TS-2026-{n:05d}"
        store.put(Record(number, "complaint", (Event("create", "李娜", AT, data),), 1, 1, ""), "registered")
        values[number] = search_text({"events": [{"data": data}]}).split("\x1f") + [number.casefold()]
    store.commit()
    reader = Store(tmp_path / "db")
    needles = {v[i:j] for vs in values.values() for v in vs for i in range(len(v)) for j in range(i + 1, len(v) + 1)}
    assert len(needles) > 300
    for most_terms in (searchindex.MAX_PREFIX_TERMS, 1):  # then two characters too are a scan
        monkeypatch.setattr(searchindex, "MAX_PREFIX_TERMS", most_terms)
        for needle in sorted(needles) + ["王王王王", "Ab", "ts-2026-0001"]:
            expected = {number for number, vs in values.items() if any(needle.casefold() in v for v in vs)}
            assert reader.search(needle) == expected, needle


def test_cells_of_table_rows_are_searched(tmp_path):
    store = Store(tmp_path / "db")
    data = {"unit": "5-1-301", "vehicles": [{"plate": "粤B12345", "model": "轿车"}],
            "members": [{"name": "李小明", "phone": "13800138000"}]}
    store.put(record(1).with_event(Event("register", "李娜", AT, data)), "registered")
    assert store.search("粤b12345") == {"TS-2026-00001"}  # pending
    store.commit()
    assert Store(tmp_path / "db").search("13800138000") == {"TS-2026-00001"}
    assert Store(tmp_path / "db").search("李小明") == {"TS-2026-00001"}


def test_documents_not_shaped_as_formflow_writes_them_do_not_stop_the_store(tmp_path):
    """A hand-edited partition: the records still open and list; search skips what it cannot read."""
    db = tmp_path / "db"
    db.mkdir()
    odd = {"1": {"number": "TS-2026-00001", "form": "complaint", "state": "registered", "events": {"x": 1}},
           "2": {"number": "TS-2026-00002", "form": "complaint", "state": "registered", "events": ["text"]},
           "3": {"number": "TS-2026-00003", "form": "complaint", "state": "registered",
                 "events": [{"data": ["住户3"]}]},
           "4": {"number": 4, "form": "complaint", "state": "registered",
                 "events": [{"data": {"unit": "3-2-1502"}}]}}
    (db / "records-complaint-2026.json").write_text(json.dumps({"_default": odd}, ensure_ascii=False), "utf-8")
    store = Store(db)
    assert store.count() == 4
    assert store.search("3-2-1502") == {"4"} and store.search("住户3") == set()


def test_odd_characters_in_values_and_needles_stop_nothing(tmp_path):
    """A lone surrogate (JSON can spell one, Python keeps it, UTF-8 cannot) or a NUL in a value or a needle."""
    db = tmp_path / "db"
    db.mkdir()
    odd = {"1": {"number": "TS-2026-00001", "form": "complaint", "state": "registered",
                 "events": [{"data": {"complainant": "住户\ud800一", "unit": "3-2-1502"}}]},
           "2": {"number": "TS-2026-00002", "form": "complaint", "state": "registered",
                 "events": [{"data": {"complainant": "住户\u0000二"}}]}}
    (db / "records-complaint-2026.json").write_text(json.dumps({"_default": odd}), "utf-8")
    store = Store(db)
    assert store.search("3-2-1502") == {"TS-2026-00001"}
    assert store.search("住户") == {"TS-2026-00001", "TS-2026-00002"}
    assert store.search("户\ud800一") == store.search("住户?一") == {"TS-2026-00001"}
    assert store.search("\x00二") == {"TS-2026-00002"}
    assert store.search("?") == {"TS-2026-00001", "TS-2026-00002"}  # both read as ?


def test_reading_a_partition_again_leaves_no_garbage_for_the_cyclic_collector(tmp_path, small_partitions):  # noqa: F811
    """A store opened where every partition file changed (copied to a new disk, a backup restored) reads each
    file again with the cyclic collector off: nothing made on the way may be a reference cycle, or every
    record's values stay in memory until the open ends (260 MB at 100k records, before)."""
    import gc

    from formflow.adapters.partitions import search_text

    folder = tmp_path / "db"
    fill(Store(folder), range(1, 13))
    for path in folder.glob("records-*.json"):
        path.write_bytes(path.read_bytes())  # the same content, another file: every summary is stale
    record_doc = json.loads(next(folder.glob("records-*.json")).read_text("utf-8"))["_default"]["1"]
    gc.collect()
    gc.disable()
    try:
        assert search_text(record_doc) and Store(folder).search("住户11") == {"TS-2026-00011"}
        assert gc.collect() == 0, "reference cycles were made while reading the partitions"
    finally:
        gc.enable()
