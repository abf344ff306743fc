"""A snapshot of the record index, so that opening a store of 100k records reads one file, not 500 summaries.

Opening a store builds :class:`~formflow.adapters.recordindex.RecordIndex` (where each record lives, its
stored state, its children) from every record partition's summary: at 100k records that is 500 JSON files
and 100k rows turned into Python objects one by one, about 0.2 s of every ``show``, ``todo`` or desk start.
The snapshot holds the built index as :mod:`marshal` data (made and read in C: about a quarter of that
time) with the file stamp (size, mtime, inode), size and next document id of each partition it covers.

It is a cache, like the summaries: the store checks each partition's stamp against the files (one
``scandir``, which listing the folder needed anyway) and re-indexes only the partitions that changed
since — a commit, a WAL replay, a hand copy. It is rewritten when missing or when many partitions
changed; the writer's commits never wait for it. A snapshot that is damaged (checked with a CRC-32
checksum before :mod:`marshal` reads it), of another format, or that names a partition no longer there
is ignored, and the index built from the summaries as before.
"""

from __future__ import annotations

import marshal
import os
import zlib
from pathlib import Path

from formflow.adapters.partitions import SUMMARY_VERSION

#: Bumped whenever what is saved changes; a snapshot of another format (or made from summaries of
#: another format: what they hold, such as the search texts, may have changed) is ignored.
SNAPSHOT_FORMAT = 3
_MAGIC = b"formflow-index\n"



def snapshot_path(folder: Path, kind: str = "records") -> Path:
    """Where the snapshot of ``kind`` ("records": the record index) is kept."""
    return folder / "index" / f"{kind}.snapshot"


def save(folder: Path, partitions: dict, state: tuple, kind: str = "records") -> None:
    """Write the snapshot ``kind``: ``partitions`` (partition name -> what was taken from it, its file stamp
    first) and ``state`` (the record index: :meth:`RecordIndex.export`). Plain dicts, lists, tuples, strings and numbers only.

    Atomic replace, not fsynced: a lost or half-written snapshot is only ignored at the next open."""
    payload = marshal.dumps(((SNAPSHOT_FORMAT, SUMMARY_VERSION), partitions, state), 4)
    path = snapshot_path(folder, kind)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        tmp.write_bytes(_MAGIC + zlib.crc32(payload).to_bytes(4, "big") + payload)
        os.replace(tmp, path)
    except OSError:  # read-only folder, disk full: the next open builds from the summaries again
        tmp.unlink(missing_ok=True)


def load(folder: Path, kind: str = "records") -> tuple[dict, tuple] | None:
    """``(partitions, state)`` of the saved snapshot ``kind``, or ``None`` if there is none fit to use."""
    try:
        raw = snapshot_path(folder, kind).read_bytes()
    except OSError:
        return None
    head = len(_MAGIC)
    payload = raw[head + 4:]
    if raw[:head] != _MAGIC or zlib.crc32(payload).to_bytes(4, "big") != raw[head:head + 4]:
        return None
    try:
        fmt, partitions, state = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if fmt != (SNAPSHOT_FORMAT, SUMMARY_VERSION) or not isinstance(partitions, dict) or not isinstance(state, tuple):
        return None
    return partitions, state
