"""The long-running watcher: inbox events as hints, periodic rescans, hot reload, the minute tick.

Lessons from paperless-ngx's consumer and watchdog's tracker: an exception in a watchdog
handler kills its observer thread, so the handler only sets a flag; events get lost, so the
inbox is rescanned every few seconds anyway; a file is taken only once two readings of its
size and mtime, ``quiet`` seconds apart, agree.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

from formflow.adapters import inbox
from formflow.adapters.atomic import write_text
from formflow.app import App
from formflow.compat import stored_record_problems
from formflow.errors import DefinitionError, FormflowError
from formflow.workspace import Workspace

#: The longest the to-do lists wait for a burst to end (a file that never settles must not hold them).
TODO_HOLD_MAX = 30.0
DEFINITION_GLOBS = ("formflow.yaml", "calendar.yaml", "duties.yaml", "forms/*.yaml", "choices/*", "workflows/*.yaml")


class _Hint:
    """A watchdog handler that only raises a flag (never raises itself)."""

    def __init__(self, wake: threading.Event):
        self.wake = wake

    def dispatch(self, event) -> None:
        self.wake.set()


def _fingerprint(root: Path) -> tuple:
    found = []
    for pattern in DEFINITION_GLOBS:
        for path in sorted(root.glob(pattern)):
            reading = inbox.reading(path)
            if reading:
                found.append((path.as_posix(), reading.size, reading.mtime_ns))
    return tuple(found)


class Watcher:
    """Runs passes as files arrive, until :meth:`stop`."""

    def __init__(self, app: App, *, echo: Callable[[str], None] = print, poll: bool = False, quiet: float = 0.4,
                 rescan: float = 5.0, tick: float = 60.0):
        self.app = app
        self.echo = echo
        self.poll = poll
        self.quiet = quiet
        self.rescan = rescan
        self.tick = tick
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self._seen: dict[Path, tuple[inbox.Reading, float]] = {}
        self._definitions = _fingerprint(app.root)
        self._todo_key: tuple = ()
        self._todo_held_since: float | None = None  # the to-do lists wait while a burst is still arriving

    def stop(self) -> None:
        """Ask the loop to finish its current pass and return."""
        self.stopping.set()
        self.wake.set()

    def run(self) -> None:
        """Watch until stopped. Catches up first: the inbox as it is, deadlines as of now."""
        observer = self._observer()
        self.echo(f"正在监视 watching {self.app.root / 'inbox'}（按 Ctrl-C 停止 stop）")
        self._print(todo=True)  # record PDFs a crash or kill left unrendered, and today's lists
        last_scan = last_tick = 0.0
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                if self.wake.is_set() or now - last_scan >= self.rescan or self._seen:
                    self.wake.clear()
                    last_scan = now
                    self._reload_if_changed()
                    self._take_ready_files()
                if self._todo_held_since is not None and (
                        not self._seen or now - self._todo_held_since >= TODO_HOLD_MAX):
                    self._refresh_todo(force=True)
                if now - last_tick >= self.tick:
                    last_tick = now
                    self._refresh_todo()
                self.wake.wait(timeout=min(self.quiet / 2, 0.25) if self._seen else 1.0)
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            if self._todo_held_since is not None:  # stopped in the middle of a burst: the lists still get done
                try:
                    self._refresh_todo(force=True)
                except Exception as exc:  # noqa: BLE001 - stopping anyway; the next start redoes them
                    self.echo(f"✗ 待办清单未能更新 to-do lists not refreshed: {exc}")

    def _observer(self):
        try:
            if self.poll:
                from watchdog.observers.polling import PollingObserver as Observer
            else:
                from watchdog.observers import Observer
            observer = Observer()
            observer.schedule(_Hint(self.wake), str(self.app.root / "inbox"), recursive=False)
            observer.start()
            return observer
        except Exception as exc:  # no inotify watches left, odd file system...: rescans still work
            self.echo(f"提示 note: 文件事件不可用，改为定时扫描 file events unavailable ({exc}); polling instead")
            return None

    def _take_ready_files(self) -> None:
        clock = time.monotonic()
        ready = []
        present = set()
        for path in inbox.candidates(self.app.root / "inbox"):
            present.add(path)
            current = inbox.reading(path)
            if current is None:
                continue
            previous = self._seen.get(path)
            if previous is None or previous[0] != current:
                self._seen[path] = (current, clock)
            elif clock - previous[1] >= self.quiet:
                ready.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        if not ready:
            return
        try:
            report = self.app.engine.run_pass(self.app.now, files=ready)
        except FormflowError as exc:
            self.echo(f"✗ {exc}")
            return
        for path in ready:
            self._seen.pop(path, None)
        for result in report.results:
            self.echo(result.line())
        if self._seen:
            # More files are settling in the inbox (a burst, a scanner batch): print their records
            # now, the to-do lists once, after the last of them (they are the costliest PDFs).
            self._todo_held_since = self._todo_held_since or time.monotonic()
            self._print(todo=False)
        else:
            self._print(todo=True)

    def _print(self, *, todo: bool) -> None:
        """Record PDFs still queued, with the to-do lists if ``todo``: one pool for both."""
        now = self.app.now()
        key = self._key(now) if todo else None
        records = self.app.outbox.records_dir
        for path in self.app.write_outputs(now, todo=todo):
            if path.is_relative_to(records):
                self.echo(f"  📄 {path.relative_to(self.app.root)}")
        if todo:  # only once written: a failed write is tried again at the next tick
            self._todo_key, self._todo_held_since = key, None

    def _reload_if_changed(self) -> None:
        fingerprint = _fingerprint(self.app.root)
        if fingerprint == self._definitions:
            return
        self._definitions = fingerprint
        report = self.app.root / "outbox" / "定义错误.txt"
        try:
            defs = Workspace(self.app.root).load()
            stranded = stored_record_problems(defs, self.app.store.states())
            if stranded:
                raise DefinitionError(stranded)
        except (DefinitionError, FormflowError) as exc:
            text = f"{dt.datetime.now():%Y-%m-%d %H:%M} 定义有误，仍使用上次正确的定义 definitions invalid; the last good ones stay in force\n{exc}\n"
            self.echo(text.rstrip())
            write_text(report, text)
            return
        self.app.defs = defs
        self.app.engine.defs = defs
        report.unlink(missing_ok=True)
        self.echo("已重新载入定义 definitions reloaded")
        self._refresh_todo(force=True)

    def _key(self, now: dt.datetime) -> tuple:
        return tuple((t.record, t.clock, t.status, t.due) for t in self.app.todo(now))

    def _refresh_todo(self, *, force: bool = False) -> None:
        now = self.app.now()
        key = self._key(now)
        if force or key != self._todo_key:
            self.app.write_todo(now)
            self._todo_key, self._todo_held_since = key, None
