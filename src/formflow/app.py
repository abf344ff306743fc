"""The library API the CLI and the web desk use: one workspace, its store and its engine.

Each CLI command opens an :class:`App`, calls one method, and prints what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from formflow import clock
from formflow.adapters.outbox import Outbox
from formflow.adapters.store import Store, record_to_doc
from formflow.definitions.loader import Definitions
from formflow.engine.clocks import fmt_clerk
from formflow.engine.records import Record, current_state, replay
from formflow.engine.simulate import explain
from formflow.engine.todo import Task, todo
from formflow.errors import WorkspaceError
from formflow.fold import FoldReport, fold_arrived
from formflow.pipeline import Engine, PassReport
from formflow.rebuild import RebuildReport, rebuild
from formflow.render.todolist import todo_lines
from formflow.workspace import Workspace


@dataclass
class App:
    """A loaded workspace with its store."""

    root: Path
    defs: Definitions
    engine: Engine
    _todo_cache: tuple | None = field(default=None, init=False, repr=False, compare=False)
    _outbox: Outbox | None = field(default=None, init=False, repr=False, compare=False)
    _published_seen: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def open(cls, root: Path) -> App:
        """Load and check the definitions, open the store (finishing any interrupted commit)."""
        defs = Workspace(root).load()
        for folder in ("inbox", "outbox", "data"):
            (root / folder).mkdir(exist_ok=True)
        app = cls(root, defs, Engine(root, defs))
        app.engine.on_commit = app.queue_pdfs
        return app

    def reopen(self, defs: Definitions | None = None) -> App:
        """A fresh engine on the store as it is on disk now (another process may have written since),
        with ``defs`` if given; the outbox (which to-do PDFs are up to date) is kept."""
        self.defs = defs or self.defs
        self.engine = Engine(self.root, self.defs)
        self.engine.on_commit = self.queue_pdfs
        self._todo_cache = None
        return self

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox(self.root)
        return self._outbox

    @property
    def store(self) -> Store:
        return self.engine.store

    def now(self) -> dt.datetime:
        return clock.now(self.defs.settings.timezone)

    def process(self, now: dt.datetime | None = None, *, quiet: float = 0.0,
                files: list[Path] | None = None) -> PassReport:
        """One pass over the inbox (or only ``files`` of it), then refresh the to-do outputs."""
        self.fold()
        report = self.engine.run_pass((lambda: now) if now else self.now, quiet=quiet, files=files)
        self.write_outputs(now or self.now())
        return report

    def write_outputs(self, now: dt.datetime, *, todo: bool = True) -> list[Path]:
        """PDFs of the records changed since the last time (a crash included), then the to-do lists."""
        return self.outbox.print(self.defs, self.store.get, now, todo=self._todo_text(now) if todo else None,
                                 related=self.related)

    def queue_pdfs(self, changed: set[str]) -> None:
        """Queue the PDFs of ``changed`` records and of the records they came from and made: each PDF lists the
        others with their state (关联记录), so a callback made or visited prints its repair order again, and a
        repair that moves prints its callback again."""
        changed = set(changed)
        self.outbox.queue(changed | self.store.children_of(changed) | self.store.parents_of(changed))

    def related(self, record: Record) -> list[Record]:
        """The record ``record`` came from and those it made, as stored (one that has not arrived left out)."""
        numbers = ([record.parent] if record.parent else []) + self.store.children(record.number)
        return [other for number in numbers if (other := self.store.get(number)) is not None]

    def record(self, number: str) -> Record:
        """The record ``number``, or a :class:`WorkspaceError` saying it does not exist."""
        record = self.store.get(number)
        if record is None:
            raise WorkspaceError(f"没有记录 no record “{number}”")
        return record

    def records(self, form: str | None = None, state: str | None = None) -> Iterator[tuple[Record, str]]:
        """Records with their current state, filtered by form and state (only the records chosen are read)."""
        for number, _, current, _ in self.indexed(form, state):
            yield self.store.get(number), current

    def indexed(self, form: str | None = None, state: str | None = None) -> list[tuple[str, str, str, float]]:
        """``(number, form, current state, created timestamp)`` of the records of ``form`` in ``state``, in store order.

        The state is the one stored with the record (through the workflow's renamed states); a record
        whose stored state the workflow does not know (none stored, or a state since removed) is replayed.
        """
        def may_be_in_state(rec_form: str, stored: str) -> bool:  # or cannot tell without replaying
            known = self._known_state(rec_form, stored)
            return known is None or known == state

        found = []
        for number, rec_form, stored, created in self.store.index(form, None if state is None else may_be_in_state):
            current = self._known_state(rec_form, stored)
            if current is None:
                current = replay(self.store.get(number), self.defs.workflows[rec_form]).state
            if state is None or current == state:
                found.append((number, rec_form, current, created))
        return found

    def _known_state(self, form: str, stored: str) -> str | None:
        """The current state of a record of ``form`` stored in state ``stored`` (through the workflow's renamed
        states): "" without a workflow, ``None`` when only replaying it can tell (none stored, or one since removed)."""
        workflow = self.defs.workflows.get(form)
        if workflow is None:
            return ""
        current = current_state(workflow, stored) if stored else ""
        return current if current in workflow.states else None

    def recent(self, count: int) -> list[tuple[Record, str]]:
        """The ``count`` most recently created records with their current state, newest first."""
        found = []
        for record in self.store.recent(count):
            workflow = self.defs.workflows.get(record.form)
            found.append((record, replay(record, workflow).state if workflow else ""))
        return found

    def todo(self, now: dt.datetime) -> list[Task]:
        """The office's to-do list at ``now``.

        Only records not in a final state are read (closed ones have no running clocks), and the
        list is kept until the store, the definitions or ``now`` change: the watcher asks twice per pass.
        """
        store, defs = self.store, self.defs
        version = getattr(store, "version", None)
        cached = self._todo_cache
        if (cached is not None and version is not None and cached[0] is defs and cached[1] is store
                and cached[2] == version and cached[3] == now):
            return list(cached[4])
        # A workspace with nothing submitted yet is not asked for any past period of a duty.
        since = store.since() or now.astimezone(defs.calendar.tz).date()
        conflicted = (record for number in store.fold_conflicts() if (record := store.get(number)))
        tasks = todo(defs, store.records_where(self._may_be_open), now, store.duty_done(), since, conflicted)
        self._todo_cache = (defs, store, version, now, tasks)
        return list(tasks)

    def _may_be_open(self, form: str, state: str) -> bool:
        """Whether records of ``form`` stored in ``state`` can have running clocks (else the to-do list skips them)."""
        if form not in self.defs.workflows:
            return False
        known = self._known_state(form, state)
        return known is None or not self.defs.workflows[form].states[known].final

    def explain(self, number: str, now: dt.datetime) -> list[str]:
        """The explanation of a record's state and deadlines."""
        return explain(self.defs, self.record(number), now)

    def todo_lines(self, tasks: list[Task], now: dt.datetime) -> list[str]:
        """The to-do list as plain text lines (:func:`formflow.render.todolist.todo_lines`)."""
        return todo_lines(self.defs, tasks, now)

    def write_todo(self, now: dt.datetime) -> list[Path]:
        """Refresh ``outbox/todo/``: the list as text, JSON, .ics, and PDFs for the office and each person."""
        tasks, text = self._todo_text(now)
        return self.outbox.write_todo(self.defs, tasks, now, text)

    def _todo_text(self, now: dt.datetime) -> tuple[list[Task], str]:
        tasks = self.todo(now)
        header = [f"{self.defs.settings.office} 待办事项（截至 {fmt_clerk(now)}）", ""]
        return tasks, "\n".join(header + self.todo_lines(tasks, now)) + "\n"

    def fold(self) -> FoldReport:
        """Fold in what other stations' logs brought (:mod:`formflow.fold`; nothing to do for a lone station);
        the caller holds the workspace lock. When only a replay of every log will do, it is replayed into a
        new store (the engine's store let go first, as for :meth:`rebuild`). (The to-do list's cache follows
        the store's version: a fold that changed nothing keeps it.)"""
        try:
            report = fold_arrived(self.root, self.defs, self.store, self.now(), before_commit=self.queue_pdfs)
        except BaseException:
            # What it undid in memory must not be committed by the next pass: the store as it is on disk.
            self.reopen()
            raise
        if report.replay_needed:
            replayed = self.rebuild()
            report.replayed, report.applied, report.held = True, replayed.files, replayed.held
        return report

    def take_arrivals(self) -> tuple[list[str], FoldReport]:
        """What the other stations sent: the published definitions, written into the workspace when complete
        and valid (the caller reloads them), and their logs, folded in. The caller holds the workspace lock."""
        from formflow import syncsetup
        from formflow.adapters.events import fingerprint

        published, adopted = self.root / syncsetup.PUBLISHED, []
        if published.is_dir():  # both sets of files read only when either changed (asked at every watcher wake)
            seen = (fingerprint(published), fingerprint(self.root))
            if seen != self._published_seen:
                adopted = syncsetup.apply_published(self.root, self.now().date())
                self._published_seen = (fingerprint(published), fingerprint(self.root))
        return adopted, self.fold()

    def rebuild(self) -> RebuildReport:
        """Rebuild the database from the archive alone, each file under the definitions it was accepted
        with; switches to the new database only once it is complete (see :mod:`formflow.rebuild`)."""
        # The engine's store is the one being replaced: let it go for the replay, or the whole record index of
        # the old database (a few hundred bytes a record) stays in memory beside the one being built.
        # Reopened in any case (on a failure the old database, unchanged on disk).
        self.engine = None
        try:
            return rebuild(self.root, self.defs, self.now())
        finally:
            self.reopen()


def dump(store: Store) -> dict:
    """The store's records and submissions as plain data (to compare a rebuild with the live one)."""
    return {
        "records": sorted((record_to_doc(r) for r in store.records()), key=lambda d: d["number"]),
        "submissions": sorted((s["hash"], s["records"]) for s in store.submissions()),
    }
