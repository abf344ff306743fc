"""Several stations, one office: carrying logs between them and saying where each stands.

Syncthing carries the logs over the office's network (:mod:`formflow.syncsetup`); without one, a USB
stick does (:func:`export_logs`, :func:`import_logs`), with the same result: verbatim copies of each
station's log in ``data/stations/<CODE>/``, folded in by :mod:`formflow.fold`. A station never takes
its own log from outside, and never writes into another's except by copying what that one wrote.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from formflow.adapters.archive import META, PENDING
from formflow.adapters.atomic import fsync_dir
from formflow.adapters.audit import FOLDER as AUDIT
from formflow.adapters.stationlog import CODE, DEFINITIONS, STATIONS, newest_first, others, peer_folder
from formflow.errors import WorkspaceError


@dataclass
class Carried:
    """What an export or import copied."""

    files: int = 0
    stations: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def logs_held(data: Path, own: str) -> dict[str, Path]:
    """Every log this workspace holds: its own archive and its copies of the others', by station code."""
    logs = {own: data / "archive"}
    for code in others(data, own):
        logs[code] = peer_folder(data, code)
    return logs


def export_logs(data: Path, own: str, target: Path) -> Carried:
    """Copy every log held here into ``target/<CODE>/`` (what is there already is not copied again), so
    a stick carried from station to station brings each one all the others' files."""
    carried = Carried()
    target.mkdir(parents=True, exist_ok=True)
    for code, folder in logs_held(data, own).items():
        count = _copy_log(folder, target / code)
        carried.files += count
        carried.stations[code] = count
    return carried


def import_logs(data: Path, own: str, source: Path) -> Carried:
    """Copy the logs in ``source/<CODE>/`` into ``data/stations/<CODE>/`` — never this station's own log
    (which only this station writes) and never a folder whose name is not a station code."""
    if not source.is_dir():
        raise WorkspaceError(f"找不到文件夹 folder not found: {source}")
    carried = Carried()
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if not entry.is_dir(follow_symlinks=False):
            continue
        if entry.name == own:
            carried.skipped.append(f"{entry.name}（本站自己的记录，不从外部导入 this station's own log）")
            continue
        if not CODE.match(entry.name):
            carried.skipped.append(f"{entry.name}（不是站点代码 not a station code）")
            continue
        count = _copy_log(Path(entry.path), data / STATIONS / entry.name)
        carried.files += count
        carried.stations[entry.name] = count
    return carried


def _copy_log(source: Path, target: Path) -> int:
    """Copy the files of one log that ``target`` lacks: months' files, kept definitions and audit lines, data before
    metas (a meta is what says an entry is there), each through a temporary name and a rename."""
    wanted: list[tuple[str, bool]] = []  # (relative path, is a meta)
    for folder, dirs, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        parts = [] if relative == "." else relative.split(os.sep)
        dirs[:] = sorted(d for d in dirs if _wanted_folder(parts + [d]))
        for name in files:
            if name.startswith(".") or name.startswith("~"):  # temporary files of ours or the sync engine's
                continue
            path = "/".join(parts + [name])
            there = target / path
            # The audit log's month files only grow (lines appended): a longer one is carried again.
            grown = parts == [AUDIT] and there.exists() and (source / path).stat().st_size > there.stat().st_size
            if not there.exists() or grown:
                wanted.append((path, name.endswith(META)))
    wanted.sort(key=lambda item: (item[1], item[0]))
    folders = set()
    for path, _ in wanted:
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(f".{destination.name}.importing")
        shutil.copyfile(source / path, temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, destination)
        folders.add(destination.parent)
    for folder in folders:
        fsync_dir(folder)
    return len(wanted)


def _wanted_folder(parts: list[str]) -> bool:
    """The folders of a log: ``YYYY``, ``YYYY/MM``, ``definitions``, ``audit`` (not ``.pending``, nor anything
    else)."""
    if parts[0] in (DEFINITIONS, AUDIT):
        return len(parts) == 1
    return parts[0] != PENDING and len(parts) <= 2 and all(p.isdigit() for p in parts)


def definitions_in_use(data: Path, own: str, current: str) -> list[str]:
    """Which other stations accepted their latest file under other definitions than this station's
    ``current`` version, in words for ``check`` (an older one: a version this station once used too)."""
    ours = {p.stem for folder in (data / "definitions", data / "archive" / DEFINITIONS) if folder.is_dir()
            for p in folder.glob("*.json")}
    lines = []
    for code in others(data, own):
        newest = next(newest_first(peer_folder(data, code), code, upto=2**62), None)  # its last month only
        if newest is None:
            continue
        meta = newest.meta
        vid = str(meta.get("definitions") or "")
        if vid and vid != current:
            age = "较早 runs older definitions" if vid in ours else "与本站不同 runs other definitions (newer?)"
            lines.append(f"站点 {code} 最近一份文件（{str(meta.get('received', ''))[:16].replace('T', ' ')}）所用的定义{age} "
                         f"(version {vid[:12]}; this station: {current[:12]})")
    return lines


def status(app) -> dict:
    """Where this station stands: its code, each log held (entries folded, what it waits for), entries
    held back, open conflicts and the digest of its records (equal digests: identical records)."""
    from formflow.engine.records import CONFLICT
    from formflow.fold import digest

    store, own = app.store, app.defs.settings.station
    state = store.fold_state()
    logs = {own: {"folded": store.peek_serial("archive") - 1, "waiting": ""}}
    for code in others(app.root / "data", own):
        logs[code] = {"folded": int(state.get("seq", {}).get(code, 0)),
                      "waiting": str(state.get("waiting", {}).get(code, ""))}
    conflicts = []
    for number in state.get("conflicts", []):
        record = store.get(number)
        if record is not None and record.events[-1].action == CONFLICT:
            conflicts.append({"record": number, "at": record.events[-1].at.isoformat(), "note": record.events[-1].note})
    from formflow import syncsetup

    found = {"station": own, "records": store.count(), "logs": logs, "held": list(state.get("held", [])),
             "conflicts": conflicts, "digest": digest(store, app.defs)}
    if syncsetup.configured(app.root):
        found["device_id"] = syncsetup.syncthing(app.root).device_id()
        found["peers"] = [{"device_id": p.device_id, "name": p.name, "connected": p.connected, "address": p.address,
                           "last_seen": p.last_seen} for p in syncsetup.peers(app.root)]
    return found
