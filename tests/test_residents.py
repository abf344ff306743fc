"""Starting from a resident: search by any spelling of a 房号, name, phone or number, and each unit's file."""

from __future__ import annotations

import json
import shutil

import pytest

from formflow.app import App
from formflow.residents import search, unit_file_of
from formflow.errors import WorkspaceError

from .conftest import NOW, REPO, without_pdfs

REPAIR = """
form: repair
by: 李娜
at: {at}
data:
  channel: 电话
  urgency: 一般
  reporter: {who}
  unit: {unit}
  phone: "{phone}"
  area: 户内
  location: 卫生间
  category: 给排水
  description: 卫生间下水管漏水
  clerk: 李娜
"""


def repair(who: str, unit: str, phone: str, at: str) -> str:
    return REPAIR.format(who=who, unit=unit, phone=phone, at=at)


@pytest.fixture
def office(workspace):
    """The shipped examples stored, and three repairs: two spellings of one flat, and the flat 13-2-1502."""
    without_pdfs(workspace.root)
    for example in sorted((REPO / "examples").glob("*/valid.yaml")):
        shutil.copy(example, workspace.root / "inbox" / f"{example.parent.name}.yaml")
    workspace.write("inbox/r1.yaml", repair("黄秀英", "3栋2单元1502室", "13826517094", "2026-11-25T09:00:00+08:00"))
    workspace.write("inbox/r2.yaml", repair("黄秀英", "03-02-1502", "13826517094", "2026-11-26T09:00:00+08:00"))
    workspace.write("inbox/r3.yaml", repair("马六", "13-2-1502", "13900001502", "2026-11-27T09:00:00+08:00"))
    result = workspace.cli("process", "--now", NOW.isoformat())
    assert result.code == 0, result.out + result.err
    return workspace


def numbers(found) -> list[str]:
    return [e.number for e in found.entries]


def test_every_spelling_of_a_unit_finds_its_records_and_only_its(office):
    app = App.open(office.root)
    for typed in ("3-2-1502", "3栋2单元1502", "３－２－１５０２", "03-02-1502室"):
        found = search(app, typed, NOW)
        assert found.unit == "3-2-1502"
        assert numbers(found) == ["WX-YG-202611-0003", "WX-YG-202611-0002", "TS-YG-202611-0001"], typed
        assert {e.unit for e in found.entries} == {"3-2-1502"}  # stored in one spelling, 13-2-1502 not among them
        assert [u.owner for u in found.units] == ["黄秀英"]


def test_name_phone_last_digits_and_number(office):
    app = App.open(office.root)
    by_name = search(app, "何丽萍", NOW)
    assert numbers(by_name) == ["HF-YG-202611-0001", "WX-YG-202611-0001"]
    assert {u.unit for u in by_name.units} == {"6-2-901", "3-1-1102"}  # the register knows another 何丽萍
    assert numbers(search(app, "13711458096", NOW)) == numbers(by_name)
    assert numbers(search(app, "8096", NOW)) == numbers(by_name)
    assert numbers(search(app, "137-1145-8096", NOW)) == numbers(by_name)
    assert numbers(search(app, "+86 137 1145 8096", NOW)) == numbers(by_name)
    assert numbers(search(app, "1502", NOW))[:1] == ["WX-YG-202611-0004"]  # digits alone: any value with them
    assert numbers(search(app, "ts-yg-202611-0001", NOW)) == ["TS-YG-202611-0001"]
    entry = search(app, "TS-YG-202611-0001", NOW).entries[0]
    assert (entry.form_title, entry.unit, entry.name, entry.phone, entry.state_label) == (
        "投诉处理记录", "3-2-1502", "黄秀英", "13826517094", "已登记")
    assert search(app, "没有这个人", NOW).total == 0
    assert search(app, "  ", NOW).total == 0


def test_a_unit_file_holds_the_register_every_record_and_open_deadlines(office):
    app = App.open(office.root)
    file = unit_file_of(app, "6栋2单元901室", NOW)
    assert (file.unit, file.owner, file.phones, file.status, file.area) == (
        "6-2-901", "何丽萍", ("13711458096",), "已入住", "118.2")
    assert [e.number for e in file.records] == ["HF-YG-202611-0001", "WX-YG-202611-0001"]
    repair_entry = file.records[1]
    assert [(d.label, d.status) for d in repair_entry.deadlines] == [("维修完工", "overdue")]
    with pytest.raises(WorkspaceError, match="相近的房号 nearest: 3-2-1502、3-2-1501"):
        unit_file_of(app, "3-2-1509", NOW)
    with pytest.raises(WorkspaceError, match="不是房号"):
        unit_file_of(app, "漏水", NOW)


def test_a_move_in_brings_the_new_occupant_and_status_to_the_unit_file(office):
    for action in ("confirm", "inspect", "sign_documents", "pay_fees", "receive_documents"):
        assert office.cli("act", "RZ-YG-202611-0001", action, "--by", "王芳",
                          "--at", "2026-11-21T11:00:00+08:00").code == 0
    office.write("inbox/tenant.yaml", """
        form: movein
        by: 王芳
        at: 2026-11-26T10:00:00+08:00
        data:
          unit: 7栋1单元1203
          owner_name: 陈志强
          id_type: 护照
          id_other_number: E12345678
          phone: "13500001111"
          occupant_type: 租户
          deed_number: 租赁合同 2026-118
          clerk: 王芳
        """)
    assert office.cli("process", "--now", NOW.isoformat()).code == 0
    app = App.open(office.root)
    before = unit_file_of(app, "7-1-1203", NOW)
    assert before.status == "未入住"  # keys not handed over yet: the register's word stands
    assert before.phones == ("13500001111", "13926817452")  # the newest phone first, the older one kept
    assert office.cli("act", "RZ-YG-202611-0001", "hand_over_keys", "--by", "王芳",
                      "--at", "2026-11-27T16:00:00+08:00").code == 0
    assert office.cli("process", "--now", NOW.isoformat()).code == 0
    after = unit_file_of(App.open(office.root), "7-1-1203", NOW)
    assert after.status == "已入住"
    assert [(c.source, c.status) for c in after.history] == [
        ("RZ-YG-202611-0001", "已入住"), ("RZ-YG-202611-0002", ""), ("", "未入住")]
    assert after.registered.status == "未入住"  # units.yaml itself is never rewritten
    assert "status: 未入住, note: 2026年11月交房" in (office.root / "units.yaml").read_text(encoding="utf-8")


def test_search_and_unit_on_the_command_line(office):
    result = office.cli("search", "3栋2单元1502")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("房屋 unit 3-2-1502  黄秀英  13826517094  已入住")
    assert "WX-YG-202611-0003" in lines[1] and lines[-1] == "共 3 条记录 records"
    data = json.loads(office.cli("search", "8096", "--format", "json").out)
    assert [r["record"] for r in data["records"]] == ["HF-YG-202611-0001", "WX-YG-202611-0001"]
    assert data["records"][1]["deadlines"] == []  # a search lists; the unit's file counts deadlines
    unit = json.loads(office.cli("unit", "6-2-0901", "--format", "json").out)
    assert (unit["unit"], unit["owner"], unit["status"]) == ("6-2-901", "何丽萍", "已入住")
    assert unit["records"][1]["deadlines"][0]["status_label"] == "已逾期"
    fee = office.cli("unit", "11栋2单元706").out.splitlines()  # the fee-call history, as the form's unit_file says
    assert fee[-1] == "      联系时间：2026-11-24 14:30；欠费金额：3,258.60 元；接通情况：接通；承诺缴费日期：2026-11-30"
    missing = office.cli("unit", "3-2-1509")
    assert missing.code == 1 and "Traceback" not in missing.err
    assert office.cli("search", "x", "--format", "xlsx").code == 2  # -o is needed


def test_units_normalise_corrects_old_spellings_with_a_trail_that_rebuild_replays(office):
    # a record stored before spellings were unified: write it as an older formflow did (unify off)
    settings = office.root / "formflow.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("unify_spelling: true", "unify_spelling: false"), encoding="utf-8")
    office.write("inbox/old.yaml", repair("黄秀英", "03-02-1502", "13826517094", "2026-11-27T10:00:00+08:00"))
    assert office.cli("process", "--now", NOW.isoformat()).code == 0
    settings.write_text(text, encoding="utf-8")
    app = App.open(office.root)
    assert app.record("WX-YG-202611-0005").events[0].data["unit"] == "03-02-1502"
    assert "WX-YG-202611-0005" not in numbers(search(app, "3-2-1502", NOW))
    assert "WX-YG-202611-0005" in numbers(search(app, "03-02-1502", NOW))  # found by the spelling it was stored in

    shown = office.cli("units", "normalise", "--by", "赵敏")  # no answer: nothing written
    assert "  WX-YG-202611-0005  03-02-1502 → 3-2-1502" in shown.out.splitlines()
    assert not list((office.root / "inbox").glob("*.yaml"))
    assert office.cli("units", "normalise", "--by", "赵敏", "--yes").code == 0
    assert office.cli("process", "--now", NOW.isoformat()).code == 0
    record = App.open(office.root).record("WX-YG-202611-0005")
    last = record.events[-1]
    assert (last.action, last.by, last.data, last.note) == (
        "unit_spelling", "赵敏", {"unit": "3-2-1502"}, "房号写法统一：03-02-1502 → 3-2-1502")
    assert "WX-YG-202611-0005" in numbers(search(App.open(office.root), "3栋2单元1502", NOW))
    shown = office.cli("show", "WX-YG-202611-0005")
    assert "房号：3-2-1502" in shown.out
    assert "所有记录的房号写法都已统一" in office.cli("units", "normalise", "--by", "赵敏").out
    # another flat is not a spelling: refused with the reason
    office.write("inbox/bad.yaml", """
        record: WX-YG-202611-0005
        action: unit_spelling
        by: 赵敏
        data: {unit: 3-2-1503}
        """)
    refused = office.cli("process", "--now", NOW.isoformat())
    assert refused.code == 1 and "不是“3-2-1502”的统一写法" in refused.out
    assert office.cli("rebuild").code == 0
    again = App.open(office.root).record("WX-YG-202611-0005")
    assert again.events[-1].data == {"unit": "3-2-1502"} and again.events[0].data["unit"] == "03-02-1502"
