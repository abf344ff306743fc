"""The watcher with a real watchdog observer: slow copies, renames, editor saves, hot reload."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from formflow.adapters.store import Store
from formflow.app import App
from formflow.watcher import Watcher

from .test_pipeline import complaint

#: The clock of these tests: two days after the complaints of test_pipeline were made.
NOW_TEXT = "2025-10-02T10:00:00+08:00"


@pytest.fixture
def running(workspace, monkeypatch):
    """A watcher running in a thread on the workspace; yields (workspace, lines it printed)."""
    monkeypatch.setenv("FORMFLOW_NOW", NOW_TEXT)
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


def started(ws) -> bool:
    """The watcher has done what it does at start (its last step: today's to-do PDF) and is watching."""
    return (ws.root / "outbox" / "todo" / "待办-全部.pdf").exists()


def test_a_slow_copy_is_read_only_when_complete(running):
    ws, lines = running
    # Else the whole copy may be over before the watcher first looks: the test would prove nothing.
    assert wait_for(lambda: started(ws), timeout=30), lines
    text = complaint("慢慢复制").encode("utf-8")
    path = ws.root / "inbox" / "slow.yaml"
    with open(path, "wb") as handle:  # half a file for a while: a YAML error if read too early
        for i in range(0, len(text), 20):
            handle.write(text[i:i + 20])
            handle.flush()
            time.sleep(0.12)
    assert wait_for(lambda: any(line.startswith("✓ slow.yaml") for line in lines)), lines
    assert not any(line.startswith("✗") for line in lines)
    assert numbers(ws) == ["TS-YG-202509-0001"]


def paused_copy(ws, lines, name: str, pause: float, *, old_mtime: bool = False) -> None:
    """Write a complaint in two parts through one open file, ``pause`` seconds apart (a USB stick,
    a network share): the first part alone is a valid form, without its 转交部门. ``old_mtime``: the
    file says it was written long ago (a copy keeping the stamp, a share whose clock is behind)."""
    first = complaint("停顿复制").encode("utf-8")
    path = ws.root / "inbox" / name
    with open(path, "wb") as handle:
        handle.write(first)
        handle.flush()
        if old_mtime:
            os.utime(path, (time.time() - 120, time.time() - 120))
        time.sleep(pause)
        assert not any(line.startswith(f"✓ {name}") for line in lines), "taken before its writer finished"
        handle.write("  routed_to: 工程维修部\n".encode("utf-8"))


def test_a_copy_that_pauses_is_taken_whole(running):
    ws, lines = running
    assert wait_for(lambda: started(ws), timeout=30), lines
    paused_copy(ws, lines, "paused.yaml", 2.0)
    # Closed by its writer: taken at once, without waiting out settle_seconds.
    assert wait_for(lambda: any(line.startswith("✓ paused.yaml") for line in lines), timeout=5), lines
    (record,) = Store(ws.root / "data" / "db").records()
    assert record.events[0].data["routed_to"] == "工程维修部"


@pytest.mark.parametrize("old_mtime", [False, True], ids=["mtime-now", "mtime-old"])
def test_without_file_events_a_pause_shorter_than_settle_seconds_is_waited_out(workspace, monkeypatch, old_mtime):
    # --poll (a network share): no word from the writer, only the file's stillness tells.
    monkeypatch.setenv("FORMFLOW_NOW", NOW_TEXT)
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text("utf-8") + "\ninbox: {settle_seconds: 3}\n", "utf-8")
    lines: list[str] = []
    watcher = Watcher(App.open(workspace.root), echo=lines.append, poll=True, quiet=0.3, rescan=0.5, tick=1.0)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: started(workspace), timeout=30), lines
        paused_copy(workspace, lines, "polled.yaml", 2.0, old_mtime=old_mtime)
        assert wait_for(lambda: any(line.startswith("✓ polled.yaml") for line in lines), timeout=10), lines
        (record,) = Store(workspace.root / "data" / "db").records()
        assert record.events[0].data["routed_to"] == "工程维修部"
    finally:
        watcher.stop()
        thread.join(timeout=10)


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
    # A file already there when the watcher starts waits for settle_seconds of stillness (10 s): write once it watches.
    assert wait_for(lambda: started(ws), timeout=30), lines
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
    assert wait_for((ws.root / "outbox" / "todo" / "待办-全部.pdf").exists), lines  # rendered after todo.json


def test_editor_files_beside_the_definitions_neither_reload_nor_stop_the_watcher(running):
    """An Emacs lock (a dangling link) and an AppleDouble twin appear in forms/: no reload, no crash."""
    ws, lines = running
    assert wait_for(lambda: started(ws), timeout=30), lines
    forms = ws.root / "forms"
    (forms / ".#complaint.yaml").symlink_to("李娜@前台电脑.4242:1700000000")
    (forms / "._complaint.yaml").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    (ws.root / "inbox" / "a.yaml").write_text(complaint("编辑中"), encoding="utf-8")
    # The scan that takes a.yaml looked at the definitions first: the clutter was there by then.
    assert wait_for(lambda: any(line.startswith("✓ a.yaml") for line in lines)), lines
    assert "已重新载入定义 definitions reloaded" not in lines
    path = forms / "complaint.yaml"
    path.write_text(path.read_text("utf-8").replace("title: 投诉处理记录", "title: 投诉登记表"), encoding="utf-8")
    assert wait_for(lambda: "已重新载入定义 definitions reloaded" in lines), lines
    assert not any("定义有误" in line for line in lines), lines
    (ws.root / "inbox" / "b.yaml").write_text(complaint("保存后"), encoding="utf-8")
    assert wait_for(lambda: any(line.startswith("✓ b.yaml") for line in lines)), lines
    assert not (ws.root / "outbox" / "定义错误.txt").exists()


def test_folders_and_links_dropped_into_the_inbox_are_set_aside(running, tmp_path):
    ws, lines = running
    inbox, rejected = ws.root / "inbox", ws.root / "outbox" / "rejected"
    outside = tmp_path / "别处的表单.yaml"
    outside.write_text(complaint("链接指向"), encoding="utf-8")
    (inbox / "扫描件").mkdir()
    (inbox / "扫描件" / "a.yaml").write_text(complaint("文件夹里"), encoding="utf-8")
    (inbox / "link.yaml").symlink_to(outside)
    # (a folder is taken once it has lain still for settle_seconds: files may still be copied into it)
    assert wait_for(lambda: {line.split("：")[0] for line in lines} >= {"✗ 扫描件", "✗ link.yaml"}, timeout=25), lines
    folder_note = (rejected / "20251002-100000-扫描件.说明.txt").read_text("utf-8")
    assert "这是一个文件夹，不是表单文件" in folder_note
    assert "请把文件夹里的表单文件直接放入 inbox 文件夹" in folder_note
    assert (rejected / "20251002-100000-扫描件" / "a.yaml").is_file()  # moved whole, nothing lost
    link_note = (rejected / "20251002-100000-link.yaml.说明.txt").read_text("utf-8")
    assert "这是一个快捷方式（链接），不是表单文件本身" in link_note
    assert "请把表单文件本身（而不是它的快捷方式）放入 inbox 文件夹" in link_note
    assert (rejected / "20251002-100000-link.yaml").readlink() == outside  # the link itself was moved
    assert outside.read_text("utf-8") == complaint("链接指向")  # what it points to: never read, never moved
    assert list(inbox.iterdir()) == []
    assert numbers(ws) == []


def test_at_start_the_inbox_is_taken_before_the_render_queue_is_printed(workspace, monkeypatch):
    """A crash left many record PDFs unprinted; files waiting in the inbox are stored first."""
    monkeypatch.setenv("FORMFLOW_NOW", NOW_TEXT)
    settings = workspace.root / "formflow.yaml"
    good = settings.read_text("utf-8")
    settings.write_text(good + "\noutbox: {record_pdfs: false, todo_pdfs: []}\n", encoding="utf-8")
    for i in range(8):
        workspace.write(f"inbox/old{i}.yaml", complaint(f"早到{i}"))
    assert workspace.cli("process").code == 0
    # The render queue as a kill right after the commit leaves it (it is written before the commit).
    queue = workspace.root / "data" / "render-queue.json"
    queue.write_text(json.dumps(numbers(workspace)), encoding="utf-8")
    settings.write_text(good + "\noutbox: {todo_pdfs: []}\n", encoding="utf-8")
    new = workspace.write("inbox/new.yaml", complaint("等候已久"))
    os.utime(new, (time.time() - 60, time.time() - 60))  # it waited while the watcher was stopped
    lines: list[str] = []
    watcher = Watcher(App.open(workspace.root), echo=lines.append, quiet=0.3, rescan=1.0, tick=1.0)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: sum("📄" in line for line in lines) == 9, timeout=60), lines
    finally:
        watcher.stop()
        thread.join(timeout=30)
    first_pdf = next(i for i, line in enumerate(lines) if "📄" in line)
    taken = next(i for i, line in enumerate(lines) if line.startswith("✓ new.yaml"))
    assert taken < first_pdf, lines
    assert not queue.exists()


def test_an_idle_watcher_saves_the_index_snapshot_readers_open_from(running):
    """After a pass, once the inbox is quiet, the watcher saves the record index snapshot of its store (no
    reader is opened here: a reader would save one itself)."""
    from formflow.adapters import indexsnapshot
    from formflow.adapters.partitions import list_partitions

    ws, lines = running
    assert wait_for(lambda: started(ws), timeout=30), lines
    db = ws.root / "data" / "db"
    (ws.root / "inbox" / "c.yaml").write_text(complaint("电梯异响"), encoding="utf-8")

    def covered() -> bool:
        saved = indexsnapshot.load(db)
        records = {name: stamp for name, _, stamp in list_partitions(db) if name.startswith("records-complaint-")}
        return bool(records) and saved is not None and all(
            saved[0].get(name, (None,))[0] == stamp for name, stamp in records.items())
    assert wait_for(covered, timeout=20), lines
    number = next(iter(indexsnapshot.load(db)[1][0]))
    assert number.startswith("TS-")
