"""Submitting from the web desk: the same files a clerk drops into ``inbox/``, and a pass to take them.

The engine stays the only way into the database. A submission is written into ``inbox/`` as
YAML (the envelope of ``formflow act`` and of a filled form: ``form:``/``record:``,
``action:``, ``by:``, ``at:``, ``data:``), atomically: a temporary name starting with "."
(which the inbox ignores), then a rename. Then a :class:`Processor` thread runs one pass of
the engine through the :class:`~formflow.app.App` API while holding the workspace lock. If
``formflow watch`` holds the lock, the watcher takes the file and the desk waits for it;
every couple of seconds, as long as a submission of ours is still in the inbox, it tries again
(a one-off ``formflow process`` may have ended before our file arrived).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formflow.adapters import inbox
from formflow.adapters.audit import AuditLog
from formflow.adapters.lock import WorkspaceBusy, WorkspaceLock
from formflow.app import App
from formflow.errors import FormflowError
from formflow.pipeline import FileResult
from formflow.web.desk import Desk

#: Seconds a file in the inbox must stay unchanged before the pass takes it (files other people copy in).
QUIET = 0.2
#: How often the processor looks again while a submission of ours waits (a watcher may hold the lock).
RETRY = 2.0
#: Seconds a ticket is remembered (its status page works that long).
KEEP = 24 * 3600


def _unlined(problem: str) -> str:
    """A problem without the line of the file it names (（第 3 行）): the desk wrote that file, not the clerk."""
    return re.sub(r"（第 \d+ 行）", "", problem)


@dataclass
class Ticket:
    """One submission from the desk, followed until the engine has taken it."""

    id: str
    name: str
    digest: str
    kind: str  # "form" or "action"
    target: str  # form id, or record number
    action: str = ""
    created: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Outcome:
    """What became of a ticket: ``pending``, ``stored``, ``rejected`` or ``duplicate``."""

    status: str
    records: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


class Processor:
    """Writes submissions into the inbox and runs engine passes for them, one at a time."""

    def __init__(self, desk: Desk):
        self.desk = desk
        self.tickets: dict[str, Ticket] = {}
        self.results: dict[str, FileResult] = {}
        self.busy_owner = False  # True while another process (a watcher) holds the workspace
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._opened: App | None = None
        self._last_error = ""

    # -- submitting ---------------------------------------------------------------------------------

    def submit(self, doc: dict[str, Any], stem: str, kind: str, target: str, action: str = "") -> Ticket:
        """Write ``doc`` into ``inbox/`` and ask for a pass; returns the ticket to follow it by."""
        text = inbox.submission_text(doc)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        name = inbox.put(self.desk.root / "inbox", f"{stem}-{stamp}-{secrets.token_hex(2)}.yaml", doc).name
        AuditLog(self.desk.root / "data", self.desk.defs().settings.station).append(
            "written", str(doc.get("by", "")), "desk", file=name)
        ticket = Ticket(secrets.token_urlsafe(12), name, hashlib.sha256(text.encode("utf-8")).hexdigest(), kind,
                        target, action)
        with self._lock:
            self.tickets[ticket.id] = ticket
            for old in [t for t in self.tickets.values() if ticket.created - t.created > KEEP]:
                del self.tickets[old.id]
                self.results.pop(old.name, None)
        self._wake.set()
        return ticket

    def ticket(self, ticket_id: str) -> Ticket | None:
        """The ticket ``ticket_id`` (from a URL) if this server issued it."""
        with self._lock:
            return self.tickets.get(ticket_id)

    def outcome(self, ticket: Ticket) -> Outcome:
        """Where ``ticket``'s file is now: still waiting, stored as records, or set aside (with why)."""
        earlier = self.desk.store().submission(ticket.digest)
        if earlier is not None:
            return Outcome("stored", tuple(earlier.get("records", ())))
        result = self.results.get(ticket.name)
        if result is not None:
            return Outcome(result.status, tuple(result.records), tuple(_unlined(p) for p in result.problems))
        if (self.desk.root / "inbox" / ticket.name).exists():
            return Outcome("pending")
        return self._set_aside(ticket) or Outcome("pending")  # taken by a watcher: the store shows it shortly

    def _set_aside(self, ticket: Ticket) -> Outcome | None:
        """Read the explanation the engine wrote beside a rejected file (a watcher's pass)."""
        folder = self.desk.root / "outbox" / "rejected"
        for note in sorted(folder.glob(f"*-{ticket.name}.说明.txt")):
            text = note.read_text(encoding="utf-8", errors="replace")
            body = text.split("问题：", 1)[-1].split("处理办法：", 1)[0]
            lines = [_unlined(re.sub(r"^\d+\.\s*", "", line.strip())) for line in body.splitlines() if line.strip()]
            return Outcome("duplicate" if "重复提交" in text else "rejected", (), tuple(lines))
        return None

    # -- the processing thread ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the background thread that runs passes."""
        self._thread = threading.Thread(target=self._run, name="formflow-desk-pass", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Let the current pass finish, then end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _complete_files(self) -> list[Path]:
        """The desk's own files (written whole, by rename) and others that have lain still for
        settle_seconds: a copy someone is making into the inbox meanwhile is left for later."""
        inbox_dir = self.desk.root / "inbox"
        with self._lock:
            own = {inbox_dir / t.name for t in self.tickets.values()}
        settle = self.desk.defs().settings.settle_seconds
        return [p for p in inbox.candidates(inbox_dir)
                if p in own or inbox.lain_still(p, settle)]

    def _waiting(self) -> bool:
        inbox = self.desk.root / "inbox"
        with self._lock:
            names = [t.name for t in self.tickets.values()]
        return any((inbox / name).exists() for name in names)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=RETRY)
            self._wake.clear()
            if self._stopping.is_set() or not self._waiting():
                continue
            try:
                self.run_pass()
            except Exception as exc:  # noqa: BLE001 - the thread must live on; the log names the cause
                self._log(f"处理收件箱时出错 pass failed: {type(exc).__name__}: {exc}")

    def run_pass(self) -> bool:
        """One pass over the inbox while holding the workspace lock; ``False`` if a watcher holds it."""
        try:
            with WorkspaceLock(self.desk.root):
                self.busy_owner = False
                report = self._app().process(quiet=QUIET, files=self._complete_files())
        except WorkspaceBusy:
            self.busy_owner = True
            return False
        except FormflowError as exc:  # e.g. definitions that no longer load: said once, tried again later
            self._log(f"处理收件箱时出错 pass failed: {exc}")
            return False
        self._last_error = ""
        for result in report.results:
            if result.status != "held":  # still in the inbox (being written, or a disk fault): still pending
                self.results[result.name] = result
        return True

    def _log(self, message: str) -> None:
        """Say ``message`` on the console, once while it stays the same (the thread retries every few seconds)."""
        if message != self._last_error:
            self._last_error = message
            self.desk.log(message)

    def _app(self) -> App:
        """The App of this pass (call holding the lock).

        Opened once with :meth:`App.open`; later passes give it a fresh engine, because the store
        may have changed while the lock was free (a ``formflow process`` in between). The App
        itself is kept, so the outbox remembers which to-do PDFs are already up to date.
        """
        if self._opened is None:
            self._opened = App.open(self.desk.root)
            return self._opened
        return self._opened.reopen(self.desk.defs())
