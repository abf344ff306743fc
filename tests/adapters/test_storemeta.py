"""The store's meta document (counters, fold state, first day, duties done): changed in memory, written with the
commit, rolled back with a snapshot, read back by the next store."""

from __future__ import annotations

import datetime as dt

from formflow.adapters.store import Store

from .test_store import AT


def test_serials_are_never_reused_and_never_go_back(tmp_path):
    store = Store(tmp_path / "db")
    assert store.peek_serial("complaint:2026-11") == 1
    assert [store.next_serial("complaint:2026-11") for _ in range(3)] == [1, 2, 3]
    store.raise_serial("complaint:2026-11", 2)  # lower: nothing changes
    store.raise_serial("repair:2026-11", 7)
    store.commit()
    again = Store(tmp_path / "db")
    assert again.counters() == {"complaint:2026-11": 3, "repair:2026-11": 7}
    assert again.next_serial("complaint:2026-11") == 4 and again.peek_serial("repair:2026-11") == 8


def test_fold_state_is_a_copy_and_a_snapshot_rolls_it_back(tmp_path):
    store = Store(tmp_path / "db")
    assert store.fold_state() == {} and store.fold_high() is None
    store.set_fold_state({"seq": {"B": 4}, "conflicts": ["TS-2026-00001"]})
    given = store.fold_state()
    given["seq"]["B"] = 99  # the caller's copy, not the store's
    assert store.fold_state()["seq"] == {"B": 4} and store.fold_conflicts() == ["TS-2026-00001"]
    snap = store.snapshot()
    store.note_high(12, "B", 5)
    assert store.fold_high() == (12, "B", 5)
    store.restore(snap)
    assert store.fold_high() is None
    store.note_high(13, "B", 6)
    store.commit()
    assert Store(tmp_path / "db").fold_high() == (13, "B", 6)


def test_duties_done_and_the_first_day_are_kept(tmp_path):
    store = Store(tmp_path / "db")
    version = store.version
    store.note_duty("weekly_check", AT)
    store.note_duty("weekly_check", AT, once=True)  # that very time is noted already
    store.note_duty("weekly_check", AT + dt.timedelta(days=7))
    store.note_since(AT.date())
    store.note_since(AT.date() + dt.timedelta(days=3))  # one is noted already
    assert store.version > version
    store.commit()
    again = Store(tmp_path / "db")
    assert again.duty_done() == {"weekly_check": [AT, AT + dt.timedelta(days=7)]}
    assert again.since() == AT.date()
