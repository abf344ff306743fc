"""The store's in-memory indexes of what is committed: records (where each lives, its stored state,
parent and creation time — what lists, the to-do list and ``check`` need without reading a partition)
and submissions (which partition holds each content hash, for the duplicate check).

Built from the partitions' summaries (``index/``) or, for records, from the snapshot of the last build
(:mod:`formflow.adapters.storeopen`); kept up to date by every commit.
Uncommitted changes are the store's own business (:mod:`formflow.adapters.store`).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from formflow.adapters.partitions import sort_key


@contextlib.contextmanager
def building():
    """While an index is built: its entries (a tuple and a few dict entries per record) are all
    long-lived, and the cyclic collector would walk them again and again as they are made (a third of
    opening 100k records). Switched off meanwhile, back on after (if it was on)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class RecordIndex:
    """Committed records by number, by (form, stored state) and by parent."""

    def __init__(self) -> None:
        #: number -> (partition, doc id, kind, created), kind = (form, state, form_version, workflow_version):
        #: one small tuple a record (creation time as a POSIX timestamp), its kind shared by every record of
        #: that form, state and versions (a few dozen tuples in all), since a rebuild or a big office holds
        #: one entry per record: 24 bytes less each than the seven fields side by side.
        self.where: dict[str, tuple[str, int, tuple[str, str, int, int], float]] = {}
        #: (form, state) -> numbers, as the keys of a dict (None values) rather than a set: an ordered set
        #: in all but name, at about half the bytes per number (a set keeps its table 2-4x oversized)
        self._by_state: dict[tuple[str, str], dict[str, None]] = {}
        self._children: dict[str, list[str]] = {}
        self._kinds: dict[tuple[str, str, int, int], tuple[str, str, int, int]] = {}
        #: Records indexed again from another partition than before (a hand copy): an index brought up to
        #: date from a snapshot cannot tell which copy a full build would keep, so it builds afresh.
        self.moved = 0

    def export(self) -> tuple:
        """The index as plain dicts, lists and tuples (what :mod:`formflow.adapters.indexsnapshot` saves; marshal
        keeps the kinds shared, as they are here)."""
        return self.where, self._by_state, self._children, self._kinds

    @classmethod
    def from_export(cls, state: tuple) -> RecordIndex:
        """The index :meth:`export` gave (``ValueError`` if ``state`` is not of that shape)."""
        if not (isinstance(state, tuple) and len(state) == 4 and all(isinstance(part, dict) for part in state)):
            raise ValueError("not a record index")
        index = cls()
        index.where, index._by_state, index._children, index._kinds = state
        return index

    def _kind(self, form: str, state: str, form_version: int, workflow_version: int) -> tuple[str, str, int, int]:
        kind = (sys.intern(form), sys.intern(state), form_version, workflow_version)
        return self._kinds.setdefault(kind, kind)

    def add(self, number: str, name: str, doc_id: int, form: str, state: str, form_version: int,
            workflow_version: int, parent: str, created: float) -> None:
        """Index (or re-index, after a change) record ``number`` stored in partition ``name``."""
        kind = self._kind(form, state, form_version, workflow_version)
        old = self.where.get(number)
        if old is not None:
            self._by_state[old[2][:2]].pop(number, None)
        elif parent:
            self._children.setdefault(parent, []).append(number)
        self.where[number] = (name, doc_id, kind, created)
        self._by_state.setdefault(kind[:2], {})[number] = None

    def add_summary(self, name: str, rows: list) -> int:
        """Index the records of partition ``name`` as its summary lists them; how many of them (distinct numbers)
        were already indexed in ``name`` (re-indexing a changed partition: fewer than it held means records left it).

        What :meth:`add` does, inlined: opening a store of 100k records runs this once per record.
        """
        where, by_state, children, kinds = self.where, self._by_state, self._children, self._kinds
        again: set[str] = set()
        for number, doc_id, form, state, form_version, workflow_version, parent, created in rows:
            if number in where:  # indexed again (a changed partition), or in two partitions (a hand copy): the later wins
                if where[number][0] != name:
                    self.moved += 1
                else:
                    again.add(number)
                self.add(number, name, doc_id, form, state, form_version, workflow_version, parent, created)
                continue
            kind = kinds.get((form, state, form_version, workflow_version))
            if kind is None:
                kind = self._kind(form, state, form_version, workflow_version)
            where[number] = (name, doc_id, kind, created)
            numbers = by_state.get(kind[:2])
            if numbers is None:
                numbers = by_state[kind[:2]] = {}
            numbers[number] = None
            if parent:
                children.setdefault(parent, []).append(number)
        return len(again)

    def numbers_where(self, wanted: Callable[[str, str], bool]) -> list[str]:
        """Numbers of the records whose (form, stored state) pass ``wanted``, in partition order."""
        chosen = [n for (form, state), numbers in self._by_state.items() if wanted(form, state) for n in numbers]
        chosen.sort(key=lambda n: (sort_key(self.where[n][0]), self.where[n][1]))
        return chosen

    def rows(self, form: str | None, states: Mapping[str, str],
             wanted: Callable[[str, str], bool] | None = None) -> list[tuple[str, str, str, float]]:
        """``(number, form, state, created)`` of every record (of ``form``; whose (form, state) pass ``wanted``)
        in partition order; a number in ``states`` shows that state (a change not yet committed).

        With ``wanted``, only the groups of records it picks are looked at (a list of one state among
        100k records reads a few dozen entries, not every one)."""
        keys: dict[str, tuple] = {}
        rows = []
        if wanted is None:
            candidates = self.where.keys()
        else:
            candidates = {n for (f, s), numbers in self._by_state.items()
                          if (form is None or f == form) and wanted(f, s) for n in numbers}
            candidates.update(n for n, s in states.items() if n in self.where and wanted(self.where[n][2][0], s))
        where = self.where
        for number in candidates:
            name, doc_id, (rec_form, state, _, _), created = where[number]
            if form is not None and rec_form != form:
                continue
            if wanted is not None and not wanted(rec_form, states.get(number, state)):
                continue
            key = keys.get(name)
            if key is None:
                key = keys[name] = sort_key(name)
            rows.append((key, doc_id, number, rec_form, states.get(number, state), created))
        rows.sort(key=lambda row: (row[0], row[1]))
        return [row[2:] for row in rows]

    def children(self, number: str) -> list[str]:
        """Numbers of the committed records whose parent is ``number``."""
        return list(self._children.get(number, ()))

    def states(self) -> Iterator[dict]:
        """``{number, form, state, form_version, workflow_version}`` of every committed record."""
        for number, (_, _, (form, state, form_version, workflow_version), _) in self.where.items():
            yield {"number": number, "form": form, "state": state, "form_version": form_version,
                   "workflow_version": workflow_version}


class SubmissionIndex:
    """Committed submissions: the partition holding each content hash (by :func:`digest_key`).

    Its partitions are indexed when first needed (a duplicate check, a commit that adds one): at 100k
    records their hashes are most of the summaries, and show/list/todo/the desk never ask. Under a lock,
    since the desk's request threads share one store; a partition leaves the waiting list only once
    indexed, so a damaged one raises again at every look-up instead of being skipped (a duplicate would
    then pass unseen).
    """

    def __init__(self) -> None:
        self._where: dict[int, str] = {}  # digest key -> partition
        self._waiting: list[tuple[str, Path | str]] = []
        self._lock = threading.Lock()

    def defer(self, name: str, path: Path | str) -> None:
        """Partition ``name`` (file ``path``) is to be indexed when first needed."""
        self._waiting.append((name, path))

    def ensure(self, index_partition: Callable[[str, Path | str], object]) -> None:
        """Index the waiting partitions with ``index_partition`` (which calls :meth:`add`), once."""
        if not self._waiting:
            return
        with self._lock, building():
            while self._waiting:
                index_partition(*self._waiting[0])
                del self._waiting[0]

    def add(self, keys: list[int], name: str) -> None:
        """The submissions with digest keys ``keys`` are in partition ``name``."""
        self._where.update(dict.fromkeys(keys, name))

    def partition(self, key: int) -> str | None:
        """The partition of digest key ``key`` (once :meth:`ensure` ran), if any."""
        return self._where.get(key)
