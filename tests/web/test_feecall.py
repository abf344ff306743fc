"""The call page of a collection record (/fees/calls/<number>): the unit, the phones in full, what is owed, the
earlier calls, the office's script for the situation with the figures filled in, and one form that logs the call
as the workflow's action, through the inbox and the engine like every action of the desk."""

from __future__ import annotations

import html
import re

import pytest
import yaml

from formflow.app import App
from formflow.engine.records import replay

from ..fees.test_import import _own_columns, billing_export
from ..fees.test_round import ROUND
from .conftest import Client, make_desk


@pytest.fixture
def round_made(workspace, shipped):
    """A desk over a workspace where the round of 2026-11-28's arrears has made its 催缴档案: the desk and
    房号 → record number."""
    app = make_desk(workspace, shipped, pdfs=False)
    _own_columns(workspace)
    path = billing_export(workspace.root / "欠费明细.xlsx")
    assert workspace.cli("fees", "import", str(path), "--yes").code == 0
    assert workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes").code == 0
    done = workspace.cli("process")
    assert done.code == 0, done.err
    made = {}
    opened = App.open(workspace.root)
    for number in re.findall(r"→ (CJ-YG-\d{6}-\d{4})", done.out):
        made[replay(opened.store.get(number), opened.defs.workflows["fee_collection"]).values["unit"]] = number
    return app, made


def _text(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _record(workspace, number: str) -> dict:
    app = App.open(workspace.root)
    view = replay(app.store.get(number), app.defs.workflows["fee_collection"])
    return {"state": view.state, **view.values}


def _dropped(workspace) -> dict:
    [path] = [p for p in (workspace.root / "inbox").iterdir() if p.suffix == ".yaml"]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_page_shows_the_unit_phones_in_full_what_is_owed_and_the_script_with_the_figures(round_made, workspace):
    app, made = round_made
    number = made["3-2-1502"]
    client = Client(app).sign_in("王芳")
    page = client.get(f"/fees/calls/{number}")
    assert page.status == 200
    phone = workspace.load().settings.register["3-2-1502"].phones[0]
    assert f'<a class="nowrap" href="tel:{phone}">{phone}</a>' in page.body   # in full, to dial
    assert 'href="/units/3-2-1502"' in page.body and f'href="/records/{number}"' in page.body
    text = _text(page.body)
    assert "电话催费 3-2-1502 · 黄秀英" in text and "入住状态 已入住" in text
    assert "物业费 2026年1月至6月 1,200.00" in text and "水费 2026年10月 35.50" in text and "合计 1,235.50" in text
    # the first call's script first, open, with this unit's figures
    first = page.body.index("<details class=\"script\" open>")
    assert page.body.index("首次催缴（适合这户）") > first
    assert ("跟您核对一下3-2-1502的费用：截至目前，物业费（2026年1月至6月）1,200.00元、水费（2026年10月）35.50元，"
            "合计1,235.50元，最早从2026年1月开始。") in text
    assert "我是阳光花园管理处客服中心的王芳" in text
    assert text.count("（适合这户）") == 1 and "拒绝缴费" in text and "承诺未兑现" in text  # the others to switch to
    assert "这一轮还没有打过电话" in text and f'action="/fees/calls/{number}"' in page.body
    # the record page leads here
    assert f'href="/fees/calls/{number}"' in client.get(f"/records/{number}").body
    # not moved in: that script comes first
    assert "未入住（适合这户）" in client.get(f"/fees/calls/{made['3-1-402']}").body


def test_logging_calls_through_the_page_counts_them_and_moves_the_record(round_made, workspace, monkeypatch):
    app, made = round_made
    number = made["3-2-1502"]
    client = Client(app).sign_in("王芳")
    answer = client.post(f"/fees/calls/{number}", {"_by": "王芳", "result": "无人接听", "promised_date": "2026-12-10"})
    assert answer.status == 303 and answer.location.startswith(f"/fees/calls/{number}?done=")
    doc = _dropped(workspace)
    assert (doc["record"], doc["action"], doc["by"], doc["data"]) == (number, "call_no_answer", "王芳",
                                                                      {"outcome": "无人接听"})
    assert "正在记录“记录通话：未接通”" in client.get(answer.location).body
    assert app.processor.run_pass()
    assert "<strong>已记录：</strong>记录通话：未接通。" in client.get(answer.location).body
    assert {k: _record(workspace, number)[k] for k in ("state", "attempts", "outcome")} == {
        "state": "unreachable", "attempts": 1, "outcome": "无人接听"}

    answer = client.post(f"/fees/calls/{number}", {"_by": "王芳", "result": "承诺缴费", "promised_date": "2026-12-10",
                                                   "promised_amount": "1235.50", "reason": "经济困难",
                                                   "_note": "月初发工资后来交"})
    assert answer.status == 303
    assert _dropped(workspace)["data"] == {"promised_date": "2026-12-10", "promised_amount": "1235.50",
                                           "reason": "经济困难"}
    assert app.processor.run_pass()
    record = _record(workspace, number)
    assert (record["state"], record["attempts"], record["outcome"]) == ("promised", 2, "承诺缴费")
    page = client.get(f"/fees/calls/{number}").body
    assert "承诺缴费日前提醒（适合这户）" in page and "之前您说好在2026年12月10日缴纳3-2-1502的费用1,235.50元" in page
    assert "月初发工资后来交" in page and "经济困难" in page                     # the earlier calls

    # the day before: the same promise confirmed is the reminder call, not a new promise
    monkeypatch.setenv("FORMFLOW_NOW", "2026-12-09T15:00:00+08:00")
    assert client.post(f"/fees/calls/{number}", {"_by": "王芳", "result": "承诺缴费"}).status == 303
    assert _dropped(workspace)["action"] == "call_reminded"
    assert app.processor.run_pass()
    assert _record(workspace, number)["attempts"] == 3

    # the promise broken: that script first
    monkeypatch.setenv("FORMFLOW_NOW", "2026-12-11T10:00:00+08:00")
    page = client.get(f"/fees/calls/{number}").body
    assert "承诺未兑现（适合这户）" in page and "业主承诺12月10日缴费，已过期仍未缴" in page
    assert client.post(f"/fees/calls/{number}", {"_by": "王芳", "result": "已缴费"}).status == 303
    # the owner says it is paid: the call counts, the record waits for the payment to be verified
    assert _dropped(workspace) | {"at": ""} == {"record": number, "action": "call_paid", "by": "王芳", "at": "",
                                                "data": {}}
    assert app.processor.run_pass()
    record = _record(workspace, number)
    assert (record["state"], record["attempts"], record["outcome"], record.get("paid_on")) == (
        "claimed", 4, "已缴费", None)
    desk_tasks = workspace.cli("todo", "--format", "json", "--now", "2026-12-11T10:30:00+08:00").out
    assert "业主称已缴费" in desk_tasks and number in desk_tasks


def test_a_refused_call_comes_back_in_chinese_with_what_was_typed(round_made, workspace):
    app, made = round_made
    number = made["3-1-402"]
    client = Client(app).sign_in("王芳")
    typed = {"_by": "王芳", "result": "有异议", "reason": "对服务不满", "_note": "说楼道灯坏了没人修"}
    answer = client.post(f"/fees/calls/{number}", typed)
    assert answer.status == 422
    text = _text(answer.body)
    assert "未记录： 「最近一次结果」选“拒绝缴费”或“有异议”；欠费原因为“对服务不满”或“其他”的，写明原因说明" in text
    assert '<option value="对服务不满" selected>' in answer.body and "说楼道灯坏了没人修</textarea>" in answer.body
    assert '<input type="radio" name="result" value="有异议" checked>' in answer.body
    assert not list((workspace.root / "inbox").glob("*.yaml"))
    nothing = client.post(f"/fees/calls/{number}", {"_by": "王芳", "promised_date": "2026-12-01"})
    assert nothing.status == 422 and "请选择这次通话的结果" in nothing.body and 'value="2026-12-01"' in nothing.body
    past = client.post(f"/fees/calls/{number}", {"_by": "王芳", "result": "承诺缴费", "promised_date": "2026-11-01"})
    assert past.status == 422 and "承诺缴费日期不能早于通话当天" in past.body

    typed["reason_text"] = "楼道灯坏了两个月没人修"
    assert client.post(f"/fees/calls/{number}", typed).status == 303
    assert _dropped(workspace)["data"] == {"outcome": "有异议", "reason": "对服务不满",
                                           "reason_text": "楼道灯坏了两个月没人修"}
    assert app.processor.run_pass()
    record = _record(workspace, number)
    assert (record["state"], record["attempts"], record["reason"]) == ("disputed", 1, "对服务不满")
    assert "对服务有异议（适合这户）" in client.get(f"/fees/calls/{number}").body


def test_only_people_who_may_make_the_calls_get_the_form(round_made):
    app, made = round_made
    number = made["3-2-1502"]
    client = Client(app)
    repairman = client.sign_in("张伟").get(f"/fees/calls/{number}").body
    assert "张伟不能记录这份档案的通话" in repairman and "<form class=\"desk-form\"" not in repairman
    assert "黄秀英" in repairman                                            # the page itself is there to read
    refused = client.post(f"/fees/calls/{number}", {"_by": "张伟", "result": "无人接听"})
    assert refused.status == 422 and "没有权限「记录通话：未接通」" in refused.body
    assert client.get("/fees/calls/TS-YG-202611-0001").status == 404


def test_passing_the_problem_on_opens_a_linked_repair_order_in_the_same_step(round_made, workspace):
    app, made = round_made
    number = made["3-1-402"]
    client = Client(app).sign_in("王芳")
    assert 'name="service_issue"' in client.get(f"/fees/calls/{number}").body
    typed = {"_by": "王芳", "result": "无人接听", "service_issue": "转维修"}
    wrong = client.post(f"/fees/calls/{number}", typed)
    assert wrong.status == 422 and "「转办」只在通话结果为" in wrong.body and "“无人接听”" not in wrong.body.split(
        "「转办」只在通话结果为")[1].split("时选择")[0]
    assert '<option value="转维修" selected>' in wrong.body
    typed.update(result="有异议", reason="对服务不满", reason_text="卫生间漏水报修后没人来")
    assert client.post(f"/fees/calls/{number}", typed).status == 303
    assert _dropped(workspace)["data"] == {"outcome": "有异议", "reason": "对服务不满",
                                           "reason_text": "卫生间漏水报修后没人来", "service_issue": "转维修"}
    assert app.processor.run_pass()
    assert _record(workspace, number)["state"] == "disputed"
    store = App.open(workspace.root).store
    [repair] = [r for r in store.records("repair")]
    first = repair.events[0]
    assert first.data["unit"] == "3-1-402" and "卫生间漏水报修后没人来" in str(first.data)
    assert repair.parent == number and repair.number in store.children_of({number})


def test_the_phones_are_whole_on_the_collectors_screen_only(round_made, workspace):
    app, made = round_made
    number = made["3-2-1502"]
    phone = workspace.load().settings.register["3-2-1502"].phones[0]
    assert _record(workspace, number)["collector"] == "王芳"
    client = Client(app)
    assert f'href="tel:{phone}"' in client.sign_in("王芳").get(f"/fees/calls/{number}").body
    for other in ("赵敏", "张伟"):   # the supervisor, a repairman
        page = client.sign_in(other).get(f"/fees/calls/{number}").body
        assert phone not in page and "tel:" not in page and f"{phone[:3]}****{phone[-4:]}" in page


def test_a_number_written_in_groups_is_one_number_to_dial_and_masked_whole_for_anyone_else():
    from types import SimpleNamespace

    from formflow.web.feecall import _phones

    values = {"phone": "138 2651 7094、0755 2688 1234 13900001111", "collector": "王芳"}
    assert _phones(values, SimpleNamespace(name="王芳")) == [
        ("138 2651 7094", "13826517094"), ("0755 2688 1234", "075526881234"), ("13900001111", "13900001111")]
    assert _phones(values, SimpleNamespace(name="赵敏")) == [("138****7094", ""), ("****1234", ""), ("139****1111", "")]
