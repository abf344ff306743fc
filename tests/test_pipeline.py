"""The inbox pipeline end to end on a real workspace: store, archive, rejects, duplicates, to-dos, rebuild."""

from __future__ import annotations

import json

from formflow.adapters.store import Store
from formflow.app import App, dump

from .conftest import without_pdfs

COMPLAINT = """
form: complaint
by: 李娜
at: {at}
data:
  channel: 来电
  complainant: {who}
  unit: 3-2-1502
  phone: "13812345678"
  details: 楼上卫生间漏水，天花板有水渍
  category: 工程维修
  severity: {severity}
  receiver: 李娜
"""


def complaint(who="张先生", at="2025-09-30T17:50:00+08:00", severity="重要") -> str:
    return COMPLAINT.format(who=who, at=at, severity=severity)


def stored(ws):
    return {r.number: r for r in Store(ws.root / "data" / "db").records()}


def test_new_records_get_numbers_and_are_archived(workspace):
    workspace.write("inbox/a.yaml", complaint("张先生"))
    workspace.write("inbox/b.yaml", complaint("李女士", at="2025-10-02T09:00:00+08:00"))
    result = workspace.cli("process", "--now", "2025-10-02T10:00+08:00")
    assert result.code == 0
    assert result.out.splitlines() == [
        "✓ a.yaml → TS-YG-202509-0001",
        "✓ b.yaml → TS-YG-202510-0001",  # the serial restarts each month
        "处理 2 个文件 files：2 个已登记 stored，0 个未登记 set aside",
    ]
    assert list((workspace.root / "inbox").iterdir()) == []
    records = stored(workspace)
    assert records["TS-YG-202509-0001"].events[0].data["complainant"] == "张先生"
    assert records["TS-YG-202509-0001"].events[0].at.isoformat() == "2025-09-30T17:50:00+08:00"
    archived = sorted(p.name for p in (workspace.root / "data" / "archive").rglob("*.yaml"))
    assert [n.split("-", 2)[0] for n in archived] == ["000000001", "000000002"]
    assert archived[0].endswith("-a.yaml")


def test_rejects_carry_a_chinese_explanation(workspace):
    workspace.write("inbox/坏.yaml", complaint("张先生").replace('"13812345678"', '"1381234"'))
    result = workspace.cli("process", "--now", "2025-10-02T10:00+08:00")
    assert result.code == 1
    assert result.out.splitlines()[0] == "✗ 坏.yaml：1 处问题，已放到 outbox/rejected/20251002-100000-坏.yaml"
    note = (workspace.root / "outbox/rejected/20251002-100000-坏.yaml.说明.txt").read_text("utf-8")
    assert note == (
        "文件：坏.yaml\n收到时间：2025-10-02 10:00\n结果：未登记，原文件已移到此处（退回文件夹）。\n\n问题：\n"
        "  1. 「联系电话」（第 8 行）：不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “1381234”\n\n"
        "处理办法：按上面的说明改正后，把文件重新放入收件箱文件夹。\n")
    assert stored(workspace) == {}


def test_same_content_twice_is_not_applied_twice(workspace):
    workspace.write("inbox/a.yaml", complaint())
    workspace.cli("process", "--now", "2025-10-02T10:00+08:00")
    workspace.write("inbox/a-copy.yaml", complaint())
    result = workspace.cli("process", "--now", "2025-10-02T11:00+08:00")
    assert result.code == 1
    assert result.out.splitlines()[0] == "= a-copy.yaml：重复提交，已放到 outbox/rejected/20251002-110000-a-copy.yaml"
    note = (workspace.root / "outbox/rejected/20251002-110000-a-copy.yaml.说明.txt").read_text("utf-8")
    assert "此文件与 2025-10-02 10:00 收到的“a.yaml”内容完全相同，当时已登记为：TS-YG-202509-0001。" in note
    assert len(stored(workspace)) == 1


def test_a_stream_is_all_or_nothing(workspace):
    workspace.write("inbox/two.yaml", complaint("甲") + "---\n" + complaint("乙").replace("来电", "飞鸽传书"))
    result = workspace.cli("process", "--now", "2025-10-02T10:00+08:00")
    assert result.code == 1
    assert "第2份文档 document 2：「投诉方式」（第 19 行）：“飞鸽传书”不在选项中" in result.out
    assert stored(workspace) == {}


def test_actions_move_the_record_and_check_roles_and_state(workspace):
    workspace.write("inbox/a.yaml", complaint())
    workspace.cli("process", "--now", "2025-09-30T17:55+08:00")
    workspace.write("inbox/assign.yaml", "record: TS-YG-202509-0001\naction: assign\nby: 张伟\ndata: {routed_to: 工程维修部}\n")
    workspace.write("inbox/close.yaml", "record: TS-YG-202509-0001\naction: close\nby: 李娜\ndata: {satisfaction: 满意}\n")
    workspace.write("inbox/nope.yaml", "record: TS-YG-209901-0001\naction: assign\nby: 李娜\n")
    result = workspace.cli("process", "--now", "2025-09-30T18:00+08:00")
    problems = [line for line in result.out.splitlines() if line.startswith("    - ")]
    assert problems == [
        "    - 「经办人」：张伟（维修人员）没有权限「分派」，需要角色：客服专员、客服中心主管",
        "    - 「操作」：TS-YG-202509-0001 当前状态为「已登记」，不能「回访后关闭」；可做：分派、"
        "呈报上级、认定为无效投诉",
        "    - 「记录编号」：没有记录“TS-YG-209901-0001”，请核对编号",
    ]
    workspace.write("inbox/assign.yaml", "record: TS-YG-202509-0001\naction: assign\nby: 李娜\ndata: {routed_to: 工程维修部}\n")
    assert workspace.cli("process", "--now", "2025-09-30T18:05+08:00").code == 0
    record = stored(workspace)["TS-YG-202509-0001"]
    assert [e.action for e in record.events] == ["create", "assign"]
    assert record.events[1].data == {"routed_to": "工程维修部", "routed_at": "2025-09-30T18:05+08:00"}


def test_todo_json_at_fixed_times(workspace):
    workspace.write("inbox/a.yaml", complaint(severity="重要"))
    workspace.cli("process", "--now", "2025-09-30T17:55+08:00")
    tasks = json.loads(workspace.cli("todo", "--format", "json", "--now", "2025-09-30T18:30+08:00").out)
    record_tasks = [t for t in tasks if t["record"] == "TS-YG-202509-0001"]
    assert [(t["clock"], t["status"], t["due"], t["who"]) for t in record_tasks] == [
        ("dept_head_notice", "due_soon", "2025-09-30T18:50:00+08:00", ["clerk"]),
        ("resolve", "upcoming", "2025-10-03T17:50:00+08:00", ["dept_head", "supervisor"]),
    ]
    assert record_tasks[0]["explanation"] == [
        "开始：2025-09-30 17:50 (+08:00)（「接待时间」）", "规则：1小时（1h）", "期限：2025-09-30 18:50 (+08:00)"]
    later = json.loads(workspace.cli("todo", "--format", "json", "--now", "2025-09-30T19:00+08:00").out)
    first = next(t for t in later if t["clock"] == "dept_head_notice")
    assert (first["status"], first["who"]) == ("overdue", ["clerk", "supervisor"])
    assert (workspace.root / "outbox/todo/待办.txt").read_text("utf-8").startswith("阳光花园管理处 待办事项（截至 2025-09-30 17:55）")
    assert "13812345678" not in (workspace.root / "outbox/todo/待办.txt").read_text("utf-8")


def test_rebuild_reproduces_the_database(workspace):
    for i, who in enumerate(["甲", "乙", "丙"]):
        workspace.write(f"inbox/{i}.yaml", complaint(who))
    workspace.cli("process", "--now", "2025-09-30T17:55+08:00")
    workspace.write("inbox/act.yaml", "record: TS-YG-202509-0002\naction: assign\nby: 李娜\ndata: {routed_to: 环境部}\n")
    workspace.cli("process", "--now", "2025-09-30T18:30+08:00")
    before = dump(Store(workspace.root / "data" / "db"))
    result = workspace.cli("rebuild")
    assert (result.code, result.out) == (0, "已重建 rebuilt: 3 条记录 records，4 个存档文件 archived files，"
                                            "按 1 个定义版本重放 replayed under 1 definitions version(s)\n")
    assert dump(Store(workspace.root / "data" / "db")) == before
    assert len(before["records"]) == 3


def test_second_process_is_refused_while_the_lock_is_held(workspace):
    from formflow.adapters.lock import WorkspaceLock

    with WorkspaceLock(workspace.root):
        result = workspace.cli("process")
    assert result.code == 1
    assert result.err.startswith("此工作区已有 formflow 在运行（进程 ")


def test_app_process_refreshes_todo_outputs(workspace):
    app = App.open(workspace.root)
    workspace.write("inbox/a.yaml", complaint())
    report = app.process(app.now())
    assert [r.status for r in report.results] == ["stored"]
    assert (workspace.root / "outbox" / "todo" / "todo.json").exists()


def _pdf_text(path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_a_pass_prints_the_record_pdfs_and_the_todo_lists(workspace):
    workspace.write("inbox/a.yaml", complaint("张先生", severity="重大"))
    assert workspace.cli("process", "--now", "2025-09-30T18:00+08:00").code == 0
    pdf = workspace.root / "outbox" / "records" / "complaint" / "TS-YG-202509-0001.pdf"
    first = _pdf_text(pdf)
    assert "TS-YG-202509-0001" in first and "张先生" in first and "已登记" in first
    todo = workspace.root / "outbox" / "todo"
    # The office's list, and one per person with something to do (the department head must resolve it;
    # the director is told only once the same-day notice is overdue).
    assert {"待办-全部.pdf", "待办-刘强.pdf", "待办.ics", "待办.txt", "todo.json"} <= {p.name for p in todo.iterdir()}
    assert "TS-YG-202509-0001" in _pdf_text(todo / "待办-全部.pdf")
    assert "待办-陈建国.pdf" not in {p.name for p in todo.iterdir()}
    assert "BEGIN:VCALENDAR" in (todo / "待办.ics").read_text("utf-8")
    assert not (workspace.root / "data" / "render-queue.json").exists()

    # An action changes the record: its PDF is printed again, with the new state and history line.
    workspace.write("inbox/act.yaml", "record: TS-YG-202509-0001\naction: assign\nby: 李娜\ndata: {routed_to: 工程维修部}\n")
    assert workspace.cli("process", "--now", "2025-09-30T18:10+08:00").code == 0
    second = _pdf_text(pdf)
    assert "已分派" in second and "分派" in second and second != first


def test_pdfs_can_be_switched_off_in_the_settings(workspace):
    without_pdfs(workspace.root, todo_pdfs="[office]")
    workspace.write("inbox/a.yaml", complaint())
    assert workspace.cli("process", "--now", "2025-10-02T10:00+08:00").code == 0
    assert not (workspace.root / "outbox" / "records").exists()
    assert sorted(p.name for p in (workspace.root / "outbox" / "todo").glob("*.pdf")) == ["待办-全部.pdf"]
