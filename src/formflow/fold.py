"""Folding other stations' logs into this station's store: the same records everywhere.

The store of a station is a function of the entries it holds (its own log and the copies of the
others', :mod:`formflow.adapters.stationlog`): every entry applied in the office's one order
``(order, station, seq)``. What arrives is folded in one of three ways:

- **appended** — everything new comes after the last entry applied (the usual case: a station that
  is online receives the others' files within seconds, and its own come later still): applied in
  order onto the store as it is, committed every :data:`CHUNK` entries;
- **undone and applied again** — something new belongs *before* entries already applied (two files
  that crossed on the wire, a laptop that was off for a day): every event carries the key of the entry
  that made it (:attr:`~formflow.engine.records.Event.entry`), so the events of the entries from that
  key on are taken off the records they touched (their notes name them), and those entries are applied
  again, in order, with the new ones — one commit, so a kill leaves the store as it was;
- **replayed** — more than :data:`UNDO_LIMIT` entries to undo, or a store from before events carried
  keys: the store is rebuilt from all the logs in order, aside, and switched to only once complete
  (:func:`formflow.rebuild.rebuild`: a kill leaves the old one).

Either way the result is the same as if the entries had arrived in order, which is what makes two
stations holding the same logs hold the same records (:func:`digest`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import heapq
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from formflow.adapters import stationlog
from formflow.adapters.stationlog import Entry, Key, OfficeLog, merged, month_of, newest_first, peer_folder
from formflow.adapters.store import Store, record_to_doc
from formflow.definitions.loader import Definitions
from formflow.engine.records import replay
from formflow.rebuild import available, replaying
from formflow.replay import Held, Replayer, foreign_key

#: Entries applied between two commits when appending (what a fold holds in memory stays bounded).
CHUNK = 2000
#: A late entry undoes the entries after it and applies them again; past this many, every log is replayed.
UNDO_LIMIT = 5000


@dataclass
class FoldReport:
    """What a fold did."""

    applied: int = 0
    held: int = 0
    #: Entries applied before, undone and applied again after a late one (the records they touched only).
    undone: int = 0
    #: Too much arrived late to undo: every log must be replayed.
    replay_needed: bool = False
    #: ... and it was (the store on disk is a new one).
    replayed: bool = False
    changed: set[str] = field(default_factory=set)
    #: Per other station, why its log could not be read to its end yet (Chinese).
    waiting: dict[str, str] = field(default_factory=dict)


def fold_arrived(root: Path, defs: Definitions, store: Store, now: dt.datetime, *, chunk: int = CHUNK,
                 before_commit: Callable[[set[str]], None] | None = None) -> FoldReport:
    """Fold what arrived from other stations into ``store`` (this workspace's, opened by the caller, who
    holds the workspace lock): appended, or undone and applied again. When only a full replay will do,
    stop with ``replay_needed``: the caller replays every log (:func:`formflow.rebuild.rebuild`, after
    letting its store go; what this call applied in memory and did not commit is dropped with it).
    ``before_commit`` is told the records a commit is about to change (their PDFs are queued first, as the
    inbox's passes do: a crash in between must not leave a changed record with its old paper)."""
    data = root / "data"
    own = defs.settings.station
    report = FoldReport()
    if not stationlog.others(data, own):  # a lone station (asked at every pass and every watcher wake)
        return report
    engine = Replayer(root, defs, store, folding=True)
    office = OfficeLog(data, own, available(engine.versions))
    others = office.others()
    today = now.astimezone(defs.settings.timezone).date()
    relaxed: dict[str, Definitions] = {}
    while True:
        state = store.fold_state()
        new = _arrived(office, others, state, chunk)
        report.waiting = dict(office.waiting)
        if not new:
            if state.get("waiting") != report.waiting:
                state["waiting"] = report.waiting
                store.set_fold_state(state)
                store.commit()
            return report
        high = store.fold_high()
        if high is None and store.peek_serial("archive") > 1:  # a store from before stations: its events carry no keys
            store.commit()
            report.replay_needed = True
            return report
        held = list(state.get("held", []))
        again: list[Entry] = []
        if high is not None and new[0].key <= Key(*high):
            # Something belongs before entries already applied: undo those, then apply both in order.
            again = _undo_from(store, engine, office, state, new[0].key, len(new))
            if again is None:  # more than is worth undoing, or written before entries were keyed
                store.commit()
                report.replay_needed = True
                return report
            held = [h for h in held if _held_key(h) < new[0].key]
            report.undone += len(again)
        for entry, is_again in heapq.merge([(e, True) for e in again], [(e, False) for e in new],
                                           key=lambda pair: pair[0].key):
            vid = str(entry.meta.get("definitions") or "")
            try:
                if vid not in relaxed:
                    relaxed[vid] = replaying(engine.versions.load(vid, today) if vid and vid != defs.version_id
                                             else defs)
                report.changed.update(engine.replay_entry(entry, relaxed[vid], own, again=is_again))
                report.applied += not is_again
            except Held as exc:
                held.append(_held(entry, exc.why))
            except Exception as exc:  # noqa: BLE001 - one station's odd file waits, listed; never stops the rest
                held.append(_held(entry, f"{type(exc).__name__}: {exc}"))
        if engine.reset:  # a record undone whose creation did not come back: only a full replay can say
            report.replay_needed = True  # (nothing of this was committed: the replay starts from the logs)
            return report
        for entry in new:
            state.setdefault("seq", {})[entry.station] = entry.key.seq
            state.setdefault("orders", {})[entry.station] = entry.key.order
            state.setdefault("months", {})[entry.station] = month_of(entry)
        state["high"] = list(max(Key(*high), new[-1].key)) if high is not None else list(new[-1].key)
        state["held"] = held
        state["conflicts"] = sorted(set(state.get("conflicts", [])) | engine.conflicted)
        report.held = len(held)
        state["waiting"] = report.waiting
        store.set_fold_state(state)
        if before_commit is not None and report.changed:
            before_commit(report.changed)
        store.commit()


def _undo_from(store: Store, engine: Replayer, office: OfficeLog, state: dict, first: Key,
               arriving: int) -> list[Entry] | None:
    """Undo every entry already applied whose key is ``first`` or later, so that they can be applied again
    after what arrived before them; returns them (in order), or None when that is not possible here.

    An entry's effects are the events it made (each carries its entry's key) on the records its note
    names: those events are dropped. A record left with none was created by such an entry: it counts as
    absent (``engine.reset``) until its creation is applied again.
    """
    later: list[Entry] = []
    held = {(h.get("station"), int(h.get("seq", 0))) for h in state.get("held", [])}
    logs = [(office.own, office.data / "archive", store.peek_serial("archive") - 1)]
    logs += [(code, peer_folder(office.data, code), int(state.get("seq", {}).get(code, 0))) for code in office.others()]
    for code, folder, upto in logs:
        for entry in newest_first(folder, code, upto):
            if entry is None:
                return None
            if entry.key < first:
                break
            later.append(entry)
            if len(later) + arriving > UNDO_LIMIT:
                return None
    touched: set[str] = set()
    for entry in later:
        note = store.submission(_note_key(entry, office.own))
        if note is None:
            if (entry.station, entry.key.seq) in held:
                continue  # it changed nothing
            return None
        if not isinstance(note.get("changed"), list):
            return None  # applied before notes said what an entry changed
        touched.update(note["changed"])
    for number in sorted(touched):
        record = store.get(number)
        if record is None:
            continue
        kept = tuple(e for e in record.events if e.entry is None or Key(*e.entry) < first)
        if len(kept) == len(record.events):
            continue
        if not kept:
            engine.reset.add(number)
            continue
        workflow = engine.defs.workflows.get(record.form)
        undone = dataclasses.replace(record, events=kept)
        store.put(undone, replay(undone, workflow).state if workflow else "")
    return sorted(later, key=lambda entry: entry.key)


def _note_key(entry: Entry, own: str) -> str:
    """The key of the submission note an entry left (see :meth:`Replayer.replay_archived`)."""
    digest = str(entry.meta.get("hash", ""))
    return digest if entry.station == own else foreign_key(entry.station, digest)


def _held_key(held: dict) -> Key:
    return Key(int(held.get("order", 0)), str(held.get("station", "")), int(held.get("seq", 0)))


def _arrived(office: OfficeLog, others: list[str], state: dict, chunk: int) -> list[Entry]:
    """Up to ``chunk`` entries of the other stations' logs not folded yet, in the office's order."""
    streams = []
    office.waiting.clear()
    for code in others:
        after = int(state.get("seq", {}).get(code, 0))
        previous = int(state.get("orders", {}).get(code, 0))
        streams.append(islice(office.peer(code, after, previous, str(state.get("months", {}).get(code, ""))), chunk))
    return list(islice(merged(streams), chunk))


def _held(entry: Entry, why: str) -> dict:
    return {"station": entry.station, "seq": entry.key.seq, "order": entry.key.order,
            "name": str(entry.meta.get("name", "")), "why": why}


def digest(store: Store, defs: Definitions) -> str:
    """A digest of the records this station holds (number, form, versions, parent, events, state) and of
    the entries it holds back: two stations with equal digests hold identical records."""
    lines = []
    for record in store.records():
        workflow = defs.workflows.get(record.form)
        state = replay(record, workflow).state if workflow else ""
        lines.append(json.dumps(record_to_doc(record, state), ensure_ascii=False, sort_keys=True))
    lines.sort()
    held = sorted((h.get("station", ""), int(h.get("seq", 0))) for h in store.fold_state().get("held", []))
    body = "\n".join(lines) + "\n" + json.dumps(held)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
