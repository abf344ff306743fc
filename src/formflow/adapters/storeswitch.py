"""Switching ``data/db`` to a store rebuilt aside, in steps a kill can interrupt anywhere.

``rebuild`` fills ``data/db.rebuilding/``, renames it ``data/db.rebuilt/`` once complete (the one
atomic step that says so), then moves the old store aside and the new one in. Whoever next holds
the workspace lock finishes a switch a kill interrupted, and drops a build that never completed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from formflow.adapters.atomic import fsync_dir

#: A store being rebuilt (incomplete until renamed to :data:`READY`).
BUILDING = "db.rebuilding"
#: A complete rebuilt store, waiting to replace ``db``.
READY = "db.rebuilt"


def finish_switch(data: Path) -> None:
    """Finish a rebuild a kill interrupted after it was complete; drop one that was not."""
    ready, db = data / READY, data / "db"
    if ready.is_dir():
        if db.exists():
            os.replace(db, _backup_name(data))
        os.replace(ready, db)
        fsync_dir(data)
    shutil.rmtree(data / BUILDING, ignore_errors=True)


def _backup_name(data: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target, n = data / f"db.before-rebuild-{stamp}", 1
    while target.exists():
        n += 1
        target = data / f"db.before-rebuild-{stamp}-{n}"
    return target
