"""Inbox files a pass has taken: the journal that names them between the commit and their removal,
their removal, and what is done with one that changed after it was read.

A stored file is deleted only if its content is still what was read. One a writer went on with
(a copy that paused longer than any wait) is set aside beside a note naming the record stored
from its first part — or, if even that cannot be written, renamed in place to a name the inbox
skips: never deleted unseen, never stored twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from formflow.adapters import inbox
from formflow.adapters.atomic import fsync_dir, write_fault_text, write_json
from formflow.adapters.store import Store
from formflow.engine.clocks import fmt_clerk


class Taken:
    """The journal (``data/journal.json``) and clean-up of the files one workspace's passes take."""

    def __init__(self, root: Path, store: Store, archive_folder: Path):
        self.root = root
        self.store = store
        self.archive_folder = archive_folder
        self.inbox = root / "inbox"
        self.rejected = root / "outbox" / "rejected"
        self.journal = root / "data" / "journal.json"

    def note(self, taken: list[tuple[str, str]]) -> None:
        """Name the files (inbox name, content hash) a pass is about to commit."""
        if taken:
            write_json(self.journal, [{"name": name, "hash": digest} for name, digest in taken])

    def clean_up(self, taken: list[tuple[Path, str, list[str]]], now: dt.datetime) -> list[str]:
        """After the commit: remove each (file, hash, records made) from the inbox; the faults, in Chinese."""
        faults = []
        for path, digest, numbers in taken:
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError:
                current = b""
            if hashlib.sha256(current).hexdigest() == digest:
                path.unlink(missing_ok=True)
            elif fault := self.changed_after_read(path, numbers, now):
                faults.append(fault)
        if taken:
            fsync_dir(self.inbox)
            self.journal.unlink(missing_ok=True)
        return faults

    def changed_after_read(self, path: Path, numbers: list[str], now: dt.datetime) -> str:
        """Set aside a stored file that changed after it was read; if that cannot be written, rename it
        in place to a name the inbox skips. Returns the fault, if any."""
        note = [f"文件：{path.name}", f"收到时间：{fmt_clerk(now)}",
                f"结果：此文件在读取之后又被改动（可能是复制或保存时停顿了一下）。读取时的内容已登记为 {'、'.join(numbers)}；"
                "改动后的文件未登记，原样放在此处（退回文件夹）。", "",
                "处理办法：请核对改动后的内容与已登记的记录。如缺少内容，请对该记录办理补充操作，"
                "或修改后重新放入收件箱文件夹（内容与已登记的完全相同时会被视为重复提交）。", ""]
        try:
            inbox.set_aside(path, self.rejected, now, "\n".join(note))
            return ""
        except OSError as exc:
            kept = path.with_name(inbox.safe_name(f"{path.name}.登记后又改动.bak"))
            try:
                os.replace(path, kept)
            except OSError:
                kept = path
            return (f"{path.name} 登记后又被改动，无法移到 outbox/rejected（{write_fault_text(exc, self.root)}），"
                    f"已改名为 {kept.name} 留在 inbox 中，请核对")

    def finish_interrupted(self) -> None:
        """After a crash between the commit and the clean-up: drop the inbox files the store holds."""
        if not self.journal.exists():
            return
        try:
            entries = json.loads(self.journal.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            entries = []
        for entry in entries if isinstance(entries, list) else ():
            path = self.inbox / os.path.basename(str(entry.get("name", "")))  # a name in the inbox, never a path
            earlier = self.store.submission(str(entry.get("hash", "")))
            if not path.is_file() or earlier is None:
                continue
            current = path.read_bytes()
            if hashlib.sha256(current).hexdigest() == entry["hash"]:
                path.unlink()
            elif current.startswith(self._archived(earlier)):
                # The stored content and then more: its writer went on after the read. Set aside, never stored
                # twice; a different file under the same name is left to be read as the new file it is.
                self.changed_after_read(path, list(earlier.get("records", [])), dt.datetime.now().astimezone())
        self.journal.unlink(missing_ok=True)

    def _archived(self, submission: dict) -> bytes:
        """The archived content of a stored submission (``b"\\0"``, which no text starts with, if it is gone)."""
        try:
            return (self.archive_folder / str(submission.get("archive", ""))).read_bytes() or b"\0"
        except OSError:
            return b"\0"
