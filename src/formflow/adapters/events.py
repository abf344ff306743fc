"""File-system events as hints: which inbox files their writers are done with, and which files are
definitions (a hot reload watches those).

Events get lost (inotify overflow, network shares, ``--poll``): the watcher never relies on them
alone, but a writer's close or rename is the one word that a file is complete.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from formflow.filenames import is_ignored

#: The definition files a hot reload watches.
DEFINITION_GLOBS = ("formflow.yaml", "calendar.yaml", "duties.yaml", "units.yaml", "forms/*.yaml", "choices/*", "workflows/*.yaml",
                    "fees/*.yaml")


class InboxHints:
    """A watchdog handler that raises a flag and notes which files their writers are done with.

    It never raises itself (an exception would kill the observer thread). A file closed after
    writing, or renamed into the inbox, is complete as far as its writer knows; one modified
    since is not — a copy that pauses is open and silent, and is waited out (settle_seconds).
    """

    def __init__(self, wake: threading.Event):
        self.wake = wake
        self.finished: dict[Path, bool] = {}  # (dict operations are atomic under the GIL)

    def dispatch(self, event) -> None:
        try:
            kind = event.event_type
            if kind == "closed":
                self.finished[Path(os.fsdecode(event.src_path))] = True
            elif kind == "moved":
                self.finished[Path(os.fsdecode(event.dest_path))] = True
            elif kind in ("modified", "created"):
                self.finished[Path(os.fsdecode(event.src_path))] = False
        except Exception:  # noqa: BLE001 - a hint we cannot read is only a lost hint
            pass
        self.wake.set()


class WakeOnly:
    """A watchdog handler that only wakes the loop (other stations' files: which one does not matter)."""

    def __init__(self, wake: threading.Event):
        self.wake = wake

    def dispatch(self, event) -> None:
        self.wake.set()


def definition_files(root: Path) -> list[Path]:
    """The files a hot reload watches: :data:`DEFINITION_GLOBS`, without editor and OS clutter
    (an Emacs lock ``.#x.yaml``, an AppleDouble ``._x.yaml``: the loader skips them too)."""
    return [path for pattern in DEFINITION_GLOBS for path in sorted(root.glob(pattern)) if not is_ignored(path.name)]


def fingerprint(root: Path) -> tuple:
    """What changes when a definition file is edited (path, size, mtime, inode of each)."""
    found = []
    for path in definition_files(root):
        try:
            st = path.stat()  # follows a link: editing the file a definition links to is an edit too
        except OSError:
            continue
        found.append((path.as_posix(), st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(found)
