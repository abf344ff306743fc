"""Which file names are clutter rather than content, for every folder formflow reads.

The inbox and the definitions folders (forms/, workflows/, choices/) skip the same things:
editor swap, lock and backup files (an Emacs lock ``.#x.yaml`` is even a dangling link),
partial downloads, hidden files, macOS AppleDouble twins (``._x.yaml``) and OS clutter.
"""

from __future__ import annotations

_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
_IGNORED_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".filepart", ".crdownload", ".swp", ".swx", ".swo",
                     ".bak", ".lock", "~")


def is_ignored(name: str) -> bool:
    """Editor swap/backup files, partial downloads, hidden files and OS clutter: not content."""
    lower = name.lower()
    return (name.startswith((".", "~$", "#")) or lower in _IGNORED_NAMES or lower.endswith(_IGNORED_SUFFIXES)
            or name.endswith("#"))


def readable(name: str) -> str:
    """``name`` as text that can be written anywhere.

    A name that is not valid UTF-8 reaches Python with its bad bytes as lone surrogates; on an
    office's laptop it is nearly always GBK (a zip or USB stick written on Chinese Windows), so
    it is read as GBK, and failing that the bytes that make no sense become "�".
    """
    raw = name.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")
