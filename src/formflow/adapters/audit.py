"""The audit log: who did what, when, and from where (desk, file, CLI) — append-only, one JSON line each.

Lines go to ``data/archive/audit/<YYYY-MM>.jsonl``: inside the station's own log folder, so Syncthing (or a USB
stick) carries them to the other stations like the archive, where they arrive under
``data/stations/<CODE>/audit/``; the archive's readers look at year/month folders only and never see them. A
line is never rewritten; a line lost to a crash between a commit and its audit line loses nothing of the
records (the archive is their history), which is why the audit is written after the commit, not before.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

from formflow import clock

#: The audit folder inside a log (the station's own ``data/archive``, a peer's ``data/stations/<CODE>``).
FOLDER = "audit"
#: Events and their Chinese names (what ``formflow audit`` prints).
EVENTS = {
    "signed_in": "登录", "sign_in_failed": "登录失败", "locked": "锁定", "signed_out": "退出",
    "stored": "登记/办理", "pin_set": "设置密码", "written": "写入收件箱",
}
#: Where a submission came from, as ``formflow audit`` says it.
VIA = {"desk": "服务台", "cli": "命令行", "file": "文件"}


class AuditLog:
    """This station's audit log in ``data``."""

    def __init__(self, data: Path, station: str):
        self.folder = data / "archive" / FOLDER
        self.station = station

    def append(self, event: str, who: str, via: str, at: dt.datetime | None = None, **details) -> None:
        """Add one line (and make it durable: a crash right after loses nothing written)."""
        # The office's clock (a fixed one in tests and what-ifs), always written in UTC: lines sort as text.
        at = (at or clock.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        line = json.dumps({"at": at.isoformat(timespec="seconds"), "station": self.station, "event": event,
                           "who": who, "via": via, **details}, ensure_ascii=False, separators=(",", ":"))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{at.astimezone(dt.timezone.utc):%Y-%m}.jsonl"
            with open(path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            pass  # a full disk must not stop the desk or the pass: the archive is the history, this its diary


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def read_all(data: Path) -> Iterator[dict]:
    """Every audit line of this station and of the stations whose logs arrived, oldest first."""
    folders = [data / "archive" / FOLDER] + sorted((data / "stations").glob(f"*/{FOLDER}"))
    lines = []
    for folder in folders:
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for raw in text.splitlines():
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue  # a line cut short by a crash, or damaged in transit: skipped, never fatal
                if isinstance(entry, dict) and isinstance(entry.get("at"), str):
                    lines.append(entry)
    lines.sort(key=lambda e: (_moment(e["at"]), str(e.get("station", ""))))
    # A file the desk or the CLI wrote into the inbox says so ("written"); its "stored" line takes that origin.
    origin = {(e.get("station"), e.get("file")): e.get("via") for e in lines if e.get("event") == "written"}
    for entry in lines:
        if entry.get("event") == "stored":
            entry["via"] = origin.get((entry.get("station"), entry.get("file")), entry.get("via", "file"))
    yield from lines
