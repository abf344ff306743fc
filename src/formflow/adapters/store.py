"""The store: records, processed submissions, counters and duty completions, in TinyDB databases.

Layout under ``data/db/``: TinyDB JSON files (``{"_default": {"<doc id>": {...}}}``), each a
*partition* of bounded size, opened as a ``TinyDB`` over our storage (:mod:`formflow.adapters.partitions`;
plain ``tinydb.TinyDB(path)`` reads them too):

- ``records-<form>-<year>.json`` (by the year a record was created), continued in
  ``records-<form>-<year>.2.json``, ``.3`` ... once a file holds :data:`CHUNK_RECORDS` records;
- ``submissions-<year>.json`` (``.2``, ``.3`` ...): what each accepted file did, by content hash;
- ``meta.json``: serial counters and duty completions.

A pass buffers its changes in memory and :meth:`Store.commit` applies them to the partitions'
TinyDB tables (inserts and updates by document id) and writes every changed partition once:

1. the new contents of every changed partition go into ``wal.json`` (atomic write);
2. each of those partition files is replaced atomically;
3. ``wal.json`` is removed.

A crash before 1 leaves the old state; after 1, opening the store finishes 2 from the WAL. Steps
1-3 run under an OS lock on ``commit.lock``, and so does that recovery: a reader opening the
store while the owner commits waits for the commit instead of replaying its WAL at the same time.

Documents are converted by :func:`record_to_doc` / :func:`doc_to_record` (in partitions.py, re-exported
here); which partitions exist, are open and changed, and writing them, is
:class:`formflow.adapters.partitionset.PartitionSet`; the in-memory index of committed records is
:class:`formflow.adapters.recordindex.RecordIndex`.

Cost: partitions are bounded, so a commit writes what changed plus at most a few hundred
neighbours — never the whole history. Opening the store builds in-memory indexes (record →
partition and stored state, submission hashes) from ``index/<partition>.json``: a summary of each
partition, written after the commit that changed it. A summary is only a cache — it names the
size, mtime and inode of the file it describes, and one that is missing, damaged or stale (a WAL
replay, a hand copy) is ignored and the partition itself read. The built record index is kept as
``index/records.snapshot`` (:mod:`formflow.adapters.indexsnapshot`): an open reads it, checks each
partition's stamp, and re-indexes only the partitions changed since (:mod:`formflow.adapters.storeopen`).
The desk's search goes through a trigram index of the partitions' search texts
(:mod:`formflow.adapters.searchindex`), never the records themselves. After that a look-up is O(1)
and reads one partition (a few recently used ones stay parsed). The to-do list only needs
records that are not closed: :meth:`Store.records_where` selects them by stored state without
touching the closed history. Files written by earlier versions (one unbounded file per form and
year) are read as they are; new records then go to the next ``.2`` file.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinydb import Query
from tinydb.table import Document

from formflow.adapters.partitions import (created_stamp, digest_key, doc_to_record, record_to_doc, recover,
                                          search_text)
from formflow.adapters.recordindex import building
from formflow.adapters.searchindex import SearchIndex, clean_query
from formflow.adapters.storemeta import MetaAccess
from formflow.adapters.storeopen import Indexes, partition_summary, worth_saving
from formflow.engine.records import Record

__all__ = ["Store", "doc_to_record", "record_to_doc"]

#: Records per partition file: a commit rewrites at most this many (about 2 KB each) per changed record's file.
CHUNK_RECORDS = 200
#: Submissions per partition file (about 250 bytes each).
CHUNK_SUBMISSIONS = 500
#: Records kept as :class:`Record` objects (the open ones the to-do list reads at every refresh stay here).
CACHED_RECORDS = 4096

_DOC = Query()
#: Marks a pending submission note that replaces the committed one of the same hash.
_AGAIN = "_again"

class Store(MetaAccess):
    """Records and bookkeeping of one workspace, in bounded TinyDB partitions under ``folder``."""

    def __init__(self, folder: Path, *, finish_commit: bool = True):
        """Open the store in ``folder``; ``finish_commit``: replay a WAL a crash left (the lock holder's
        job: a reader passes False and sees the state before that commit until its owner finishes it)."""
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        if finish_commit:
            recover(self.folder)
        #: Bumped by every change (pending or committed): callers cache what they derive from the store.
        self.version = 0
        with building():
            self._opened = Indexes(folder).load()
        self._files = self._opened.files
        self._index = self._opened.records
        self._submissions = self._opened.submissions
        # (no reference back to the store: a store in a reference cycle outlives its last user until the cyclic
        # collector runs, and a rebuild's reopen then held two indexes of 100k records at once)
        self._search = SearchIndex(folder, functools.partial(partition_summary, folder))
        self._cache: OrderedDict[str, Record] = OrderedDict()
        self._pending_records: dict[str, Record] = {}
        self._pending_states: dict[str, str] = {}
        self._pending_submissions: dict[str, dict] = {}
        self._meta: dict[str, Any] = self._opened.meta
        self._meta_dirty = False
        self._first_received: str | None = None
        self._written_since_snapshot: set[str] = set()

    def _index_submissions(self) -> None:
        self._submissions.ensure(self._opened.index_partition)

    # -- reading ------------------------------------------------------------------------------

    def get(self, number: str) -> Record | None:
        """The record called ``number`` (including uncommitted changes of this pass)."""
        pending = self._pending_records.get(number)
        if pending is not None:
            return pending
        cached = self._cache.get(number)
        if cached is not None:
            self._cache.move_to_end(number)
            return cached
        where = self._index.locate(number)
        if where is None:
            return None
        table = self._files.table(where[0])
        doc = table.get(doc_id=where[1])
        if doc is None or doc.get("number") != number:  # the index is a cache of the file: the file decides
            doc = table.get(_DOC["number"] == number)
            if doc is None:
                return None
        record = doc_to_record(doc)
        self._cache[number] = record
        if len(self._cache) > CACHED_RECORDS:
            self._cache.popitem(last=False)
        return record

    def records(self, form: str | None = None) -> Iterator[Record]:
        """Every record (of ``form``), committed or pending, in partition order (reads the whole history)."""
        for name in [n for names in self._files.record_chains(form).values() for n in names]:
            for doc in self._files.read_through(name):
                yield self._pending_records.get(doc["number"]) or doc_to_record(doc)
        for number, record in self._pending_records.items():
            if number not in self._index and (form is None or record.form == form):
                yield record

    def recent(self, count: int) -> list[Record]:
        """The ``count`` most recently created records, newest first.

        Reads only the newest partitions of each form (latest year, last chunk first) until each
        form has given ``count``: a start page stays as fast with years of history behind it.
        """
        # (created, number, record or stored document): only the ``count`` newest become records
        found: list[tuple[float, str, Any]] = [(r.created_at.timestamp(), n, r) for n, r in self._pending_records.items()
                                               if n not in self._index]
        for names in self._files.record_chains().values():
            taken = 0
            for name in reversed(names):
                docs = self._files.table(name).all()
                for doc in docs:
                    pending = self._pending_records.get(doc["number"])
                    found.append((pending.created_at.timestamp(), pending.number, pending) if pending is not None
                                 else (created_stamp(doc), doc["number"], doc))
                taken += len(docs)
                if taken >= count:
                    break
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [item[2] if isinstance(item[2], Record) else doc_to_record(item[2]) for item in found[:count]]

    def records_where(self, wanted: Callable[[str, str], bool]) -> Iterator[Record]:
        """Records whose (form, stored workflow state) pass ``wanted``, without reading the others.

        The to-do list asks for the records not in a final state: the closed history is never read.
        """
        for number in self._index.numbers_where(wanted):
            if number not in self._pending_records:
                yield self.get(number)
        for number, record in self._pending_records.items():
            if wanted(record.form, self._pending_states.get(number, "")):
                yield record

    def index(self, form: str | None = None,
              wanted: Callable[[str, str], bool] | None = None) -> list[tuple[str, str, str, float]]:
        """``(number, form, stored state, created timestamp)`` of every record (of ``form``; whose form and
        stored state pass ``wanted``), from memory.

        Committed records in partition order (as :meth:`records` yields them), then pending new ones;
        a pending change shows its pending state.
        """
        found = self._index.rows(form, self._pending_states, wanted)
        for number, record in self._pending_records.items():
            state = self._pending_states.get(number, "")
            if (number not in self._index and (form is None or record.form == form)
                    and (wanted is None or wanted(record.form, state))):
                found.append((number, record.form, state, record.created_at.timestamp()))
        return found

    def created(self, number: str) -> float | None:
        """When record ``number`` was created (a timestamp), from memory; ``None`` if there is no such record."""
        pending = self._pending_records.get(number)
        if pending is not None:
            return pending.created_at.timestamp()
        found = self._index.entry(number)
        return None if found is None else found[3]

    def children(self, number: str) -> list[str]:
        """Numbers of the records whose parent is ``number`` (committed or pending)."""
        found = [n for n in self._index.children(number) if n not in self._pending_records]
        found += [n for n, r in self._pending_records.items() if r.parent == number]
        return found

    def parents_of(self, numbers: set[str]) -> set[str]:
        """Numbers of the records that ``numbers`` were made from (committed or pending; none left out).

        The committed ones are read in the order they are stored, each partition once: in the set's own order
        a fold of 12,000 records read a partition again for nearly every record (the few kept parsed were never
        the next one's), and that was three quarters of the fold (65 s)."""
        found = set()
        stored = []
        for number in numbers:
            record = self._pending_records.get(number) or self._cache.get(number)
            if record is not None:
                found.add(record.parent)
            else:
                where = self._index.locate(number)
                if where is not None:
                    stored.append((where, number))
        stored.sort()
        found.update(record.parent for _, number in stored if (record := self.get(number)) is not None)
        found.discard("")
        return found

    def children_of(self, numbers: set[str]) -> set[str]:
        """Numbers of the records whose parent is one of ``numbers``: :meth:`children` for a whole commit's
        changes, with one look at the pending records instead of one per number."""
        found = {n for number in numbers for n in self._index.children(number) if n not in self._pending_records}
        found.update(n for n, r in self._pending_records.items() if r.parent in numbers)
        return found

    def save_index_snapshot(self) -> bool:
        """Save the record index snapshot if this store's commits changed many partitions since it was saved
        (the watcher calls this when the inbox is idle, so the next reader — the desk, a command — opens from
        it instead of building the index again). Whether it was saved. Only for the process that commits."""
        written = len(self._written_since_snapshot)
        if (self._pending_records or self._files.interrupted
                or not worth_saving(written, len(self._files.known("records-")))):
            return False
        with building():
            self._opened.save_current()
        self._written_since_snapshot.clear()
        return True

    def search(self, text: str, form: str | None = None) -> set[str]:
        """Numbers of the records (committed or pending; of ``form``) whose number or a short value written into
        them (房号, 姓名, 电话 ...: :func:`search_text`) contains ``text``, case ignored (:mod:`searchindex`)."""
        found = self._search.find(text, form)
        needle = clean_query(text)
        for number, record in self._pending_records.items():
            found.discard(number)  # what it says now, not what its committed version said
            if needle and (form is None or record.form == form) and (
                    needle in number.casefold() or needle in search_text(record_to_doc(record))):
                found.add(number)
        return found

    def prepare_search(self) -> None:
        """Bring the search index of the committed records up to date (:meth:`SearchIndex.prepare`)."""
        self._search.prepare()

    def count(self) -> int:
        """How many records are stored (committed or pending)."""
        return len(self._index) + sum(1 for n in self._pending_records if n not in self._index)

    def submission(self, digest: str) -> dict | None:
        """What an earlier submission with this content hash did, if any."""
        pending = self._pending_submissions.get(digest)
        if pending is None:
            found = self._find_submission(digest)
            pending = self._files.table(found[0]).get(doc_id=found[1]) if found else None
        if pending is None or pending.get("held"):  # (an entry undone that could not apply again: not applied)
            return None
        return {k: v for k, v in pending.items() if k != _AGAIN}

    def _find_submission(self, digest: str) -> tuple[str, int] | None:
        """The partition and document id of a committed submission."""
        self._index_submissions()
        for name in self._submissions.partitions(digest_key(digest)):
            doc = self._files.table(name).get(_DOC["hash"] == digest)
            if doc is not None:
                return name, doc.doc_id
        return None  # (a partition found but not the hash: another hash shares the first digits of this one)

    def submissions(self) -> Iterator[dict]:
        """Every committed submission (reads all of them)."""
        self._index_submissions()
        for name in self._files.known("submissions-"):
            for doc in self._files.read_through(name):
                yield dict(doc)

    def states(self) -> Iterator[dict]:
        """``{number, form, state, form_version, workflow_version}`` of every committed record (from memory)."""
        return self._index.states()

    # -- changing (buffered until commit) -------------------------------------------------------

    def put(self, record: Record, state: str = "") -> None:
        """Insert or replace ``record`` (in workflow state ``state``)."""
        self._pending_records[record.number] = record
        self._pending_states[record.number] = state
        self.version += 1

    def note_submission(self, digest: str, info: dict, *, again: bool = False) -> None:
        """Remember that content ``digest`` was applied, and what it did; ``again``: it was applied before and
        its note is replaced (a late file from another station made it be undone and applied again)."""
        self._pending_submissions[digest] = {"hash": digest, **info, **({_AGAIN: True} if again else {})}

    def since(self) -> dt.date | None:
        """The day this workspace was first used: as a pass noted it, else its first submission's day.

        A store from before the day was noted reads its submissions once for it (then kept in memory).
        """
        if self._meta.get("since"):
            return dt.date.fromisoformat(self._meta["since"])
        if self._first_received is None:
            self._first_received = min((str(s.get("received", "")) for s in self.submissions()), default="")
        try:
            return dt.datetime.fromisoformat(self._first_received).date()  # in the office's zone, as received
        except ValueError:  # nothing submitted yet
            return None

    def snapshot(self) -> dict:
        """The pending state, to roll back a file that failed half-way (all-or-nothing)."""
        return {"records": dict(self._pending_records), "states": dict(self._pending_states),
                "subs": dict(self._pending_submissions),
                "counters": dict(self._meta["counters"]),
                "duties": {k: list(v) for k, v in self._meta["duties"].items()}, "since": self._meta.get("since", ""),
                "fold": self._meta["fold"], "dirty": self._meta_dirty}

    def restore(self, snap: dict) -> None:
        """Undo everything since :meth:`snapshot`."""
        self._pending_records = snap["records"]
        self._pending_states = snap["states"]
        self._pending_submissions = snap["subs"]
        self._meta = {"counters": snap["counters"], "duties": snap["duties"], "since": snap["since"],
                      "fold": snap["fold"]}
        self._meta_dirty = snap["dirty"]
        self.version += 1

    def commit(self) -> None:
        """Write every buffered change durably: into the partitions' TinyDB tables, then the WAL, then the files.

        If it fails, nothing of it stays in memory but the pending changes themselves (a later commit
        tries again from the files), unless the WAL was already on disk: then the store must be reopened.
        """
        if self._pending_submissions:
            self._index_submissions()  # the partition that takes new ones, and its next id
        self._files.begin()
        try:
            placed, added = self._apply_pending()
            written = self._files.write()
        except BaseException:
            self._files.abort()
            raise
        for number, name, doc_id, record, state in placed:
            self._index.add(number, name, doc_id, record.form, state, record.form_version, record.workflow_version,
                            record.parent, record.created_at.timestamp())
            self._cache[number] = record
            self._cache.move_to_end(number)
        while len(self._cache) > CACHED_RECORDS:
            self._cache.popitem(last=False)
        for digest, name in added:
            self._submissions.add([digest_key(digest)], name)
        self._pending_records.clear()
        self._pending_states.clear()
        self._pending_submissions.clear()
        self._meta_dirty = False
        self._search.forget(written)
        self._written_since_snapshot.update(name for name in written if name.startswith("records-"))
        self.version += 1

    def _apply_pending(self) -> tuple[list, list]:
        """Put the pending changes into the partitions' TinyDB tables (in memory until written)."""
        placed, added = [], []
        new: defaultdict[str, list[Document]] = defaultdict(list)
        changed: defaultdict[str, dict[int, dict]] = defaultdict(dict)
        for number, record in self._pending_records.items():
            state = self._pending_states.get(number, "")
            where = self._index.locate(number)
            doc = record_to_doc(record, state)
            if where:
                name, doc_id = where[0], where[1]
                changed[name][doc_id] = doc
            else:
                name = self._files.tail(f"records-{record.form}-{record.created_at.year}", CHUNK_RECORDS)
                doc_id = self._files.take_id(name)
                new[name].append(Document(doc, doc_id))
            placed.append((number, name, doc_id, record, state))
        for digest, info in self._pending_submissions.items():
            if info.get(_AGAIN):
                info = {k: v for k, v in info.items() if k != _AGAIN}
                found = self._find_submission(digest)
                if found is not None:  # replaced where it is (the index already knows it)
                    self._files.table(found[0], write=True).update(_replace_with({found[1]: info}, "hash"),
                                                                   doc_ids=[found[1]])
                    continue
            name = self._files.tail(f"submissions-{info.get('received', '')[:4] or '0000'}", CHUNK_SUBMISSIONS)
            new[name].append(Document(info, self._files.take_id(name)))
            added.append((digest, name))
        for name, docs in new.items():
            self._files.table(name, write=True).insert_multiple(docs)
        for name, docs in changed.items():  # one table update per partition, not one per record
            self._files.table(name, write=True).update(_replace_with(docs), doc_ids=list(docs))
        if self._meta_dirty:
            self._files.table("meta", write=True).upsert(Document({"counters": self._meta["counters"],
                                                                   "duties": self._meta["duties"],
                                                                   "since": self._meta.get("since", ""),
                                                                   "fold": self._meta["fold"]}, 1))
        return placed, added


def _replace_with(docs: dict[int, dict], key: str = "number") -> Callable[[dict], None]:
    """A TinyDB update that replaces each stored document (a record by its number, a submission note by its
    hash) by its new version (all fields, in place)."""
    by_key = {doc[key]: doc for doc in docs.values()}

    def replace(stored: dict) -> None:
        new = by_key[stored[key]]
        stored.clear()
        stored.update(new)
    return replace
