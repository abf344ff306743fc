"""The record index keeps each record's partition, document id, kind and creation time exactly, packed or not,
through a snapshot's round trip."""

from __future__ import annotations

import datetime as dt
import gc
import marshal

from formflow.adapters.recordindex import RecordIndex

CASES = [  # (number, partition, doc id, form, state, created)
    ("TS-2026-00001", "records-complaint-2026", 1, "complaint", "registered",
     dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()),
    ("TS-0001-00001", "records-complaint-0001", 200, "complaint", "closed",
     dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc).timestamp()),  # an absurd date: before 1970
    ("TS-9999-00001", "records-complaint-9999.7", 2**24 + 5, "complaint", "closed",  # a hand-edited document id
     dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone.utc).timestamp()),
    ("WX-2026-00002", "records-repair-2026.3", 17, "repair", "assigned", float("nan")),
    ("WX-2267-00001", "records-repair-2267", 3, "repair", "assigned",  # microseconds a float cannot pack exactly
     dt.datetime(2267, 5, 24, 18, 20, 34, 886385, tzinfo=dt.timezone.utc).timestamp()),
]


def filled() -> RecordIndex:
    index = RecordIndex()
    for number, name, doc_id, form, state, created in CASES:
        index.add(number, name, doc_id, form, state, 1, 2, "", created)
    return index


def same(found, expected) -> bool:
    return found[:3] == expected[:3] and (found[3] == expected[3] or (found[3] != found[3] and expected[3] != expected[3]))


def test_entries_read_back_exactly_whatever_their_values():
    index = filled()
    for number, name, doc_id, form, state, created in CASES:
        assert same(index.entry(number), (name, doc_id, (form, state, 1, 2), created))
        assert index.locate(number) == (name, doc_id)
    assert index.entry("TS-2026-99999") is None and index.locate("TS-2026-99999") is None
    assert [type(index.where[n]).__name__ for n, *_ in CASES] == ["int", "int", "tuple", "tuple", "tuple"]


def test_a_snapshot_round_trip_answers_the_same():
    index = filled()
    index.add("TS-2026-00001", "records-complaint-2026", 1, "complaint", "closed", 1, 2, "", CASES[0][5])  # moved on
    again = RecordIndex.from_export(marshal.loads(marshal.dumps(index.export(), 4)))
    for number, *_ in CASES:
        assert same(again.entry(number), index.entry(number))
    assert [row[:3] for row in again.rows(None, {})] == [row[:3] for row in index.rows(None, {})] == [
        ("TS-0001-00001", "complaint", "closed"), ("TS-2026-00001", "complaint", "closed"),
        ("TS-9999-00001", "complaint", "closed"), ("WX-2026-00002", "repair", "assigned"),
        ("WX-2267-00001", "repair", "assigned")]
    assert again.numbers_where(lambda form, state: state == "closed") == ["TS-0001-00001", "TS-2026-00001",
                                                                          "TS-9999-00001"]
    again.add("TS-2026-00003", "records-complaint-2026", 2, "complaint", "registered", 1, 2, "TS-2026-00001", 0.0)
    assert again.children("TS-2026-00001") == ["TS-2026-00003"]


def test_packed_entries_give_the_garbage_collector_nothing_to_walk():
    index = RecordIndex()
    for n in range(1000):
        index.add(f"TS-2026-{n:05d}", f"records-complaint-2026.{n // 200}", n % 200 + 1, "complaint", "closed",
                  1, 1, "", 1_780_000_000.0 + n)
    assert not any(gc.is_tracked(entry) for entry in index.where.values())
