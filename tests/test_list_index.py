"""`formflow list` takes states from the store's index and reads only the records it prints."""

from __future__ import annotations

import datetime as dt
import json

from formflow.adapters import store as store_module
from formflow.adapters.store import Store
from formflow.engine.records import CREATE, Event, Record, replay

TZ = dt.timezone(dt.timedelta(hours=8))


def mixed(root, defs) -> None:
    """Complaints and repairs in several states; one stored without a state (replayed instead)."""
    store = Store(root / "data" / "db")
    at = dt.datetime(2026, 11, 2, 9, tzinfo=TZ)
    for i in range(1, 9):
        form, prefix = ("complaint", "TS") if i % 2 else ("repair", "BX")
        events = [Event(CREATE, "李娜", at + dt.timedelta(hours=i), {"unit": f"3-2-{1500 + i}"})]
        if i % 3 == 0:
            action = "assign" if form == "complaint" else "dispatch"
            events.append(Event(action, "李娜", at + dt.timedelta(hours=i, minutes=5), {}))
        record = Record(f"{prefix}-YG-202611-{i:04d}", form, tuple(events))
        state = replay(record, defs.workflows[form]).state
        store.put(record, "" if i == 5 else state)
    store.commit()


def old_rows(root, defs, form=None, state=None) -> list[dict]:
    """What `list --format json` printed before: every record replayed."""
    rows = []
    for rec in Store(root / "data" / "db").records(form):
        workflow = defs.workflows[rec.form]
        current = replay(rec, workflow).state
        if state is None or current == state:
            rows.append({"record": rec.number, "form": rec.form, "state": current,
                         "state_label": workflow.states[current].label, "created": rec.created_at.isoformat()})
    return rows


def test_list_from_the_index_prints_what_replaying_printed(workspace, monkeypatch):
    defs = workspace.load()
    mixed(workspace.root, defs)
    for args, form, state in ((), None, None), (("--form", "complaint"), "complaint", None), \
            (("--state", "assigned"), None, "assigned"), (("--form", "repair", "--state", "pending_dispatch"),
                                                          "repair", "pending_dispatch"):
        assert json.loads(workspace.cli("list", "--format", "json", *args).out) == old_rows(
            workspace.root, defs, form, state), args
    text = workspace.cli("list").out
    assert text.splitlines()[-1] == "共 8 条 records" and "TS-YG-202611-0001" in text

    read = []
    original = store_module.doc_to_record
    monkeypatch.setattr(store_module, "doc_to_record", lambda doc: read.append(doc["number"]) or original(doc))
    rows = json.loads(workspace.cli("list", "--form", "complaint", "--state", "assigned", "--format", "json").out)
    assert [r["record"] for r in rows] == ["TS-YG-202611-0003"]
    # no record is read (state and creation time come from the index) but the one stored without a state
    assert set(read) == {"TS-YG-202611-0005"}
