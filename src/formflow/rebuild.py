"""Rebuild the store from the archive alone, each file under the definitions it was accepted with.

The archive (``data/archive/``) is the source of truth: every accepted file, its received time,
the version of the definitions it was checked against (kept in ``data/definitions/``) and the
numbers it was given. A rebuild replays them in acceptance order into a new store built aside,
and switches to it only once it is complete:

1. ``data/db.rebuilding/`` is filled and committed (a kill here leaves the old store in place);
2. it is renamed ``data/db.rebuilt/`` — the one atomic step that says "complete";
3. the old store becomes ``data/db.before-rebuild-<time>/`` and ``db.rebuilt`` becomes ``db``.

A kill between 2 and 3 is finished by the next process that takes the workspace lock
(:func:`finish_switch`). Counters never go backwards: the new store keeps the higher of each
counter, so no number given before is given again, and every record its form and workflow versions
(a file archived without its definitions replays under today's: its records keep the versions the
old store says they were made under). A file that no longer replays (its kept
version missing, or a file archived by a version of formflow that kept none, checked against
today's definitions) stops the switch: every such file is listed and the old store stays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from formflow.adapters.atomic import fsync_dir
from formflow.adapters.stationlog import OfficeLog, fold_state
from formflow.adapters.store import Store
from formflow.adapters.storeswitch import BUILDING, READY, finish_switch
from formflow.adapters.versions import DefinitionVersions
from formflow.definitions.loader import Definitions
from formflow.engine.actions import ActionRefused
from formflow.errors import FormflowError
from formflow.replay import Held, Replayer

#: Archived files replayed between two commits of the store being built: what a rebuild holds in memory
#: stays bounded however long the history (the store built aside is thrown away if a kill comes first).
CHUNK = 2000


class RebuildError(FormflowError):
    """Some archived files did not replay; the store in use was left as it was."""


@dataclass
class RebuildReport:
    """What a rebuild did: records in the new store, files replayed, under how many versions."""

    records: int = 0
    files: int = 0
    versions: set[str] = field(default_factory=set)
    without_version: int = 0  # archived before versions were kept: replayed under today's definitions
    held: int = 0  # other stations' files that cannot apply yet (listed by `sync status`)


def replaying(defs: Definitions) -> Definitions:
    """``defs`` for replaying files they accepted once: the intake's plausibility checks (dates far off,
    default text lengths, notes, actions dated before their record) judged them when they came; a
    later, stricter formflow must not refuse the office its own history."""
    return dataclasses.replace(defs, settings=dataclasses.replace(defs.settings, plausibility=False))


def available(versions: DefinitionVersions):
    """``versions.has`` for ids read from other stations' metas (an id that is none is never available)."""
    def has(vid: str) -> bool:
        try:
            return versions.has(vid)
        except FormflowError:  # not a version id at all: it never arrives; the file waits, listed
            return False
    return has


def _kept_bookkeeping(folder: Path) -> tuple[dict[str, int], dt.date | None]:
    """The counters and first day in use of the store a rebuild replaces (none if there is none yet).

    Read before the replay, and the store let go at once: held open to the end, its record index
    (a few hundred bytes a record) would stay in memory beside the one being built. The caller holds
    the workspace lock, so they cannot change meanwhile."""
    if not folder.is_dir():
        return {}, None
    old = Store(folder)
    return old.counters(), old.since()


def _versions_as_before(folder: Path, store: Store, numbers: set[str]) -> None:
    """Give ``numbers`` (records a file archived without its definitions made again, under today's) the form
    and workflow versions the store being replaced says they were made under: the only witness left."""
    if not folder.is_dir():
        return
    before = {row["number"]: (row["form_version"], row["workflow_version"])
              for row in Store(folder).states() if row["number"] in numbers}
    for row in store.states():
        was = before.get(row["number"])
        if was is not None and was != (row["form_version"], row["workflow_version"]):
            record = store.get(row["number"])
            store.put(dataclasses.replace(record, form_version=was[0], workflow_version=was[1]), row["state"])
    store.commit()


def rebuild(root: Path, defs: Definitions, now: dt.datetime, *, chunk: int = CHUNK) -> RebuildReport:
    """Replay the archive of the workspace at ``root`` into a new store and switch to it.

    ``defs`` (today's definitions) replay only files archived without a kept version. The caller
    holds the workspace lock. Raises :class:`RebuildError` listing every file that did not replay.
    """
    data = root / "data"
    finish_switch(data)
    counters, since = _kept_bookkeeping(data / "db")
    building = data / BUILDING
    engine = Replayer(root, defs, Store(building))
    office = OfficeLog(data, defs.settings.station, available(engine.versions))
    engine.folding = folding = bool(office.others())  # a lone station's rebuild stays strict
    report = RebuildReport()
    failures: list[str] = []
    held: list[dict] = []
    today = now.astimezone(defs.settings.timezone).date()
    current = defs.version_id  # files accepted under today's definitions need no kept version loaded
    relaxed: dict[str, Definitions] = {}
    legacy = refused_legacy = taken = 0
    legacy_made: set[str] = set()  # records made by files archived without their definitions
    last = None
    for entry in office:
        original, meta, foreign = entry.path, entry.meta, entry.station != office.own
        last = entry.key
        vid = meta.get("definitions")
        legacy += not vid
        try:
            if vid not in relaxed:
                relaxed[vid] = replaying(engine.versions.load(vid, today) if vid and vid != current else defs)
            engine.replay_entry(entry, relaxed[vid], office.own)
        except Held as exc:
            held.append({"station": entry.station, "seq": entry.key.seq, "order": entry.key.order,
                         "name": str(meta.get("name", "")), "why": exc.why})
            continue
        except ActionRefused as exc:
            failures.append(f"{original.name}: " + "；".join(str(p) for p in exc.problems))
            taken += any("已被更早的存档文件使用" in str(p) for p in exc.problems)
            refused_legacy += not vid
            continue
        except Exception as exc:  # noqa: BLE001 - listed below, or (another station's) held; never a traceback
            if folding and foreign:  # another station's file that cannot be read here: waits, listed
                held.append({"station": entry.station, "seq": entry.key.seq, "order": entry.key.order,
                             "name": str(meta.get("name", "")), "why": str(exc)})
            else:
                failures.append(f"{original.name}: {exc}")
            continue
        report.files += 1
        if not vid:
            legacy_made.update(engine.created)
        if report.files % chunk == 0:
            engine.store.commit()
        if vid:
            report.versions.add(vid)
        else:
            report.without_version += 1
    failures += [f"{path.name}: {error}" for path, error in office.problems]
    report.held = len(held)
    engine.store.set_fold_state(fold_state(office, last, held, engine.conflicted))
    if failures:
        shutil.rmtree(building, ignore_errors=True)
        lines = [f"重建未完成，仍使用原数据库 rebuild stopped; the database in use is unchanged. "
                 f"{len(failures)} 个存档文件无法重放 archived file(s) did not replay:"]
        lines += [f"  - {f}" for f in failures]
        if refused_legacy > taken:
            lines.append("    修改建议 fix: 旧版本登记的文件没有保存当时的定义，按现在的定义重放；"
                         "请把 forms/、workflows/ 恢复为当时的内容后再运行 formflow rebuild "
                         "files archived by an older formflow kept no definitions: restore forms/ and workflows/ "
                         "as they were, then run formflow rebuild again")
        if taken:
            lines.append("    修改建议 fix: 列出的文件与一个较早的存档文件用了同一个编号，其中一个多半是旧版本处理中断时留下、"
                         "从未登记成功的；用 formflow show 编号 核对数据库中的记录，确认后把未登记的那个文件（及其 "
                         ".meta.json）移出 data/archive，再运行 formflow rebuild  the file listed and an earlier "
                         "archived file claim one number; one was probably never committed (an older formflow "
                         "interrupted): compare with formflow show, move that one and its .meta.json out of "
                         "data/archive, then run formflow rebuild again")
        raise RebuildError("\n".join(lines))
    store = engine.store
    for counter, value in counters.items():
        store.raise_serial(counter, value)  # numbers given before are never given again
    if since:
        store.note_since(since)
    store.commit()
    if legacy_made:
        _versions_as_before(data / "db", store, legacy_made)
    engine.note_since(now)  # the first archived file's day (from the replayed submissions), if none was noted
    store.commit()
    report.records = store.count()
    fsync_dir(building)
    os.replace(building, data / READY)  # complete: from here on a kill still ends in the new store
    fsync_dir(data)
    finish_switch(data)
    return report
