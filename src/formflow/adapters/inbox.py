"""The inbox folder: which files are submissions, when they are complete, where rejects go.

File-system events are only hints (they get lost: inotify overflow, bulk copies, network
shares); what counts is what a scan finds. A file is ready when its size and mtime read the
same twice, ``quiet`` seconds apart — a copy still in progress changes between readings.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from formflow.adapters.atomic import fsync_dir, write_text

#: ``.pdf``: a fillable blank (``formflow blank FORM --fillable``) filled in a PDF reader (intake_pdf.py).
SUBMISSION_SUFFIXES = {".yaml", ".yml", ".json", ".pdf"}
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
_IGNORED_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".filepart", ".crdownload", ".swp", ".swx", ".swo",
                     ".bak", ".lock", "~")
#: Characters that may not appear in a file name we create (Windows is the strictest).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def is_ignored(name: str) -> bool:
    """Editor swap/backup files, partial downloads, hidden files and OS clutter: not submissions."""
    lower = name.lower()
    return (name.startswith((".", "~$", "#")) or lower in _IGNORED_NAMES or lower.endswith(_IGNORED_SUFFIXES)
            or name.endswith("#"))


def safe_name(name: str) -> str:
    """``name`` made safe to create in our folders (never a path)."""
    name = _UNSAFE.sub("_", os.path.basename(name)).strip(" .") or "file"
    return shorten(name, NAME_BYTES)


#: File systems limit a name to 255 *bytes*; a Chinese character is 3 of them in UTF-8. Our
#: prefixes (time stamp, archive serial and hash) and suffixes (.说明.txt, temp) need the rest.
NAME_BYTES = 150


def shorten(name: str, limit: int) -> str:
    """``name`` cut to at most ``limit`` UTF-8 bytes, keeping its extension so the file still opens."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    budget = limit - len(ext.encode("utf-8")) - 2  # room for "…" is 3 bytes, "." is 1
    cut = stem.encode("utf-8")[: max(budget - 2, 1)].decode("utf-8", "ignore")
    return f"{cut}…" + (f".{ext}" if ext else "")


@dataclass(frozen=True)
class Reading:
    size: int
    mtime_ns: int


def reading(path: Path) -> Reading | None:
    """Size and mtime of ``path``, or ``None`` when it vanished."""
    try:
        st = path.stat()
    except OSError:
        return None
    return Reading(st.st_size, st.st_mtime_ns)


def candidates(inbox: Path) -> list[Path]:
    """Files in the inbox that may be submissions, oldest first."""
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        return []
    files = [Path(e.path) for e in entries if e.is_file(follow_symlinks=False) and not is_ignored(e.name)]
    return sorted(files, key=lambda p: ((reading(p) or Reading(0, 0)).mtime_ns, p.name))


def wait_until_settled(paths: list[Path], quiet: float) -> list[Path]:
    """The files among ``paths`` whose size and mtime stay the same over ``quiet`` seconds."""
    if quiet <= 0:
        return [p for p in paths if p.exists()]
    first = {p: reading(p) for p in paths}
    time.sleep(quiet)
    return [p for p in paths if first[p] is not None and reading(p) == first[p]]


def _free_path(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{stem}({n}){suffix}"
    return target


def set_aside(path: Path, folder: Path, received: dt.datetime, explanation: str) -> Path:
    """Move ``path`` to ``folder`` with an explanation file beside it; returns the new path.

    The explanation is written first, so a crash in between leaves the file in the inbox
    (to be looked at again) rather than a reject nobody can understand.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_path(folder, f"{received:%Y%m%d-%H%M%S}-{safe_name(path.name)}")
    write_text(target.with_name(target.name + ".说明.txt"), explanation)
    os.replace(path, target)
    fsync_dir(folder)
    fsync_dir(path.parent)
    return target
