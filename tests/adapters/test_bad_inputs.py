"""Hostile and broken files dropped into the inbox: each is set aside with a Chinese explanation.

The text corpus lives in ``tests/corpus/``; binary, huge and oddly named inputs are generated
into ``tmp_path``. One real ``formflow process`` pass (through :func:`formflow.cli.main`) handles
the whole corpus; the tests then look at where every file ended up, what its ``.说明.txt``
says, that editor temp files were left alone, and that nothing was written outside the
workspace. Inputs that once crashed the pass (deep JSON, impossible dates, overlong numbers and names) are at the end.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from formflow.adapters.store import Store
from formflow.cli import main
from formflow.workspace import init_workspace

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NOW_TEXT = "2025-10-02T10:00:00+08:00"
PREFIX = "20251002-100000-"  # set-aside files are named <received>-<original name>

GOOD = """form: complaint
by: 李娜
at: 2025-09-30T17:50:00+08:00
data: {{channel: 来电, complainant: {who}, unit: 3-2-1502, phone: "13812345678", details: {details}, category: 工程维修, severity: 重要, receiver: 李娜}}
"""


def good(who: str, details: str = "楼上漏水") -> str:
    return GOOD.format(who=who, details=details)


#: What the clerk must be told about each file (key phrases of the actual message).
EXPECTED: dict[str, tuple[str, ...]] = {
    # -- committed corpus (tests/corpus/) --
    "truncated.yaml": ("YAML 格式错误", "第 4 行", "引号是否成对"),
    "python-apply.yaml": ("YAML 格式错误", "第 1 行", "不允许的 YAML 标签"),
    "python-name.yaml": ("YAML 格式错误", "第 2 行", "不允许的 YAML 标签"),
    "alias-bomb.yaml": ("YAML 格式错误", "别名嵌套过深"),
    "path-record.yaml": ("「记录编号」", "“../../x”格式不对", "只能含字母、数字、- 和 _"),
    "syntax-error.json": ("JSON 格式错误", "第 1 行第 60 列"),
    "empty.yaml": ("文件是空的",),
    "stream-one-bad.yaml": ("第2份文档", "「投诉方式」", "“飞鸽传书”不在选项中", "可选：来电"),
    "unknown-form.yaml": ("没有表单“parking_permit”", "可用的表单：callback, complaint"),
    "notes.txt": ("不支持的文件类型“.txt”", "只接收 .yaml、.yml、.json"),
    # -- generated below --
    "garbage.yaml": ("不是 UTF-8 编码", "另存"),
    "utf16.yaml": ("不是 UTF-8 编码", "UTF-16", "另存"),
    "gbk.yaml": ("不是 UTF-8 编码", "GBK", "另存"),
    "nul.yaml": ("二进制内容",),
    "deep-nesting.yaml": ("嵌套过深",),
    "big-50mb.yaml": ("文件太大", "50.0 MB", "上限 2 MB"),
    "huge-70mb.yaml": ("文件太大",),
    "report.docx": ("不支持的文件类型“.docx”", "只接收 .yaml、.yml、.json"),
    "no-extension": ("不支持的文件类型“无扩展名”",),
    "not-a-mapping.yaml": ("“键: 值”的组合", "formflow new"),
}

#: Editor lock/swap files, partial copies, hidden files, OS clutter: never touched.
IGNORED = [".~lock.x#", "~$x.yaml", "x.yaml.swp", "x.tmp", "x.part", ".hidden.yaml", "Thumbs.db", "desktop.ini",
           "#x.yaml#", "x.yaml~", "x.yaml.crdownload"]


def _generated() -> dict[str, bytes]:
    rng = random.Random(7)
    return {
        "garbage.yaml": b"\xff\xfe\x00" + rng.randbytes(4096),
        "utf16.yaml": good("王五").encode("utf-16"),  # Windows Notepad's "Unicode"
        "gbk.yaml": good("赵六").encode("gbk"),  # Windows Notepad's "ANSI" on a Chinese system
        "nul.yaml": good("钱七").encode() + b"\x00\x00",
        "deep-nesting.yaml": b"[" * 10_000,
        "report.docx": b"PK\x03\x04" + rng.randbytes(512),
        "no-extension": good("孙八").encode(),
        "not-a-mapping.yaml": b"- just\n- a list\n",
    }


@dataclass
class Pass:
    base: Path
    ws: Path
    cwd: Path
    code: int
    out: str
    err: str
    seconds: float
    sources: dict[str, bytes | int]  # original bytes (or size, for the huge ones)
    ignored_before: dict[str, tuple[bytes, int]]
    outside_before: dict[str, tuple[int, int]]


def _outside(base: Path, ws: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``base`` but outside the workspace, with size and mtime."""
    found = {}
    for path in base.rglob("*"):
        if path == ws or ws in path.parents:
            continue
        st = path.lstat()
        found[path.relative_to(base).as_posix()] = (st.st_size, st.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Pass:
    base = tmp_path_factory.mktemp("bad-inputs")
    ws = base / "ws"
    init_workspace(ws)
    inbox = ws / "inbox"
    cwd = base / "cwd"  # a `touch PWNED` that got through would land here
    cwd.mkdir()
    (base / "outside.yaml").write_text(good("圈外人"), encoding="utf-8")

    sources: dict[str, bytes | int] = {}
    for path in sorted(CORPUS.iterdir()):
        if path.name != "README.md" and path.name in EXPECTED:
            shutil.copyfile(path, inbox / path.name)
            sources[path.name] = path.read_bytes()
    for name, data in _generated().items():
        (inbox / name).write_bytes(data)
        sources[name] = data
    for name, size in (("big-50mb.yaml", 50 * 1024 * 1024), ("huge-70mb.yaml", 70 * 1024 * 1024)):
        with open(inbox / name, "wb") as handle:  # sparse: instant to create
            handle.truncate(size)
        sources[name] = size
    assert set(sources) == set(EXPECTED), "every expected file is in the corpus or generated"

    ignored_before = {}
    for i, name in enumerate(IGNORED):
        path = inbox / name
        path.write_text(good(f"忽略{i}", details=f"临时文件{i}"), encoding="utf-8")  # valid content on purpose
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
        ignored_before[name] = (path.read_bytes(), path.stat().st_mtime_ns)
    (inbox / "link.yaml").symlink_to(base / "outside.yaml")  # never followed out of the inbox
    outside_before = _outside(base, ws)

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMFLOW_NOW", NOW_TEXT)
        mp.chdir(cwd)
        started = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["process", "--root", str(ws), "--now", NOW_TEXT])
        seconds = time.monotonic() - started
    return Pass(base, ws, cwd, code, out.getvalue(), err.getvalue(), seconds, sources, ignored_before,
                outside_before)


def test_the_pass_finishes_and_sets_every_bad_file_aside(processed):
    assert processed.err == ""
    assert "内部错误" not in processed.out
    assert processed.code == 1  # 1 = something was set aside; 3 would be a crash
    n = len(EXPECTED)
    assert processed.out.splitlines()[-1] == f"处理 {n} 个文件 files：0 个已登记 stored，{n} 个未登记 set aside"
    assert processed.seconds < 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_set_aside_with_a_clear_chinese_explanation(processed, name):
    rejected = processed.ws / "outbox" / "rejected"
    target = rejected / (PREFIX + name)
    assert not (processed.ws / "inbox" / name).exists()
    assert target.is_file()
    source = processed.sources[name]
    if isinstance(source, int):
        assert target.stat().st_size == source
    else:
        assert target.read_bytes() == source  # set aside untouched, ready to fix and drop again
    note = target.with_name(target.name + ".说明.txt").read_text(encoding="utf-8")
    assert note.startswith(f"文件：{name}\n收到时间：2025-10-02 10:00 (+08:00)\n结果：未登记")
    assert "处理办法：按上面的说明改正后，把文件重新放入 inbox 文件夹。" in note
    for phrase in EXPECTED[name]:
        assert phrase in note
    assert f"✗ {name}：" in processed.out


def test_nothing_is_stored_or_archived(processed):
    """Not even the good first document of the stream: a file is all or nothing."""
    assert list(Store(processed.ws / "data" / "db").records()) == []
    assert not [p for p in (processed.ws / "data" / "archive").rglob("*") if p.is_file()]
    assert "流一甲" not in "".join(p.read_text("utf-8") for p in (processed.ws / "data" / "db").glob("*.json"))


def test_ignored_files_stay_in_the_inbox_untouched(processed):
    inbox = processed.ws / "inbox"
    assert sorted(os.listdir(inbox)) == sorted([*IGNORED, "link.yaml"])
    for name, (data, mtime) in processed.ignored_before.items():
        assert (inbox / name).read_bytes() == data
        assert (inbox / name).stat().st_mtime_ns == mtime
        assert name not in processed.out
    assert (inbox / "link.yaml").is_symlink()
    assert "link.yaml" not in processed.out
    assert not list((processed.ws / "outbox" / "rejected").glob("*忽略*"))


def test_nothing_is_written_outside_the_workspace(processed):
    assert _outside(processed.base, processed.ws) == processed.outside_before
    assert list(processed.cwd.iterdir()) == []  # no PWNED: the !!python tags were never constructed
    assert not list(processed.base.rglob("x"))  # record: ../../x
    assert (processed.base / "outside.yaml").read_text("utf-8") == good("圈外人")  # symlink target intact


# -- inputs that crash the whole pass today ------------------------------------------------------------
#
# Each drops a good complaint first (older mtime) and the bad file after it, then runs the real CLI.
# A crash is worse than a reject: `process` exits 3 with a traceback, nothing of the pass is
# committed (the good complaint stays in the inbox although it was already archived), and since
# the bad file stays in the inbox too, every later pass (and `watch`) crashes on it again.


def _drop_good_then(workspace, name: str, data: bytes):
    inbox = workspace.root / "inbox"
    (inbox / "good.yaml").write_text(good("先到的张先生"), encoding="utf-8")
    os.utime(inbox / "good.yaml", ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    (inbox / name).write_bytes(data)
    return workspace.cli("process", "--now", NOW_TEXT)


def _assert_set_aside_and_good_stored(workspace, result, name: str) -> str:
    assert "内部错误" not in result.err, result.err[-600:]
    assert result.code == 1
    assert [r.events[0].data["complainant"] for r in Store(workspace.root / "data" / "db").records()] == ["先到的张先生"]
    assert sorted(os.listdir(workspace.root / "inbox")) == []
    notes = list((workspace.root / "outbox" / "rejected").glob("*.说明.txt"))
    assert len(notes) == 1
    return notes[0].read_text("utf-8")


def test_deeply_nested_json_is_set_aside(workspace):
    result = _drop_good_then(workspace, "deep.json", b"[" * 10_000 + b"]" * 10_000)
    note = _assert_set_aside_and_good_stored(workspace, result, "deep.json")
    assert "嵌套过深" in note


def test_impossible_unquoted_date_is_set_aside(workspace):
    result = _drop_good_then(workspace, "bad-date.yaml", (CORPUS / "bad-date.yaml").read_bytes())
    note = _assert_set_aside_and_good_stored(workspace, result, "bad-date.yaml")
    assert "第 3 行" in note or "2025-13-45" in note


def test_impossible_date_in_a_text_field_is_set_aside(workspace):
    result = _drop_good_then(workspace, "date-in-text.yaml", good("日期错", details="2025-02-30").encode())
    _assert_set_aside_and_good_stored(workspace, result, "date-in-text.yaml")


def test_overlong_integer_in_yaml_is_set_aside(workspace):
    data = good("数字长").replace("by: 李娜", "by: 李娜\nversion: " + "9" * 5000).encode()
    result = _drop_good_then(workspace, "long-number.yaml", data)
    _assert_set_aside_and_good_stored(workspace, result, "long-number.yaml")


def test_overlong_integer_in_json_is_set_aside(workspace):
    data = ('{"form": "complaint", "by": "李娜", "version": ' + "9" * 5000 + "}").encode()
    result = _drop_good_then(workspace, "long-number.json", data)
    _assert_set_aside_and_good_stored(workspace, result, "long-number.json")


def test_long_chinese_file_name_is_set_aside(workspace):
    name = "三栋二单元一五零二室张先生来电投诉楼上卫生间漏水" * 3 + ".yaml"  # 72 characters + .yaml = 221 bytes
    assert len(name.encode()) < 255
    result = _drop_good_then(workspace, name, b"form: complaint\n")
    note = _assert_set_aside_and_good_stored(workspace, result, name)
    assert f"文件：{name}" in note


def test_long_chinese_file_name_is_stored(workspace):
    name = "三栋二单元一五零二室张先生来电投诉楼上卫生间漏水" * 3 + ".yaml"
    (workspace.root / "inbox" / name).write_text(good("名字长的张先生"), encoding="utf-8")
    result = workspace.cli("process", "--now", NOW_TEXT)
    assert "内部错误" not in result.err, result.err[-600:]
    assert result.code == 0
    assert [r.events[0].data["complainant"] for r in Store(workspace.root / "data" / "db").records()] == ["名字长的张先生"]
