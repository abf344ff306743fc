"""The watcher with a real watchdog observer: slow copies, renames, editor saves, hot reload."""

from __future__ import annotations

import threading
import time

import pytest

from formflow.adapters.store import Store
from formflow.app import App
from formflow.watcher import Watcher

from .test_pipeline import complaint


@pytest.fixture
def running(workspace):
    """A watcher running in a thread on the workspace; yields (workspace, lines it printed)."""
    lines: list[str] = []
    watcher = Watcher(App.open(workspace.root), echo=lines.append, quiet=0.3, rescan=1.0, tick=1.0)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    yield workspace, lines
    watcher.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def numbers(ws):
    return sorted(r.number for r in Store(ws.root / "data" / "db").records())


def test_a_slow_copy_is_read_only_when_complete(running):
    ws, lines = running
    text = complaint("慢慢复制").encode("utf-8")
    path = ws.root / "inbox" / "slow.yaml"
    with open(path, "wb") as handle:  # half a file for a while: a YAML error if read too early
        for i in range(0, len(text), 40):
            handle.write(text[i:i + 40])
            handle.flush()
            time.sleep(0.12)
    assert wait_for(lambda: any(line.startswith("✓ slow.yaml") for line in lines)), lines
    assert not any(line.startswith("✗") for line in lines)
    assert numbers(ws) == ["TS-YG-202509-0001"]


def test_renamed_in_and_editor_save_patterns(running):
    ws, lines = running
    inbox = ws.root / "inbox"
    (inbox / "copy.yaml.part").write_text(complaint("改名放入"), encoding="utf-8")
    time.sleep(0.5)
    assert lines == [lines[0]]  # only the start line: a .part file is not a submission
    (inbox / "copy.yaml.part").rename(inbox / "copy.yaml")
    # An editor's save: write a swap/backup file, then the real one appears by rename.
    (inbox / ".edit.yaml.swp").write_text("junk", encoding="utf-8")
    (inbox / "edit.yaml~").write_text(complaint("旧内容"), encoding="utf-8")
    (inbox / ".tmp-edit").write_text(complaint("编辑器保存"), encoding="utf-8")
    (inbox / ".tmp-edit").rename(inbox / "edit.yaml")
    # The store commits before the watcher prints its lines: wait for the lines, then look at the store.
    assert wait_for(lambda: sum(line.startswith("✓") for line in lines) >= 2), lines
    assert sorted(line.split(" → ")[0] for line in lines if line.startswith("✓")) == ["✓ copy.yaml", "✓ edit.yaml"]
    assert len(numbers(ws)) == 2
    assert sorted(p.name for p in inbox.iterdir()) == [".edit.yaml.swp", "edit.yaml~"]  # ignored, untouched


def test_bad_definitions_are_reported_and_the_last_good_ones_stay(running):
    ws, lines = running
    forms = ws.root / "forms" / "complaint.yaml"
    good = forms.read_text("utf-8")
    forms.write_text(good.replace("label: 投诉方式", "lable: 投诉方式"), encoding="utf-8")
    report = ws.root / "outbox" / "定义错误.txt"
    assert wait_for(report.exists), lines
    assert "unknown key 'lable'" in report.read_text("utf-8")
    (ws.root / "inbox" / "a.yaml").write_text(complaint("照常处理"), encoding="utf-8")
    assert wait_for(lambda: numbers(ws) == ["TS-YG-202509-0001"]), lines
    forms.write_text(good.replace("title: 投诉处理记录", "title: 投诉登记表"), encoding="utf-8")
    assert wait_for(lambda: "已重新载入定义 definitions reloaded" in lines), lines
    assert not report.exists()


def todo_records(ws) -> set[str]:
    import json

    try:
        return {t["record"] for t in json.loads((ws.root / "outbox" / "todo" / "todo.json").read_text("utf-8"))}
    except (OSError, ValueError):
        return set()


def test_the_to_do_lists_wait_for_the_end_of_a_burst(running):
    """Records are printed pass by pass; the to-do lists (the costliest PDFs) once the inbox settles."""
    ws, lines = running
    inbox = ws.root / "inbox"
    text = complaint("最后一份").encode("utf-8")
    still_copying = threading.Event()

    def slow_copy():  # a file still growing: the watcher sees it, cannot take it yet
        with open(inbox / "slow.yaml", "wb") as handle:
            for i in range(0, len(text), max(1, len(text) // 25)):
                handle.write(text[i:i + max(1, len(text) // 25)])
                handle.flush()
                still_copying.set()
                time.sleep(0.15)

    copier = threading.Thread(target=slow_copy)
    copier.start()
    still_copying.wait(5)
    (inbox / "first.yaml").write_text(complaint("第一份"), encoding="utf-8")
    assert wait_for(lambda: any(line.startswith("✓ first.yaml") for line in lines)), lines
    first = next(line for line in lines if line.startswith("✓ first.yaml")).split(" → ")[1]
    assert wait_for(lambda: any(first in line and "📄" in line for line in lines)), lines  # its PDF: at once
    assert copier.is_alive()  # the burst is not over…
    assert first not in todo_records(ws)  # …so the lists have not been redone yet
    copier.join()
    assert wait_for(lambda: any(line.startswith("✓ slow.yaml") for line in lines)), lines
    last = next(line for line in lines if line.startswith("✓ slow.yaml")).split(" → ")[1]
    assert wait_for(lambda: {first, last} <= todo_records(ws)), lines
    assert (ws.root / "outbox" / "todo" / "待办-全部.pdf").exists()
