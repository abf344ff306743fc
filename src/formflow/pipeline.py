"""One pass of the engine over the inbox: read, check, apply, store, archive, set aside.

Every file ends in exactly one place. Accepted files are applied to the store in memory and
staged for the archive (which alone can rebuild the database), committed once per pass, then
published to the archive and removed from the inbox; a journal names them in between, so a
crash at any point is finished or redone on the next start — never lost, never applied twice.
A file that changes while or after it is read is never accepted or deleted unseen
(:mod:`formflow.adapters.taken`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from formflow.adapters import inbox, lock, stationlog
from formflow.adapters.archive import Archive
from formflow.adapters.audit import AuditLog
from formflow.adapters.taken import Taken
from formflow.adapters.atomic import is_write_fault, sweep_temp, write_fault_text
from formflow.adapters.store import Store
from formflow.adapters.versions import DefinitionVersions
from formflow.adapters.storeswitch import finish_switch
from formflow.definitions.loader import Definitions
from formflow.engine.actions import ActionRefused, FollowUp, ParentAction, apply_action, create_record
from formflow.engine.clocks import fmt_clerk
from formflow.engine.numbering import format_number, period_key
from formflow.engine.records import BUILT_IN, Event, Record
from formflow.engine.todo import duty_done_words
from formflow.engine.validate import DataProblem, Validated
from formflow.intake import Checked, read_content

#: Effects that trigger effects (a callback reopening a repair...) stop here: a loop in the YAML must not hang us.
MAX_EFFECT_DEPTH = 5


@dataclass
class FileResult:
    """What became of one dropped file."""

    name: str
    status: str  # stored | rejected | duplicate | held (still being written: left in the inbox for later)
    records: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    moved_to: str = ""

    def line(self) -> str:
        """The console line ``watch``/``process`` prints."""
        if self.status == "stored":
            return f"✓ {self.name} → {', '.join(self.records)}"
        if self.status == "duplicate":
            return f"= {self.name}：重复提交，已放到 {self.moved_to}"
        if self.status == "held" and self.problems:  # the disk could not be written: see PassReport.faults
            return f"… {self.name}：无法写入磁盘，仍留在 inbox 中，问题解决后再处理"
        if self.status == "held":
            return f"… {self.name}：读取时仍在写入，留在 inbox 中，写完后再处理"
        return f"✗ {self.name}：{len(self.problems)} 处问题，已放到 {self.moved_to}"


@dataclass
class PassReport:
    results: list[FileResult] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    #: What could not be written (disk full, read-only...), in Chinese, each once; the files it held stay in the inbox.
    faults: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.results if r.status in ("rejected", "duplicate"))


def _internal_error(root: Path, name: str, exc: BaseException) -> str:
    """Log the traceback for whoever maintains the office's laptop; tell the clerk what to do."""
    import traceback

    log = root / "data" / "errors.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8", errors="backslashreplace") as out:
        out.write(f"--- {name}\n{''.join(traceback.format_exception(exc))}\n")
    return (f"处理此文件时程序内部出错（{type(exc).__name__}），文件未登记，已原样保存。"
            "请把此文件和 data/errors.log 交给系统维护人员。")


class Engine:
    """The inbox pipeline over one workspace's folders, definitions and store."""

    def __init__(self, root: Path, defs: Definitions, store: Store | None = None, *, recover: bool = True):
        """``recover``: as the lock holder, finish what a crash left (a replaying engine of ``rebuild`` does not)."""
        self.root = root
        self.defs = defs
        if recover and store is None and lock.held():
            finish_switch(root / "data")  # a rebuild killed after it was complete: switch before opening
        self.inbox = root / "inbox"
        self.rejected = root / "outbox" / "rejected"
        self.archive = Archive(root / "data" / "archive")
        self.store = store or Store(root / "data" / "db")
        self.taken = Taken(root, self.store, self.archive.folder)
        #: Every version of the definitions a submission was accepted under (replayed by ``rebuild``).
        data = root / "data"
        self.versions = DefinitionVersions(data / "definitions", root, log=data / "archive" / stationlog.DEFINITIONS,
                                           others=lambda: stationlog.peer_definitions(data))
        self._created: list[str] = []  # numbers given while applying the current file, in order
        self.audit = AuditLog(data, defs.settings.station)
        self._audited: list[dict] = []  # what the pass stored, written to the audit log once committed
        self._entry: tuple[int, str, int] | None = None  # the key of the file being applied (stationlog.Key)
        #: Called with the changed record numbers just before a pass commits.
        self.on_commit: Callable[[set[str]], None] | None = None
        if recover and lock.held():
            # Only the lock holder cleans up after a crash: a reader (show, list, the web desk) must not
            # delete the temp files of a watcher that is writing right now.
            # A kill mid-write leaves temp files; the real file is old or new, never half. (Not in what
            # Syncthing writes: other stations' logs, its own configuration.)
            for folder in (root / "data", root / "outbox"):
                sweep_temp(folder, skip=(root / "data" / stationlog.STATIONS, root / "data" / "sync"))
            self.archive.recover(lambda digest: self.store.submission(digest) is not None)
            self.taken.finish_interrupted()

    # -- the pass -------------------------------------------------------------------------------

    def run_pass(self, now: Callable[[], dt.datetime], *, quiet: float = 0.0,
                 files: list[Path] | None = None) -> PassReport:
        """Handle every ready file in the inbox (or ``files``); commit once."""
        report = PassReport()
        paths = inbox.wait_until_settled(files if files is not None else inbox.candidates(self.inbox), quiet)
        self.note_since(now())
        accepted: list[tuple[Path, str, str]] = []  # (inbox file, content hash, its place in the archive)
        for path in paths:
            received = now()
            snap, changed = self.store.snapshot(), set(report.changed)
            try:
                path = inbox.with_readable_name(path)  # a GBK name would break every note and log line
                odd = inbox.odd_kind(path)  # a folder, link or pipe: set aside unread (a pipe would hang a read)
                result = (self._reject(path, received, [inbox.odd_problem(odd)]) if odd
                          else self._one_file(path, received, accepted, report))
            except Exception as exc:  # noqa: BLE001 - one file we did not foresee must not stop the pass
                self.store.restore(snap)
                report.changed = changed  # nothing of it to print (nor to queue, on a disk that may be full)
                result = self._not_finished(path, received, exc, report)
            report.results.append(result)
        self.taken.note([(path.name, digest) for path, digest, _ in accepted])
        if self.on_commit is not None:
            self.on_commit(report.changed)  # e.g. queue their PDFs: durable before the change is
        self.store.commit()
        self.archive.publish([relative for _, _, relative in accepted])  # committed: now the history rebuild replays
        for line in self._audited:  # after the commit: the audit never names what was not stored
            self.audit.append(**line)
        self._audited.clear()
        records = {r.name: r.records for r in report.results if r.status == "stored"}
        report.faults += self.taken.clean_up([(p, d, records.get(p.name, [])) for p, d, _ in accepted], now())
        return report

    def _not_finished(self, path: Path, received: dt.datetime, exc: Exception, report: PassReport) -> FileResult:
        """A file whose handling raised ``exc``: set aside as an internal error, or — when the disk could
        not be written (full, read-only), be it the archive or the set-aside itself — left in the inbox
        for a later pass; the pass goes on with the other files."""
        if not is_write_fault(exc):
            try:
                return self._reject(path, received, [_internal_error(self.root, path.name, exc)])
            except OSError as again:
                if not is_write_fault(again):
                    raise
                exc = again
        fault = write_fault_text(exc, self.root)
        if fault not in report.faults:
            report.faults.append(fault)
        return FileResult(path.name, "held", problems=[fault])

    def note_since(self, now: dt.datetime) -> None:
        """Note the workspace's first day in use (for duties), once: its first submission's, else today."""
        self.store.note_since(self.store.since() or now.astimezone(self.defs.calendar.tz).date())

    def _one_file(self, path: Path, received: dt.datetime, accepted: list, report: PassReport) -> FileResult:
        name = path.name
        try:
            raw, read_as = inbox.read_whole(path, 64 * 1024 * 1024)
        except OSError as exc:
            return FileResult(name, "rejected", problems=[f"无法读取文件：{exc.strerror}"])
        if read_as is None:  # it changed while it was being read: still being written
            return FileResult(name, "held")
        digest = hashlib.sha256(raw if raw is not None else name.encode()).hexdigest()
        suffix = path.suffix.lower()
        if raw is None or suffix not in inbox.SUBMISSION_SUFFIXES:
            problems = ([f"不支持的文件类型“{suffix or '无扩展名'}”：只接收 .yaml、.yml、.json 表单文件"
                         "和填好的可填写 PDF 表单（.pdf）"]
                        if raw is not None else ["文件太大，不是一份表单"])
            return self._reject(path, received, problems)
        earlier = self.store.submission(digest)
        if earlier is not None:
            return self._duplicate(path, received, earlier)
        checked, problems = read_content(raw, name, self.defs, received)
        if problems:
            return self._reject(path, received, problems)
        snap = self.store.snapshot()
        self._created = []
        # Its place in the office's one order, known before it is applied: every event it makes carries it.
        # The clock value puts it after everything this station has seen, whatever this laptop's clock says.
        seq, station, high = self.store.peek_serial("archive"), self.defs.settings.station, self.store.fold_high()
        order = max(stationlog.micros(received), high[0] + 1 if high else 0)
        self._entry = (order, station, seq)
        mine = PassReport()
        try:
            numbers = self._apply(checked, received, mine)
        except ActionRefused as exc:
            self.store.restore(snap)
            return self._reject(path, received, [str(p) for p in exc.problems])
        if inbox.reading(path) != read_as:  # written to while we checked it: take it once it is complete
            self.store.restore(snap)
            return FileResult(name, "held")
        vid = self.versions.keep(self.defs)
        # The sequence fixes the replay order (received times can tie under --now); the definitions
        # version and the numbers given make a replay the same as this pass.
        self.store.next_serial("archive")
        archived = self.archive.stage(raw, name, received, seq, digest, vid, list(self._created),
                                      station=station, order=order)
        self.store.note_high(order, station, seq)
        self.store.note_submission(digest, {"name": name, "received": received.isoformat(), "records": numbers,
                                            "archive": archived, "changed": sorted(mine.changed)})
        report.changed |= mine.changed
        accepted.append((path, digest, archived))
        for c in checked:
            sub = c.submission
            what = (f"登记 {self.defs.forms[sub.form].title}" if sub.form else
                    f"周期性工作 {self.defs.duties[sub.duty].label if sub.duty in self.defs.duties else sub.duty}"
                    if sub.duty else f"{sub.record} {self._action_label(sub.record, sub.action)}")
            self._audited.append({"event": "stored", "who": sub.by, "via": "file", "at": received, "file": name,
                                  "what": what, "records": numbers, **({"note": sub.note} if sub.note else {})})
        return FileResult(name, "stored", numbers)

    def _action_label(self, number: str, action: str) -> str:
        """An action's Chinese name (更正 and the built-in ones included), as the audit log says it."""
        record = self.store.get(number)
        workflow = self.defs.workflows.get(record.form) if record is not None else None
        if workflow is not None and action in workflow.actions:
            return workflow.actions[action].label
        return BUILT_IN.get(action, action)

    def _apply(self, checked: list[Checked], received: dt.datetime, report: PassReport) -> list[str]:
        touched: list[str] = []
        for index, doc in enumerate(checked):
            prefix = f"第{index + 1}份文档 document {index + 1}：" if len(checked) > 1 else ""
            sub = doc.submission
            at = sub.at or received
            try:
                if sub.duty:
                    self._note_duty(sub.duty, at)
                    # The period it closed (a late November summary handed in on 1 December is November's).
                    touched.append(duty_done_words(self.defs.duties[sub.duty], self.store.duty_done()[sub.duty],
                                                   self.defs.calendar.tz))
                elif sub.is_new_record:
                    # Checked on reading, at this time and under these definitions: not checked again.
                    validated = doc.validated if doc.validated_at is at else None
                    touched.append(self._create(sub.form, sub.by, at, sub.data, report, note=sub.note,
                                                validated=validated))
                else:
                    record = self._record(sub.record)
                    if record is None:
                        self._no_record(sub.record)
                    try:
                        outcome = apply_action(self.defs, record, sub.action, sub.by, at, sub.data, note=sub.note)
                    except ActionRefused as exc:
                        touched.append(self._refused(record, sub.action, sub.by, at, sub.data, exc, report))
                        continue
                    self.store.put(record.with_event(self._stamp(outcome.event)), outcome.state)
                    report.changed.add(record.number)
                    touched.append(record.number)
                    self._effects(outcome.follow_ups, outcome.parent_actions, report, depth=1)
            except ActionRefused as exc:
                raise ActionRefused([DataProblem(p.key, prefix + p.label, p.message) if prefix else p
                                     for p in exc.problems]) from None
        return touched

    def _create(self, form_id: str, by: str, at: dt.datetime, data: dict, report: PassReport, *,
                parent: str = "", note: str = "", validated: Validated | None = None) -> str:
        number = self._number(form_id, at)
        record, outcome = create_record(self.defs, number, form_id, by, at, data, parent=parent, note=note,
                                        validated=validated)
        record = dataclasses.replace(record, events=tuple(self._stamp(e) for e in record.events))
        self.store.put(record, outcome.state)
        self._created.append(number)
        report.changed.add(number)
        return number

    def _effects(self, follow_ups: tuple[FollowUp, ...], parents: tuple[ParentAction, ...], report: PassReport,
                 depth: int) -> None:
        if depth > MAX_EFFECT_DEPTH:
            return
        for follow in follow_ups:
            try:
                self._create(follow.form, follow.by, follow.at, follow.data, report, parent=follow.parent,
                             note=f"由 {follow.parent} 生成")
            except ActionRefused as exc:
                raise ActionRefused([DataProblem(p.key, f"生成的{self.defs.forms[follow.form].title}{p.label}",
                                                 p.message) for p in exc.problems]) from None
        for parent in parents:
            record = self._record(parent.record)
            if record is None:
                continue  # the linked record is not in this workspace: nothing to send back
            try:
                outcome = apply_action(self.defs, record, parent.action, parent.by, parent.at, {}, note=parent.note,
                                       system=True)
            except ActionRefused as exc:  # say it is the linked record that cannot move, not this file's own
                refused = ActionRefused([self._parent_problem(record, parent.action, p) for p in exc.problems])
                self._refused(record, parent.action, parent.by, parent.at, {}, refused, report)
                continue
            self.store.put(record.with_event(self._stamp(outcome.event)), outcome.state)
            report.changed.add(record.number)
            self._effects(outcome.follow_ups, outcome.parent_actions, report, depth + 1)

    def _record(self, number: str) -> Record | None:
        """The record called ``number`` as this pass sees it."""
        return self.store.get(number)

    def _note_duty(self, duty: str, at: dt.datetime) -> None:
        self.store.note_duty(duty, at)

    def _stamp(self, event: Event) -> Event:
        """``event`` marked with the entry being applied (see :attr:`Event.entry`)."""
        return dataclasses.replace(event, entry=self._entry) if self._entry else event

    def _no_record(self, number: str) -> None:
        """An action names a record this store does not hold: the clerk is told to check the number."""
        raise ActionRefused([DataProblem("record", "「记录编号」", f"没有记录“{number}”，请核对编号")])

    def _refused(self, record: Record, action: str, by: str, at: dt.datetime, data: dict, exc: ActionRefused,
                 report: PassReport) -> str:
        """An action the record's workflow refuses: the whole file is refused (a replay of other stations'
        logs keeps it as a conflict instead: :class:`formflow.replay.Replayer`)."""
        raise exc

    def _parent_problem(self, record: Record, action: str, problem: DataProblem) -> DataProblem:
        form = self.defs.forms.get(record.form)
        workflow = self.defs.workflows.get(record.form)
        label = workflow.actions[action].label if workflow and action in workflow.actions else action
        what = problem.message if problem.key in ("", "action") else str(problem)
        return DataProblem("", "", f"关联的{form.title if form else record.form} {record.number} 不能随之「{label}」：{what}"
                                   f"（本文件未登记；请先处理 {record.number}，或改用其他操作）")

    def _number(self, form_id: str, at: dt.datetime) -> str:
        pattern = self.defs.forms[form_id].number
        day = at.astimezone(self.defs.settings.timezone).date()
        counter = f"{form_id}:{period_key(pattern, day)}"
        while True:  # a renamed pattern could collide with old numbers: numbers are never reused
            number = format_number(pattern, self.defs.settings.station, day, self.store.next_serial(counter))
            if self._record(number) is None:
                return number

    # -- archive, rejects, duplicates ------------------------------------------------------------

    def _reject(self, path: Path, received: dt.datetime, problems: list[str]) -> FileResult:
        lines = [f"文件：{path.name}", f"收到时间：{fmt_clerk(received)}", "结果：未登记，原文件已移到此处（退回文件夹）。",
                 "", "问题："]
        lines += [f"  {i}. {p}" for i, p in enumerate(problems, start=1)]
        lines += ["", "处理办法：按上面的说明改正后，把文件重新放入收件箱文件夹。", ""]
        target = inbox.set_aside(path, self.rejected, received, "\n".join(lines))
        return FileResult(path.name, "rejected", problems=problems, moved_to=self._show(target))

    def _duplicate(self, path: Path, received: dt.datetime, earlier: dict) -> FileResult:
        records = "、".join(earlier.get("records", [])) or "（无）"
        text = "\n".join([
            f"文件：{path.name}", f"收到时间：{fmt_clerk(received)}", "结果：重复提交，未再次登记。", "",
            f"此文件与 {earlier.get('received', '')[:16].replace('T', ' ')} 收到的“{earlier.get('name', '')}”内容完全相同，"
            f"当时已登记为：{records}。", "如确需再次登记，请修改内容后重新放入收件箱文件夹。", ""])
        target = inbox.set_aside(path, self.rejected, received, text)
        return FileResult(path.name, "duplicate", list(earlier.get("records", [])),
                          problems=[f"与已登记的 {records} 重复"], moved_to=self._show(target))

    def _show(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
