"""Opening a store: its in-memory indexes built from the record index snapshot where the partitions did not
change since it was saved, from the partitions' summaries (or the partitions themselves) elsewhere.

See :mod:`formflow.adapters.indexsnapshot` for the snapshot, :mod:`formflow.adapters.recordindex` for the
indexes; :class:`formflow.adapters.store.Store` holds what :class:`Indexes` builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formflow.adapters import indexsnapshot
from formflow.adapters.partitions import TABLE, list_partitions, open_partition, read_summary, summarize, write_summary
from formflow.adapters.partitionset import PartitionSet
from formflow.adapters.recordindex import RecordIndex, SubmissionIndex

#: Partitions re-indexed at an open (changed since the snapshot) from which the snapshot is saved again
#: (saving costs about what re-indexing that many partitions does, at 100k records).
SNAPSHOT_REWRITE = 8


def worth_saving(changed: int, partitions: int) -> bool:
    """Whether ``changed`` of ``partitions`` record partitions read again make saving a snapshot worth it:
    :data:`SNAPSHOT_REWRITE` of them, or any in a small store (where saving is as cheap as re-reading)."""
    return changed >= min(SNAPSHOT_REWRITE, 1 + partitions // 10)


def partition_summary(folder: Path, name: str, path: Path | str) -> dict:
    """Partition ``name``'s summary, made again from the file (and saved) when missing or stale."""
    path = Path(path)
    summary = read_summary(folder, name, path)
    if summary is None:  # no summary yet (older store, or the file changed since): read the file itself
        db = open_partition(path)
        summary = summarize(name, db.table(TABLE).all(), db.storage.read_stat)
        write_summary(folder, name, summary)
    return summary


class Indexes:
    """The partitions, record and submission indexes and bookkeeping (``meta``) of the store in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.files = PartitionSet(folder)
        self.records = RecordIndex()
        self.submissions = SubmissionIndex()
        self.meta: dict[str, Any] = {"counters": {}, "duties": {}, "since": "", "fold": {}}

    def index_partition(self, name: str, path: Path | str) -> dict:
        """Index partition ``name`` from its summary; the summary (with ``kept``: for a record partition, how
        many of its records were indexed in it before). A submission partition's hashes are left to the caller,
        :meth:`SubmissionIndex.ensure`, which indexes them all at once."""
        summary = partition_summary(self.folder, name, path)
        self.files.note(name, summary["count"], summary["next_id"])
        if name.startswith("records-"):
            summary["kept"] = self.records.add_summary(name, summary["records"])
        return summary

    def load(self) -> Indexes:
        """Build the indexes (see the module docstring); ``self``, or a fresh :class:`Indexes` built from the
        summaries alone when the snapshot cannot be brought up to date."""
        saved = indexsnapshot.load(self.folder)
        covered: dict = {}  # partition -> (file stamp, documents, next id) as the snapshot knew it
        if saved is not None:
            covered, index_state = saved
            try:
                self.records = RecordIndex.from_export(index_state)
            except ValueError:
                saved, covered = None, {}
        changed, present = [], set()
        for name, path, stamp in list_partitions(self.folder):
            if name == "meta":
                self._read_meta()
            elif name.startswith("submissions-"):
                self.submissions.defer(name, path)
            else:
                present.add(name)
                known = covered.get(name)
                if known is not None and known[0] == stamp:
                    self.files.note(name, known[1], known[2])
                else:
                    changed.append((name, path))
        stamps = {name: known[0] for name, known in covered.items() if name in present}
        lost = False  # a record the snapshot had in a changed partition is no longer in it
        for name, path in changed:
            summary = self.index_partition(name, path)
            stamps[name] = tuple(summary["file"])
            lost = lost or (name in covered and summary["kept"] < covered[name][1])
        if saved is not None and (lost or self.records.moved or not present.issuperset(covered)):
            # records left a partition (deleted, a backup restored, a hand copy) or a partition went away: an
            # index brought up to date record by record would keep them, so it is built from the summaries alone
            return Indexes(self.folder)._load_from_summaries()
        if saved is None or worth_saving(len(changed), len(present)):
            self._save_snapshot(stamps)
        return self

    def _load_from_summaries(self) -> Indexes:
        stamps = {}
        for name, path, _ in list_partitions(self.folder):
            if name == "meta":
                self._read_meta()
            elif name.startswith("records-"):
                stamps[name] = tuple(self.index_partition(name, path)["file"])
            else:
                self.submissions.defer(name, path)
        self._save_snapshot(stamps)
        return self

    def _read_meta(self) -> None:
        doc = self.files.table("meta").get(doc_id=1)
        if doc:
            self.meta = {"counters": dict(doc.get("counters", {})), "duties": dict(doc.get("duties", {})),
                         "since": doc.get("since", ""), "fold": dict(doc.get("fold") or {})}

    def save_current(self) -> None:
        """Save the snapshot of the index as it is now: for the process that commits (it alone writes, under the
        workspace lock), whose index is what its commits wrote; the stamps are the files' as they are now."""
        self._save_snapshot({name: stamp for name, _, stamp in list_partitions(self.folder)
                             if name.startswith("records-")})

    def _save_snapshot(self, stamps: dict[str, tuple]) -> None:
        sizes = self.files.sizes()
        indexsnapshot.save(self.folder, {name: (stamp, *sizes[name]) for name, stamp in stamps.items()},
                           self.records.export())
