"""The inbox folder: which files are submissions, when they are complete, where rejects go.

File-system events are only hints (they get lost: inotify overflow, bulk copies, network
shares); what counts is what a scan finds. A file is ready when its size and mtime read the
same twice, ``quiet`` seconds apart — a copy still in progress changes between readings.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from formflow.adapters.atomic import fsync_dir, write_text
from formflow.filenames import is_ignored, readable

#: ``.pdf``: a fillable blank (``formflow blank FORM --fillable``) filled in a PDF reader (intake_pdf.py).
SUBMISSION_SUFFIXES = {".yaml", ".yml", ".json", ".pdf"}
#: Characters that may not appear in a file name we create (Windows is the strictest).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


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


def submission_text(doc: dict) -> str:
    """A submission or action file's text as we write one (the YAML ``formflow act`` writes)."""
    import yaml

    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def put(inbox: Path, name: str, doc: dict) -> Path:
    """Write ``doc`` as the submission file ``name`` (made safe: never a path) into ``inbox``, atomically, so
    the engine never reads half of it; the file's path."""
    path = inbox / safe_name(name)
    write_text(path, submission_text(doc))
    return path


@dataclass(frozen=True)
class Reading:
    """What tells one state of a file from the next: a write changes the size or mtime, a replace the inode."""

    size: int
    mtime_ns: int
    ino: int = 0


def reading(path: Path) -> Reading | None:
    """Size and mtime of ``path``, or ``None`` when it vanished."""
    try:
        st = path.lstat()
    except OSError:
        return None
    return Reading(st.st_size, st.st_mtime_ns, st.st_ino)


def with_readable_name(path: Path) -> Path:
    """``path``, renamed in its folder first if its name is not valid UTF-8 (e.g. a GBK name from a
    Windows zip): every message, note and archive name can then say it (see :func:`readable`)."""
    name = readable(path.name)
    if name == path.name:
        return path
    target = _free_path(path.parent, safe_name(name))
    os.rename(path, target)
    return target


def lain_still(path: Path, seconds: float) -> bool:
    """Whether ``path`` was last written at least ``seconds`` ago by its mtime (files found already there;
    an mtime can be old for a file still being copied, so a watcher trusts only what it sees change)."""
    found = reading(path)
    return found is not None and time.time() - found.mtime_ns / 1e9 >= seconds


def read_whole(path: Path, limit: int) -> tuple[bytes | None, Reading | None]:
    """The content of ``path`` (``None`` if over ``limit`` bytes) and the state it was read in.

    The state is ``None`` when the file changed while it was read (a copy still under way): such
    content is never taken. A link is not followed (``O_NOFOLLOW``): nothing outside the inbox is read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(handle.fileno())
        raw = handle.read() if before.st_size <= limit else None
        after = os.fstat(handle.fileno())
    state = Reading(after.st_size, after.st_mtime_ns, after.st_ino)
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or (
            raw is not None and len(raw) != after.st_size):
        return raw, None
    return raw, state


def candidates(inbox: Path) -> list[Path]:
    """Entries of the inbox that may be submissions, oldest first: files, and the odd entries
    (folders, links, pipes: see :func:`odd_kind`) that are set aside with an explanation."""
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        return []
    files = [Path(e.path) for e in entries if not is_ignored(e.name)]
    return sorted(files, key=lambda p: ((reading(p) or Reading(0, 0)).mtime_ns, p.name))


#: What a clerk is told about an inbox entry that is not a file (see :func:`odd_kind`).
_ODD_PROBLEMS = {
    "folder": "这是一个文件夹，不是表单文件：收件箱只处理表单文件本身。"
              "请把文件夹里的表单文件直接放入 inbox 文件夹（不要连同文件夹一起放入）。",
    "link": "这是一个快捷方式（链接），不是表单文件本身：为安全起见，系统不读取链接指向的文件。"
            "请把表单文件本身（而不是它的快捷方式）放入 inbox 文件夹。",
    "pipe": "这是一个特殊的系统文件（命名管道），不是表单文件，系统不会读取它。请把表单文件本身放入 inbox 文件夹。",
    "device": "这是一个特殊的系统文件（设备或套接字），不是表单文件，系统不会读取它。请把表单文件本身放入 inbox 文件夹。",
}


def odd_kind(path: Path) -> str | None:
    """``"folder"``, ``"link"``, ``"pipe"`` or ``"device"`` when ``path`` is not a regular file, else ``None``.

    Looked at with ``lstat`` only: a link is never followed (it may point out of the workspace)
    and a pipe never opened (reading one waits forever for a writer).
    """
    try:
        mode = path.lstat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "folder"
    return "pipe" if stat.S_ISFIFO(mode) else "device"


def odd_problem(kind: str) -> str:
    """The Chinese explanation set beside an odd inbox entry of ``kind`` (see :func:`odd_kind`)."""
    return _ODD_PROBLEMS[kind]


def wait_until_settled(paths: list[Path], quiet: float) -> list[Path]:
    """The files among ``paths`` whose size and mtime stay the same over ``quiet`` seconds."""
    if quiet <= 0:
        return [p for p in paths if os.path.lexists(p)]  # a dangling link is still there (to be set aside)
    first = {p: reading(p) for p in paths}
    time.sleep(quiet)
    return [p for p in paths if first[p] is not None and reading(p) == first[p]]


def _free_path(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while os.path.lexists(target):  # exists() follows links: a dangling one set aside before would be overwritten
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
    note = target.with_name(target.name + ".说明.txt")
    write_text(note, explanation)
    try:
        os.replace(path, target)  # a link is moved as the link itself, never what it points to
    except OSError:
        note.unlink(missing_ok=True)  # the file stays in the inbox: no note for a file that is not here
        raise
    fsync_dir(folder)
    fsync_dir(path.parent)
    return target
