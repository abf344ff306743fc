"""Crash-safe file writes: temp file, fsync, rename, fsync of the folder.

After a crash (power cut, SIGKILL) a file written this way holds either its old or its new
content, never a mix — the guarantee TinyDB's default storage, which rewrites in place,
does not give.
"""

from __future__ import annotations

import errno
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
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:
            exc.filename = os.fspath(path)  # a failed write() names no file: say which one (see write_fault_text)
        raise
    fsync_dir(path.parent)


def sweep_temp(folder: Path, skip: tuple[Path, ...] = ()) -> int:
    """Delete temp files a killed writer left under ``folder`` (not under ``skip``); returns how many.

    Only safe while holding the workspace lock: no other writer can be mid-write then — except in
    ``skip``: folders written by another program (Syncthing's copies of other stations' logs, with its
    own temporary files), which are neither ours to sweep nor worth listing at every start.
    """
    swept = 0
    skipped = {os.fspath(path) for path in skip}
    # A walk of our own, one scandir at a time, rather than Path.rglob: rglob lists each folder whole before
    # matching, and an archive month of 100k files (each with its .meta.json) became 200k entries in memory
    # at every start of the watcher and of process/rebuild (80 MB peak, more than the rest of the start).
    # Only folders are kept for later; links to folders are not followed (nothing outside is ours to delete).
    folders = [os.fspath(folder)]
    while folders:
        try:
            entries = os.scandir(folders.pop())
        except OSError:  # gone or unreadable: nothing of ours to sweep there now
            continue
        with entries:
            for entry in entries:
                name = entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.path not in skipped:
                            folders.append(entry.path)
                    elif len(name) >= 5 and name[0] == "." and name.endswith(".tmp") and entry.is_file():
                        os.unlink(entry.path)
                        swept += 1
                except OSError:  # a folder gone read-only: the leftover is harmless, the next start tries again
                    continue
    return swept


def write_json(path: Path, data: Any) -> None:
    """``data`` as compact UTF-8 JSON, atomically."""
    write_bytes(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def write_text(path: Path, text: str) -> None:
    """``text`` as UTF-8, atomically."""
    write_bytes(path, text.encode("utf-8"))


#: Why a write fails when the fault is the disk's, not the data's: full, read-only, no permission, broken.
#: Such a write is tried again later; it is never a reason to set a file aside.
_WRITE_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG}


def is_write_fault(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk cannot be written now (full, read-only, no permission, I/O error)."""
    return isinstance(exc, OSError) and exc.errno in _WRITE_FAULTS


def write_fault_text(exc: OSError, root: Path | None = None) -> str:
    """What a clerk is told about a failed write, in Chinese: which folder, what is wrong, what to do."""
    where = "文件夹"
    if exc.filename:
        path = Path(os.fsdecode(exc.filename))
        folder = path.parent if path.name.startswith(".") or path.suffix else path  # a temp file: its folder
        try:
            where = f"{folder.relative_to(root).as_posix()} 文件夹" if root else f"{folder} 文件夹"
        except ValueError:
            where = f"{folder} 文件夹"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"磁盘空间已满，无法写入 {where}：请删除不需要的文件、清空回收站，或联系系统维护人员"
    if exc.errno == errno.EROFS:
        return f"{where}所在的磁盘是只读的，无法写入：请检查 U 盘或网络盘是否写保护、是否已断开"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限写入 {where}（可能被设为只读）：请检查文件夹的权限，或联系系统维护人员"
    if exc.errno == errno.EIO:
        return f"磁盘读写出错，无法写入 {where}：请检查磁盘或网络连接"
    return f"无法写入 {where}：{exc.strerror or exc}"
