"""The service objection: an owner who refuses (or promises) but reports a service problem — in the same call
logged, a linked repair order or complaint is opened (``create`` effects with ``when:``), unit, owner, mobile
and the problem copied; the collection record and the new one name each other under 关联记录."""

from __future__ import annotations

import subprocess

from formflow.app import App
from formflow.engine.records import replay

from .test_round import made_round

LEAK = "卫生间漏水三个月没人修"


def _children(workspace, number: str) -> list[tuple[str, str, dict]]:
    app = App.open(workspace.root)
    found = []
    for child in app.store.children(number):
        record = app.store.get(child)
        found.append((record.form, record.parent, replay(record, app.defs.workflows[record.form]).values))
    return found


def test_a_refusal_over_a_leak_opens_a_linked_repair_once(workspace):
    desk, made = made_round(workspace)
    number = made["3-2-1502"]
    register = workspace.load().settings.register
    # the problem must be written down to be passed on
    desk.act(number, "call_refused", "2026-11-30T09:00+08:00", ok=False, outcome="拒绝缴费", reason="经济困难",
             service_issue="转维修")
    desk.act(number, "call_refused", "2026-11-30T09:05+08:00", outcome="拒绝缴费", reason="对服务不满",
             reason_text=LEAK, service_issue="转维修")
    [(form, parent, repair)] = _children(workspace, number)
    assert (form, parent) == ("repair", number)
    assert (repair["unit"], repair["reporter"], repair["phone"]) == ("3-2-1502", "黄秀英",
                                                                     register["3-2-1502"].phones[0])
    assert repair["description"] == f"电话催费时业主反映：{LEAK}"
    assert (repair["channel"], repair["area"], repair["category"], repair["urgency"], repair["clerk"]) == (
        "电话", "户内", "其他", "一般", "王芳")
    assert repair["location"] == "3-2-1502（具体位置待上门核实）"
    assert repair["reported_at"].startswith("2026-11-30T09:05")
    rec = desk.record(number)
    assert (rec["state"], rec["attempts"], rec.get("service_issue")) == ("disputed", 1, None)
    # the next call is not another repair order
    desk.act(number, "call_refused", "2026-12-02T09:00+08:00", outcome="拒绝缴费", reason="对服务不满",
             reason_text=LEAK)
    assert len(_children(workspace, number)) == 1


def test_a_promise_with_a_complaint_opens_a_linked_complaint(workspace):
    desk, made = made_round(workspace)
    number = made["3-1-402"]
    desk.act(number, "call_promise", "2026-11-30T10:00+08:00", promised_date="2026-12-15", reason="对服务不满",
             reason_text="投诉楼道灯坏了一个月无人答复", service_issue="转投诉")
    [(form, parent, complaint)] = _children(workspace, number)
    assert (form, parent) == ("complaint", number)
    assert (complaint["unit"], complaint["complainant"], complaint["phone"]) == ("3-1-402", "王明辉", "18950994046")
    assert complaint["details"] == "电话催费时业主反映：投诉楼道灯坏了一个月无人答复"
    assert (complaint["channel"], complaint["category"], complaint["severity"], complaint["receiver"]) == (
        "来电", "其他", "轻微", "王芳")
    assert desk.record(number)["state"] == "promised"


def test_no_mobile_on_the_record_is_said_before_anything_is_opened(workspace):
    desk, made = made_round(workspace)
    number = made["99-9-909"]   # not in the register: no phone
    result = desk.act(number, "call_refused", "2026-11-30T09:00+08:00", ok=False, outcome="有异议",
                      reason="对服务不满", reason_text=LEAK, service_issue="转维修")
    assert "档案上要有业主姓名和手机号码" in result.out + result.err
    assert _children(workspace, number) == []


def test_the_record_pdfs_name_each_other_under_related(workspace):
    desk, made = made_round(workspace)
    number = made["3-2-1502"]
    desk.act(number, "call_refused", "2026-11-30T09:05+08:00", outcome="有异议", reason="对服务不满",
             reason_text=LEAK, service_issue="转维修")
    assert len(_children(workspace, number)) == 1
    app = App.open(workspace.root)
    child = app.store.children(number)[0]
    settings = workspace.root / "formflow.yaml"   # the records' PDFs back on, for this once
    settings.write_text(settings.read_text(encoding="utf-8").replace("record_pdfs: false", "record_pdfs: true"),
                        encoding="utf-8")
    printed = workspace.cli("print", number, child)
    assert printed.code == 0, printed.err
    texts = {}
    for pdf in (workspace.root / "outbox" / "records").rglob("*.pdf"):
        texts[pdf.stem] = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                         check=True).stdout
    mine = next(t for name, t in texts.items() if name.startswith(number))
    theirs = next(t for name, t in texts.items() if name.startswith(child))
    assert "关联记录" in mine and child in mine
    assert "关联记录" in theirs and number in theirs
