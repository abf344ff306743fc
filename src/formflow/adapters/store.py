"""The TinyDB store: records, processed submissions, counters and duty completions.

Layout under ``data/db/``: one TinyDB file per partition — ``records-<form>-<year>`` (by the
year a record was created), ``submissions-<year>``, and ``meta`` (serial counters, duties).
A pass buffers its changes in memory and :meth:`Store.commit` writes them once:

1. the new contents of every changed partition go into ``wal.json`` (atomic write);
2. each partition file is replaced atomically;
3. ``wal.json`` is removed.

A crash before 1 leaves the old state; after 1, opening the store finishes 2 from the WAL.
Partitions keep the cost of a commit proportional to what changed, not to the whole
history, and in-memory indexes (rebuilt on open) make look-ups O(1).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from formflow.adapters.atomic import write_json
from formflow.engine.records import Event, Record
from formflow.errors import FormflowError

TABLE = "_default"


class _HeldStorage(Storage):
    """TinyDB storage that keeps the data in memory; :class:`Store` writes it out at commit."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.data: dict | None = None
        if path.exists():
            try:
                self.data = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise FormflowError(f"数据库文件损坏 database file is damaged: {path} ({exc}); "
                                    "用 formflow rebuild 从存档重建 rebuild it from the archive") from None
        self.dirty = False

    def read(self) -> dict | None:
        return self.data

    def write(self, data: dict) -> None:
        self.data = data
        self.dirty = True

    def close(self) -> None:  # nothing to release: commit() did the writing
        pass


def record_to_doc(record: Record, state: str = "") -> dict:
    """A record as stored: plain JSON (``state`` is kept so `check` can spot states a workflow edit removed)."""
    return {
        "number": record.number, "form": record.form, "state": state, "form_version": record.form_version,
        "workflow_version": record.workflow_version, "parent": record.parent,
        "events": [{"action": e.action, "by": e.by, "at": e.at.isoformat(), "data": dict(e.data), "note": e.note}
                   for e in record.events],
    }


def doc_to_record(doc: dict) -> Record:
    """A stored document back into a :class:`Record`."""
    events = tuple(Event(e["action"], e["by"], dt.datetime.fromisoformat(e["at"]), e["data"], e.get("note", ""))
                   for e in doc["events"])
    return Record(doc["number"], doc["form"], events, doc.get("form_version", 1), doc.get("workflow_version", 1),
                  doc.get("parent", ""))


class Store:
    """Records and bookkeeping of one workspace, in TinyDB partitions under ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._recover()
        self._dbs: dict[str, TinyDB] = {}
        self._records: dict[str, tuple[str, int]] = {}  # number -> (partition, doc id)
        self._submissions: dict[str, dict] = {}  # content hash -> what it did
        self._pending_records: dict[str, Record] = {}
        self._pending_states: dict[str, str] = {}
        self._pending_submissions: dict[str, dict] = {}
        self._meta: dict[str, Any] = {"counters": {}, "duties": {}}
        self._meta_dirty = False
        for path in sorted(folder.glob("*.json")):
            name = path.stem
            if name == "wal":
                continue
            db = self._db(name)
            if name == "meta":
                doc = db.get(doc_id=1)
                if doc:
                    self._meta = {"counters": dict(doc.get("counters", {})), "duties": dict(doc.get("duties", {}))}
            elif name.startswith("records-"):
                for doc in db.all():
                    self._records[doc["number"]] = (name, doc.doc_id)
            elif name.startswith("submissions-"):
                for doc in db.all():
                    self._submissions[doc["hash"]] = dict(doc)

    # -- reading ------------------------------------------------------------------------------

    def get(self, number: str) -> Record | None:
        """The record called ``number`` (including uncommitted changes of this pass)."""
        if number in self._pending_records:
            return self._pending_records[number]
        where = self._records.get(number)
        if where is None:
            return None
        return doc_to_record(self._db(where[0]).get(doc_id=where[1]))

    def records(self, form: str | None = None) -> Iterator[Record]:
        """Every record (of ``form``), committed or pending, in partition order."""
        seen = set()
        for name in sorted(self._dbs):
            if not name.startswith("records-") or (form and not name.startswith(f"records-{form}-")):
                continue
            for doc in self._db(name).all():
                seen.add(doc["number"])
                yield self._pending_records.get(doc["number"]) or doc_to_record(doc)
        for number, record in self._pending_records.items():
            if number not in seen and (form is None or record.form == form):
                yield record

    def count(self) -> int:
        """How many records are stored (committed or pending)."""
        return len(self._records.keys() | self._pending_records.keys())

    def submission(self, digest: str) -> dict | None:
        """What an earlier submission with this content hash did, if any."""
        return self._pending_submissions.get(digest) or self._submissions.get(digest)

    def duty_done(self) -> dict[str, list[dt.datetime]]:
        """Completion times of recurring duties."""
        return {k: [dt.datetime.fromisoformat(t) for t in v] for k, v in self._meta["duties"].items()}

    # -- changing (buffered until commit) -------------------------------------------------------

    def put(self, record: Record, state: str = "") -> None:
        """Insert or replace ``record`` (in workflow state ``state``)."""
        self._pending_records[record.number] = record
        self._pending_states[record.number] = state

    def states(self) -> Iterator[dict]:
        """``{number, form, state, form_version, workflow_version}`` of every committed record."""
        for name in sorted(self._dbs):
            if name.startswith("records-"):
                for doc in self._db(name).all():
                    yield {k: doc.get(k) for k in ("number", "form", "state", "form_version", "workflow_version")}

    def next_serial(self, counter: str) -> int:
        """The next serial of ``counter`` (e.g. ``complaint:2026-11``), never reused."""
        value = int(self._meta["counters"].get(counter, 0)) + 1
        self._meta["counters"][counter] = value
        self._meta_dirty = True
        return value

    def note_submission(self, digest: str, info: dict) -> None:
        """Remember that content ``digest`` was applied, and what it did."""
        self._pending_submissions[digest] = {"hash": digest, **info}

    def note_duty(self, duty: str, at: dt.datetime) -> None:
        """Record that ``duty`` was done at ``at``."""
        self._meta["duties"].setdefault(duty, []).append(at.isoformat())
        self._meta_dirty = True

    def snapshot(self) -> dict:
        """The pending state, to roll back a file that failed half-way (all-or-nothing)."""
        return {"records": dict(self._pending_records), "states": dict(self._pending_states),
                "subs": dict(self._pending_submissions),
                "meta": json.loads(json.dumps(self._meta)), "dirty": self._meta_dirty}

    def restore(self, snap: dict) -> None:
        """Undo everything since :meth:`snapshot`."""
        self._pending_records = snap["records"]
        self._pending_states = snap["states"]
        self._pending_submissions = snap["subs"]
        self._meta = snap["meta"]
        self._meta_dirty = snap["dirty"]

    def commit(self) -> None:
        """Write every buffered change durably (WAL, then partitions)."""
        for number, record in self._pending_records.items():
            where = self._records.get(number)
            name = where[0] if where else f"records-{record.form}-{record.created_at.year}"
            doc = record_to_doc(record, self._pending_states.get(number, ""))
            db = self._db(name)
            if where:
                db.update(lambda stored, new=doc: (stored.clear(), stored.update(new)), doc_ids=[where[1]])
            else:
                doc_id = db.insert(doc)
                self._records[number] = (name, doc_id)
        if self._pending_submissions:
            by_year: dict[str, list[dict]] = {}
            for info in self._pending_submissions.values():
                by_year.setdefault(info.get("received", "")[:4] or "0000", []).append(info)
            for year, infos in by_year.items():
                self._db(f"submissions-{year}").insert_multiple(infos)
            self._submissions.update(self._pending_submissions)
        if self._meta_dirty:
            meta = self._db("meta")
            meta.upsert(Document(self._meta, doc_id=1))
        dirty = {name: db.storage.data for name, db in self._dbs.items() if db.storage.dirty}
        if dirty:
            write_json(self.folder / "wal.json", dirty)
            for name, data in dirty.items():
                write_json(self.folder / f"{name}.json", data)
                self._dbs[name].storage.dirty = False
            (self.folder / "wal.json").unlink()
        self._pending_records.clear()
        self._pending_states.clear()
        self._pending_submissions.clear()
        self._meta_dirty = False

    # -- internals -------------------------------------------------------------------------------

    def _db(self, name: str) -> TinyDB:
        if name not in self._dbs:
            self._dbs[name] = TinyDB(self.folder / f"{name}.json", storage=_HeldStorage)
        return self._dbs[name]

    def _recover(self) -> None:
        """Finish a commit that a crash interrupted after its WAL was written."""
        wal = self.folder / "wal.json"
        if not wal.exists():
            return
        try:
            partitions = json.loads(wal.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            wal.unlink()  # written atomically, so a bad WAL is not ours to trust: drop it
            return
        for name, data in partitions.items():
            write_json(self.folder / f"{name}.json", data)
        wal.unlink()
