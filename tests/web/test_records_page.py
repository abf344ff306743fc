"""The 全部记录 page at scale: paged, filtered by form and state from the index, searchable; and the
store's single change marker (the desk re-reads the store only after a commit)."""

from __future__ import annotations

import datetime as dt
import re

from formflow.adapters.store import Store
from formflow.engine.records import CREATE, Event, Record

TZ = dt.timezone(dt.timedelta(hours=8))


def fill(root, count: int, form: str = "complaint", state: str = "registered", start: int = 1) -> list[str]:
    """``count`` records of ``form`` straight into the store, one a minute from 2026-11-01 (numbers by serial)."""
    store = Store(root / "data" / "db")
    numbers = []
    for i in range(start, start + count):
        number = f"TS-YG-202611-{i:04d}" if form == "complaint" else f"BX-YG-202611-{i:04d}"
        at = dt.datetime(2026, 11, 1, 8, tzinfo=TZ) + dt.timedelta(minutes=i)
        data = {"unit": f"{i % 7 + 1}-1-{1000 + i}", "complainant": f"住户{i}", "phone": f"1380000{i:04d}"}
        store.put(Record(number, form, (Event(CREATE, "李娜", at, data),)), state)
        numbers.append(number)
    store.commit()
    return numbers


def listed(body: str) -> list[str]:
    return re.findall(r'<td><a href="/records/([^"]+)">', body)


def test_records_page_is_paged_newest_first_with_the_total(client, workspace):
    numbers = fill(workspace.root, 120)
    first = client.get("/records")
    assert first.status == 200 and "共 120 条" in first.body and "第 1/3 页" in first.body
    assert listed(first.body) == numbers[::-1][:50]
    assert "下一页" in first.body and "上一页" not in first.body
    second = client.get("/records?page=2")
    assert listed(second.body) == numbers[::-1][50:100]
    assert "上一页" in second.body and "下一页" in second.body
    past = client.get("/records?page=99")  # past the end: the last page
    assert past.status == 200 and listed(past.body) == numbers[::-1][100:] and "第 3/3 页" in past.body
    assert listed(client.get("/records?page=abc").body) == numbers[::-1][:50]


def test_records_page_filters_by_form_and_state_from_the_index(client, workspace):
    complaints = fill(workspace.root, 3)
    closed = fill(workspace.root, 2, state="resolved", start=10)
    fill(workspace.root, 4, form="repair", state="pending_dispatch")
    body = client.get("/records?form=complaint&state=resolved").body
    assert sorted(listed(body)) == closed and "共 2 条" in body
    body = client.get("/records?form=complaint").body
    assert sorted(listed(body)) == complaints + closed
    assert "共 9 条" in client.get("/records").body


def test_records_page_searches_numbers_units_names_and_phones(client, workspace):
    numbers = fill(workspace.root, 60)
    assert listed(client.get("/records?q=202611-0042").body) == [numbers[41]]
    assert listed(client.get("/records?q=4-1-1017").body) == [numbers[16]]  # 房号
    assert listed(client.get("/records?q=13800000033").body) == [numbers[32]]  # 电话
    assert listed(client.get("/records?q=住户5").body) == [numbers[i] for i in (58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 4)]
    nothing = client.get("/records?q=没有这个")
    assert nothing.status == 200 and listed(nothing.body) == [] and "共 0 条" in nothing.body
    # hits placed newest first from the kept list, paged, and filtered by form and state like the list itself
    assert listed(client.get("/records?q=住户&page=2").body) == numbers[::-1][50:]
    assert listed(client.get("/records?q=住户5&form=complaint&state=registered").body)[-1] == numbers[4]
    assert listed(client.get("/records?q=住户5&form=repair").body) == []
    assert listed(client.get("/records?q=住户5&state=resolved").body) == []


def test_the_desk_rereads_the_store_only_after_a_commit(desk_app, workspace):
    desk = desk_app.desk
    fill(workspace.root, 1)
    store = desk.store()
    assert store.count() == 1 and desk.store() is store  # no commit: no reload
    marker = workspace.root / "data" / "db" / "changed"
    assert marker.is_file()
    fill(workspace.root, 1, start=2)  # a commit by another writer (a Store of its own)
    again = desk.store()
    assert again is not store and again.count() == 2
    assert desk.store() is again


def test_the_list_is_sorted_once_per_change_and_shows_a_new_commit_at_once(client, workspace, monkeypatch):
    """Paging costs a slice: the newest-first list is kept until the store changes, then made again."""
    from formflow.app import App

    numbers = fill(workspace.root, 60)
    made = []
    real = App.indexed
    monkeypatch.setattr(App, "indexed", lambda self, *a: made.append(a) or real(self, *a))
    assert listed(client.get("/records").body) == numbers[::-1][:50]
    assert listed(client.get("/records?page=2").body) == numbers[::-1][50:]
    assert listed(client.get("/records?form=complaint&state=registered").body) == numbers[::-1][:50]
    assert len(made) == 1
    newer = fill(workspace.root, 1, start=61)  # committed by another writer: the next page view shows it
    assert listed(client.get("/records").body)[:2] == [newer[0], numbers[-1]]
    assert len(made) == 2


def test_search_reaches_every_record_and_follows_changes(client, workspace):
    """Every record is searched (the desk once looked at the newest 2,000 only), from the partitions'
    search texts; a record changed since is found by what it says now."""
    numbers = fill(workspace.root, 2600)
    assert listed(client.get("/records?q=3-1-1002").body) == [numbers[1]]  # the oldest but one
    assert listed(client.get("/records?q=13800002599").body) == [numbers[2598]]
    store = Store(workspace.root / "data" / "db")
    old = store.get(numbers[1])
    store.put(old.with_event(Event("assign", "李娜", old.created_at + dt.timedelta(hours=1),
                                   {"routed_to": "绿化养护部"})), "assigned")
    store.commit()
    assert listed(client.get("/records?q=绿化养护").body) == [numbers[1]]
    assert listed(client.get("/records?q=绿化养护&state=assigned").body) == [numbers[1]]
    assert listed(client.get("/records?q=绿化养护&state=registered").body) == []
