"""Hostile and broken files dropped into the inbox: each is set aside with a Chinese explanation.

The text corpus lives in ``tests/corpus/``; binary, huge and oddly named inputs are generated
into ``tmp_path``. One real ``formflow process`` pass (through :func:`formflow.cli.main`) handles
the whole corpus; the tests then look at where every file ended up, what its ``.说明.txt``
says, that editor temp files were left alone, and that nothing was written outside the
workspace. Inputs that once crashed the pass (deep JSON, impossible dates, overlong numbers and names) are at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from formflow.adapters.store import Store
from formflow.cli import main
from formflow.engine.records import CREATE, Event, Record
from formflow.workspace import init_workspace

from ..conftest import SHANGHAI

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


#: Half of an emoji (a lone surrogate) at character N of a value: what the clerk is told.
BROKEN = "第 {} 个字处有一个残缺的字符（复制粘贴时表情符号或生僻字只复制了一半），无法保存；请删除这个字符，或删掉此项后重新输入"

#: What the clerk must be told about each file (key phrases of the actual message).
EXPECTED: dict[str, tuple[str, ...]] = {
    # -- committed corpus (tests/corpus/) --
    "truncated.yaml": ("格式错误", "第 4 行", "引号没有成对"),
    "python-apply.yaml": ("格式错误", "第 1 行", "不允许使用 !! 标签"),
    "python-name.yaml": ("格式错误", "第 2 行", "不允许使用 !! 标签"),
    "alias-bomb.yaml": ("格式错误", "别名嵌套过深"),
    "path-record.yaml": ("「记录编号」", "“../../x”格式不对", "只能含字母、数字、- 和 _"),
    "syntax-error.json": ("JSON 格式错误", "第 1 行第 60 列"),
    "empty.yaml": ("文件是空的",),
    "stream-one-bad.yaml": ("第2份文档", "「投诉方式」", "“飞鸽传书”不在选项中", "可选：来电"),
    "unknown-form.yaml": ("没有表单“parking_permit”", "可用的表单：callback, complaint"),
    "notes.txt": ("不支持的文件类型“.txt”", "只接收 .yaml、.yml、.json"),
    "surrogate.json": ("1. 「投诉人」：" + BROKEN.format(1),),
    "surrogate.yaml": ("1. 「经办人」（第 3 行）：" + BROKEN.format(3), "2. 「投诉内容（发生经过）」（第 5 行）：" + BROKEN.format(5)),
    "control-char.json": ("「投诉内容（发生经过）」：第 5 个字处有一个看不见的控制字符（U+0007，多半是从其他软件复制时"
                          "带进来的），无法保存和打印；请删除这个字符，或删掉此项后重新输入",),
    "date-9999.yaml": ("「发生时间」（第 4 行）：日期不在合理范围内（应在 1900-01-01 至 2035-09-30 之间），"
                       "填写的是 “9999-12-31 23:59”，请核对年份",
                       "「住户要求期限」（第 4 行）：日期不在合理范围内（应在 1900-01-01 至 2035-09-30 之间），"
                       "填写的是 “9999-12-31”，请核对年份"),
    "at-future.yaml": ("「办理时间」（第 4 行）：“2062-09-30 17:50”晚于收到文件的时间（2025-10-02 10:00），不能填写将来的时间，"
                       "请核对日期和年份",),
    "at-past.yaml": ("「办理时间」（第 3 行）：“1900-09-30 17:50”比收到文件的时间（2025-10-02 10:00）早了 731 天以上，请核对年份和日期"
                     "（补录纸质表最多可早 731 天；确需补录更早的表，请主管放宽补录期限）",),
    "long-text.yaml": ("「发生地点」（第 10 行）：最多 200 个字，填写了 203 个字，请删减",
                       "「投诉内容（发生经过）」（第 11 行）：最多 5000 个字，填写了 5010 个字，请删减"),
    "encrypted-aes256.pdf": ("PDF 文件已加密（设置了打开密码或权限密码），无法读取其中的表单：请在 PDF 阅读器中另存为未加密的副本"
                             "（或取消密码保护）后重新放入",),
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
    "not-a-mapping.yaml": ("“键: 值”的组合", "填写模板"),
}

#: Entries that are not files: set aside unread (a link is never followed, a pipe never opened), with what to do.
ODD: dict[str, tuple[str, ...]] = {
    "link.yaml": ("这是一个快捷方式（链接），不是表单文件本身", "请把表单文件本身（而不是它的快捷方式）放入 inbox 文件夹"),
    "dangling.yaml": ("这是一个快捷方式（链接）",),
    "扫描件": ("这是一个文件夹，不是表单文件", "请把文件夹里的表单文件直接放入 inbox 文件夹"),
    "pipe.yaml": ("这是一个特殊的系统文件（命名管道），不是表单文件，系统不会读取它", "请把表单文件本身放入 inbox 文件夹"),
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
    (inbox / "dangling.yaml").symlink_to(base / "gone.yaml")
    (inbox / "扫描件").mkdir()
    (inbox / "扫描件" / "a.yaml").write_text(good("文件夹里"), encoding="utf-8")
    os.mkfifo(inbox / "pipe.yaml")  # opened for reading, it would wait for ever for a writer
    outside_before = _outside(base, ws)

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMFLOW_NOW", NOW_TEXT)
        mp.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _hang_guard(300):
            code = main(["process", "--root", str(ws), "--now", NOW_TEXT])
    return Pass(base, ws, cwd, code, out.getvalue(), err.getvalue(), sources, ignored_before, outside_before)


@contextlib.contextmanager
def _hang_guard(seconds: int):
    """Fail instead of waiting for ever (a FIFO opened for reading blocks until a writer comes).

    A liveness check with a generous limit, not a timing: how fast the pass is belongs to the bench.
    """
    def hung(signum, frame):
        raise AssertionError(f"the pass did not finish within {seconds} s (blocked on a file?)")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_the_pass_finishes_and_sets_every_bad_file_aside(processed):
    assert processed.err == ""
    assert "内部错误" not in processed.out
    assert processed.code == 1  # 1 = something was set aside; 3 would be a crash
    n = len(EXPECTED) + len(ODD)
    assert processed.out.splitlines()[-1] == f"处理 {n} 个文件 files：0 个已登记 stored，{n} 个未登记 set aside"


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
    assert note.startswith(f"文件：{name}\n收到时间：2025-10-02 10:00\n结果：未登记")
    assert "处理办法：按上面的说明改正后，把文件重新放入收件箱文件夹。" in note
    for phrase in EXPECTED[name]:
        assert phrase in note
    assert f"✗ {name}：" in processed.out


@pytest.mark.parametrize("name", sorted(ODD))
def test_links_folders_and_pipes_are_set_aside_unread(processed, name):
    rejected = processed.ws / "outbox" / "rejected"
    target = rejected / (PREFIX + name)
    assert not os.path.lexists(processed.ws / "inbox" / name)
    assert os.path.lexists(target)
    note = target.with_name(target.name + ".说明.txt").read_text(encoding="utf-8")
    assert note.startswith(f"文件：{name}\n收到时间：2025-10-02 10:00\n结果：未登记")
    for phrase in ODD[name]:
        assert phrase in note
    assert f"✗ {name}：" in processed.out
    if name == "link.yaml":  # the link itself was moved; what it points to stays where it is, unread
        assert target.readlink() == processed.base / "outside.yaml"
    if name == "扫描件":
        assert (target / "a.yaml").read_text("utf-8") == good("文件夹里")


def test_validate_does_not_open_a_pipe(tmp_path):
    ws = tmp_path / "ws"
    init_workspace(ws)
    os.mkfifo(tmp_path / "pipe.yaml")
    env = dict(os.environ, FORMFLOW_NOW=NOW_TEXT)
    try:
        proc = subprocess.run([sys.executable, "-m", "formflow", "validate", "--root", str(ws), str(tmp_path / "pipe.yaml")],
                              env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("formflow validate waited for ever on a pipe")
    assert proc.returncode == 1, proc.stderr
    assert "这不是普通文件（可能是命名管道或设备），无法检查：请指定填好的表单文件本身" in proc.stdout


def test_nothing_is_stored_or_archived(processed):
    """Not even the good first document of the stream: a file is all or nothing."""
    assert list(Store(processed.ws / "data" / "db").records()) == []
    assert not [p for p in (processed.ws / "data" / "archive").rglob("*") if p.is_file()]
    assert "流一甲" not in "".join(p.read_text("utf-8") for p in (processed.ws / "data" / "db").glob("*.json"))


def test_ignored_files_stay_in_the_inbox_untouched(processed):
    inbox = processed.ws / "inbox"
    assert sorted(os.listdir(inbox)) == sorted(IGNORED)
    for name, (data, mtime) in processed.ignored_before.items():
        assert (inbox / name).read_bytes() == data
        assert (inbox / name).stat().st_mtime_ns == mtime
        assert name not in processed.out
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


# -- text that cannot be stored, dates that cannot be counted ---------------------------------------------
#
# Each of these once passed every check and then stopped the commit of the whole pass (a lone surrogate
# has no UTF-8) or every later to-do list (a deadline counted from year 9999): every pass exited 3 and
# good files behind it were never stored.


def _good_json_with(**data) -> bytes:
    document = {"form": "complaint", "by": "李娜", "at": "2025-09-30T17:55:00+08:00",
                "data": {"channel": "来电", "complainant": "刘女士", "unit": "3-2-1502", "phone": "13812345678",
                         "details": "楼上漏水", "category": "工程维修", "severity": "重要", "receiver": "李娜", **data}}
    return json.dumps(document, ensure_ascii=True).encode()  # ensure_ascii: the surrogate as a \ud83d escape


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("surrogate.json", (CORPUS / "surrogate.json").read_bytes(), "「投诉人」：" + BROKEN.format(1)),
    ("surrogate.yaml", (CORPUS / "surrogate.yaml").read_bytes(), "「经办人」（第 3 行）：" + BROKEN.format(3)),
    ("surrogate-key.json", _good_json_with(**{"pla\udc00ce": "楼道"}), "字段名：" + BROKEN.format(4)),
    ("surrogate-row.json", _good_json_with(details="漏水\ud83d"), "「投诉内容（发生经过）」：" + BROKEN.format(3)),
    ("nul-escape.json", _good_json_with(complainant="刘\u0000女士"),
     "「投诉人」：第 2 个字处有一个看不见的控制字符（U+0000，多半是从其他软件复制时带进来的），无法保存和打印；"
     "请删除这个字符，或删掉此项后重新输入"),
    ("action-note.yaml", "record: TS-YG-202509-0001\naction: assign\nby: 李娜\nat: 2025-09-30T18:00:00+08:00\n"
                         'note: "已转\\ud83d"\ndata: {routed_to: 工程维修部}\n'.encode(),
     "「备注」（第 5 行）：" + BROKEN.format(3)),
])
def test_text_that_cannot_be_stored_is_set_aside_and_intake_goes_on(workspace, name, data, expected):
    result = _drop_good_then(workspace, name, data)
    note = _assert_set_aside_and_good_stored(workspace, result, name)
    assert f"  1. {expected}\n" in note
    assert "\ud83d" not in result.out and "不在人员名册" not in note  # the other problems of the value: not again


def test_an_action_dated_before_its_record_was_registered_is_set_aside(workspace):
    result = _drop_good_then(workspace, "action-before-record.yaml", (CORPUS / "action-before-record.yaml").read_bytes())
    note = _assert_set_aside_and_good_stored(workspace, result, "action-before-record.yaml")
    assert ("  1. 「办理时间」：2025-09-29 09:00 不能早于记录登记时间 2025-09-30 17:50（TS-YG-202509-0001），"
            "请核对日期和年份\n") in note
    [record] = Store(workspace.root / "data" / "db").records()
    assert len(record.events) == 1  # not assigned


def test_a_stored_record_dated_9999_does_not_stop_process_or_todo(workspace):
    """An older version stored it; today's checks refuse such a file, but the store may already hold one."""
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\noutbox: {todo_pdfs: [office]}\n", encoding="utf-8")
    year_9999 = dt.datetime(9999, 12, 31, 10, 0, tzinfo=SHANGHAI)
    values = {"received_at": "9999-12-31T10:00+08:00", "channel": "来电", "complainant": "九九九九",
              "unit": "5-1-0901", "phone": "13812345678", "details": "漏水", "category": "工程维修", "severity": "重要",
              "receiver": "李娜", "valid": True, "urgent_harm": False}
    store = Store(workspace.root / "data" / "db")
    store.put(Record("TS-YG-999912-0001", "complaint", (Event(CREATE, "李娜", year_9999, values),)), "registered")
    store.note_duty("bulletin_board", year_9999)
    store.commit()
    (workspace.root / "inbox" / "good.yaml").write_text(good("先到的张先生"), encoding="utf-8")

    result = workspace.cli("process", "--now", NOW_TEXT)
    assert "内部错误" not in result.err, result.err[-600:]
    assert result.code == 0
    assert (workspace.root / "outbox" / "records" / "complaint" / "TS-YG-202509-0001.pdf").is_file()
    assert (workspace.root / "outbox" / "todo" / "待办-全部.pdf").is_file()
    listed = (workspace.root / "outbox" / "todo" / "待办.txt").read_text(encoding="utf-8")
    assert "TS-YG-202509-0001 3-2-1502 先到的张先生 138****5678  重要投诉1小时内转呈部门主管" in listed  # everyone else's list is there
    assert "2025-10-02 10:00  TS-YG-999912-0001 5-1-0901 九九九九 138****5678  处理完毕投诉" in listed  # the broken one: look now

    result = workspace.cli("todo", "--now", NOW_TEXT)
    assert (result.code, result.err) == (0, "")
    assert "TS-YG-202509-0001" in result.out and "TS-YG-999912-0001" in result.out
    result = workspace.cli("explain", "TS-YG-999912-0001", "--now", NOW_TEXT)
    assert result.code == 0
    assert ("期限无法计算：记录中的日期超出了可以计算的范围（登记时间 9999-12-31 10:00），或工作日历有误；"
            "请主管核对此记录，必要时关闭后重新登记；在此之前此项按已逾期列出") in result.out


def test_a_file_whose_name_is_not_utf8_is_read_under_its_readable_name(workspace):
    # A zip made on Chinese Windows, unpacked here: the names are GBK bytes, not UTF-8.
    inbox = os.fsencode(workspace.root / "inbox") + b"/"
    example = Path(__file__).resolve().parents[2] / "examples" / "complaint" / "valid.yaml"
    Path(os.fsdecode(inbox + "投诉登记".encode("gbk") + b".yaml")).write_bytes(example.read_bytes())
    Path(os.fsdecode(inbox + b"\xff\xfe-bad.yaml")).write_text("form: [", encoding="utf-8")  # neither UTF-8 nor GBK
    result = workspace.cli("process")
    assert result.code == 1, result.err
    assert "✓ 投诉登记.yaml → TS-YG-202611-0001" in result.out
    assert "✗ ��-bad.yaml：1 处问题，已放到 outbox/rejected/20261128-100000-��-bad.yaml" in result.out
    (archived,) = (workspace.root / "data/archive/2026/11").glob("*.yaml")
    assert archived.name.endswith("-投诉登记.yaml")
    assert os.listdir(workspace.root / "inbox") == []
