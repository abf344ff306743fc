"""Crash safety: `formflow process` killed with SIGKILL at random moments loses nothing, doubles nothing.

The pipeline promises (see :mod:`formflow.pipeline`) that every dropped file ends in exactly one
place — stored once, or set aside with its explanation — whatever moment the process dies at.
The SIGKILL tests run the real CLI in a subprocess over a few hundred files; the deterministic
tests fake the two interesting crash points (after the WAL, after the commit) by hand.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from formflow.adapters.lock import WorkspaceLock
from formflow.adapters.store import Store
from formflow.adapters.outbox import Outbox
from formflow.app import App, dump
from formflow.cli import main
from formflow.watcher import Watcher
from formflow.workspace import init_workspace

from .conftest import without_pdfs
from .test_watcher import wait_for as _wait_for

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

NOW_TEXT = "2025-10-02T10:00:00+08:00"
NOW = datetime.fromisoformat(NOW_TEXT).astimezone(ZoneInfo("Asia/Shanghai"))

COMPLAINT = """form: complaint
by: 李娜
at: 2025-09-30T17:50:00+08:00
data: {{channel: {channel}, complainant: {who}, unit: 3-2-1502, phone: "{phone}", details: {details}, category: 工程维修, severity: 重要, receiver: 李娜}}
"""


def complaint(who: str, details: str, channel: str = "来电", phone: str = "13812345678") -> str:
    return COMPLAINT.format(who=who, details=details, channel=channel, phone=phone)


def invalid(i: int) -> str:
    kind = i % 5
    if kind == 0:
        return complaint(f"坏号{i}", f"电话不对{i}", phone="1381234")
    if kind == 1:
        return complaint(f"坏渠道{i}", f"渠道不对{i}", channel="飞鸽传书")
    if kind == 2:
        return f"form: complaint\nby: 李娜\ndata: {{complainant: 缺引号{i}, details: \"没有结束\n"
    if kind == 3:
        return complaint(f"无名{i}", f"表单不对{i}").replace("form: complaint", "form: no_such_form")
    return complaint(f"陌生人{i}", f"经办人不对{i}").replace("by: 李娜", "by: 不在名册")


def drop(inbox: Path, rng: random.Random, *, valid: int, invalid_count: int, duplicates: int, tag: str = "") -> dict:
    """Write the files in a shuffled order (so a duplicate may be older than its original)."""
    files: dict[str, tuple[str, str]] = {}  # name -> (kind, text)
    originals = []
    for i in range(valid):
        name = f"{tag}v{i:03d}.yaml"
        files[name] = ("valid", complaint(f"住户{tag}{i}", f"楼上漏水{tag}第{i}次"))
        originals.append(name)
    for i in range(invalid_count):
        files[f"{tag}bad{i:03d}.yaml"] = ("invalid", invalid(i))
    for i, original in enumerate(rng.sample(originals, duplicates)):
        files[f"{tag}dup{i:03d}-{original}"] = ("duplicate", files[original][1])
    names = list(files)
    rng.shuffle(names)
    for name in names:
        (inbox / name).write_text(files[name][1], encoding="utf-8")
    return files


def start(ws: Path, *, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    env = dict(os.environ, FORMFLOW_NOW=NOW_TEXT)
    return subprocess.Popen([sys.executable, "-m", "formflow", "process", "--root", str(ws)], env=env,
                            stdout=subprocess.DEVNULL, stderr=stderr)


def finish(ws: Path) -> None:
    proc = start(ws, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), err.decode()  # 1: something was set aside


def state(ws: Path) -> tuple:
    """What a killed run left behind (for the crash-point summary; never opens the store)."""
    data = ws / "data"
    return (len(os.listdir(ws / "inbox")), (data / "journal.json").exists(), (data / "db" / "wal.json").exists(),
            len(list((data / "db").glob("records-*.json"))) if (data / "db").exists() else 0)


def stamp(path: Path) -> tuple[int, int] | None:
    """Inode and mtime: an atomic rewrite of ``path`` changes them."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def check_invariants(ws: Path, dropped: dict[str, tuple[str, str]]) -> None:
    inbox, rejected = ws / "inbox", ws / "outbox" / "rejected"
    assert sorted(os.listdir(inbox)) == []
    assert not (ws / "data" / "journal.json").exists()
    assert not (ws / "data" / "db" / "wal.json").exists()

    for path in (ws / "data" / "db").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every partition parses
    store = Store(ws / "data" / "db")
    records = list(store.records())
    numbers = [r.number for r in records]
    assert len(numbers) == len(set(numbers)), [n for n, c in Counter(numbers).items() if c > 1]

    # Every distinct valid content is stored exactly once.
    stored = Counter((r.events[0].data["complainant"], r.events[0].data["details"]) for r in records)
    expected = Counter()
    for kind, text in dropped.values():
        if kind == "valid":
            who = text.split("complainant: ", 1)[1].split(",", 1)[0]
            details = text.split("details: ", 1)[1].split(",", 1)[0]
            expected[(who, details)] = 1
    assert stored == expected

    # The last start swept the temp files killed atomic writes left behind.
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob(".*.tmp")) == []

    # Every other file is set aside.
    aside = sorted(p.name for p in rejected.iterdir()
                   if not p.name.endswith(".说明.txt") and not p.name.startswith(".")) if rejected.exists() else []
    notes = sorted(p.name for p in rejected.glob("*.说明.txt")) if rejected.exists() else []
    assert notes == sorted(n + ".说明.txt" for n in aside), "every set-aside file has its note, and only those"
    assert len(records) + len(aside) == len(dropped)
    prefix = "20251002-100000-"
    aside_names = Counter(n.removeprefix(prefix) for n in aside)
    assert all(c == 1 for c in aside_names.values()), "nothing set aside twice"
    for name, (kind, text) in dropped.items():
        if kind == "invalid":
            assert aside_names[name] == 1, name
            note = (rejected / f"{prefix}{name}.说明.txt").read_text("utf-8")
            assert "结果：未登记" in note
    # Of each original and its exact copy, one is stored and the other set aside as a duplicate.
    duplicates_aside = [n for n in aside_names if dropped[n][0] != "invalid"]
    assert len(duplicates_aside) == sum(1 for kind, _ in dropped.values() if kind == "duplicate")
    for name in duplicates_aside:
        note = (rejected / f"{prefix}{name}.说明.txt").read_text("utf-8")
        assert "结果：重复提交，未再次登记。" in note

    # The archive holds each stored file once, and alone rebuilds the same database.
    metas = list((ws / "data" / "archive").glob("*/*/*.meta.json"))
    assert len(metas) == len(records)
    before = dump(store)
    assert main(["rebuild", "--root", str(ws)]) == 0
    assert dump(Store(ws / "data" / "db")) == before


def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path):
    started = time.monotonic()
    ws = tmp_path / "ws"
    init_workspace(ws)
    rng = random.Random(7)
    without_pdfs(ws)
    dropped = drop(ws / "inbox", rng, valid=240, invalid_count=30, duplicates=30)
    assert len(dropped) == 300
    left = []
    for _ in range(15):
        proc = start(ws)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.kill()
        proc.wait()
        left.append(state(ws))
    finish(ws)
    check_invariants(ws, dropped)
    print("\nafter each kill (inbox files, journal, wal, record partitions):", left,
          "\nleft-over temp files of killed atomic writes:", sorted(p.name for p in ws.rglob(".*.tmp")))
    print(f"took {time.monotonic() - started:.1f} s")


def test_sigkill_around_the_commit_loses_and_doubles_nothing(tmp_path):
    """Files arrive in waves; each run is killed the moment its journal or WAL appears (plus 0-15 ms).

    Random delays over a whole pass almost never land in the short commit/clean-up window;
    watching for the journal does, so recovery from the WAL and the journal is exercised for real.
    """
    started = time.monotonic()
    ws = tmp_path / "ws"
    init_workspace(ws)
    rng = random.Random(7)
    without_pdfs(ws)
    journal, wal = ws / "data" / "journal.json", ws / "data" / "db" / "wal.json"
    dropped: dict = {}
    left = []
    for wave in range(12):
        dropped |= drop(ws / "inbox", rng, valid=12, invalid_count=2, duplicates=2, tag=f"w{wave:02d}")
        watched = wal if wave % 3 == 2 else journal
        delay = rng.uniform(0.0, 0.015)
        old = stamp(watched)  # a journal left by the previous kill is not this run's
        proc = start(ws)
        deadline = time.monotonic() + 30
        while proc.poll() is None and stamp(watched) in (None, old) and time.monotonic() < deadline:
            time.sleep(0.0005)
        time.sleep(delay)
        proc.kill()
        proc.wait()
        left.append(state(ws))
    finish(ws)
    check_invariants(ws, dropped)
    print("\nafter each kill (inbox files, journal, wal, record partitions):", left,
          "\nleft-over temp files of killed atomic writes:", sorted(p.name for p in ws.rglob(".*.tmp")))
    print(f"took {time.monotonic() - started:.1f} s")


def _processes_on(ws: Path) -> list[int]:
    """Pids of processes whose command line names ``ws`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(ws).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_kill_while_printing_leaves_no_record_without_its_pdf(tmp_path):
    """The render queue is written before the commit: PDFs a kill interrupted are printed at the next start."""
    ws = tmp_path / "ws"
    init_workspace(ws)
    rng = random.Random(11)
    drop(ws / "inbox", rng, valid=16, invalid_count=0, duplicates=0)
    records_dir = ws / "outbox" / "records" / "complaint"
    proc = start(ws)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not any(records_dir.glob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    printed_before = len(list(records_dir.glob("*.pdf")))
    # Its render workers die with it (else they would hold the workspace lock for good).
    deadline = time.monotonic() + 10
    while _processes_on(ws) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_on(ws) == []
    queue = ws / "data" / "render-queue.json"
    assert queue.exists(), "killed while printing: the numbers still to print are on disk"
    finish(ws)
    numbers = sorted(r.number for r in Store(ws / "data" / "db").records())
    assert len(numbers) == 16
    assert sorted(p.stem for p in records_dir.glob("*.pdf")) == numbers
    assert all(p.read_bytes().startswith(b"%PDF-") for p in records_dir.glob("*.pdf"))
    assert not queue.exists()
    assert sorted(p.name for p in ws.rglob(".*.tmp")) == []
    print(f"\nPDFs printed before the kill: {printed_before} of 16")


# -- the same crash points, by hand --------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stored_names(root: Path) -> list[str]:
    return sorted(r.events[0].data["complainant"] for r in Store(root / "data" / "db").records())


def test_a_wal_left_by_a_crash_is_finished_when_the_store_opens(tmp_path):
    """Crash after wal.json was written and one partition replaced, before the rest (see Store.commit)."""
    ws, twin = tmp_path / "ws", tmp_path / "twin"
    init_workspace(ws)
    for who in ("甲", "乙"):
        (ws / "inbox" / f"{who}.yaml").write_text(complaint(who, f"{who}家漏水"), encoding="utf-8")
    App.open(ws).process(NOW)
    shutil.copytree(ws, twin)
    (twin / "inbox" / "丙.yaml").write_text(complaint("丙", "丙家漏水"), encoding="utf-8")
    App.open(twin).process(NOW)  # what the interrupted pass would have committed

    db, twin_db = ws / "data" / "db", twin / "data" / "db"
    changed = {p.stem: json.loads(p.read_text("utf-8")) for p in twin_db.glob("*.json")
               if not (db / p.name).exists() or (db / p.name).read_bytes() != p.read_bytes()}
    assert {"meta", "submissions-2025"} <= set(changed) and any(n.startswith("records-") for n in changed)
    # The crashed pass had archived 丙, written its journal and WAL, and replaced one partition.
    shutil.copytree(twin / "data" / "archive", ws / "data" / "archive", dirs_exist_ok=True)
    (ws / "inbox" / "丙.yaml").write_text(complaint("丙", "丙家漏水"), encoding="utf-8")
    (ws / "data" / "journal.json").write_text(json.dumps([{"name": "丙.yaml", "hash": _sha(ws / "inbox" / "丙.yaml")}]),
                                              encoding="utf-8")
    (db / "wal.json").write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    (db / "meta.json").write_text(json.dumps(changed["meta"], ensure_ascii=False), encoding="utf-8")

    store = Store(db)
    assert not (db / "wal.json").exists()
    assert sorted(r.events[0].data["complainant"] for r in store.records()) == ["丙", "乙", "甲"]
    assert dump(store) == dump(Store(twin_db))

    # The next engine start (which holds the lock) also finishes the clean-up the crash cut short.
    with WorkspaceLock(ws):
        app = App.open(ws)
        assert sorted(os.listdir(ws / "inbox")) == []
        assert not (ws / "data" / "journal.json").exists()
        assert app.process(NOW).results == []
        assert not (ws / "outbox" / "rejected").exists()
        assert app.rebuild().records == 3
        assert dump(app.store) == dump(Store(twin_db))


def test_a_damaged_wal_is_dropped_and_the_old_state_kept(tmp_path):
    ws = tmp_path / "ws"
    init_workspace(ws)
    (ws / "inbox" / "甲.yaml").write_text(complaint("甲", "甲家漏水"), encoding="utf-8")
    App.open(ws).process(NOW)
    db = ws / "data" / "db"
    before = {p.name: p.read_bytes() for p in db.glob("*.json")}
    (db / "wal.json").write_text('{"records-complaint-2025": {"_default": {"1": ', encoding="utf-8")
    assert _stored_names(ws) == ["甲"]
    assert not (db / "wal.json").exists()
    assert {p.name: p.read_bytes() for p in db.glob("*.json")} == before


def test_a_crash_after_the_commit_leaves_no_duplicate_behind(tmp_path):
    """Journal present, store committed, inbox files not yet removed: the next start removes them quietly."""
    ws = tmp_path / "ws"
    init_workspace(ws)
    inbox = ws / "inbox"
    texts = {n: complaint(n, f"{n}家漏水") for n in ("甲", "乙")}
    for name, text in texts.items():
        (inbox / f"{name}.yaml").write_text(text, encoding="utf-8")
    App.open(ws).process(NOW)
    assert _stored_names(ws) == ["乙", "甲"]

    # Put the committed files back as the crash left them, plus one the journal names but whose
    # content changed since (kept: it is not what was stored), plus one the journal does not name.
    for name, text in texts.items():
        (inbox / f"{name}.yaml").write_text(text, encoding="utf-8")
    journal = [{"name": f"{n}.yaml", "hash": hashlib.sha256(t.encode()).hexdigest()} for n, t in texts.items()]
    # 丙.yaml: dropped after the crash under a name the journal gives to content the store holds (乙's):
    # the name matches, the hash is stored, only the content tells them apart — it must not be deleted.
    (inbox / "丙.yaml").write_text(complaint("丙", "丙家漏水"), encoding="utf-8")
    journal.append({"name": "丙.yaml", "hash": journal[1]["hash"]})
    (inbox / "丁.yaml").write_text(complaint("丁", "丁家漏水"), encoding="utf-8")
    # A journal entry is a name in the inbox, never a path: this one must not reach the file outside.
    outside = tmp_path / "x"
    outside.write_text(texts["甲"], encoding="utf-8")
    journal.append({"name": "../../x", "hash": _sha(outside)})
    (ws / "data" / "journal.json").write_text(json.dumps(journal, ensure_ascii=False), encoding="utf-8")

    # A reader (no lock) leaves the crash's traces alone: a watcher may be mid-pass.
    App.open(ws)
    assert (ws / "data" / "journal.json").exists()
    assert len(os.listdir(inbox)) == 4
    with WorkspaceLock(ws):
        app = App.open(ws)
        assert sorted(os.listdir(inbox)) == ["丁.yaml", "丙.yaml"]
        assert not (ws / "data" / "journal.json").exists()
        assert outside.read_text("utf-8") == texts["甲"]
        report = app.process(NOW)
    assert sorted((r.name, r.status) for r in report.results) == [("丁.yaml", "stored"), ("丙.yaml", "stored")]
    assert not (ws / "outbox" / "rejected").exists()
    assert _stored_names(ws) == ["丁", "丙", "乙", "甲"]


def test_a_crash_before_the_commit_redoes_the_files(tmp_path):
    """Journal written but the commit never happened: the files are processed again, once."""
    ws = tmp_path / "ws"
    init_workspace(ws)
    path = ws / "inbox" / "甲.yaml"
    path.write_text(complaint("甲", "甲家漏水"), encoding="utf-8")
    (ws / "data" / "journal.json").write_text(json.dumps([{"name": "甲.yaml", "hash": _sha(path)}]), encoding="utf-8")
    with WorkspaceLock(ws):
        app = App.open(ws)
        assert path.exists()
        assert [r.status for r in app.process(NOW).results] == ["stored"]
    assert _stored_names(ws) == ["甲"]


# -- print progress: a kill costs only the PDFs not yet written -------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_kill_while_printing_costs_only_the_pdfs_not_yet_written(tmp_path):
    """Each number leaves the render queue as soon as its PDF is written: the next start prints only the rest."""
    ws = tmp_path / "ws"
    init_workspace(ws)
    drop(ws / "inbox", random.Random(13), valid=16, invalid_count=0, duplicates=0)
    records_dir, queue = ws / "outbox" / "records" / "complaint", ws / "data" / "render-queue.json"
    proc = start(ws)
    deadline = time.monotonic() + 60
    while proc.poll() is None and len(list(records_dir.glob("*.pdf"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while _processes_on(ws) and time.monotonic() < deadline:  # its render workers die with it
        time.sleep(0.1)
    printed = {p.stem: stamp(p) for p in records_dir.glob("*.pdf")}
    numbers = {r.number for r in Store(ws / "data" / "db").records()}
    assert len(numbers) == 16 and 4 <= len(printed) < 16
    queued = set(Outbox(ws).pending())  # the queue less the PDFs marked done
    assert queued | set(printed) == numbers
    assert len(queued & set(printed)) <= 1  # at most the one written when the kill came, before it left the queue
    finish(ws)
    assert sorted(p.stem for p in records_dir.glob("*.pdf")) == sorted(numbers)
    printed_again = [n for n, before in printed.items() if stamp(records_dir / f"{n}.pdf") != before]
    assert len(printed_again) <= 1, printed_again
    assert not queue.exists()


# -- the disk: full, read-only -----------------------------------------------------------------------------
#
# Real faults, nothing faked: a read-only bind mount over outbox/, a small tmpfs over data/ filled to the last
# byte. Mounting needs root (CAP_SYS_ADMIN), as in this sandbox and in CI; elsewhere these tests are skipped.


class Mounts:
    """The mounts one test makes; the fixture undoes those left at its end, whatever happened."""

    def __init__(self) -> None:
        self.made: list[Path] = []

    def _mount(self, *args: str) -> None:
        done = subprocess.run(["mount", *args], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount here, needs root: {done.stderr.strip()}")

    def read_only(self, folder: Path) -> None:
        self._mount("--bind", str(folder), str(folder))
        self.made.append(folder)
        self._mount("-o", "remount,ro,bind", str(folder))

    def small_disk(self, folder: Path, size: str = "4m") -> None:
        self._mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
        self.made.append(folder)

    def grow(self, folder: Path, size: str) -> None:
        self._mount("-o", f"remount,size={size}", str(folder))

    def undo(self, folder: Path) -> None:
        subprocess.run(["umount", str(folder)], check=True)
        self.made.remove(folder)


@pytest.fixture
def mounts():
    made = Mounts()
    yield made
    for folder in reversed(made.made):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the disk ``folder`` is on to the last byte; delete the returned file to free it again."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for block in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


@contextlib.contextmanager
def watching(root: Path):
    """A real watcher on ``root`` in a thread; yields the lines it printed and the thread."""
    lines: list[str] = []
    watcher = Watcher(App.open(root), echo=lines.append, quiet=0.3, rescan=1.0, tick=1.0)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        yield lines, thread
    finally:
        watcher.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()


def wait_for(predicate, timeout: float = 30.0) -> bool:
    return _wait_for(predicate, timeout)  # (a watcher under a disk fault retries slowly: a longer default)


def _no_todo_pdfs(root: Path) -> None:
    """Record PDFs on, to-do PDFs off: the record PDFs are what these tests are about."""
    settings = root / "formflow.yaml"
    settings.write_text(settings.read_text("utf-8") + "\noutbox: {todo_pdfs: []}\n", encoding="utf-8")


def test_a_read_only_outbox_keeps_no_file_out_of_the_store(workspace, mounts):
    ws = workspace.root
    _no_todo_pdfs(ws)
    drop(ws / "inbox", random.Random(5), valid=18, invalid_count=1, duplicates=0)
    mounts.read_only(ws / "outbox")
    result = workspace.cli("process", "--now", NOW_TEXT)
    assert result.code == 4, result.err
    lines = result.out.splitlines()
    assert sum(line.startswith("✓ v") for line in lines) == 18
    assert "… bad000.yaml：无法写入磁盘，仍留在 inbox 中，问题解决后再处理" in lines
    assert lines[-1] == "处理 19 个文件 files：18 个已登记 stored，0 个未登记 set aside，1 个留在 inbox 稍后处理 left in inbox"
    assert ("✗ 写入故障 cannot write：outbox/rejected 文件夹所在的磁盘是只读的，无法写入：请检查 U 盘或网络盘是否写保护、"
            "是否已断开") in result.err.splitlines()
    assert "已登记的记录不受影响，下次运行时补打" in result.err
    assert os.listdir(ws / "inbox") == ["bad000.yaml"]
    assert len(list(Store(ws / "data" / "db").records())) == 18
    assert len(json.loads((ws / "data" / "render-queue.json").read_text("utf-8"))) == 18  # printed later

    mounts.undo(ws / "outbox")
    result = workspace.cli("process", "--now", NOW_TEXT)
    assert result.code == 1, result.err
    assert result.out.splitlines()[0] == "✗ bad000.yaml：1 处问题，已放到 outbox/rejected/20251002-100000-bad000.yaml"
    assert os.listdir(ws / "inbox") == []
    assert len(list((ws / "outbox" / "records" / "complaint").glob("*.pdf"))) == 18
    assert not (ws / "data" / "render-queue.json").exists()


def test_an_outbox_that_fills_up_while_printing_keeps_the_rest_queued(workspace, mounts):
    ws = workspace.root
    _no_todo_pdfs(ws)
    mounts.small_disk(ws / "outbox", size="256k")  # room for a few record PDFs (about 40 KB each), not twelve
    drop(ws / "inbox", random.Random(5), valid=12, invalid_count=0, duplicates=0)
    result = workspace.cli("process", "--now", NOW_TEXT)
    assert result.code == 4, result.err
    assert ("✗ 写入故障 cannot write：磁盘空间已满，无法写入 outbox/records/complaint 文件夹：请删除不需要的文件、清空回收站，"
            "或联系系统维护人员；已登记的记录不受影响，下次运行时补打") in result.err.splitlines()
    assert result.out.splitlines()[-1] == "处理 12 个文件 files：12 个已登记 stored，0 个未登记 set aside"
    assert os.listdir(ws / "inbox") == []
    numbers = {r.number for r in Store(ws / "data" / "db").records()}
    pdfs, queue = ws / "outbox" / "records" / "complaint", ws / "data" / "render-queue.json"
    printed = {p.stem for p in pdfs.glob("*.pdf")}
    queued = set(json.loads(queue.read_text("utf-8")))
    assert len(numbers) == 12 and printed and queued
    assert printed | queued == numbers and not printed & queued  # each PDF printed, or still to print: not both

    mounts.grow(ws / "outbox", "16m")
    result = workspace.cli("process", "--now", NOW_TEXT)
    assert (result.code, result.err) == (0, "")
    assert {p.stem for p in pdfs.glob("*.pdf")} == numbers
    assert not queue.exists()


def test_a_full_data_disk_keeps_the_files_in_the_inbox(workspace, mounts):
    ws = workspace.root
    mounts.small_disk(ws / "data")  # data/ is empty right after init
    without_pdfs(ws)
    (ws / "inbox" / "甲.yaml").write_text(complaint("甲", "甲家漏水"), encoding="utf-8")
    assert workspace.cli("process", "--now", NOW_TEXT).code == 0
    drop(ws / "inbox", random.Random(5), valid=3, invalid_count=1, duplicates=0)
    filler = fill(ws / "data")
    result = workspace.cli("process", "--now", NOW_TEXT)
    assert result.code == 4, result.err
    assert "内部错误" not in result.out + result.err
    assert "✗ 写入故障 cannot write：磁盘空间已满，无法写入 data/" in result.err
    assert sorted(os.listdir(ws / "inbox")) == ["v000.yaml", "v001.yaml", "v002.yaml"]  # none lost, none set aside
    assert sorted(os.listdir(ws / "outbox" / "rejected")) == ["20251002-100000-bad000.yaml",
                                                              "20251002-100000-bad000.yaml.说明.txt"]
    assert _stored_names(ws) == ["甲"]

    filler.unlink()
    result = workspace.cli("process", "--now", NOW_TEXT)
    assert (result.code, result.err) == (0, "")
    assert os.listdir(ws / "inbox") == []
    assert len(_stored_names(ws)) == 4
    assert sorted(r.number for r in Store(ws / "data" / "db").records()) == [
        f"TS-YG-202509-000{i}" for i in range(1, 5)]  # the failed pass gave no number away


def test_a_watcher_lives_through_a_read_only_outbox(workspace, mounts, monkeypatch):
    monkeypatch.setenv("FORMFLOW_NOW", NOW_TEXT)
    ws = workspace.root
    _no_todo_pdfs(ws)
    with watching(ws) as (lines, thread):
        assert wait_for(lambda: (ws / "outbox" / "todo" / "todo.json").exists()), lines  # it has started
        mounts.read_only(ws / "outbox")
        drop(ws / "inbox", random.Random(5), valid=3, invalid_count=1, duplicates=0)
        assert wait_for(lambda: sum(line.startswith("✓ v") for line in lines) == 3), lines
        assert wait_for(lambda: "… bad000.yaml：无法写入磁盘，仍留在 inbox 中，问题解决后再处理" in lines), lines
        assert any(line.startswith("✗ 写入故障 cannot write：") and "只读" in line for line in lines), lines
        note = ws / "写入故障.txt"  # the outbox cannot take it: beside formflow.yaml
        assert wait_for(note.exists), lines
        assert "磁盘是只读的" in note.read_text("utf-8") and "问题解决后会自动继续处理" in note.read_text("utf-8")
        assert len(list(Store(ws / "data" / "db").records())) == 3
        assert os.listdir(ws / "inbox") == ["bad000.yaml"]
        assert thread.is_alive()

        mounts.undo(ws / "outbox")
        pdfs = ws / "outbox" / "records" / "complaint"
        assert wait_for(lambda: len(list(pdfs.glob("*.pdf"))) == 3, timeout=120), lines
        assert wait_for(lambda: os.listdir(ws / "inbox") == [], timeout=120), lines
        assert (ws / "outbox" / "rejected" / "20251002-100000-bad000.yaml.说明.txt").exists()
        assert wait_for(lambda: "✓ 写入恢复正常，继续处理 writing works again" in lines), lines
        assert wait_for(lambda: not note.exists()), lines
        assert not (ws / "data" / "render-queue.json").exists()


def test_a_watcher_lives_through_a_full_data_disk(workspace, mounts, monkeypatch):
    monkeypatch.setenv("FORMFLOW_NOW", NOW_TEXT)
    ws = workspace.root
    mounts.small_disk(ws / "data")
    without_pdfs(ws)
    with watching(ws) as (lines, thread):
        (ws / "inbox" / "甲.yaml").write_text(complaint("甲", "甲家漏水"), encoding="utf-8")
        assert wait_for(lambda: any(line.startswith("✓ 甲.yaml") for line in lines)), lines
        filler = fill(ws / "data")
        drop(ws / "inbox", random.Random(5), valid=2, invalid_count=0, duplicates=0)
        assert wait_for(lambda: any(line.startswith("✗ 写入故障 cannot write：磁盘空间已满，无法写入 data")
                                    for line in lines)), lines
        assert wait_for(lambda: "… v001.yaml：无法写入磁盘，仍留在 inbox 中，问题解决后再处理" in lines), lines
        note = ws / "outbox" / "写入故障.txt"
        assert wait_for(note.exists), lines
        assert "磁盘空间已满" in note.read_text("utf-8") and "问题解决后会自动继续处理" in note.read_text("utf-8")
        assert sorted(os.listdir(ws / "inbox")) == ["v000.yaml", "v001.yaml"]
        assert not (ws / "outbox" / "rejected").exists()
        assert _stored_names(ws) == ["甲"]
        assert thread.is_alive()

        filler.unlink()
        # The lines are printed once the pass is committed and the files are out of the inbox: wait for them.
        assert wait_for(lambda: sum(line.startswith("✓ v") for line in lines) == 2, timeout=120), lines
        assert sorted(line.split(" → ")[0] for line in lines if line.startswith("✓ v")) == ["✓ v000.yaml", "✓ v001.yaml"]
        assert os.listdir(ws / "inbox") == []
        assert len(list(Store(ws / "data" / "db").records())) == 3
        assert wait_for(lambda: "✓ 写入恢复正常，继续处理 writing works again" in lines), lines
        assert wait_for(lambda: not note.exists()), lines
    # Said once and retried quietly (waiting longer each time), not once per scan.
    assert sum(line.startswith("✗ 写入故障") for line in lines) == 1, lines
    assert lines.count("✓ 写入恢复正常，继续处理 writing works again") == 1, lines
