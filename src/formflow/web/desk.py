"""The web desk's view of a workspace: definitions and records, read without owning the workspace.

``formflow watch`` (or ``process``) owns the database while it holds ``data/formflow.lock``;
the desk never writes it outside a pass of its own (see :mod:`formflow.web.submit`). For
pages it reads: definitions are reloaded when their files change (the last good ones stay
in force, as in ``watch``), and the store is re-read when its change marker (rewritten by
every commit) changes. Both are written by atomic replace, so a reader always sees whole files.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formflow import clock
from formflow.adapters.outbox import Outbox
from formflow.adapters.partitions import read_change_marker
from formflow.adapters.store import Store
from formflow.app import App
from formflow.definitions.loader import Definitions
from formflow.engine.numbering import SAFE_NUMBER
from formflow.engine.records import Record
from formflow.errors import FormflowError
from formflow.adapters.events import fingerprint
from formflow.workspace import Workspace


class ReadOnlyStore(Store):
    """A :class:`Store` that never finishes another process's commit.

    ``Store`` replays a left-over ``wal.json`` when opened, which only the lock holder may do;
    a reader that finds one simply sees the state before that commit until the owner finishes it.
    """

    def __init__(self, folder: Path):
        super().__init__(folder, finish_commit=False)


@dataclass
class _Engineless:
    """Stands in for the engine of a read-only :class:`App`: the App's reading methods only need ``store``."""

    store: Store


def _fingerprint(paths) -> tuple:
    found = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        found.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(sorted(found))


class Desk:
    """One workspace as the web pages see it; safe to share between request threads."""

    def __init__(self, root: Path, log: Callable[[str], None] | None = None, defs: Definitions | None = None):
        """Open ``root``; ``defs`` are its definitions when the caller has just loaded them."""
        self.root = root
        self.log = log or (lambda message: print(message, file=sys.stderr))
        self._lock = threading.Lock()
        self._defs = defs or Workspace(root).load()  # bad definitions stop the server at start, like `watch`
        self._defs_key = self._definition_files()
        self.definition_error = ""
        self._store: Store | None = None
        self._store_key: tuple = ()
        self._newest: tuple | None = None
        for folder in ("inbox", "outbox", "data"):
            (root / folder).mkdir(exist_ok=True)

    # -- definitions and records ------------------------------------------------------------------

    def _definition_files(self) -> tuple:
        return fingerprint(self.root)  # as the watcher sees them (editor clutter such as .#x.yaml is no edit)

    def defs(self) -> Definitions:
        """The current definitions (reloaded after an edit that passes the checks)."""
        key = self._definition_files()
        with self._lock:
            if key != self._defs_key:
                self._defs_key = key
                try:
                    self._defs = Workspace(self.root).load()
                    self.definition_error = ""
                except FormflowError as exc:
                    self.definition_error = str(exc)
            return self._defs

    def store(self) -> Store:
        """The records as last committed (re-read when the database files change)."""
        folder = self.root / "data" / "db"
        key = read_change_marker(folder)  # one read: every commit gives the marker a new token
        if key is None:  # a store no commit of this version has touched yet: stat its files
            try:
                files = [Path(e.path) for e in os.scandir(folder) if e.name.endswith(".json")]
            except FileNotFoundError:
                files = []
            key = _fingerprint(files)
        with self._lock:
            if self._store is None or key != self._store_key:
                self._store = ReadOnlyStore(folder)
                self._store_key = key
            return self._store

    def prepare_search(self) -> None:
        """Bring the records' search index up to date (at start, in a thread of its own: see
        :meth:`formflow.adapters.searchindex.SearchIndex.prepare`); a failure is said on the console and left to
        the first search, which tries again."""
        try:
            self.store().prepare_search()
        except Exception as exc:  # noqa: BLE001 - the search itself tries again and answers for it
            self.log(f"查找索引未能准备好，将在第一次查找时再试 search index not prepared: {exc}")

    def app(self) -> App:
        """A read-only :class:`App` over the current definitions and records (todo, explain, records)."""
        return App(self.root, self.defs(), _Engineless(self.store()))

    def newest_first(self, app: App, form: str = "", state: str = "",
                     among: set[str] | None = None) -> list[tuple[str, str, str, float]]:
        """The records of ``app`` (of ``form``, in ``state``: empty for all; only those numbered in ``among``, when
        given) as :meth:`App.indexed` gives them, newest first.

        Kept until the store or the definitions change: a clerk paging through 全部记录 of 100k records
        then costs a slice, not a pass over the index and a sort per page (~170 ms); a search's hits are placed
        by their position in the kept list, not by a pass over it (~10 ms at 100k records).
        """
        key = (app.defs, app.store, app.store.version)
        cached = self._newest
        if cached is None or not (cached[0][0] is key[0] and cached[0][1] is key[1] and cached[0][2] == key[2]):
            rows = app.indexed()
            rows.sort(key=lambda row: row[3], reverse=True)  # stable: store order among equals
            cached = (key, {("", ""): rows})
            self._newest = cached  # (one assignment: a request thread sees the old pair or the new one)
        lists = cached[1]
        if among is not None:
            everything = lists[("", "")]
            position = lists.get(None)  # (under None: number -> its place in the full list, made at a first search)
            if position is None:
                position = lists[None] = {row[0]: i for i, row in enumerate(everything)}
            rows = (everything[i] for i in sorted(position[n] for n in among if n in position))
            return [row for row in rows if (not form or row[1] == form) and (not state or row[2] == state)]
        chosen = lists.get((form, state))
        if chosen is None:  # one list per (form, state) asked for: at most forms x states of them
            chosen = lists[(form, state)] = [row for row in lists[("", "")]
                                             if (not form or row[1] == form) and (not state or row[2] == state)]
        return chosen

    def now(self) -> dt.datetime:
        """The office's current time (``FORMFLOW_NOW`` honoured, as everywhere)."""
        return clock.now(self.defs().settings.timezone)

    def record(self, number: str) -> Record | None:
        """The record ``number`` from a URL, or ``None``: the number is checked before any look-up."""
        if not SAFE_NUMBER.match(number):
            return None
        return self.store().get(number)

    # -- files the engine and the renderer write ----------------------------------------------------

    def record_pdf(self, record: Record) -> Path | None:
        """The record's PDF (``outbox/records/<form>/<number>.pdf``) when the renderer has written it."""
        if not SAFE_NUMBER.match(record.number) or record.form not in self.defs().forms:
            return None
        try:
            path = Outbox(self.root).pdf_path(record)
        except ValueError:
            return None
        return path if path.is_file() else None

    def todo_files(self) -> list[str]:
        """Names of the printable to-do files in ``outbox/todo/`` (PDF, text, calendar)."""
        folder = self.root / "outbox" / "todo"
        try:
            names = [e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
        except FileNotFoundError:
            return []
        return sorted(n for n in names if not n.startswith(".") and n.lower().endswith((".pdf", ".txt", ".ics")))

    def todo_file(self, name: str) -> Path | None:
        """The file ``name`` of :meth:`todo_files` (only names listed there are ever opened)."""
        return self.root / "outbox" / "todo" / name if name in self.todo_files() else None
