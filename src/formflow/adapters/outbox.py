"""What the engine leaves in ``outbox/`` for people: record PDFs and the to-do lists.

Record PDFs are re-rendered whenever their record changes. Which records still need a PDF
is kept in a small queue file, written *before* the store commits a pass, so a crash
between the commit and the rendering is made good at the next start: a PDF may be
rendered twice, never missed. Each number leaves the queue as soon as its PDF is written,
so a crash costs only the PDFs not yet printed.

Printing never stops intake: a PDF or list that cannot be written (disk full, read-only
outbox) is left for later — its number stays queued — and :attr:`Outbox.fault` says why. Many changed records are rendered by a pool of worker
processes (one per core); a few are rendered in-process, where fonts are already loaded.

To-do lists (the office's and one per person with something to do) are rewritten as text,
JSON, PDF and an ``.ics`` calendar; a PDF is rendered again only when its content changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from formflow.adapters.atomic import is_write_fault, write_bytes, write_fault_text, write_json, write_text
from formflow.definitions.loader import Definitions
from formflow.definitions.settings import safe_file_name
from formflow.engine.clocks import fmt_clerk
from formflow.engine.records import Record
from formflow.engine.todo import Task
from formflow.fees.letter import NOTICE_SUFFIX, notice_event

#: Record numbers are made by our own patterns; anything else never becomes a file name.
_SAFE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$")
#: Below this many records a pool costs more (fork, pickling) than it saves.
POOL_FROM = 6

_worker_defs: Definitions | None = None


def _start_worker() -> None:
    """In each forked render worker: drop the workspace lock, and die with the parent."""
    import threading
    import time

    from formflow.adapters.lock import release_inherited

    release_inherited()
    parent = os.getppid()

    def watch_parent() -> None:  # a killed parent leaves its pool waiting forever otherwise
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch_parent, daemon=True).start()


def _render_in_worker(job: tuple[int, str, tuple]) -> tuple[int, bytes | None, str]:
    index, kind, args = job
    try:
        return index, _render(_worker_defs, kind, args), ""
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which keeps going
        return index, None, "".join(traceback.format_exception(exc))


def _render(defs: Definitions, kind: str, args: tuple) -> bytes:
    """One PDF: ``("record", (doc, now, related docs))``, ``("notice", (doc,))`` (its 催缴通知书) or
    ``("todo", (tasks, now, title, who))``."""
    from formflow.render import pdf

    if kind == "record":
        from formflow.adapters.keptforms import form_made_under
        from formflow.adapters.store import doc_to_record

        doc, now, related = args
        record = doc_to_record(doc)
        return pdf.render_record(defs, record, now, [doc_to_record(d) for d in related],
                                 form_made_under(defs, record, now))
    if kind == "notice":
        from formflow.adapters.store import doc_to_record
        from formflow.render.notice import render_notice

        return render_notice(defs, doc_to_record(args[0]))
    tasks, now, title, who = args
    return pdf.render_todo(defs, tasks, now, title, who)


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"), initializer=_start_worker)


@dataclass
class _Job:
    """One PDF to print: what to render, where it goes, what to remember once it is written."""

    kind: str
    args: tuple
    path: Path
    what: str
    done: Callable[[], None] = lambda: None


class Outbox:
    """The ``outbox/`` folder of one workspace, with the render queue under ``data/``."""

    def __init__(self, root: Path):
        self.root = root
        self.records_dir = root / "outbox" / "records"
        self.todo_dir = root / "outbox" / "todo"
        self.queue_file = root / "data" / "render-queue.json"
        #: Numbers whose PDF was written since the queue was last rewritten, one a line (appended per PDF).
        self.done_file = root / "data" / "render-done.txt"
        self.errors = root / "data" / "errors.log"
        self._todo_keys: dict[str, str] = {}
        #: Each person's text/JSON/.ics list as last written (what it said), so a pass rewrites only what changed.
        self._list_keys: dict[str, str] = {}
        #: Why the last :meth:`print` could not write everything (in Chinese), or ``""``: what it left is tried again next time.
        self.fault = ""

    # -- record PDFs ----------------------------------------------------------------------------

    def pending(self) -> list[str]:
        """Record numbers still waiting for their PDF."""
        try:
            queued = list(json.loads(self.queue_file.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return []
        done = self._done()
        return [n for n in queued if n not in done]

    def _done(self) -> set[str]:
        try:
            return set(self.done_file.read_text(encoding="utf-8").split())
        except (OSError, UnicodeDecodeError):
            return set()

    def _mark_done(self, number: str) -> None:
        """Note one PDF written: an append, not a rewrite of the queue (a burst has a thousand). Not fsynced:
        a mark lost to a power cut only prints that PDF once more."""
        try:
            with self.done_file.open("a", encoding="utf-8") as out:
                out.write(number + "\n")
        except OSError:
            pass  # data/ full or read-only: printed once more later, which is harmless

    def queue(self, numbers: Iterable[str]) -> None:
        """Remember ``numbers`` need a (new) PDF; call before the store commits their change."""
        numbers = set(numbers)
        if not numbers:
            return
        # Fold the done marks in first, then add: a mark must never hide a number queued again.
        self._unqueue(set())
        write_json(self.queue_file, sorted(set(self.pending()) | numbers))

    def pdf_path(self, record: Record) -> Path:
        """Where the PDF of ``record`` lives."""
        if not _SAFE_NUMBER.match(record.number) or not _SAFE_NUMBER.match(record.form):
            raise ValueError(f"unsafe record number or form id: {record.number!r} {record.form!r}")
        return self.records_dir / record.form / f"{record.number}.pdf"

    def notice_path(self, record: Record) -> Path:
        """Where the 催缴通知书 of ``record`` lives: beside its PDF (:mod:`formflow.fees.letter`)."""
        return self.pdf_path(record).with_name(record.number + NOTICE_SUFFIX)

    def print(self, defs: Definitions, get, now: dt.datetime, *, todo: tuple[list[Task], str] | None = None,
              records: bool = True, workers: int | None = None,
              related: Callable[[Record], list[Record]] | None = None) -> list[Path]:
        """Print what is due in one go: the queued record PDFs (``get(number)`` reads a record; not with
        ``records=False``; ``related(record)``: its parent and the records it made, for 关联记录) and, with
        ``todo`` (tasks and the text list), the to-do lists. Returns the
        PDFs written. Never raises for a disk that cannot be written: what could not be written is
        left for the next print and :attr:`fault` says why.

        All PDFs of a pass share one pool of worker processes, the to-do lists first (the longest
        documents), so a burst keeps both cores busy to the end instead of printing the lists alone
        after the records.
        """
        self.fault = ""
        jobs: list[_Job] = []
        if todo is not None and self._writable(self.todo_dir):
            jobs += self._todo_jobs(defs, *todo, now)
        numbers: list[str] = []
        if records and not defs.settings.record_pdfs:
            self._unqueue(set(self.pending()))
        elif records and (numbers := self.pending()) and not self._writable(self.records_dir):
            numbers = []  # all stay queued: nothing is rendered in vain
        elif records:
            from formflow.adapters.store import record_to_doc

            for record in (get(n) for n in numbers):
                if record is not None and record.form in defs.forms:
                    others = [record_to_doc(r) for r in related(record)] if related is not None else []
                    jobs.append(_Job("record", (record_to_doc(record), now, others), self.pdf_path(record),
                                     f"PDF of {record.number}", lambda n=record.number: self._mark_done(n)))
                    if notice_event(record) is not None and defs.notice is not None:  # printed again with it
                        jobs.append(_Job("notice", (record_to_doc(record),), self.notice_path(record),
                                         f"催缴通知书 of {record.number}"))
        written, unwritten = self._run(defs, jobs, workers if workers is not None else min(2, os.cpu_count() or 1))
        # Numbers without a PDF to print (record gone, form removed, render error logged) leave the queue
        # too; those whose PDF could not be written stay for the next time.
        self._unqueue(set(numbers) - {jobs[i].path.stem for i in unwritten if jobs[i].kind == "record"})
        return written

    def _unqueue(self, numbers: set[str]) -> None:
        """Drop ``numbers`` and the numbers marked done from the render queue; forget the marks."""
        try:
            if self.done_file.exists() or numbers:
                pending = self.pending()
                left = [n for n in pending if n not in numbers]
                if left:
                    write_json(self.queue_file, left)
                else:
                    self.queue_file.unlink(missing_ok=True)
            self.done_file.unlink(missing_ok=True)  # (after the queue: a kill between leaves marks that still hold)
        except OSError:
            pass  # data/ full or read-only: those PDFs are printed once more later, which is harmless

    def _writable(self, folder: Path) -> bool:
        """Whether a file can be created in ``folder`` now; if not, :attr:`fault` says why."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=".tmp")
            try:
                os.write(fd, b"\0" * 4096)  # a full disk may still have room for an empty file
            finally:
                os.close(fd)
                os.unlink(probe)
        except OSError as exc:
            if not is_write_fault(exc):
                raise
            self._failed(exc)
            return False
        return True

    def _failed(self, exc: OSError) -> None:
        self.fault = self.fault or write_fault_text(exc, self.root)

    def _run(self, defs: Definitions, jobs: list[_Job], workers: int) -> tuple[list[Path], set[int]]:
        """Render and write ``jobs``: the paths written, and the indexes of the jobs left unwritten by a write
        failure (after the first, the rest are not rendered in vain)."""
        written: list[Path] = []
        unwritten = set(range(len(jobs)))
        failed: list[OSError] = []
        for index, data, error in self._results(defs, jobs, workers, stop=lambda: bool(failed)):
            job = jobs[index]
            if data is None:
                self._log(job.what, error)
                unwritten.discard(index)  # a render error is logged, not retried for ever
                continue
            if failed:
                continue
            try:
                write_bytes(job.path, data)
            except OSError as exc:
                if not is_write_fault(exc):
                    raise
                failed.append(exc)
                self._failed(exc)
                continue
            unwritten.discard(index)
            job.done()
            written.append(job.path)
        return written, unwritten

    def _results(self, defs: Definitions, jobs: list[_Job], workers: int, stop: Callable[[], bool]):
        # The pool is for many records (a burst, a rebuild): forking a watcher or web desk that runs
        # threads is kept for when it pays; to-do lists alone are printed in-process.
        if sum(job.kind == "record" for job in jobs) < POOL_FROM or workers < 2:
            for index, job in enumerate(jobs):
                if stop():
                    return
                try:
                    yield index, _render(defs, job.kind, job.args), ""
                except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
                    yield index, None, "".join(traceback.format_exception(exc))
            return
        from formflow.render.pdf import renderer_for

        global _worker_defs
        _worker_defs = defs
        # Made here, inherited by the forked workers: a renderer made in a worker would leave its
        # font folder (WeasyPrint's temp dir, removed by a finaliser workers never run) behind.
        renderer_for(defs)
        lost: list[int] = []
        with _pool(workers) as pool:
            # One job per task, written as it comes back: chunks would leave one core idle at the end.
            futures = {pool.submit(_render_in_worker, (index, job.kind, job.args)): index
                       for index, job in enumerate(jobs)}
            for future in as_completed(futures):
                if stop():  # nothing more can be written: render no more (those already running finish)
                    for waiting in futures:
                        waiting.cancel()
                try:
                    yield future.result()
                except CancelledError:
                    continue
                except BrokenProcessPool:  # a worker died (killed, or crashed in a C library)
                    lost.append(futures[future])
        # The jobs a dead worker took down with it, again, each in a worker of its own: a job that
        # kills its worker takes only itself down, is logged, and the rest are printed.
        for index in sorted(lost):
            if stop():
                return
            job = jobs[index]
            with _pool(1) as single:
                try:
                    yield single.submit(_render_in_worker, (index, job.kind, job.args)).result()
                except BrokenProcessPool:
                    yield index, None, "PDF 生成进程异常退出 the render worker died while printing this one"

    def _log(self, what: str, error: str) -> None:
        try:
            self.errors.parent.mkdir(parents=True, exist_ok=True)
            with self.errors.open("a", encoding="utf-8") as out:
                out.write(f"--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} {what}\n{error}\n")
        except OSError:
            pass  # data/ full: the log is for the maintainer, the PDF is left as it was

    # -- to-do lists ----------------------------------------------------------------------------

    def write_todo(self, defs: Definitions, tasks: list[Task], now: dt.datetime, text: str) -> list[Path]:
        """Rewrite ``outbox/todo/``: text, JSON and .ics always; PDFs whose content changed."""
        return self.print(defs, lambda number: None, now, todo=(tasks, text), records=False)

    @staticmethod
    def _todo_key(now: dt.datetime, tasks: list[Task]) -> str:
        """What a to-do list says: its tasks, and the day (a list shows "due in 3 hours", so it is also new each
        day and whenever a status moves)."""
        return hashlib.sha256(json.dumps([now.date().isoformat(), [t.as_json() for t in tasks]],
                                         ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    def _personal_lists(self, defs: Definitions, own: dict[str, list[Task]], now: dt.datetime) -> None:
        """Each person's own list as text, JSON and .ics (``待办-李娜.txt``, ``.json``, ``.ics``: a phone's calendar);
        a person with nothing left has none."""
        from formflow.render.ics import todo_ics
        from formflow.render.todolist import todo_lines

        folder = self.todo_dir
        for name, mine in own.items():
            # Written again when what it says changed (a task, a status, the day), not at every pass: a person's
            # three files, fsynced, for each of ten people at every file the watcher takes would be thirty writes.
            key = self._todo_key(now, mine)
            if self._list_keys.get(name) == key and (folder / f"待办-{name}.txt").exists():
                continue
            header = [f"{defs.settings.office} {name}的待办事项（截至 {fmt_clerk(now)}）", ""]
            try:
                write_text(folder / f"待办-{name}.txt", "\n".join(header + todo_lines(defs, mine, now)) + "\n")
                write_text(folder / f"待办-{name}.ics", todo_ics(mine, now, f"{name}的待办事项", {k: f.title for k, f in defs.forms.items()}))
                write_text(folder / f"待办-{name}.json", json.dumps([t.as_json() for t in mine], ensure_ascii=False,
                                                                     indent=1))
            except OSError as exc:
                if not is_write_fault(exc):
                    raise
                self._failed(exc)
                return
            self._list_keys[name] = key
        for name in [n for n in self._list_keys if n not in own]:
            del self._list_keys[name]
        for stale in [*folder.glob("待办-*.txt"), *folder.glob("待办-*.ics"), *folder.glob("待办-*.json")]:
            if stale.stem.removeprefix("待办-") not in own:
                try:
                    stale.unlink(missing_ok=True)
                except OSError:
                    continue

    def _todo_jobs(self, defs: Definitions, tasks: list[Task], text: str, now: dt.datetime) -> list[_Job]:
        """Write the to-do list as text, JSON and .ics; return the to-do PDFs whose content changed."""
        from formflow.render.ics import todo_ics
        from formflow.render.todolist import tasks_for

        folder = self.todo_dir
        try:
            write_text(folder / "待办.txt", text)
            write_text(folder / "todo.json", json.dumps([t.as_json() for t in tasks], ensure_ascii=False, indent=1))
            write_text(folder / "待办.ics", todo_ics(tasks, now, f"{defs.settings.office} 待办事项", {k: f.title for k, f in defs.forms.items()}))
        except OSError as exc:  # the probe passed, the disk filled up since: the lists wait for the next time
            if not is_write_fault(exc):
                raise
            self._failed(exc)
            return []
        audiences: dict[str, tuple[str | None, list[Task]]] = {}
        if "office" in defs.settings.todo_pdfs:
            audiences["全部"] = (None, tasks)
        own: dict[str, list[Task]] = {}
        for person in (p for p in defs.settings.staff if p.active and safe_file_name(p.name)):
            mine = tasks_for(defs, tasks, person.name)
            if mine:
                own[person.name] = mine
                if "people" in defs.settings.todo_pdfs:
                    audiences[person.name] = (person.name, mine)
        self._personal_lists(defs, own, now)
        for stale in folder.glob("待办-*.pdf"):
            if stale.stem.removeprefix("待办-") not in audiences:
                try:
                    stale.unlink(missing_ok=True)  # nothing left for that person
                except OSError:
                    continue  # read-only now: removed at a later print
                self._todo_keys.pop(stale.stem.removeprefix("待办-"), None)
        jobs = []
        for name, (who, mine) in audiences.items():
            path = folder / f"待办-{name}.pdf"
            key = self._todo_key(now, mine)
            if self._todo_keys.get(name) == key and path.exists():
                continue
            title = f"{defs.settings.office} 待办事项" + ("" if who is None else f"（{who}）")
            jobs.append(_Job("todo", (mine, now, title, who), path, f"to-do PDF {name}",
                             lambda name=name, key=key: self._todo_keys.__setitem__(name, key)))
        jobs.sort(key=lambda job: -len(job.args[0]))  # longest first: they finish last otherwise
        return jobs
