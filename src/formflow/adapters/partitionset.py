"""The partition files of one store, each opened as a TinyDB database when it is used.

Which partitions exist and how full each is (so new documents go to the last one of their kind,
a new one once it is full), which are open (the least recently used are closed beyond
:data:`CACHED_PARTITIONS`; a changed one stays open until written), and writing every changed one
all or nothing: TinyDB's caching middleware hands each table to our storage, which stages it
for the write-ahead log (:func:`formflow.adapters.partitions.write_with_wal`); then each
partition's summary is written for the next open. What goes into the tables is the store's
business (:mod:`formflow.adapters.store`).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from tinydb import TinyDB
from tinydb.table import Document, Table

from formflow.adapters.partitions import (PARTITION_NAME, TABLE, WAL, open_partition, sort_key, summarize,
                                          write_summary, write_with_wal)
from formflow.errors import FormflowError

#: Partitions kept open, parsed, in memory (least recently used closed first; changed ones never).
CACHED_PARTITIONS = 24


class PartitionSet:
    """The partitions of the store in ``folder``: known, open, changed."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._open: OrderedDict[str, TinyDB] = OrderedDict()  # least recently used first
        self._changed: set[str] = set()
        self._staged: dict[str, bytes] = {}  # what the partitions' storages hand over at a write
        self._sizes: dict[str, int] = {}  # partition -> documents in it
        self._next_ids: dict[str, int] = {}
        self._tails: dict[str, str] = {}  # base name -> its last partition
        self._before: tuple[dict, dict, dict] | None = None  # the bookkeeping when the change began
        #: Set when a write failed after its WAL was on disk: the next open finishes that commit; this
        #: set (and the store over it) must not write again, or it would number the same documents twice.
        self.interrupted = False

    def begin(self) -> None:
        """A change starts: remember the bookkeeping, for :meth:`abort`."""
        if self.interrupted:
            raise FormflowError("数据库上次写入中断，请重新打开后再试 the last write was interrupted: reopen the store "
                                "(its next open finishes that commit from the WAL)")
        self._before = (dict(self._sizes), dict(self._next_ids), dict(self._tails))

    def abort(self) -> None:
        """The change failed before anything reached the files: close the tables it touched (they hold what
        the files do not) and put the bookkeeping back, so a later change starts from the files."""
        for name in self._changed:
            self._open.pop(name, None)
        self._changed.clear()
        self._staged.clear()
        if self._before is not None:
            self._sizes, self._next_ids, self._tails = self._before
            self._before = None

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def note(self, name: str, count: int, next_id: int) -> None:
        """Partition ``name`` exists with ``count`` documents; its next document id is ``next_id``."""
        self._sizes[name] = count
        self._next_ids[name] = next_id
        base = PARTITION_NAME.match(name)["base"]
        if base not in self._tails or sort_key(name) > sort_key(self._tails[base]):
            self._tails[base] = name

    def sizes(self) -> dict[str, tuple[int, int]]:
        """``(documents, next document id)`` of every partition noted."""
        return {name: (count, self._next_ids[name]) for name, count in self._sizes.items()}

    def known(self, prefix: str) -> list[str]:
        """The partitions whose names start with ``prefix``, in order (year, then continuation)."""
        return sorted((name for name in self._sizes if name.startswith(prefix)), key=sort_key)

    def record_chains(self, form: str | None = None) -> dict[str, list[str]]:
        """The record partitions of each form (of ``form`` only, if given), in order: form -> names."""
        chains: dict[str, list[str]] = {}
        for name in self.known("records-"):
            owner = PARTITION_NAME.match(name)["base"].removeprefix("records-").rpartition("-")[0]
            if form is None or owner == form:
                chains.setdefault(owner, []).append(name)
        return chains

    def table(self, name: str, *, write: bool = False) -> Table:
        """The TinyDB table of partition ``name`` (parsed once, then kept open while recently used);
        ``write``: it is about to change, and stays open until :meth:`write`."""
        if write:
            self._changed.add(name)
        db = self._open.get(name)
        if db is None:
            db = self._open[name] = open_partition(self.path(name), self._staged)
            if name not in self._sizes:
                docs = db.table(TABLE).all()
                self.note(name, len(docs), max((d.doc_id for d in docs), default=0) + 1)
            self.trim()
        else:
            self._open.move_to_end(name)
        return db.table(TABLE)

    def read_through(self, name: str) -> list[Document]:
        """Every document of partition ``name``, without keeping it open (reading the whole history)."""
        db = self._open.get(name)
        return (db if db is not None else open_partition(self.path(name))).table(TABLE).all()

    def tail(self, base: str, limit: int) -> str:
        """The partition of ``base`` that takes new documents (a new one once the last holds ``limit``)."""
        name = self._tails.get(base)
        if name is None:
            name = base
        elif self._sizes.get(name, 0) >= limit:
            name = f"{base}.{sort_key(name)[1] + 1}"
        if name not in self._sizes:
            self.note(name, 0, 1)
        return name

    def take_id(self, name: str) -> int:
        """A document id for a new document of partition ``name``."""
        doc_id = self._next_ids[name]
        self._next_ids[name] = doc_id + 1
        self._sizes[name] += 1
        return doc_id

    def write(self) -> list[str]:
        """Write every changed partition, all or nothing (WAL, then each file), then their summaries; the names
        of the partitions written.

        If the write fails, the change is undone in memory (:meth:`abort`) and the error goes to the
        caller; failing once its WAL is on disk, the set is marked :attr:`interrupted`.
        """
        if not self._changed:
            return []
        names = sorted(self._changed, key=sort_key)
        self._staged.clear()
        try:
            for name in names:
                self._open[name].storage.flush()  # CachingMiddleware -> PartitionStorage.write -> _staged
            write_with_wal(self.folder, {name: self._staged[name] for name in names})
        except BaseException:
            if (self.folder / WAL).exists():  # on disk: some files may be new, the next open finishes them
                self.interrupted = True
            self.abort()
            raise
        self._staged.clear()
        self._changed.clear()
        self._before = None
        for name in names:
            if name != "meta":
                try:
                    stat = self.path(name).stat()
                except OSError:
                    continue
                write_summary(self.folder, name, summarize(name, self._open[name].table(TABLE).all(), stat))
        self.trim()
        return names

    def trim(self) -> None:
        """Close the least recently used partitions beyond :data:`CACHED_PARTITIONS` (never a changed one)."""
        if len(self._open) <= CACHED_PARTITIONS:
            return
        for name in list(self._open):
            if len(self._open) <= CACHED_PARTITIONS:
                break
            if name not in self._changed:
                del self._open[name]
