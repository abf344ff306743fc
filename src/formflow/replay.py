"""Applying archived files again: ``rebuild`` of one station, and the fold of several stations' logs.

A replay gives every record the number it was given then (``meta["created"]``, in order) and applies
each file under the version of the definitions it was accepted under. Two modes:

- **strict** (a lone station's rebuild): the replay must do exactly what the pass did; a file that
  does not is a failure, and the rebuild stops with the store in use untouched;
- **folding** (the logs of several stations merged in one order, :mod:`formflow.fold`): an action that
  no longer applies — two stations closed one complaint while apart — is kept as a conflict event on
  its record (:data:`~formflow.engine.records.CONFLICT`, shown as 同步冲突 with who did what), and an
  entry that cannot apply yet (it acts on a record whose creation has not arrived) is *held*: listed in
  the store's fold state, tried again when something that sorts before it arrives (its creation does).
  Every station folding the same logs makes the same decisions, so they hold the same records,
  conflicts and held entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from formflow.adapters.stationlog import Entry
from formflow.adapters.store import Store
from formflow.definitions.loader import Definitions
from formflow.engine.actions import ActionRefused, intended_follow_ups
from formflow.engine.clocks import fmt
from formflow.engine.numbering import period_key
from formflow.engine.records import CONFLICT, Event, Record, replay
from formflow.engine.validate import DataProblem
from formflow.intake import read_content
from formflow.pipeline import Engine, PassReport
from formflow.punctuation import join_clauses, then


class Held(Exception):
    """An entry that cannot apply yet; ``why`` says what it waits for (Chinese)."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


class Replayer(Engine):
    """An engine that applies archived entries again (it never reads the inbox)."""

    def __init__(self, root: Path, defs: Definitions, store: Store, *, folding: bool = False):
        super().__init__(root, defs, store, recover=False)
        self.folding = folding
        self._forced: list[str] | None = None  # numbers to give again, in order
        self._foreign = False  # the entry being applied is another station's: its numbers are not ours to count
        self._entry_station = ""
        #: Records given a conflict event by this replayer (the to-do list asks for them by number).
        self.conflicted: set[str] = set()
        #: Records whose every event was undone (a late file came before their creation): seen as absent
        #: until their creation is applied again (:func:`formflow.fold.fold_arrived`).
        self.reset: set[str] = set()
        self._again = False  # the entry being applied was applied before, and undone

    @property
    def created(self) -> list[str]:
        """The numbers of the records the entry replayed last made, in order."""
        return list(self._created)

    # -- one entry --------------------------------------------------------------------------------

    def replay_archived(self, path: Path, meta: dict, defs: Definitions, *, foreign: bool = False,
                        station: str = "", key: tuple[int, str, int] | None = None, again: bool = False) -> list[str]:
        """Apply an archived submission again: same content, same received time, under ``defs`` — the
        version it was accepted under — giving the records the numbers they were given. ``foreign``: it is
        another station's (``station``), whose counters are its own. Returns the numbers it touched.

        Raises :class:`ActionRefused` when it does not apply (strict), :class:`Held` (folding)."""
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != meta.get("hash", digest):
            raise ActionRefused([DataProblem("", "", f"存档文件 {path.name} 已被改动（内容与登记时不同）")])
        received = _received(meta, path)
        note_key = digest if not foreign else foreign_key(station, digest)
        where = _where(path, self.root)
        earlier = self.store.submission(note_key)
        if earlier is not None and (not again or earlier.get("archive") != where):
            # The same content applied already by another entry of this log (a pass that crashed before its
            # commit archived it again after): applied once. Judged alike in a replay and a fold.
            return []
        if not foreign and not again:
            self.store.raise_serial("archive", int(meta.get("seq", 0)))  # keep the counter where the live store has it
        live, self.defs = self.defs, defs
        self._created = []
        self._forced = list(meta["created"]) if isinstance(meta.get("created"), list) else None
        self._foreign, self._entry_station, self._entry, self._again = foreign, station, key, again
        reset = set(self.reset)
        # Folding rolls back an entry that cannot apply yet; strict replay stops the whole rebuild instead
        # (the store being built is thrown away), so it need not pay for a copy of what is pending.
        snap = self.store.snapshot() if self.folding else None
        try:
            checked, problems = read_content(raw, str(meta.get("name", path.name)), defs, received)
            if problems:
                raise ActionRefused([DataProblem("", "", f"存档文件 {path.name} 不再通过检查：{p}") for p in problems])
            report = PassReport()
            numbers = self._apply(checked, received, report)
            if self._forced:
                raise ActionRefused([DataProblem("", "", f"存档文件 {path.name} 重放时登记的记录比当初少 "
                                                         f"replay created fewer records than the original")])
        except Held:
            self._held(snap, reset, note_key, again)
            raise
        except Exception as exc:  # noqa: BLE001 - folding: whatever one entry does, it waits, listed; the rest go on
            if not self.folding:
                raise
            self._held(snap, reset, note_key, again)
            raise Held(_why(exc)) from None
        finally:
            self.defs, self._forced, self._foreign, self._entry, self._again = live, None, False, None, False
        self.store.note_submission(note_key, again=again, info={
            "name": meta.get("name", path.name), "received": received.isoformat(), "records": numbers, "archive": where,
            "changed": sorted(report.changed), **({"station": station} if foreign else {})})
        return numbers

    def _held(self, snap: dict, reset: set[str], note_key: str, again: bool) -> None:
        """Roll back an entry that cannot apply now; one applied before (and undone) leaves no note saying it
        was applied — a note that would make an identical file look applied here and not after a replay."""
        self.store.restore(snap)
        self.reset = reset
        if again:
            self.store.note_submission(note_key, again=True, info={"held": True})

    def replay_entry(self, entry: Entry, defs: Definitions, own: str, *, again: bool = False) -> list[str]:
        """:meth:`replay_archived` for an entry of the office's merged logs (``own``: this station's code;
        ``again``: it was applied before and undone)."""
        foreign = entry.station != own
        return self.replay_archived(entry.path, entry.meta, defs, foreign=foreign, station=entry.station,
                                    key=tuple(entry.key), again=again)

    # -- the engine's hooks -----------------------------------------------------------------------

    def _number(self, form_id: str, at: dt.datetime) -> str:
        if self._forced is None:  # a file archived before numbers were kept: numbered as then, by the counters
            return super()._number(form_id, at)
        if not self._forced:
            raise ActionRefused([DataProblem("", "", "重放时登记的记录比当初多 replay created more records than the original")])
        forced = self._forced.pop(0)
        if not self._foreign and not self._again:  # the counter moves on as it did then (rebuild keeps the higher)
            day = at.astimezone(self.defs.settings.timezone).date()
            self.store.next_serial(f"{form_id}:{period_key(self.defs.forms[form_id].number, day)}")
        if self._record(forced) is not None:  # two files claim one number: never overwrite a record
            raise ActionRefused([DataProblem("", "", f"记录编号 {forced} 已被更早的存档文件使用 "
                                                     f"record number {forced} is taken by an earlier file")])
        return forced

    def _record(self, number: str) -> Record | None:
        return None if number in self.reset else super()._record(number)

    def _create(self, form_id: str, by: str, at: dt.datetime, data: dict, report: PassReport, **kwargs) -> str:
        number = super()._create(form_id, by, at, data, report, **kwargs)
        self.reset.discard(number)  # made again: what the store holds under this number is current again
        return number

    def _note_duty(self, duty: str, at: dt.datetime) -> None:
        self.store.note_duty(duty, at, once=self._again)  # (noted when it was applied the first time)

    def _no_record(self, number: str) -> None:
        if self.folding:  # its creation is in a log that has not arrived (or arrived later in the order)
            raise Held(f"要办理的记录 {number} 尚未到达")
        super()._no_record(number)

    def _refused(self, record: Record, action: str, by: str, at: dt.datetime, data: dict, exc: ActionRefused,
                 report: PassReport) -> str:
        if not self.folding:
            raise exc
        workflow = self.defs.workflows.get(record.form)
        label = workflow.actions[action].label if workflow and action in workflow.actions else action
        station = f"{self._entry_station} 站" if self._entry_station else "本站"
        # Why it no longer applied, without the list of what could be done instead (action keys: not for clerks).
        why = join_clauses(re.split("；?可做：", p.message or str(p))[0] for p in exc.problems)
        filled = join_clauses((f"{_field_label(self.defs, record.form, k)}：{v}" for k, v in data.items()
                               if v not in ("", None)), "，")
        note = f"{station} {by} 于 {fmt(at)} 办理的「{label}」未生效：{why}"
        note = then(note, "。", f"其填写内容：{filled}") if filled else note
        flagged = record.with_event(self._stamp(Event(CONFLICT, by, at, {}, note)))
        self.store.put(flagged, replay(flagged, workflow).state if workflow else "")
        report.changed.add(record.number)
        self.conflicted.add(record.number)
        if self._forced:  # it made records then (a callback sheet...): they keep their numbers, flagged
            for follow in intended_follow_ups(self.defs, record, action, by, at, data):
                try:
                    self._create(follow.form, follow.by, follow.at, follow.data, report, parent=follow.parent,
                                 note=f"由 {record.number} 未生效的「{label}」生成（同步冲突）")
                except ActionRefused:
                    break  # then the entry waits, listed (fewer records than it made)
        return record.number


def _why(exc: Exception) -> str:
    return join_clauses(str(p) for p in exc.problems) if isinstance(exc, ActionRefused) else f"{type(exc).__name__}: {exc}"


def _received(meta: dict, path: Path) -> dt.datetime:
    """The received time of a meta (from another station's copy: checked, never trusted)."""
    text = meta.get("received")
    try:
        moment = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ActionRefused([DataProblem("", "", f"存档说明中的收到时间无效 received time invalid in the meta of "
                                                 f"{path.name}: {text!r}")])
    return moment


def _field_label(defs: Definitions, form_id: str, key: str) -> str:
    form = defs.forms.get(form_id)
    field = form.fields.get(key) if form else None
    return field.label if field is not None else key


def foreign_key(station: str, digest: str) -> str:
    """The submission key of another station's entry: not its bare content hash, which is this station's
    own key for the same content (the same paper form accepted at two stations is two entries: each gave
    its own numbers, and neither is dropped as the other's duplicate)."""
    return hashlib.sha256(f"{station}\n{digest}".encode()).hexdigest()


def _where(path: Path, root: Path) -> str:
    """Where the entry's file is: relative to this station's archive, or (another's) to ``data/``."""
    for base in (root / "data" / "archive", root / "data"):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name
