"""Partition files of the store (``data/db/``): each a TinyDB database, read and written through
TinyDB's own extension points, and written all or nothing with its neighbours through the WAL.

- :class:`PartitionStorage` is a TinyDB ``Storage``: it reads one partition file (a damaged one is a
  clear error naming the file) and hands what TinyDB writes to the commit in progress, so several
  partitions change together (:func:`write_with_wal`: WAL, then each file replaced atomically with
  fsync); used on its own it replaces the file atomically.
- :func:`open_partition` opens one as ``TinyDB`` over that storage with TinyDB's ``CachingMiddleware``
  (parsed once, flushed only when the store commits).

Also here: naming partitions, summarising them for the store's in-memory indexes, the change marker,
and finishing an interrupted write. The store itself (indexes, caching, what a commit writes) is
:mod:`formflow.adapters.store`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage
from tinydb.table import Document

from formflow.adapters.atomic import write_bytes, write_json
from formflow.engine.records import Event, Record
from formflow.errors import FormflowError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per workspace (WorkspaceLock) still holds
    fcntl = None

#: TinyDB's table inside each file.
TABLE = "_default"
#: The write-ahead log of a commit in progress (in the store's folder).
WAL = "wal.json"
#: Format of the summaries in ``index/`` (a summary of another format is ignored and rebuilt).
SUMMARY_VERSION = 4
#: Between the values of one record, and between records, in a partition's search text (see :func:`search_text`).
VALUE_SEP, RECORD_SEP = "\x1f", "\x1e"
#: Values longer than this are free text, not searched (see :func:`search_text`).
SEARCHED_LENGTH = 32
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}.*)?$")
#: The change marker: a small file every commit (and WAL replay) rewrites with a new token, so a reader
#: asks "has the store changed?" with one read instead of a stat of every partition.
CHANGE_MARKER = "changed"

_MARKS = itertools.count()

def record_to_doc(record: Record, state: str = "") -> dict:
    """A record as stored: plain JSON (``state`` is kept so `check` can spot states a workflow edit removed)."""
    return {
        "number": record.number, "form": record.form, "state": state, "form_version": record.form_version,
        "workflow_version": record.workflow_version, "parent": record.parent,
        "events": [{"action": e.action, "by": e.by, "at": e.at.isoformat(), "data": dict(e.data), "note": e.note,
                    **({"entry": list(e.entry)} if e.entry else {})} for e in record.events],
    }


def doc_to_record(doc: dict) -> Record:
    """A stored document back into a :class:`Record`."""
    events = tuple(Event(e["action"], e["by"], dt.datetime.fromisoformat(e["at"]), e["data"], e.get("note", ""),
                         _entry_key(e.get("entry")))
                   for e in doc["events"])
    return Record(doc["number"], doc["form"], events, doc.get("form_version", 1), doc.get("workflow_version", 1),
                  doc.get("parent", ""))


def _entry_key(raw) -> tuple[int, str, int] | None:
    """An event's entry key as stored (``[order, station, seq]``); None when absent or not one."""
    if isinstance(raw, list) and len(raw) == 3:
        try:
            return int(raw[0]), str(raw[1]), int(raw[2])
        except (TypeError, ValueError):
            return None
    return None


#: A partition's file name (without .json): its base and continuation number.
PARTITION_NAME = re.compile(r"^(?P<base>records-.+-\d{4}|submissions-\d{4}|meta)(?:\.(?P<n>\d+))?$")


def encode(data: Any) -> bytes:
    """Compact UTF-8 JSON, as :func:`formflow.adapters.atomic.write_json` writes it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest_key(digest: str) -> int:
    """A submission hash as a small int for the in-memory index (the full hash is checked on a hit)."""
    try:
        return int(digest[:16], 16)
    except ValueError:  # not ours (sha256 hex): still the same key in every process
        return int.from_bytes(hashlib.sha256(digest.encode("utf-8", "replace")).digest()[:8], "big")


def sort_key(name: str) -> tuple[str, int]:
    match = PARTITION_NAME.match(name)
    return (match["base"], int(match["n"] or 1)) if match else (name, 0)


class PartitionStorage(Storage):
    """TinyDB storage of one partition file.

    ``staging``: where a commit collects the partitions it writes (name → file bytes) to write them
    together through the WAL; without it, :meth:`write` replaces the file atomically (fsync).
    """

    def __init__(self, path: Path, staging: MutableMapping[str, bytes] | None = None):
        self.path = Path(path)
        self.staging = staging
        #: The file's stat as it was read (what a summary of it names); ``None`` before a read or with no file.
        self.read_stat: os.stat_result | None = None

    def read(self) -> dict | None:
        try:
            with open(self.path, "rb") as handle:
                self.read_stat = os.fstat(handle.fileno())  # of the very file read, not of a later replacement
                raw = handle.read()
        except FileNotFoundError:
            return None
        return parse_partition(self.path, raw)

    def write(self, data: dict) -> None:
        encoded = encode(data)
        if self.staging is not None:
            self.staging[self.path.stem] = encoded
        else:
            write_bytes(self.path, encoded)

    def close(self) -> None:
        pass


def open_partition(path: Path, staging: MutableMapping[str, bytes] | None = None) -> TinyDB:
    """Partition file ``path`` as a TinyDB database (parsed on first use, then kept in TinyDB's cache).

    Changes stay in the cache until ``db.storage.flush()`` hands them to ``staging`` (the store does that
    for every changed partition at commit): TinyDB's own write-every-N-operations is switched off, so
    nothing reaches the disk half-way through a pass.
    """
    middleware = CachingMiddleware(PartitionStorage)
    middleware.WRITE_CACHE_SIZE = sys.maxsize
    return TinyDB(path, staging=staging, storage=middleware)


def parse_partition(path: Path, raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormflowError(f"数据库文件损坏 database file is damaged: {path} ({exc}); "
                            "用 formflow rebuild 从存档重建 rebuild it from the archive") from None
    table = data.setdefault(TABLE, {}) if isinstance(data, dict) else None
    # TinyDB turns every document id into an int when it changes a table: check them here, not in a traceback
    if not isinstance(table, dict) or not all(k.isascii() and k.isdigit() and isinstance(v, dict) for k, v in table.items()):
        raise FormflowError(f"数据库文件损坏 database file is damaged: {path} (not a TinyDB file); "
                            "用 formflow rebuild 从存档重建 rebuild it from the archive")
    return data


def stamp(stat: os.stat_result) -> list[int]:
    """What identifies one version of a partition file (an atomic replace changes the inode and mtime)."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def summarize(name: str, docs: Iterable[Document], stat: os.stat_result) -> dict:
    """What the in-memory indexes need from partition ``name`` (kept in ``index/<name>.json``)."""
    docs = list(docs)
    summary: dict[str, Any] = {"version": SUMMARY_VERSION, "file": stamp(stat), "count": len(docs),
                               "next_id": max((doc.doc_id for doc in docs), default=0) + 1}
    if name.startswith("records-"):
        summary["records"] = [[doc["number"], doc.doc_id, doc["form"], doc.get("state") or "",
                               doc.get("form_version", 1), doc.get("workflow_version", 1), doc.get("parent") or "",
                               created_stamp(doc)]
                              for doc in docs]
        summary["search"] = RECORD_SEP.join(  # the number as it is (what a hit gives back), then as searched
            f"{number}{VALUE_SEP}{number.casefold()}{VALUE_SEP}{search_text(doc)}"
            for number, doc in ((str(doc.get("number", "")), doc) for doc in docs))
    else:
        summary["hashes"] = [digest_key(str(doc.get("hash", ""))) for doc in docs]
    return summary


def _take(value, seen: dict[str, None]) -> None:
    """Add the searched form of ``value`` (of a list's items, of a table row's cells) to ``seen``.

    A module-level function, not a closure over ``seen`` inside :func:`search_text`: a nested function that
    calls itself is a reference cycle, so each record's ``seen`` (every value it holds) outlived the call
    until the cyclic collector ran — and opening a store, which switches the collector off while it indexes
    (:func:`formflow.adapters.recordindex.building`), held them all: 260 MB at 100k records read again."""
    if isinstance(value, list):
        for item in value:
            _take(item, seen)
    elif isinstance(value, dict):  # a table row: its cells (one level: rows hold plain values)
        for item in value.values():
            if not isinstance(item, (list, dict)):
                _take(item, seen)
    elif value is not None and not isinstance(value, bool):
        text = str(value)
        if len(text) <= SEARCHED_LENGTH and not _DATE.match(text):
            seen[text.replace(VALUE_SEP, " ").replace(RECORD_SEP, " ").casefold()] = None


def search_text(doc: dict) -> str:
    """What a search finds a stored record by: the short values written into it (房号, 姓名, 电话, choices,
    amounts, the cells of table rows such as 车牌号 ...), each once, casefolded, between :data:`VALUE_SEP`
    (a search never spans two values).

    Free text (over :data:`SEARCHED_LENGTH` characters: details, comments) and dates and times are left out:
    at 100k records they made the search texts 40 million characters, scanned at every search and held in the
    desk's memory, for words a clerk rarely searches by. Whatever is not shaped as formflow writes it is
    skipped, never an error (a hand-edited file must not stop the store from opening)."""
    seen: dict[str, None] = {}
    events = doc.get("events")
    for event in events if isinstance(events, list) else ():
        data = event.get("data") if isinstance(event, dict) else None
        if isinstance(data, dict):
            for value in data.values():
                _take(value, seen)
    seen.pop("", None)
    return VALUE_SEP.join(seen)


def list_partitions(folder: Path) -> list[tuple[str, str, tuple[int, int, int] | None]]:
    """``(name, path, file stamp)`` of the store's partition files, in order (year, then continuation); the
    stamp is ``None`` for submission partitions, which are indexed later, if at all (their summary checks
    the file then): at 100k records they are 1,200 of the 1,700 files, and a ``stat`` each.

    One ``scandir``; paths as strings (at 100k records a ``Path`` for each of ~700 files was a tenth
    of opening the store)."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name[:-5] if entry.name.endswith(".json") else ""
            if not PARTITION_NAME.match(name):  # not wal.json, nor anything else that is not ours
                continue
            if name.startswith("submissions-"):
                found.append((name, entry.path, None))
            else:  # (on Windows a DirEntry's stat has no inode, which summaries and snapshots compare)
                info = entry.stat() if os.name != "nt" else os.stat(entry.path)
                found.append((name, entry.path, tuple(stamp(info))))
    found.sort(key=lambda item: sort_key(item[0]))
    return found


class CommitLock:
    """An OS lock on ``commit.lock``: held while a commit, or the replay of a left-over WAL, runs."""

    def __init__(self, folder: Path):
        self.path = folder / "commit.lock"
        self.handle = None

    def __enter__(self):
        if fcntl is not None:
            self.handle = open(self.path, "a+")
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            self.handle.close()  # releases the lock
            self.handle = None


def _summary_path(folder: Path, name: str) -> Path:
    return folder / "index" / f"{name}.json"


def created_stamp(doc: dict) -> float:
    """When a stored record was created, as a POSIX timestamp (its first event's time; 0 if it has none)."""
    try:
        return dt.datetime.fromisoformat(doc["events"][0]["at"]).timestamp()
    except (LookupError, TypeError, ValueError):
        return 0.0


def mark_change(folder: Path) -> None:
    """Give the change marker a new token (atomic replace; a reader sees the old or the new one)."""
    path = folder / CHANGE_MARKER
    tmp = path.with_name(f".{CHANGE_MARKER}.{os.getpid()}.tmp")
    try:
        tmp.write_text(f"{os.getpid()}-{time.time_ns()}-{next(_MARKS)}", encoding="ascii")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # read-only folder, disk full...: readers fall back to stat-ing the files


def read_change_marker(folder: Path) -> str | None:
    """The marker's token, or ``None`` when there is none (a store no commit of this version has touched)."""
    try:
        return (folder / CHANGE_MARKER).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None


def read_summary(folder: Path, name: str, path: Path) -> dict | None:
    """The summary of partition ``name`` (file ``path``), if there is one for the file as it is now."""
    try:
        summary = json.loads(_summary_path(folder, name).read_bytes())
        current = stamp(path.stat())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(summary, dict) or summary.get("version") != SUMMARY_VERSION or summary.get("file") != current:
        return None
    return summary


def write_summary(folder: Path, name: str, summary: dict) -> None:
    """Save a summary (a cache: not fsynced; a lost or stale one is rebuilt from its partition)."""
    path = _summary_path(folder, name)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        try:
            data = json.dumps(summary, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in a hand-edited partition: JSON's escapes carry it
            data = json.dumps(summary, separators=(",", ":")).encode("ascii")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # read-only folder, disk full...: the next open reads the partition


def write_with_wal(folder: Path, encoded: dict[str, bytes]) -> None:
    """Replace the partitions ``encoded`` (name → file bytes) all or nothing: the WAL first, then each file."""
    wal = folder / WAL
    with CommitLock(folder):
        write_bytes(wal, b"{" + b",".join(encode(name) + b":" + data for name, data in encoded.items()) + b"}")
        for name, data in encoded.items():
            write_bytes(folder / f"{name}.json", data)
        mark_change(folder)  # before the WAL goes: a crash in between is replayed, and marked, on the next open
        wal.unlink(missing_ok=True)


def recover(folder: Path) -> None:
    """Finish a commit that a crash interrupted after its WAL was written."""
    wal = folder / WAL
    if not wal.exists():
        return
    with CommitLock(folder):  # a live owner finishes its commit first; then there is nothing to do
        try:
            partitions = json.loads(wal.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (ValueError, UnicodeDecodeError):
            wal.unlink(missing_ok=True)  # written atomically, so a bad WAL is not ours to trust: drop it
            return
        for name, data in partitions.items():
            if PARTITION_NAME.match(str(name)) and isinstance(data, dict):
                write_json(folder / f"{name}.json", data)
        wal.unlink(missing_ok=True)
        mark_change(folder)
