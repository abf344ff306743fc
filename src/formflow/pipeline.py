"""One pass of the engine over the inbox: read, check, apply, store, archive, set aside.

Every file ends in exactly one place. Accepted files are archived (the archive alone can
rebuild the database), applied to the store in memory, committed once per pass, and only
then removed from the inbox; a journal names them in between, so a crash at any point
is finished or redone on the next start — never lost, never applied twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from formflow.adapters import inbox, lock
from formflow.adapters.atomic import fsync_dir, sweep_temp, write_bytes, write_json
from formflow.adapters.store import Store
from formflow.definitions.loader import Definitions
from formflow.engine.actions import ActionRefused, FollowUp, ParentAction, apply_action, create_record
from formflow.engine.clocks import fmt
from formflow.engine.numbering import format_number, period_key
from formflow.engine.records import Record
from formflow.engine.validate import DataProblem
from formflow.intake import Checked, read_content

#: Effects that trigger effects (a callback reopening a repair...) stop here: a loop in the YAML must not hang us.
MAX_EFFECT_DEPTH = 5


@dataclass
class FileResult:
    """What became of one dropped file."""

    name: str
    status: str  # stored | rejected | duplicate
    records: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    moved_to: str = ""

    def line(self) -> str:
        """The console line ``watch``/``process`` prints."""
        if self.status == "stored":
            return f"✓ {self.name} → {', '.join(self.records)}"
        if self.status == "duplicate":
            return f"= {self.name}：重复提交，已放到 {self.moved_to}"
        return f"✗ {self.name}：{len(self.problems)} 处问题，已放到 {self.moved_to}"


@dataclass
class PassReport:
    results: list[FileResult] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.results if r.status != "stored")


def _internal_error(root: Path, name: str, exc: BaseException) -> str:
    """Log the traceback for whoever maintains the office's laptop; tell the clerk what to do."""
    import traceback

    log = root / "data" / "errors.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"--- {name}\n{''.join(traceback.format_exception(exc))}\n")
    return (f"处理此文件时程序内部出错（{type(exc).__name__}），文件未登记，已原样保存。"
            "请把此文件和 data/errors.log 交给系统维护人员。")


class Engine:
    """The inbox pipeline over one workspace's folders, definitions and store."""

    def __init__(self, root: Path, defs: Definitions, store: Store | None = None):
        self.root = root
        self.defs = defs
        self.inbox = root / "inbox"
        self.rejected = root / "outbox" / "rejected"
        self.archive = root / "data" / "archive"
        self.journal = root / "data" / "journal.json"
        self.store = store or Store(root / "data" / "db")
        #: Called with the changed record numbers just before a pass commits.
        self.on_commit: Callable[[set[str]], None] | None = None
        if lock.held():
            # Only the lock holder cleans up after a crash: a reader (show, list, the web desk) must not
            # delete the temp files of a watcher that is writing right now.
            for folder in (root / "data", root / "outbox"):
                sweep_temp(folder)  # a kill mid-write leaves these; the real file is old or new, never half
            self._finish_interrupted_pass()

    # -- the pass -------------------------------------------------------------------------------

    def run_pass(self, now: Callable[[], dt.datetime], *, quiet: float = 0.0,
                 files: list[Path] | None = None) -> PassReport:
        """Handle every ready file in the inbox (or ``files``); commit once."""
        report = PassReport()
        paths = inbox.wait_until_settled(files if files is not None else inbox.candidates(self.inbox), quiet)
        self.note_since(now())
        accepted: list[tuple[Path, str]] = []
        for path in paths:
            received = now()
            snap = self.store.snapshot()
            try:
                result = self._one_file(path, received, accepted, report)
            except Exception as exc:  # noqa: BLE001 - one file we did not foresee must not stop the pass
                self.store.restore(snap)
                result = self._reject(path, received, [_internal_error(self.root, path.name, exc)])
            report.results.append(result)
        if accepted:
            write_json(self.journal, [{"name": p.name, "hash": h} for p, h in accepted])
        if self.on_commit is not None:
            self.on_commit(report.changed)  # e.g. queue their PDFs: durable before the change is
        self.store.commit()
        for path, _ in accepted:
            path.unlink(missing_ok=True)
        if accepted:
            fsync_dir(self.inbox)
            self.journal.unlink(missing_ok=True)
        return report

    def note_since(self, now: dt.datetime) -> None:
        """Note the workspace's first day in use (for duties), once: its first submission's, else today."""
        self.store.note_since(self.store.since() or now.astimezone(self.defs.calendar.tz).date())

    def _one_file(self, path: Path, received: dt.datetime, accepted: list, report: PassReport) -> FileResult:
        name = path.name
        try:
            raw = path.read_bytes() if path.stat().st_size <= 64 * 1024 * 1024 else None
        except OSError as exc:
            return FileResult(name, "rejected", problems=[f"无法读取文件：{exc.strerror}"])
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
        try:
            numbers = self._apply(checked, received, report)
        except ActionRefused as exc:
            self.store.restore(snap)
            return self._reject(path, received, [str(p) for p in exc.problems])
        archived = self._archive(raw, name, received, digest)
        self.store.note_submission(digest, {"name": name, "received": received.isoformat(), "records": numbers,
                                            "archive": archived})
        accepted.append((path, digest))
        return FileResult(name, "stored", numbers)

    def _apply(self, checked: list[Checked], received: dt.datetime, report: PassReport) -> list[str]:
        touched: list[str] = []
        for index, doc in enumerate(checked):
            prefix = f"第{index + 1}份文档 document {index + 1}：" if len(checked) > 1 else ""
            sub = doc.submission
            at = sub.at or received
            try:
                if sub.duty:
                    self.store.note_duty(sub.duty, at)
                    touched.append(f"{sub.duty}@{at.date().isoformat()}")
                elif sub.is_new_record:
                    touched.append(self._create(sub.form, sub.by, at, sub.data, report, note=sub.note))
                else:
                    record = self.store.get(sub.record)
                    if record is None:
                        raise ActionRefused([DataProblem("record", "「记录编号」", f"没有记录“{sub.record}”，请核对编号")])
                    outcome = apply_action(self.defs, record, sub.action, sub.by, at, sub.data, note=sub.note)
                    self.store.put(record.with_event(outcome.event), outcome.state)
                    report.changed.add(record.number)
                    touched.append(record.number)
                    self._effects(outcome.follow_ups, outcome.parent_actions, report, depth=1)
            except ActionRefused as exc:
                raise ActionRefused([DataProblem(p.key, prefix + p.label, p.message) if prefix else p
                                     for p in exc.problems]) from None
        return touched

    def _create(self, form_id: str, by: str, at: dt.datetime, data: dict, report: PassReport, *,
                parent: str = "", note: str = "") -> str:
        number = self._number(form_id, at)
        record, outcome = create_record(self.defs, number, form_id, by, at, data, parent=parent, note=note)
        self.store.put(record, outcome.state)
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
            record = self.store.get(parent.record)
            if record is None:
                continue  # the linked record is not in this workspace: nothing to send back
            try:
                outcome = apply_action(self.defs, record, parent.action, parent.by, parent.at, {}, note=parent.note,
                                       system=True)
            except ActionRefused as exc:  # say it is the linked record that cannot move, not this file's own
                raise ActionRefused([self._parent_problem(record, parent.action, p) for p in exc.problems]) from None
            self.store.put(record.with_event(outcome.event), outcome.state)
            report.changed.add(record.number)
            self._effects(outcome.follow_ups, outcome.parent_actions, report, depth + 1)

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
            if self.store.get(number) is None:
                return number

    def replay_archived(self, path: Path, name: str, received: dt.datetime) -> None:
        """Apply an archived submission again (``rebuild``): same content, same received time."""
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if self.store.submission(digest) is not None:
            return  # archived by a pass that crashed before its commit, and archived again after
        self.store.next_serial("archive")  # keep the counter where the live store has it
        checked, problems = read_content(raw, name, self.defs, received)
        if problems:
            raise ActionRefused([DataProblem("", "", f"存档文件 {path.name} 不再通过检查：{p}") for p in problems])
        numbers = self._apply(checked, received, PassReport())
        self.store.note_submission(digest, {"name": name, "received": received.isoformat(), "records": numbers,
                                            "archive": path.relative_to(self.archive).as_posix()})

    # -- archive, rejects, duplicates ------------------------------------------------------------

    def _archive(self, raw: bytes, name: str, received: dt.datetime, digest: str) -> str:
        # The sequence number fixes the replay order for `rebuild` (received times can tie under --now).
        seq = self.store.next_serial("archive")
        relative = Path(f"{received:%Y}") / f"{received:%m}" / f"{seq:09d}-{digest[:12]}-{inbox.safe_name(name)}"
        write_bytes(self.archive / relative, raw)
        meta = {"seq": seq, "name": name, "received": received.isoformat(), "hash": digest}
        write_bytes(self.archive / relative.with_name(relative.name + ".meta.json"),
                    json.dumps(meta, ensure_ascii=False).encode())
        return relative.as_posix()

    def _reject(self, path: Path, received: dt.datetime, problems: list[str]) -> FileResult:
        lines = [f"文件：{path.name}", f"收到时间：{fmt(received)}", "结果：未登记，原文件已移到此处（outbox/rejected/）。",
                 "", "问题："]
        lines += [f"  {i}. {p}" for i, p in enumerate(problems, start=1)]
        lines += ["", "处理办法：按上面的说明改正后，把文件重新放入 inbox 文件夹。",
                  "（可先用 formflow validate 文件名 检查；需要新的填写模板用 formflow new 表单名）", ""]
        target = inbox.set_aside(path, self.rejected, received, "\n".join(lines))
        return FileResult(path.name, "rejected", problems=problems, moved_to=self._show(target))

    def _duplicate(self, path: Path, received: dt.datetime, earlier: dict) -> FileResult:
        records = "、".join(earlier.get("records", [])) or "（无）"
        text = "\n".join([
            f"文件：{path.name}", f"收到时间：{fmt(received)}", "结果：重复提交，未再次登记。", "",
            f"此文件与 {earlier.get('received', '')[:16].replace('T', ' ')} 收到的“{earlier.get('name', '')}”内容完全相同，"
            f"当时已登记为：{records}。", "如确需再次登记，请修改内容后重新放入 inbox。", ""])
        target = inbox.set_aside(path, self.rejected, received, text)
        return FileResult(path.name, "duplicate", list(earlier.get("records", [])),
                          problems=[f"与已登记的 {records} 重复"], moved_to=self._show(target))

    def _show(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _finish_interrupted_pass(self) -> None:
        """After a crash between commit and clean-up: drop inbox files the store already holds."""
        if not self.journal.exists():
            return
        try:
            entries = json.loads(self.journal.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            entries = []
        for entry in entries:
            path = self.inbox / os.path.basename(str(entry.get("name", "")))
            if path.is_file() and self.store.submission(entry.get("hash", "")) is not None:
                if hashlib.sha256(path.read_bytes()).hexdigest() == entry["hash"]:
                    path.unlink()
        self.journal.unlink(missing_ok=True)
