"""Crash-safe file writes: temp file, fsync, rename, fsync of the folder.

After a crash (power cut, SIGKILL) a file written this way holds either its old or its new
content, never a mix — the guarantee TinyDB's default storage, which rewrites in place,
does not give.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def sweep_temp(folder: Path) -> int:
    """Delete temp files a killed writer left under ``folder``; returns how many.

    Only safe while holding the workspace lock: no other writer can be mid-write then.
    """
    swept = 0
    if not folder.is_dir():
        return 0
    for tmp in folder.rglob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            swept += 1
    return swept


def write_json(path: Path, data: Any) -> None:
    """``data`` as compact UTF-8 JSON, atomically."""
    write_bytes(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def write_text(path: Path, text: str) -> None:
    """``text`` as UTF-8, atomically."""
    write_bytes(path, text.encode("utf-8"))
