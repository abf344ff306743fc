"""The long-running watcher: inbox events as hints, periodic rescans, hot reload, the minute tick.

Lessons from paperless-ngx's consumer and watchdog's tracker: an exception in a watchdog
handler kills its observer thread, so the handler only notes hints; events get lost, so the
inbox is rescanned every few seconds anyway. A file is taken once it has stayed unchanged for
``quiet`` seconds and its writer closed it or renamed it in; with no such word, once it has
stayed unchanged for ``settle_seconds`` (three times that if writes were seen but no close): a
copy that pauses is waited out, not taken half-written.

A disk that cannot be written (full, read-only, unplugged) never stops the watcher: it says
so in Chinese (on the console, and in a note where it can still write), leaves what it could
not finish where it is — files in the inbox, numbers in the render queue — and tries again,
waiting longer each time, until the fault clears. Taking files in and printing fail apart:
an outbox that cannot be written does not keep files out of the store.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

from formflow.adapters import inbox
from formflow.adapters.atomic import is_write_fault, write_fault_text, write_text
from formflow.adapters.events import InboxHints, WakeOnly, fingerprint
from formflow.app import App
from formflow.compat import stored_record_problems
from formflow.errors import DefinitionError, FormflowError
from formflow.pipeline import PassReport
from formflow.workspace import Workspace

#: The longest the to-do lists wait for a burst to end (a file that never settles must not hold them).
TODO_HOLD_MAX = 30.0
#: After a failed write, the first retry waits this long; each further failure doubles it, up to RETRY_MAX.
RETRY_FIRST, RETRY_MAX = 2.0, 60.0
#: Where the watcher tells the office that it cannot write (the first of these it can write to).
FAULT_NOTES = ("outbox/写入故障.txt", "写入故障.txt")


class _Fault:
    """One kind of trouble — committing a pass, finishing some files, printing — with what was
    said about it, and when to try again."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.delay = 0.0
        self.retry_at = 0.0

    def due(self) -> bool:
        """Whether the next attempt may be made now."""
        return time.monotonic() >= self.retry_at

    def failed(self, message: str) -> bool:
        """Note another failure (the wait doubles); whether ``message`` is news (else it was said already)."""
        self.delay = min(self.delay * 2 or RETRY_FIRST, RETRY_MAX)
        self.retry_at = time.monotonic() + self.delay
        if message in self.messages:
            return False
        self.messages.append(message)
        return True

    def cleared(self) -> bool:
        """Note a success; whether it ends a fault."""
        ended = bool(self.messages)
        self.messages, self.delay, self.retry_at = [], 0.0, 0.0
        return ended


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
        self._hint = InboxHints(self.wake)
        self._definitions = fingerprint(app.root)
        self._todo_key: tuple = ()
        self._todo_held_since: float | None = None  # the to-do lists wait while a burst is still arriving
        self._intake = _Fault()  # a pass could not be committed: no pass until the retry is due
        self._held = _Fault()  # files a pass could not finish (archive or set-aside not written): they wait
        self._output = _Fault()  # PDFs and lists could not be written: printed again when the retry is due
        self._stale_engine = False  # a pass failed half-way: its uncommitted changes must not be kept
        self._waiting_out: dict[Path, inbox.Reading | None] = {}  # files a set-aside could not move yet

    def stop(self) -> None:
        """Ask the loop to finish its current pass and return."""
        self.stopping.set()
        self.wake.set()

    def run(self) -> None:
        """Watch until stopped. Catches up first: the inbox as it is, deadlines as of now."""
        observer = self._observer()
        self.echo(f"正在监视 watching {self.app.root / 'inbox'}（按 Ctrl-C 停止 stop）")
        # The inbox first: files that waited while we were stopped are taken before the render queue
        # a crash left (which may be long) is printed, together with today's lists, in one go.
        self._guarded(self._catch_up)
        last_scan = last_tick = 0.0
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                if self.wake.is_set() or now - last_scan >= self.rescan or self._seen:
                    self.wake.clear()
                    last_scan = now
                    self._guarded(self._take_arrivals)
                    self._guarded(self._reload_if_changed)
                    self._guarded(self._take_ready_files)
                if self._output.messages and self._output.due():
                    self._guarded(lambda: self._print(todo=True))  # what could not be written, again
                elif self._todo_held_since is not None and self._output.due() and (
                        not self._seen or now - self._todo_held_since >= TODO_HOLD_MAX):
                    self._guarded(lambda: self._refresh_todo(force=True))
                if now - last_tick >= self.tick and self._output.due() and self._todo_held_since is None:
                    last_tick = now  # (lists held for a burst are done when it ends: see above)
                    self._guarded(self._refresh_todo)
                busy = self._intake.due() and any(path not in self._waiting_out for path in self._seen)
                if not self._seen and self._todo_held_since is None:  # idle: readers open from a fresh snapshot
                    self._guarded(self.app.store.save_index_snapshot)
                self.wake.wait(timeout=min(self.quiet / 2, 0.25) if busy else 1.0)
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
            observer.schedule(self._hint, str(self.app.root / "inbox"), recursive=False)
            stations = self.app.root / "data" / "stations"
            if stations.is_dir():  # another station's file arriving wakes the loop, as a dropped one does
                # (watchdog warns when a folder made under a recursive watch is registered twice: harmless)
                warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
                observer.schedule(WakeOnly(self.wake), str(stations), recursive=True)
            observer.start()
            return observer
        except Exception as exc:  # no inotify watches left, odd file system...: rescans still work
            self.echo(f"提示 note: 文件事件不可用，改为定时扫描 file events unavailable ({exc}); polling instead")
            return None

    def _guarded(self, step: Callable[[], None]) -> None:
        """Run one step of the loop; whatever it raises, the watcher lives on (and says what happened)."""
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - a watcher that dies takes in nothing more until someone notices
            if is_write_fault(exc):
                self._fault(self._output, write_fault_text(exc, self.app.root))
                return
            try:
                with (self.app.root / "data" / "errors.log").open("a", encoding="utf-8") as out:
                    out.write(f"--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} watcher\n"
                              f"{''.join(traceback.format_exception(exc))}\n")
            except OSError:
                pass
            self.echo(f"✗ 内部错误 internal error（{type(exc).__name__}: {exc}），稍后重试；"
                      "详情见 data/errors.log，请交给系统维护人员")
            self.stopping.wait(RETRY_FIRST)  # not in a tight loop, whatever it is

    def _catch_up(self) -> None:
        """At start: one pass over what the inbox holds now (settled files only), then the printing."""
        waiting = inbox.candidates(self.app.root / "inbox")
        # Only what has lain still for settle_seconds (by its mtime): a copy under way, perhaps paused,
        # is left to the loop, which waits for its writer to finish.
        settle = self.app.defs.settings.settle_seconds
        old = [p for p in waiting if inbox.lain_still(p, settle)]
        report = self._pass(old, quiet=self.quiet) if old else None
        taken = {r.name for r in report.results if r.status != "held"} if report else set()
        if any(path.name not in taken for path in waiting):  # some still arriving: the lists wait for them
            self._todo_held_since = time.monotonic()
            self._print(todo=False)  # record PDFs a crash or kill left unrendered, and this pass's
        else:
            self._print(todo=True)  # the same, and today's lists

    def _pass(self, files: list[Path] | None, *, quiet: float = 0.0) -> PassReport | None:
        """One pass of the engine; ``None`` when it could not be committed (the files stay in the inbox)."""
        try:
            if self._stale_engine:
                self._reopen()
            report = self.app.engine.run_pass(self.app.now, files=files, quiet=quiet)
        except FormflowError as exc:
            self._stale_engine = True
            self.echo(f"✗ {exc}")
            return None
        except Exception as exc:
            self._stale_engine = True  # what the failed pass applied in memory must not be committed later
            if not isinstance(exc, OSError) or not is_write_fault(exc):
                raise
            self._guarded(self._reopen)  # at once: the to-do lists must not show what was not committed
            self._fault(self._intake, write_fault_text(exc, self.app.root) + "；收到的文件都留在 inbox 中，不会丢失")
            return None
        if self._intake.cleared():
            self._recovered()
        for result in report.results:
            if result.status == "held" and result.problems:  # its archive or set-aside could not be written
                path = self.app.root / "inbox" / result.name
                if path not in self._waiting_out:
                    self.echo(result.line())
                self._waiting_out[path] = inbox.reading(path)
            else:
                self._waiting_out.pop(self.app.root / "inbox" / result.name, None)
                self.echo(result.line())
        for fault in report.faults:
            self._fault(self._held, fault)
        if not report.faults and not self._waiting_out and self._held.cleared():
            self._recovered()
        return report

    def _reopen(self) -> None:
        """Drop what a failed pass applied in memory: the store as it is on disk."""
        self.app.reopen()
        self._stale_engine = False

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
            elif self._complete(path, current, clock - previous[1]) and self._may_take(path, current):
                ready.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
            self._hint.finished.pop(gone, None)
        for gone in set(self._waiting_out) - present:  # taken out of the inbox by hand
            del self._waiting_out[gone]
        if not self._waiting_out and self._held.cleared():
            self._recovered()
        if not ready or not self._intake.due():
            return
        report = self._pass(ready)
        if report is None:
            return
        for path in ready:
            self._seen.pop(path, None)
            self._hint.finished.pop(path, None)  # a file of the same name later is a new story
        if self._seen:
            # More files are settling in the inbox (a burst, a scanner batch): print their records
            # now, the to-do lists once, after the last of them (they are the costliest PDFs).
            self._todo_held_since = self._todo_held_since or time.monotonic()
            self._print(todo=False)
        else:
            self._print(todo=True)

    def _complete(self, path: Path, current: inbox.Reading, unchanged_for: float) -> bool:
        """Whether ``path`` is written in full: unchanged for ``quiet`` seconds and closed (or renamed in)
        by its writer; with no word from the writer (``--poll``, events lost), unchanged for settle_seconds;
        written to and not closed (a copy that paused), unchanged for three times as long. Only what is
        seen here counts: an mtime can be old (kept by the copy, another computer's clock)."""
        if unchanged_for < self.quiet:
            return False
        finished, kind = self._hint.finished.get(path), inbox.odd_kind(path)
        if finished or kind in ("link", "pipe", "device"):
            return True  # (a link or a pipe has no content being written; a folder may be filling up)
        settle = self.app.defs.settings.settle_seconds
        return unchanged_for >= (3 * settle if finished is False and kind is None else settle)

    def _may_take(self, path: Path, current: inbox.Reading) -> bool:
        """A file a pass could not finish is tried again when the retry is due (or when it changed):
        not at every scan."""
        return path not in self._waiting_out or self._waiting_out[path] != current or self._held.due()

    def _print(self, *, todo: bool) -> None:
        """Record PDFs still queued, with the to-do lists if ``todo``: one pool for both."""
        now = self.app.now()
        key = self._key(now) if todo else None
        records = self.app.outbox.records_dir
        for path in self.app.write_outputs(now, todo=todo):
            if path.is_relative_to(records):
                self.echo(f"  📄 {path.relative_to(self.app.root)}")
        self._printed(todo, key)

    def _printed(self, todo: bool, key: tuple | None) -> None:
        """After a print: note a fault, or its end; the lists count as done only once written."""
        fault = self.app.outbox.fault
        if fault:
            self._fault(self._output, fault + "；已登记的记录不受影响，打印件稍后补上")
            return
        if self._output.cleared():
            self._recovered()
        if todo:  # only once written: a failed write is tried again later
            self._todo_key, self._todo_held_since = key, None

    def _fault(self, fault: _Fault, message: str) -> None:
        """Say (once) what cannot be written, in the console and a note, and wait longer before the next try."""
        if fault.failed(message):
            self.echo(f"✗ 写入故障 cannot write：{message}（稍后自动重试 retrying）")
            self._note()

    def _recovered(self) -> None:
        self.echo("✓ 写入恢复正常，继续处理 writing works again")
        self._note()

    def _note(self) -> None:
        """Write the faults still open into the first place that takes it; remove the notes once none is left."""
        faults = self._intake.messages + self._held.messages + self._output.messages
        text = "\n".join([f"{dt.datetime.now():%Y-%m-%d %H:%M} 系统无法写入文件：", "",
                          *(f"  {i}. {m}" for i, m in enumerate(faults, start=1)), "",
                          "问题解决后会自动继续处理，无需重新放入文件。此说明在恢复后自动删除。", ""])
        written = False
        for relative in FAULT_NOTES:
            path = self.app.root / relative
            try:
                if faults and not written:
                    write_text(path, text)
                    written = True
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                continue

    def _take_arrivals(self) -> None:
        """Definitions published and logs written by the other stations (nothing to do for a lone one)."""
        adopted, folded = self.app.take_arrivals()
        if adopted:
            self.echo(f"已收到主管发布的定义 definitions received: {'、'.join(adopted)}")
        if folded.applied or folded.replayed:
            self.echo(f"⇄ 已合并其他站点的 {folded.applied} 个文件 folded from other stations"
                      + (f"，{folded.held} 个暂缓 held" if folded.held else ""))
            self._refresh_todo(force=True)

    def _reload_if_changed(self) -> None:
        current = fingerprint(self.app.root)
        if current == self._definitions:
            return
        self._definitions = current
        report = self.app.root / "outbox" / "定义错误.txt"
        try:
            defs = Workspace(self.app.root).load()
            stranded = stored_record_problems(defs, self.app.store.states())
            if stranded:
                raise DefinitionError(stranded)
        except (DefinitionError, FormflowError, OSError) as exc:  # OSError: a definition file that cannot be read
            text = f"{dt.datetime.now():%Y-%m-%d %H:%M} 定义有误，仍使用上次正确的定义 definitions invalid; the last good ones stay in force\n{exc}\n"
            self.echo(text.rstrip())
            try:
                write_text(report, text)
            except OSError:
                pass  # the console said it; the outbox cannot take the report now
            return
        self.app.defs = defs
        self.app.engine.defs = defs
        try:
            report.unlink(missing_ok=True)
        except OSError:
            pass  # read-only for now: an out-of-date report is removed at the next good reload
        self.echo("已重新载入定义 definitions reloaded")
        self._refresh_todo(force=True)

    def _key(self, now: dt.datetime) -> tuple:
        return tuple((t.record, t.clock, t.status, t.due) for t in self.app.todo(now))

    def _refresh_todo(self, *, force: bool = False) -> None:
        now = self.app.now()
        key = self._key(now)
        if force or key != self._todo_key:
            self.app.write_todo(now)
            self._printed(True, key)
