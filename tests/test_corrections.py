"""更正: stored values corrected with a reason, by the roles the workflow names, the old values kept in the history
and on the record PDF, replayed by rebuild."""

from __future__ import annotations

import subprocess

from formflow.app import App

from .conftest import NOW
from .test_pipeline import complaint


def number_of(result) -> str:
    return result.out.split("→ ")[1].split()[0]


def test_a_correction_keeps_the_old_value_in_the_history_and_on_paper(workspace):
    workspace.write("inbox/c.yaml", complaint("张先生", at="2026-11-27T09:00:00+08:00"))
    stored = workspace.cli("process", "--now", NOW.isoformat())
    number = number_of(stored)
    assert workspace.cli("act", number, "correct", "--by", "赵敏", "--set", "phone=13900001111", "--set",
                         "complainant=张建国", "--note", "登记时电话和姓名录错，经住户核实更正",
                         "--at", "2026-11-27T10:00:00+08:00").code == 0
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    record = App.open(workspace.root).record(number)
    last = record.events[-1]
    assert (last.action, last.by, last.data, last.note) == (
        "correct", "赵敏", {"phone": "13900001111", "complainant": "张建国"}, "登记时电话和姓名录错，经住户核实更正")
    shown = workspace.cli("show", number).out
    assert "联系电话：13900001111" in shown and "投诉人：张建国" in shown
    assert "赵敏 更正（登记时电话和姓名录错，经住户核实更正） → 已登记" in shown
    assert "      联系电话：13812345678 → 13900001111；投诉人：张先生 → 张建国" in shown
    pdf = workspace.root / "outbox" / "records" / "complaint" / f"{number}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert any("更正 联系电话：13812345678 → 13900001111" in line for line in lines), text  # struck out, with who
    assert any("赵敏（客服中心主管、" in line for line in lines)
    assert "备注：登记时电话和姓名录错，经住户核实更正" in lines
    # rebuild replays it: the same values, the same trail
    assert workspace.cli("rebuild").code == 0
    again = App.open(workspace.root).record(number)
    assert again.events == record.events


def test_what_a_correction_refuses(workspace):
    workspace.write("inbox/c.yaml", complaint("张先生", at="2026-11-27T09:00:00+08:00"))
    number = number_of(workspace.cli("process", "--now", NOW.isoformat()))

    def attempt(by: str, *pairs: str, note: str = "电话录错") -> str:
        args = ["act", number, "correct", "--by", by, *[x for p in pairs for x in ("--set", p)]]
        assert workspace.cli(*args, *(["--note", note] if note else [])).code == 0
        result = workspace.cli("process", "--now", NOW.isoformat())
        assert result.code == 1
        return result.out

    assert "更正必须写明原因" in attempt("赵敏", "phone=13900001111", note="")
    assert "张伟（维修人员）没有权限「更正」，需要角色：客服专员、客服中心主管" in attempt("张伟", "phone=13900001111")
    assert "不是有效的中国大陆手机号码" in attempt("赵敏", "phone=1390000")
    assert "表单中没有这个字段" in attempt("赵敏", "nickname=老张")
    assert "要更正的内容与现在记录的相同" in attempt("赵敏", "phone=13812345678")
    assert "更正必须写明原因（至少 4 个字）" in attempt("赵敏", "phone=13900001111", note="改")
    # 更正 is no way round an action's roles: what only a supervisor's action writes, a clerk cannot correct
    assert "「是否有效投诉」：此项由「认定为无效投诉」填写，更正它需要能办理「认定为无效投诉」的人员" in attempt(
        "李娜", "valid=否")
    assert len(App.open(workspace.root).record(number).events) == 1  # nothing applied


def test_correcting_an_amount_recomputes_the_total_and_paper_shows_capitals(workspace):
    import shutil

    from .conftest import REPO

    # The charges are the repairer's to write; this office lets its clerks and supervisor correct them by name.
    workflow = workspace.root / "workflows" / "repair.yaml"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace(
        "corrections:\n  roles: [clerk, supervisor]\n", "corrections:\n  roles: [clerk, supervisor]\n"
        "  fields: [labour_fee, material_fee, phone]\n"), encoding="utf-8")
    shutil.copy(REPO / "examples" / "repair" / "valid.yaml", workspace.root / "inbox" / "repair.yaml")
    number = number_of(workspace.cli("process", "--now", NOW.isoformat()))
    record = App.open(workspace.root).record(number)
    assert [row["mat_amount"] for row in record.events[0].data["materials"]] == ["28.00", "35.00", "9.00"]
    assert (record.events[0].data["material_fee"], record.events[0].data["total_fee"]) == ("72.00", "122.00")
    assert workspace.cli("act", number, "correct", "--by", "赵敏", "--set", "labour_fee=60",
                         "--note", "人工费按收费标准应为 60 元").code == 0
    assert workspace.cli("process", "--now", NOW.isoformat()).code == 0
    last = App.open(workspace.root).record(number).events[-1]
    assert last.data == {"labour_fee": "60.00", "total_fee": "132.00"}  # the total follows, and the trail says so
    pdf = workspace.root / "outbox" / "records" / "repair" / f"{number}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "132.00 元（壹佰叁拾贰元整）" in text and "60.00 元（陆拾元整）" in text
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    history = "".join(raw.split())  # (in reading order: the history's cell wraps across lines)
    assert "人工费：50.00元→60.00元；费用合计：122.00元→132.00元" in history
