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

from formflow.adapters.digestindex import DigestIndex
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


#: Bits of an index entry (see :class:`RecordIndex`), from the lowest: document id, kind, partition; the
#: creation time in microseconds above them.
_DOC_BITS, _KIND_BITS, _PART_BITS = 24, 16, 24
_KIND_SHIFT = _DOC_BITS
_PART_SHIFT = _DOC_BITS + _KIND_BITS
_TIME_SHIFT = _PART_SHIFT + _PART_BITS


def _bits(width: int) -> int:
    return (1 << width) - 1


class RecordIndex:
    """Committed records by number, by (form, stored state) and by parent.

    Each record's entry — its partition, document id there, kind = (form, state, form_version,
    workflow_version) and creation time — is one int: the partition and the kind as numbers into two short
    lists, the creation time in microseconds. About 40 bytes a record where a tuple of the four (and its
    float) took 110, and ints are not containers, so the cyclic garbage collector never walks the 100k
    entries of a big office (it walked the tuples at every full collection, and once more after each open).
    An entry whose parts do not fit (a document id of 2**24 or more, from a hand-edited file) is kept as
    that tuple instead.
    """

    def __init__(self) -> None:
        #: number -> packed entry (or, rarely, the tuple (partition, doc id, kind, created))
        self.where: dict[str, int | tuple] = {}
        #: (form, state) -> numbers, as the keys of a dict (None values) rather than a set: an ordered set
        #: in all but name, at about half the bytes per number (a set keeps its table 2-4x oversized)
        self._by_state: dict[tuple[str, str], dict[str, None]] = {}
        self._children: dict[str, list[str]] = {}
        self._names: list[str] = []  # partition by number
        self._name_ids: dict[str, int] = {}
        self._kinds: list[tuple[str, str, int, int]] = []  # kind by number
        self._kind_ids: dict[tuple[str, str, int, int], int] = {}
        #: Records indexed again from another partition than before (a hand copy): an index brought up to
        #: date from a snapshot cannot tell which copy a full build would keep, so it builds afresh.
        self.moved = 0

    def export(self) -> tuple:
        """The index as plain dicts, lists and ints (what :mod:`formflow.adapters.indexsnapshot` saves)."""
        return self.where, self._by_state, self._children, self._names, self._kinds

    @classmethod
    def from_export(cls, state: tuple) -> RecordIndex:
        """The index :meth:`export` gave (``ValueError`` if ``state`` is not of that shape)."""
        if not (isinstance(state, tuple) and len(state) == 5 and all(isinstance(part, dict) for part in state[:3])
                and all(isinstance(part, list) for part in state[3:])):
            raise ValueError("not a record index")
        index = cls()
        index.where, index._by_state, index._children, index._names, kinds = state
        index._kinds = [tuple(kind) for kind in kinds]
        index._name_ids = {name: n for n, name in enumerate(index._names)}
        index._kind_ids = {kind: n for n, kind in enumerate(index._kinds)}
        return index

    def __len__(self) -> int:
        return len(self.where)

    def __contains__(self, number: str) -> bool:
        return number in self.where

    def entry(self, number: str) -> tuple[str, int, tuple[str, str, int, int], float] | None:
        """``(partition, doc id, (form, state, form_version, workflow_version), created timestamp)`` of record
        ``number``, or ``None`` if it is not indexed."""
        packed = self.where.get(number)
        return None if packed is None else self._unpack(packed)

    def locate(self, number: str) -> tuple[str, int] | None:
        """``(partition, doc id)`` of record ``number``, or ``None``."""
        found = self.entry(number)
        return None if found is None else found[:2]

    def _unpack(self, packed: int | tuple) -> tuple[str, int, tuple[str, str, int, int], float]:
        if packed.__class__ is tuple:
            return packed
        return (self._names[(packed >> _PART_SHIFT) & _bits(_PART_BITS)], packed & _bits(_DOC_BITS),
                self._kinds[(packed >> _KIND_SHIFT) & _bits(_KIND_BITS)], (packed >> _TIME_SHIFT) / 1_000_000)

    def _pack(self, name: str, doc_id: int, kind_id: int, created: float) -> int | tuple:
        part = self._name_ids.get(name)
        if part is None:
            part = self._name_ids[name] = len(self._names)
            self._names.append(sys.intern(name))
        stamp = None
        if isinstance(created, (int, float)):
            try:
                stamp = round(created * 1_000_000)
            except (ValueError, OverflowError):  # not a finite number: kept as it came
                pass
            if stamp is not None and stamp / 1_000_000 != created:  # (exact within 1833-2106 or so)
                stamp = None
        if (stamp is not None and 0 <= doc_id <= _bits(_DOC_BITS) and kind_id <= _bits(_KIND_BITS)
                and part <= _bits(_PART_BITS)):
            return (stamp << _TIME_SHIFT) | (part << _PART_SHIFT) | (kind_id << _KIND_SHIFT) | doc_id
        return (name, doc_id, self._kinds[kind_id], created)

    def _kind_id(self, form: str, state: str, form_version: int, workflow_version: int) -> int:
        """The number of kind (form, state, form_version, workflow_version), given it when new."""
        kind = (form, state, form_version, workflow_version)
        found = self._kind_ids.get(kind)
        if found is None:
            found = self._kind_ids[kind] = len(self._kinds)
            self._kinds.append((sys.intern(form), sys.intern(state), form_version, workflow_version))
        return found

    def add(self, number: str, name: str, doc_id: int, form: str, state: str, form_version: int,
            workflow_version: int, parent: str, created: float) -> None:
        """Index (or re-index, after a change) record ``number`` stored in partition ``name``."""
        kind_id = self._kind_id(form, state, form_version, workflow_version)
        old = self.entry(number)
        if old is not None:
            self._by_state[old[2][:2]].pop(number, None)
        elif parent:
            self._children.setdefault(parent, []).append(number)
        self.where[number] = self._pack(name, doc_id, kind_id, created)
        self._by_state.setdefault(self._kinds[kind_id][:2], {})[number] = None

    def add_summary(self, name: str, rows: list) -> int:
        """Index the records of partition ``name`` as its summary lists them; how many of them (distinct numbers)
        were already indexed in ``name`` (re-indexing a changed partition: fewer than it held means records left it).

        What :meth:`add` does, inlined: opening a store of 100k records runs this once per record.
        """
        where, by_state, children = self.where, self._by_state, self._children
        again: set[str] = set()
        pack = self._pack
        for number, doc_id, form, state, form_version, workflow_version, parent, created in rows:
            if number in where:  # indexed again (a changed partition), or in two partitions (a hand copy): the later wins
                if self.locate(number)[0] != name:
                    self.moved += 1
                else:
                    again.add(number)
                self.add(number, name, doc_id, form, state, form_version, workflow_version, parent, created)
                continue
            kind_id = self._kind_id(form, state, form_version, workflow_version)
            where[number] = pack(name, doc_id, kind_id, created)
            group = self._kinds[kind_id][:2]
            numbers = by_state.get(group)
            if numbers is None:
                numbers = by_state[group] = {}
            numbers[number] = None
            if parent:
                children.setdefault(parent, []).append(number)
        return len(again)

    def numbers_where(self, wanted: Callable[[str, str], bool]) -> list[str]:
        """Numbers of the records whose (form, stored state) pass ``wanted``, in partition order."""
        chosen = [n for (form, state), numbers in self._by_state.items() if wanted(form, state) for n in numbers]
        keys: dict[str, tuple] = {}

        def order(number: str) -> tuple:
            name, doc_id = self.locate(number)
            key = keys.get(name)
            if key is None:
                key = keys[name] = sort_key(name)
            return key, doc_id
        chosen.sort(key=order)
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
            candidates.update(n for n, s in states.items() if n in self.where and wanted(self.entry(n)[2][0], s))
        where, unpack = self.where, self._unpack
        for number in candidates:
            name, doc_id, (rec_form, state, _, _), created = unpack(where[number])
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
        for number, packed in self.where.items():
            form, state, form_version, workflow_version = self._unpack(packed)[2]
            yield {"number": number, "form": form, "state": state, "form_version": form_version,
                   "workflow_version": workflow_version}


class SubmissionIndex:
    """Committed submissions: the partitions holding each content hash (by :func:`digest_key`), in a
    :class:`~formflow.adapters.digestindex.DigestIndex` (about 8 bytes a submission).

    Its partitions are indexed when first needed (a duplicate check, a commit that adds one): at 100k
    records their hashes are most of the summaries, and show/list/todo/the desk never ask. Under a lock,
    since the desk's request threads share one store; a partition leaves the waiting list only once
    indexed, so a damaged one raises again at every look-up instead of being skipped (a duplicate would
    then pass unseen).
    """

    def __init__(self) -> None:
        self._keys = DigestIndex()
        self._waiting: list[tuple[str, Path | str]] = []
        self._lock = threading.Lock()  # look-ups and additions too: a merge of segments moves entries

    def defer(self, name: str, path: Path | str) -> None:
        """Partition ``name`` (file ``path``) is to be indexed when first needed."""
        self._waiting.append((name, path))

    def ensure(self, index_partition: Callable[[str, Path | str], dict]) -> None:
        """Index the waiting partitions, once: ``index_partition`` gives each one's summary, whose hashes are
        gathered unsorted and sorted once at the end (no look-up comes in between: the lock is held)."""
        if not self._waiting:
            return
        with self._lock, building():
            try:
                while self._waiting:
                    name = self._waiting[0][0]
                    self._keys.extend(index_partition(*self._waiting[0])["hashes"], name)
                    del self._waiting[0]
            finally:
                self._keys.settle()

    def add(self, keys: list[int], name: str) -> None:
        """The submissions with digest keys ``keys`` (committed just now) are in partition ``name``."""
        with self._lock:
            self._keys.add(keys, name)

    def partitions(self, key: int) -> list[str]:
        """The partitions that may hold digest key ``key`` (once :meth:`ensure` ran): the full hash decides."""
        with self._lock:
            return self._keys.partitions(key)
