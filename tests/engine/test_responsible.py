"""Who a task goes to: the person a record is assigned to, and department-bound roles only in the department it is
routed to; each person's own list (`formflow todo --person`), grouped 逾期 / 今天到期 / 即将到期 / 以后."""

from __future__ import annotations

import json
import shutil

from ..conftest import NOW, REPO
from ..test_pipeline import complaint


def tasks_of(workspace, person: str) -> list[tuple[str, str]]:
    result = workspace.cli("todo", "--person", person, "--format", "json", "--now", NOW.isoformat())
    assert result.code == 0, result.err
    return sorted((t["record"], t["task"]) for t in json.loads(result.out))


def test_a_routed_complaint_is_on_its_departments_head_only(workspace):
    workspace.write("inbox/c.yaml", complaint("张先生", at="2026-11-27T09:00:00+08:00", severity="重要"))
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    number = "TS-YG-202611-0001"
    # before it is routed, every 部门主管 is told (nobody can tell whose it is yet)
    assert any(r == number for r, _ in tasks_of(workspace, "刘强")) and any(r == number for r, _ in tasks_of(workspace, "周涛"))
    assert workspace.cli("act", number, "assign", "--by", "李娜", "--set", "routed_to=工程维修部",
                         "--at", "2026-11-27T09:30:00+08:00").code == 0
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    heads = {name: [t for r, t in tasks_of(workspace, name) if r == number] for name in ("刘强", "周涛", "吴静")}
    assert heads["刘强"] and not heads["周涛"] and not heads["吴静"]
    supervisor = [t for r, t in tasks_of(workspace, "赵敏") if r == number]
    assert set(heads["刘强"]) <= set(supervisor)  # the supervisor is office-wide: still told


def test_a_dispatched_repair_is_its_repairers_alone(workspace):
    shutil.copy(REPO / "examples" / "repair" / "valid.yaml", workspace.root / "inbox" / "r.yaml")
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    number = "WX-YG-202611-0001"
    assert workspace.cli("act", number, "dispatch", "--by", "李娜", "--set", "assignee=孙磊",
                         "--set", "team=工程维修部", "--at", "2026-11-27T10:00:00+08:00").code == 0
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    assert [t for r, t in tasks_of(workspace, "孙磊") if r == number]
    assert not [t for r, t in tasks_of(workspace, "张伟") if r == number]
    assert [t for r, t in tasks_of(workspace, "刘强") if r == number]  # his department's head still sees it
    text = workspace.cli("todo", "--person", "孙磊", "--now", NOW.isoformat()).out
    assert text.splitlines()[0].startswith("【逾期】") and number in text
    assert workspace.cli("todo", "--person", "张玮").code == 2  # not on the roster: a usage error, named


def test_each_person_gets_their_own_text_and_calendar_list(workspace):
    workspace.write("inbox/c.yaml", complaint("张先生", at="2026-11-27T09:00:00+08:00", severity="重要"))
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    todo = workspace.root / "outbox" / "todo"
    mine = (todo / "待办-刘强.txt").read_text(encoding="utf-8")
    assert mine.startswith("阳光花园管理处 刘强的待办事项") and "TS-YG-202611-0001" in mine
    assert "13812345678" not in mine and "138****5678" in mine  # masked on paper
    assert (todo / "待办-刘强.ics").read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")
    assert {t["record"] for t in json.loads((todo / "待办-刘强.json").read_text(encoding="utf-8"))} == {
        "TS-YG-202611-0001"}
    assert not (todo / "待办-张伟.txt").exists()  # nothing of his: no list


def test_a_staff_name_that_would_make_a_path_never_names_a_file(workspace):
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("{name: 刘强,", "{name: ../刘强,"),
                        encoding="utf-8")
    result = workspace.cli("check")  # a warning, not an error: kept versions that have such a name still load
    assert result.code == 0 and "staff[4].name: 姓名不能用作文件名 '../刘强'" in result.err
    workspace.write("inbox/c.yaml", complaint("张先生", at="2026-11-27T09:00:00+08:00", severity="重要"))
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    assert not list(workspace.root.glob("outbox/*刘强*")) and not list(workspace.root.glob("outbox/todo/*刘强*"))
