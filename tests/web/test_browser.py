"""The desk in headless Chromium, as a clerk uses it: fill a form (a table row, a field that appears),
read the engine's Chinese message, fix it, submit, act on the record; and a forged post over real HTTP."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlencode

import pytest

from formflow.app import App

from .conftest import COMPLAINT, lain_still


def test_fill_a_form_with_a_table_row_and_a_conditional_field_then_submit(page, running, workspace):
    page.goto(f"{running.base}/forms/repair")
    leak = page.locator('[data-field="leak_test_date"]')
    assert leak.is_hidden()  # shown only for 渗漏水
    page.select_option("#f-_by", "王芳")
    page.select_option("#f-channel", "电话")
    page.select_option("#f-area", "户内")
    page.fill("#f-reporter", "黄先生")
    page.fill("#f-unit", "5-1-0801")
    page.fill("#f-phone", "1390000111")
    page.fill("#f-location", "主卫天花")
    page.select_option("#f-category", "渗漏水")
    page.fill("#f-description", "楼上渗水，天花板有水渍")
    page.select_option("#f-urgency", "一般")
    page.select_option("#f-clerk", "王芳")  # 接待人: from the roster
    message = page.locator("#f-phone-p li")
    message.wait_for()
    assert message.inner_text() == "不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “1390000111”"
    assert page.get_attribute("#f-phone", "aria-invalid") == "true"
    page.fill("#f-phone", "13900001111")
    message.wait_for(state="detached")

    page.click("summary:has-text('维修情况')")  # a section later steps fill, folded on a new form
    leak.wait_for(state="visible")  # 渗漏水 was chosen: the leak test date applies now
    page.fill("#f-leak_test_date", "2026-11-29")
    page.click('[data-table="materials"] [data-add-row]')
    name = page.locator('[data-table="materials"] tbody tr input[name$=".mat_name"]')
    assert name.evaluate("el => el === document.activeElement")  # the new row has the focus
    name.fill("密封胶")
    page.fill('[data-table="materials"] tbody tr input[name$=".mat_qty"]', "0")
    page.locator("text=数量应大于 0").wait_for()
    page.fill('[data-table="materials"] tbody tr input[name$=".mat_qty"]', "2")
    page.locator(".live.ok").wait_for()

    page.press("#f-location", "Enter")  # Enter submits, as on any form
    number = page.locator(".result.stored .number")
    number.wait_for(timeout=20000)
    record = App.open(workspace.root).record(number.inner_text())
    data = record.events[0].data
    assert (record.form, record.events[0].by, data["phone"]) == ("repair", "王芳", "13900001111")
    assert data["leak_test_date"] == "2026-11-29"
    assert data["materials"] == [{"mat_name": "密封胶", "mat_qty": "2.00"}]
    pdf = workspace.root / "outbox" / "records" / "repair" / f"{record.number}.pdf"
    if pdf.exists():  # once the renderer is part of the pass, the page links the record's PDF
        page.reload()
        assert page.locator(f'a[href="/records/{record.number}/pdf"]').count() == 1


def test_a_field_disappears_when_its_condition_no_longer_holds(page, running):
    page.goto(f"{running.base}/forms/complaint")
    deadline = page.locator('[data-field="resident_deadline"]')
    page.select_option("#f-severity", "轻微")
    deadline.wait_for(state="visible")
    page.fill("#f-resident_deadline", "2026-11-30")
    page.select_option("#f-severity", "重大")
    deadline.wait_for(state="hidden")
    assert page.locator("#f-resident_deadline").is_disabled()  # not sent while it does not apply


def test_act_on_a_record_from_its_page(page, running, workspace):
    lain_still(workspace.write("inbox/c.yaml", COMPLAINT.format(complainant="张先生", details="楼上漏水", severity="轻微")))
    assert running.app.processor.run_pass()
    number = running.app.processor.results["c.yaml"].records[0]
    page.goto(f"{running.base}/records/{number}")
    assert "请先在页面右上角" in page.inner_text("main")
    page.select_option("#who-person", "李娜")
    page.click("header .who button")
    page.click("details.action summary:has-text('分派')")
    page.click("button:has-text('办理：分派')")  # nothing chosen: the engine refuses, the page says why
    page.locator("text=「分派」时必须填写").first.wait_for()
    page.select_option("#a-assign-routed_to", "秩序维护部")
    page.click("button:has-text('办理：分派')")
    page.locator("h1:has-text('已办理：分派')").wait_for(timeout=20000)
    page.click("text=查看记录")
    assert "已分派" in page.inner_text(".heading")
    assert "转交部门：秩序维护部" in page.inner_text("table.history")
    record = App.open(workspace.root).record(number)
    assert (record.events[-1].action, record.events[-1].by) == ("assign", "李娜")


def test_a_forged_post_without_the_token_is_refused_over_http(running, workspace):
    def post(headers: dict, body: dict) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
        data = urlencode(body)
        connection.request("POST", "/forms/complaint", data, {"Content-Type": "application/x-www-form-urlencoded",
                                                              **headers})
        status = connection.getresponse().status
        connection.close()
        return status

    values = {"_by": "李娜", "channel": "来电", "complainant": "张先生"}
    session = f"formflow_desk={running.app.guard.session}"
    assert post({}, values) == 403  # another local user: no cookie
    assert post({"Cookie": session}, values) == 403  # a page elsewhere riding on the cookie: no token
    assert post({"Cookie": session, "Origin": "http://evil.example"}, {**values, "_csrf": running.app.guard.csrf}) == 403
    assert post({"Cookie": session, "Host": "evil.example"}, {**values, "_csrf": running.app.guard.csrf}) == 403
    assert not list((workspace.root / "inbox").iterdir())


def test_the_server_listens_on_loopback_only(running):
    assert running.server.server_address[0] == "127.0.0.1"
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for address in addresses - {"127.0.0.1", "127.0.1.1"}:
        with pytest.raises(OSError):
            socket.create_connection((address, running.port), timeout=1).close()
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    connection.request("GET", "/forms/complaint/check")
    answer = connection.getresponse()
    assert answer.status == 403 and json.loads(answer.read())["ok"] is False


def test_a_unit_typed_any_way_fills_the_owner_and_the_search_box_leads_to_its_file(page, running, workspace):
    page.goto(f"{running.base}/forms/complaint")
    page.fill("#f-unit", "3栋2单元15")
    page.locator("#f-unit-list option[value='3-2-1502']").wait_for(state="attached")  # the completion list
    page.fill("#f-unit", "3栋2单元1502室")
    page.press("#f-unit", "Tab")  # leaving the field: the register's owner and phone fill the empty fields
    page.locator("#f-unit-unit:has-text('黄秀英')").wait_for()
    assert page.input_value("#f-complainant") == "黄秀英"
    assert page.input_value("#f-phone") == "13826517094"
    assert page.input_value("#f-unit") == "3-2-1502"  # shown in the office's spelling, as it will be stored
    page.fill("#f-complainant", "黄秀英的女儿")  # still the clerk's to change
    page.fill("#f-unit", "99-9-999")
    page.press("#f-unit", "Tab")
    page.locator("#f-unit-unit.warn:has-text('不在房屋清单中')").wait_for()
    assert page.input_value("#f-complainant") == "黄秀英的女儿"

    lain_still(workspace.write("inbox/c.yaml", COMPLAINT.format(complainant="张先生", details="楼上漏水", severity="轻微")))
    assert running.app.processor.run_pass()
    number = running.app.processor.results["c.yaml"].records[0]
    page.fill("#top-search", "3-2-1502")
    page.press("#top-search", "Enter")
    page.locator("h1:has-text('3-2-1502')").wait_for()
    assert "一户一档" in page.inner_text("h1")
    page.click(f"a:has-text('{number}')")
    page.locator(f"h1:has-text('{number}')").wait_for()
    page.click("a[href='/units/3-2-1502']")
    page.locator("text=共 1 条，未办结 1 条").wait_for()


def test_a_supervisor_corrects_a_phone_on_the_record_page_and_the_history_keeps_the_old_one(page, running, workspace):
    lain_still(workspace.write("inbox/c.yaml", COMPLAINT.format(complainant="张先生", details="楼上漏水", severity="轻微")))
    assert running.app.processor.run_pass()
    number = running.app.processor.results["c.yaml"].records[0]
    page.goto(f"{running.base}/records/{number}")
    page.select_option("#who-person", "赵敏")
    page.click("header .who button")
    page.click("details.correction summary")
    page.fill("#a-correct-phone", "13900001111")
    page.click("button:has-text('办理：更正')")  # no reason: refused, the page says why
    page.locator("text=更正必须写明原因").first.wait_for()
    page.fill("#a-correct-_note", "登记时电话录错，经住户核实更正")
    page.click("button:has-text('办理：更正')")
    page.locator("h1:has-text('已办理：更正')").wait_for(timeout=20000)
    page.click("text=查看记录")
    history = page.inner_text("table.history")
    assert "更正" in history and "联系电话：13812345678 → 13900001111" in history
    assert "登记时电话录错，经住户核实更正" in history
    record = App.open(workspace.root).record(number)
    assert (record.events[-1].action, record.events[-1].by, record.events[-1].data) == (
        "correct", "赵敏", {"phone": "13900001111"})


def test_the_repairer_is_chosen_from_the_roster_and_the_clerk_is_who_is_signed_in(page, running, workspace):
    page.goto(f"{running.base}/")
    page.select_option("#who-person", "王芳")
    page.click("header .who button")
    page.goto(f"{running.base}/forms/repair")
    assert page.input_value("#f-clerk") == "王芳"  # 接待人: the person at this desk, still changeable
    assert page.locator("#f-clerk option").all_inner_texts() == ["（请选择）", "李娜", "王芳", "赵敏"]
    import shutil

    from ..conftest import REPO

    shutil.copy(REPO / "examples" / "repair" / "valid.yaml", workspace.root / "inbox" / "r.yaml")
    lain_still(workspace.root / "inbox" / "r.yaml")
    assert running.app.processor.run_pass()
    number = running.app.processor.results["r.yaml"].records[0]
    page.goto(f"{running.base}/records/{number}")
    page.click("details.action summary:has-text('派工')")
    options = page.locator("#a-dispatch-assignee option").all_inner_texts()
    assert options[0] == "（请选择）" and set(options[1:]) >= {"张伟", "孙磊"} and "李娜" not in options
    page.select_option("#a-dispatch-assignee", "孙磊")
    page.click("button:has-text('办理：派工')")
    page.locator("h1:has-text('已办理：派工')").wait_for(timeout=20000)
    record = App.open(workspace.root).record(number)
    assert (record.events[-1].action, record.events[-1].data["assignee"]) == ("dispatch", "孙磊")


def test_my_own_to_do_list_at_phone_width_and_a_duty_marked_done(chromium, running, workspace):
    lain_still(workspace.write("inbox/c.yaml", COMPLAINT.format(complainant="张先生", details="楼上漏水", severity="重要")))
    assert running.app.processor.run_pass()
    context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        page.goto(running.url)
        page.select_option("#who-person", "赵敏")
        page.click("header .who button")
        page.locator("h2:has-text('我的待办')").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1  # nothing wider than the phone
        mine = page.inner_text("main")
        assert "只列赵敏负责的" in mine and "全管理处的待办" in mine
        page.click("text=全管理处的待办")
        page.locator("h2:has-text('待办事项')").wait_for()
        page.goto(running.url.split("?")[0])
        page.click("button:has-text('标记完成') >> nth=0")  # a recurring duty of the supervisor's
        page.locator("h1:has-text('已完成：')").wait_for(timeout=20000)
    finally:
        context.close()
    assert App.open(workspace.root).store.duty_done()  # the engine stored who did it, when


def test_sign_in_with_a_pin_switching_asks_the_others_and_a_form_is_signed_by_who_signed_in(chromium, workspace,
                                                                                           shipped):
    import dataclasses

    from formflow.adapters.pins import PinStore
    from formflow.web.server import start

    PinStore(workspace.root).set("李娜", "2468")
    PinStore(workspace.root).set("赵敏", "8642")
    server = start(workspace.root, log=lambda message: None, defs=dataclasses.replace(shipped, root=workspace.root))
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        page.goto(server.url)
        page.select_option("#who-person", "李娜")
        page.fill("#who-pin", "2468")
        page.click("header form.who button:has-text('登录')")
        page.locator("#who-signed:has-text('李娜')").wait_for()
        page.select_option("#who-person", "赵敏")  # switching person: her PIN, not his
        page.fill("#who-pin", "1111")
        page.click("header form.who.switch button")
        page.locator("text=密码不对，还可以再试 4 次").wait_for()
        page.goto(server.url.split("?")[0])
        assert page.inner_text("#who-signed") == "李娜"
        page.goto(f"{server.base}/forms/complaint")
        assert page.inner_text("#f-_by") == "李娜"  # not a choice: who signed in
        page.select_option("#f-channel", "来电")
        page.fill("#f-complainant", "张先生")
        page.fill("#f-unit", "3-2-1502")
        page.press("#f-unit", "Tab")  # the register's answer first: it fills the phone while the field is empty
        page.locator("#f-unit-unit:has-text('黄秀英')").wait_for()
        page.fill("#f-phone", "13812345678")  # the caller's own number, over the register's
        page.fill("#f-details", "楼上漏水")
        page.select_option("#f-category", "工程维修")
        page.select_option("#f-severity", "轻微")
        page.fill("#f-resident_deadline", "2026-11-30")
        page.locator(".live.ok").wait_for()
        page.click("button[type=submit].primary")
        number = page.locator(".result.stored .number")
        number.wait_for(timeout=20000)
        record = App.open(workspace.root).record(number.inner_text())
        assert (record.events[0].by, record.events[0].data["receiver"]) == ("李娜", "李娜")
    finally:
        context.close()
        server.stop()
