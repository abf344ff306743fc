"""One process owns a workspace's database: an exclusive lock on ``data/formflow.lock``.

The lock is an OS file lock (released by the kernel when the process dies, even by SIGKILL),
so a crashed watcher never leaves a stale lock behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from formflow.errors import FormflowError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt


#: File descriptors of the locks this process holds (a forked worker must close its copies).
_held: set[int] = set()


def held() -> bool:
    """Whether this process holds a workspace lock (only then may it clean up after a crash)."""
    return bool(_held)


def release_inherited() -> None:
    """In a forked child: close the inherited lock descriptors.

    An OS file lock lives as long as *any* descriptor of it is open, so a render worker that
    outlived a killed parent would otherwise keep the workspace locked for good.
    """
    for fd in list(_held):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


class WorkspaceBusy(FormflowError):
    """Another formflow process holds the workspace."""


class WorkspaceLock:
    """``with WorkspaceLock(root):`` — refuse to start when another process holds it."""

    def __init__(self, root: Path):
        self.path = root / "data" / "formflow.lock"
        self.handle = None

    def __enter__(self) -> WorkspaceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            handle.seek(0)
            owner = handle.read().strip() or "?"
            handle.close()
            raise WorkspaceBusy(f"此工作区已有 formflow 在运行（进程 {owner}），不能同时运行两个。"
                                f" Another formflow process (pid {owner}) is using this workspace.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle
        _held.add(handle.fileno())
        return self

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            _held.discard(self.handle.fileno())
            self.handle.close()
            self.handle = None
