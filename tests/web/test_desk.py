"""The desk's pages and endpoints on the WSGI app: the engine's own checks, submissions through the inbox,
waiting for a watcher, actions by role, PDFs and to-do files."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

import formflow.web

from formflow.adapters.lock import WorkspaceLock
from formflow.app import App
from formflow.engine.validate import validate_data
from formflow.web.desk import ReadOnlyStore

from ..conftest import NOW
from .conftest import Client, lain_still, store_complaint

COMPLAINT = {"_by": "李娜", "channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678",
             "details": "楼上漏水", "category": "工程维修", "severity": "轻微", "receiver": "李娜"}
REPAIR = {"_by": "王芳", "channel": "电话", "area": "户内", "reporter": "黄先生", "unit": "5-1-0801",
          "phone": "13900001111", "location": "主卫", "category": "渗漏水", "description": "天花板渗水",
          "urgency": "一般", "clerk": "王芳"}


def check(client, form: str, values: dict) -> dict:
    answer = client.post(f"/forms/{form}/check", values)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/json")
    return json.loads(answer.body)


def test_start_page_lists_forms_by_chinese_title_todo_and_recent_records(client):
    number = store_complaint(client.app)
    body = client.get("/").body
    for title in ("投诉处理记录", "维修派工单", "入住登记表", "业主意见征询表"):
        assert title in body
    assert body.count(number) >= 2  # in the to-do list and among the recent records
    assert "我的待办" in body and "处理完毕投诉" not in body  # 李娜 (客服专员) sees her own tasks first
    office = client.get("/?all=1").body
    assert "处理完毕投诉" in office and "已登记" in office  # the whole office's list, one click away


def test_the_check_answers_with_the_engines_own_messages(client, desk_app):
    answer = check(client, "complaint", {**COMPLAINT, "phone": "1381234567", "unit": "3-2"})
    defs = desk_app.desk.defs()
    data = {k: v for k, v in COMPLAINT.items() if not k.startswith("_")} | {"phone": "1381234567", "unit": "3-2"}
    expected = {(p.key, p.message) for p in validate_data(defs.forms["complaint"], data, defs.settings, NOW).problems}
    assert {(p["name"], p["message"]) for p in answer["problems"]} == expected
    assert "不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “1381234567”" in \
        [p["message"] for p in answer["problems"]]
    assert not answer["ok"]


def test_the_check_says_which_fields_apply(client):
    assert "resident_deadline" not in check(client, "complaint", COMPLAINT)["hidden"]
    assert "resident_deadline" in check(client, "complaint", {**COMPLAINT, "severity": "重大"})["hidden"]
    repair = check(client, "repair", REPAIR)
    assert "leak_test_date" not in repair["hidden"] and "price_confirmed" in repair["hidden"]
    repair = check(client, "repair", {**REPAIR, "category": "给排水", "chargeable": "是"})
    assert "leak_test_date" in repair["hidden"] and "price_confirmed" not in repair["hidden"]


def test_table_rows_are_read_in_page_order_and_problems_find_their_cell(client):
    values = {**REPAIR, "materials": "", "materials.2.mat_name": "", "materials.2.mat_qty": "",  # an empty row
              "materials.5.mat_name": "密封胶", "materials.5.mat_qty": "0",
              "materials.9.mat_name": "", "materials.9.mat_qty": "2"}
    answer = check(client, "repair", values)
    placed = {(p["name"], p["message"]) for p in answer["problems"]}
    assert ("materials.5.mat_qty", "数量应大于 0") in placed
    assert ("materials.9.mat_name", "必填项未填写") in placed
    assert any("「维修情况」" in t or "第1行" in t for t in answer["texts"])


def test_an_unknown_person_is_named_beside_the_person_field(client):
    answer = check(client, "complaint", {**COMPLAINT, "_by": "路人甲"})
    assert any(p["name"] == "_by" and "不在人员名册中" in p["message"] for p in answer["problems"])


def test_a_submission_goes_through_the_inbox_and_the_engine(client, desk_app, workspace):
    answer = client.post("/forms/complaint", COMPLAINT)
    assert answer.status == 303 and answer.location.startswith("/submitted/")
    assert any(c.startswith("formflow_who=") for c in answer.cookies)
    [dropped] = (workspace.root / "inbox").iterdir()
    doc = yaml.safe_load(dropped.read_text(encoding="utf-8"))
    assert (doc["form"], doc["by"], doc["data"]["phone"]) == ("complaint", "李娜", "13812345678")
    assert "_csrf" not in doc["data"] and "_by" not in doc["data"]
    waiting = client.get(answer.location).body
    assert "正在登记" in waiting and 'http-equiv="refresh"' in waiting
    assert desk_app.processor.run_pass()
    done = client.get(answer.location).body
    assert "已登记" in done and "TS-YG-202611-0001" in done
    assert 'http-equiv="refresh"' not in done  # this workspace prints no PDFs: nothing more to wait for
    record = App.open(workspace.root).record("TS-YG-202611-0001")
    assert record.events[0].by == "李娜" and record.events[0].data["complainant"] == "张先生"


def test_an_invalid_submission_comes_back_with_every_problem_and_writes_nothing(client, workspace):
    answer = client.post("/forms/complaint", {**COMPLAINT, "phone": "12"})
    assert answer.status == 422
    assert "未提交：还有 1 处需要填写或改正" in answer.body and "不是有效的中国大陆手机号码" in answer.body
    assert 'value="张先生"' in answer.body  # what was typed stays
    assert not list((workspace.root / "inbox").iterdir())


def test_while_a_watcher_holds_the_workspace_the_desk_waits_for_it(client, desk_app, workspace):
    location = client.post("/forms/complaint", COMPLAINT).location
    with WorkspaceLock(workspace.root):  # what `formflow watch` holds
        assert desk_app.processor.run_pass() is False
        body = client.get(location).body
        assert "正在登记" in body and "后台处理程序正在运行" in body
        watcher = App.open(workspace.root)
        watcher.process()  # the watcher's pass takes the desk's file
    assert "TS-YG-202611-0001" in client.get(location).body


def test_a_rejected_submission_shows_the_engines_explanation(client, desk_app, workspace):
    number = store_complaint(desk_app)
    location = client.post(f"/records/{number}/actions/start", {"_by": "李娜"})  # not allowed before assign
    assert location.status == 422 and "当前状态为「已登记」，不能「联系住户开始处理」" in location.body
    doc = {"record": number, "action": "start", "by": "李娜", "data": {}}
    ticket = desk_app.processor.submit(doc, "forced", "action", number, "start")  # as if the state moved meanwhile
    desk_app.processor.run_pass()
    body = client.get(f"/submitted/{ticket.id}").body
    assert "未登记" in body and "不能「联系住户开始处理」" in body


def test_record_page_shows_fields_history_clocks_and_the_actions_of_the_person(client, desk_app):
    number = store_complaint(desk_app)
    body = client.get(f"/records/{number}").body
    assert "张先生" in body and "已登记" in body and "投诉处理完毕" in body and "为什么是这个时间" in body
    assert "分派" in body and "认定为无效投诉" not in body.split("其他人员可办理")[0]  # a supervisor's action
    assert "认定为无效投诉（客服中心主管）" in body
    assert "打印（PDF 尚未生成）" in body  # this workspace prints no PDFs
    client.sign_in("赵敏")
    assert 'action="/records/%s/actions/mark_invalid"' % number in client.get(f"/records/{number}").body


def test_an_action_is_checked_by_the_engine_then_dropped_into_the_inbox(client, desk_app, workspace):
    number = store_complaint(desk_app)
    refused = client.post(f"/records/{number}/actions/assign/check", {"_by": "李娜"})
    assert {"name": "routed_to", "message": "「分派」时必须填写"} in json.loads(refused.body)["problems"]
    client.sign_in("张伟")  # a repairman may not assign
    answer = json.loads(client.post(f"/records/{number}/actions/assign/check",
                                    {"_by": "张伟", "routed_to": "工程维修部"}).body)
    assert any(p["name"] == "_by" and "没有权限「分派」" in p["message"] for p in answer["problems"])
    client.sign_in("李娜")
    values = {"_by": "李娜", "routed_to": "工程维修部", "category": "工程维修", "severity": "轻微",
              "resident_deadline": "", "_note": "已电话通知"}
    answer = client.post(f"/records/{number}/actions/assign", values)
    assert answer.status == 303
    [dropped] = (workspace.root / "inbox").iterdir()
    doc = yaml.safe_load(dropped.read_text(encoding="utf-8"))
    # only what changed is sent: category and severity were already stored
    assert doc["record"] == number and doc["action"] == "assign" and doc["data"] == {"routed_to": "工程维修部"}
    assert doc["note"] == "已电话通知"
    desk_app.processor.run_pass()
    assert "已办理：分派" in client.get(answer.location).body
    assert App.open(workspace.root).store.get(number).events[-1].action == "assign"


def test_a_stored_value_that_no_longer_applies_is_cleared_by_the_action(client, desk_app, workspace):
    workspace.write("inbox/d.yaml", """
        form: complaint
        by: 李娜
        data: {channel: 来电, complainant: 张先生, unit: 3-2-1502, phone: "13812345678", details: 漏水,
               category: 工程维修, severity: 轻微, resident_deadline: 2026-11-30, receiver: 李娜}
        """)
    lain_still(workspace.root / "inbox" / "d.yaml")
    desk_app.processor.run_pass()
    number = desk_app.processor.results["d.yaml"].records[0]
    # re-graded 重大: the page switched the resident's deadline off, so it is not posted at all
    values = {"_by": "李娜", "routed_to": "工程维修部", "category": "工程维修", "severity": "重大"}
    assert client.post(f"/records/{number}/actions/assign", values).status == 303
    doc = yaml.safe_load(next((workspace.root / "inbox").iterdir()).read_text(encoding="utf-8"))
    assert doc["data"] == {"routed_to": "工程维修部", "severity": "重大", "resident_deadline": ""}


def test_the_record_pdf_is_linked_and_served_once_the_pass_printed_it(desk_app_pdfs, workspace):
    client = Client(desk_app_pdfs).sign_in()
    number = store_complaint(desk_app_pdfs)  # the pass prints the record's PDF and the to-do lists
    pdf = workspace.root / "outbox" / "records" / "complaint" / f"{number}.pdf"
    assert pdf.is_file()
    assert f'href="/records/{number}/pdf"' in client.get(f"/records/{number}").body
    answer = client.get(f"/records/{number}/pdf")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/pdf"
    assert answer.body.startswith("%PDF")
    start = client.get("/").body
    assert 'href="/todo/待办-全部.pdf"' in start and 'href="/todo/待办-李娜.pdf"' in start  # the office's, mine
    todo = client.get("/todo/%E5%BE%85%E5%8A%9E-%E5%85%A8%E9%83%A8.pdf")
    assert todo.status == 200 and todo.headers["Content-Type"] == "application/pdf"
    pdf.unlink()
    assert client.get(f"/records/{number}/pdf").status == 404
    assert "打印（PDF 尚未生成）" in client.get(f"/records/{number}").body


def test_todo_files_of_the_outbox_are_offered_for_printing(client, desk_app):
    store_complaint(desk_app)  # a pass writes outbox/todo/
    assert 'href="/todo/待办.txt"' in client.get("/").body
    answer = client.get("/todo/%E5%BE%85%E5%8A%9E.txt")
    assert answer.status == 200 and "待办事项" in answer.body and "charset=utf-8" in answer.headers["Content-Type"]


def test_choosing_a_person_is_remembered_and_only_names_on_the_roster_count(client):
    chosen = client.post("/who", {"person": "赵敏", "next": "/records"})
    assert chosen.status == 303 and chosen.location == "/records"
    assert any(c.startswith("formflow_who=%E8%B5%B5%E6%95%8F") for c in chosen.cookies)
    stranger = client.post("/who", {"person": "路人甲", "next": "//evil.example/"})
    assert stranger.location == "/" and not stranger.cookies


def test_reading_never_finishes_another_processes_commit(workspace):
    db = workspace.root / "data" / "db"
    db.mkdir(parents=True)
    (db / "wal.json").write_text("{}", encoding="utf-8")
    ReadOnlyStore(db)
    assert (db / "wal.json").exists()


def test_computed_values_come_back_with_the_check_and_are_never_sent(client):
    answer = check(client, "repair", {**REPAIR, "chargeable": "是", "labour_fee": "50",
                                      "materials.3.mat_name": "软管", "materials.3.mat_price": "28",
                                      "materials.3.mat_qty": "1", "materials.8.mat_name": "玻璃胶",
                                      "materials.8.mat_price": "18", "materials.8.mat_qty": "0.5"})
    assert answer["computed"] == {"materials.3.mat_amount": "28.00", "materials.8.mat_amount": "9.00",
                                  "material_fee": "37.00", "total_fee": "87.00"}
    page = client.get("/forms/repair").body
    assert 'data-calculated="total_fee"' in page and 'name="total_fee"' not in page  # shown, not posted


def test_broken_definitions_show_clerks_one_line_and_the_supervisor_the_details(client, workspace):
    """A supervisor's slip while the desk runs: the last good definitions stay; clerks read one Chinese line,
    the located messages are one click away, in a font that has the Chinese (the bundled one, last)."""
    path = workspace.root / "forms" / "callback.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle：", 1), encoding="utf-8")
    body = client.get("/").body
    banner = body.split('<div class="banner error" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "<strong>表单或流程的设置刚被改错了，服务台仍按上次正确的设置工作，请告诉主管。</strong>" in banner
    details = banner.split("<details><summary>详细说明（给主管看）</summary><pre>", 1)[1]
    assert details.startswith("forms/callback.yaml:") and "后面的冒号是全角“：”" in details
    assert "回访记录" in body  # still working: the forms of the last good definitions
    css = (Path(formflow.web.__file__).parent / "static" / "desk.css").read_text(encoding="utf-8")
    rule = css.split(".banner pre {", 1)[1].split("}", 1)[0]
    assert rule.split("font-family:", 1)[1].strip().rstrip(";").endswith('"Formflow Desk Fallback"')


def test_a_note_stored_with_a_doubled_mark_reads_without_it(client, desk_app):
    number = store_complaint(desk_app)
    inbox = desk_app.desk.root / "inbox" / "assign.yaml"
    inbox.write_text(f"record: {number}\naction: assign\nby: 李娜\nnote: 已电话联系住户。；明天上门。\n"
                     "data: {routed_to: 工程维修部}\n", encoding="utf-8")
    lain_still(inbox)
    assert desk_app.processor.run_pass()
    body = client.get(f"/records/{number}").body
    assert "备注：已电话联系住户；明天上门。" in body and "。；" not in body
