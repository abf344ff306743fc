"""Partition files of the store (``data/db/``): reading, summarising, naming, and the commit lock.

What one TinyDB partition file holds and how the store tells versions of it apart; the store
itself (indexes, caching, the write-ahead commit) is :mod:`formflow.adapters.store`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from formflow.errors import FormflowError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per workspace (WorkspaceLock) still holds
    fcntl = None

#: TinyDB's table inside each file.
TABLE = "_default"
#: Format of the summaries in ``index/`` (a summary of another format is ignored and rebuilt).
SUMMARY_VERSION = 1

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


def read_partition(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {TABLE: {}}
    return parse_partition(path, raw)


def parse_partition(path: Path, raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormflowError(f"数据库文件损坏 database file is damaged: {path} ({exc}); "
                            "用 formflow rebuild 从存档重建 rebuild it from the archive") from None
    if not isinstance(data, dict):
        raise FormflowError(f"数据库文件损坏 database file is damaged: {path} (not a TinyDB file); "
                            "用 formflow rebuild 从存档重建 rebuild it from the archive")
    data.setdefault(TABLE, {})
    return data


def stamp(stat: os.stat_result) -> list[int]:
    """What identifies one version of a partition file (an atomic replace changes the inode and mtime)."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def summarize(name: str, table: dict, stat: os.stat_result) -> dict:
    """What the in-memory indexes need from partition ``name`` (kept in ``index/<name>.json``)."""
    summary: dict[str, Any] = {"version": SUMMARY_VERSION, "file": stamp(stat), "count": len(table),
                               "next_id": max((int(k) for k in table), default=0) + 1}
    if name.startswith("records-"):
        summary["records"] = [[doc["number"], int(doc_id), doc["form"], doc.get("state") or "",
                               doc.get("form_version", 1), doc.get("workflow_version", 1), doc.get("parent") or ""]
                              for doc_id, doc in table.items()]
    else:
        summary["hashes"] = [digest_key(str(doc.get("hash", ""))) for doc in table.values()]
    return summary


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
