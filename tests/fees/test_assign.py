"""Collectors by building (``fees.collectors``): checked against the roster and the call actions' roles, used by
``formflow fees round``; ``formflow fees assign`` moves open records to another collector by correction."""

from __future__ import annotations

from click.testing import CliRunner

from formflow.cli import cli
from formflow.definitions.feecollectors import building_of

from ..conftest import CALENDAR_WARNING
from .test_calllist import collection_records
from .test_round import ROUND, Desk, _made, _round_ready


def _collectors(workspace, text: str) -> None:
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_building_of_a_unit():
    assert [building_of(u) for u in ("3-2-1502", "03-02-1502", "12栋1单元101", "不是房号")] == ["3", "3", "12", ""]


def test_a_bad_collectors_setting_is_refused_with_its_line(workspace):
    _collectors(workspace, 'fees:\n  collectors:\n    "3": 王方\n    "6": 张伟\n    "9": 李娜\n')
    lines = (workspace.root / "formflow.yaml").read_text(encoding="utf-8").splitlines()
    line = {key: lines.index(f'    "{key}": {name}') + 1 for key, name in (("3", "王方"), ("6", "张伟"), ("9", "李娜"))}
    result = workspace.cli("check")
    assert result.code == 1
    assert result.err.splitlines()[:6] == [
        (f"formflow.yaml:{line['3']}:5: fees.collectors.3: 催费人“王方”不在人员名册中 collector '王方' is not "
         "on the roster"),
        "    修改建议 fix: 是否应为 did you mean '王芳'?",
        (f"formflow.yaml:{line['6']}:5: fees.collectors.6: “张伟”不能记录催费通话 '张伟' may not log "
         "collection calls (needs a role of clerk, finance, supervisor)"),
        ("    修改建议 fix: 给 张伟 加角色（客服专员、收费员、客服中心主管）或换一位催费人 give them one of these roles, "
         "or name another collector"),
        (f"formflow.yaml:{line['9']}:5: 警告 warning: fees.collectors.9: 房屋清单中没有 9 栋 no unit of building '9' in "
         "units.yaml"),
        "    修改建议 fix: 核对楼栋号 check the building",
    ]


def test_a_round_assigns_each_building_its_collector(workspace):
    _round_ready(workspace)   # (the office's own column names under fees:, last in the file)
    _collectors(workspace, '  collectors: {"3": 李娜}\n')
    checked = workspace.cli("check")
    assert checked.code == 0 and checked.err.splitlines() == CALENDAR_WARNING, checked.err
    result = workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes")
    assert result.code == 0, result.err
    assert "  按催费人 by collector（fees.collectors）：李娜 2 户；王芳 1 户" in result.out.splitlines()
    made = _made(workspace)
    desk = Desk(workspace)
    assert {unit: desk.record(n)["collector"] for unit, n in made.items()} == {
        "3-2-1502": "李娜", "3-1-402": "李娜", "99-9-909": "王芳"}   # building 99 has nobody: the round's own
    # --collector still gives every record to one person
    again = workspace.cli("fees", "round", "--name", "2027年1月催费", "--by", "王芳", "--collector", "王芳", "--yes")
    assert "按催费人" not in again.out


def test_assign_moves_open_records_by_correction(workspace):
    made, desk = collection_records(workspace)
    preview = CliRunner().invoke(cli, ["fees", "assign", "--building", "6", "--to", "李娜", "--by", "赵敏"], input="n\n")
    assert preview.exit_code == 0, preview.output
    assert preview.output.splitlines()[-1] == "未写入 nothing written"
    assert preview.output.splitlines()[0] == "改由 李娜 催缴 to move to 李娜：5 份催缴档案 records"
    assert f"  {made['6-1-101']}  6-1-101  2026年11月催费  王芳 → 李娜" in preview.output.splitlines()
    assert not list((workspace.root / "inbox").glob("*.yaml"))
    # only a supervisor (or a clerk) may correct; only someone who may call can collect
    assert workspace.cli("fees", "assign", "--unit", "3-2-1502", "--to", "张伟", "--by", "赵敏").code != 0
    assert workspace.cli("fees", "assign", "--unit", "3-2-1502", "--to", "李娜", "--by", "张伟").code != 0

    done = workspace.cli("fees", "assign", "--unit", "3栋2单元1502", "--to", "李娜", "--by", "赵敏", "--yes")
    assert done.code == 0, done.err
    assert workspace.cli("process").code == 0
    from formflow.app import App

    app = App.open(workspace.root)
    event = app.store.get(made["3-2-1502"]).events[-1]
    assert (event.action, event.by, dict(event.data), event.note) == (
        "correct", "赵敏", {"collector": "李娜"}, "主管重新分配催费人：王芳 → 李娜")
    assert desk.record(made["3-2-1502"])["collector"] == "李娜"

    moved = workspace.cli("fees", "assign", "--round", "2026年11月催费", "--from", "王芳", "--to", "李娜", "--by", "赵敏",
                          "--reason", "王芳休假，本轮改由李娜催缴", "--yes")
    assert moved.out.splitlines()[0] == "改由 李娜 催缴 to move to 李娜：6 份催缴档案 records"
    assert workspace.cli("process").code == 0
    assert {desk.record(n)["collector"] for n in made.values()} == {"李娜"}
    assert workspace.cli("fees", "calls", "--collector", "王芳").out.startswith("催费电话清单：王芳：0 户")
