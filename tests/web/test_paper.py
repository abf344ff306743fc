"""The desk's buttons for what was CLI-only: blank paper forms and the reports page 报表; the forms in the
office's order; only actions that can succeed now; and what was typed kept when an action is refused."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import quote

from formflow.web.security import SESSION_COOKIE

from .conftest import Client, store_complaint

MANUAL_TITLES = ["入住登记表", "装修申请及许可证", "维修派工单", "投诉处理记录", "回访记录", "业主意见征询表",
                 "便民/委托服务协议", "催费记录", "催缴档案"]


def text_of(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def listed_forms(body: str) -> list[str]:
    return re.findall(r'<li><a href="/forms/[a-z_]+"><strong>([^<]+)</strong>', body)


def test_the_start_page_lists_forms_in_the_offices_order(client, desk_app, workspace):
    assert listed_forms(client.get("/").body) == MANUAL_TITLES
    select = client.get("/records").body.split('name="form"')[1].split("</select>")[0]
    assert re.findall(r'<option value="[a-z_]+"[^>]*>([^<]+)</option>', select) == MANUAL_TITLES


def test_a_blank_paper_form_is_served_with_its_chinese_name(client):
    assert 'href="/forms/repair/blank.pdf"' in client.get("/forms/repair").body
    answer = client.get("/forms/repair/blank.pdf")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Disposition"] == "inline; filename*=UTF-8''" + quote("维修派工单（空白）.pdf")
    assert "维修派工单" in text_of(answer.raw)
    fillable = client.get("/forms/service/blank.pdf?fillable=1")  # a title with a slash names no folder
    assert fillable.headers["Content-Disposition"] == "inline; filename*=UTF-8''" + quote("便民-委托服务协议（空白·可填写）.pdf")
    assert fillable.raw.startswith(b"%PDF") and b"/AcroForm" in fillable.raw
    assert client.get("/forms/nosuch/blank.pdf").status == 404


def test_paper_and_reports_are_for_staff_only(desk_app):
    nobody = Client(desk_app)
    nobody.cookie = f"{SESSION_COOKIE}={desk_app.guard.session}"  # the desk's session, but no name chosen
    for path in ("/forms/repair/blank.pdf", "/reports", "/reports/deadlines.pdf?month=2026-11"):
        answer = nobody.get(path)
        assert answer.status == 403 and "请先在页面右上角“我是”中选择您的姓名" in answer.body, path
    assert Client(desk_app).get("/reports").status == 403  # not even the desk's session


def test_the_reports_page_makes_each_report_for_the_month_chosen(client, desk_app):
    store_complaint(desk_app, severity="重要")
    page = client.get("/reports")
    assert page.status == 200 and 'href="/reports"' in page.body
    for label in ("月度回访汇总", "月度期限执行情况", "年度业主意见征询分析", "电话催费统计"):
        assert label in page.body
    assert 'type="month" name="month" value="2026-11"' in page.body  # this month by default
    pdf = client.get("/reports/deadlines.pdf?month=2026-11")
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == "inline; filename*=UTF-8''" + quote("月度期限执行情况（2026年11月）.pdf")
    assert "2026年11月" in text_of(pdf.raw) and "投诉处理记录" in text_of(pdf.raw)
    csv = client.get("/reports/callbacks.csv?month=2026-10")
    assert csv.status == 200 and csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.headers["Content-Disposition"] == "attachment; filename*=UTF-8''" + quote("月度回访汇总（2026年10月）.csv")
    assert csv.raw.startswith("\ufeff".encode())
    survey = client.get("/reports/survey.pdf?year=2026")
    assert survey.status == 200 and "2026年" in text_of(survey.raw)
    fees = client.get("/reports/fees.csv?month=2026-11")   # no arrears list imported: the report says so
    assert fees.status == 200 and fees.headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''" + quote("电话催费统计（2026年11月）.csv"))
    assert "期初清单,,没有" in fees.raw.decode("utf-8-sig")
    assert "还没有导入本月或以前的欠费清单" in text_of(client.get("/reports/fees.pdf?month=2026-11").raw)
    bad = client.get("/reports/callbacks.pdf?month=2026-13")
    assert bad.status == 422 and "统计期间不对：请从列表中选择年份和月份后再试" in bad.body
    assert client.get("/reports/nosuch.pdf").status == 404


def offered(body: str, number: str) -> list[str]:
    return re.findall(rf'action="/records/{number}/actions/([a-z_]+)"', body)


def test_the_record_page_offers_only_what_can_be_done_now(client, desk_app):
    minor = store_complaint(desk_app, severity="轻微")
    assert offered(client.get(f"/records/{minor}").body, minor) == ["assign", "correct"]  # 呈报上级: 重大/重要 only
    number = store_complaint(desk_app, severity="重要")
    assert offered(client.get(f"/records/{number}").body, number) == ["assign", "escalate", "correct"]
    assert client.post(f"/records/{number}/actions/escalate", {"_by": "李娜"}).status == 303
    desk_app.processor.run_pass()
    body = client.get(f"/records/{number}").body
    assert offered(body, number) == ["assign", "correct"] and "呈报上级" in body  # in the history only
    # a page opened before it was done: the second one is refused, saying when, and nothing is sent
    again = client.post(f"/records/{number}/actions/escalate", {"_by": "李娜", "_note": "再报一次"})
    assert again.status == 422
    assert re.search(r"已于 \d+月\d+日 \d\d:\d\d 呈报上级，不能重复办理", again.body)
    assert ">再报一次</textarea>" in again.body


def test_a_refused_action_comes_back_with_everything_typed_and_why(client, desk_app, workspace):
    number = store_complaint(desk_app, severity="轻微")
    values = {"_by": "李娜", "routed_to": "工程维修部", "category": "工程维修", "severity": "轻微",
              "resident_deadline": "2026-02-30", "_note": "已电话通知住户"}
    answer = client.post(f"/records/{number}/actions/assign", values)
    assert answer.status == 422 and list((workspace.root / "inbox").iterdir()) == []
    form = answer.body.split(f'action="/records/{number}/actions/assign"')[1].split("</form>")[0]
    assert "未办理" in form and "2026-02-30" in form and ">已电话通知住户</textarea>" in form
    assert re.search(r'<option value="工程维修部"\s+selected', form)
    # the reason beside the field, the value as typed in it
    assert re.search(r'name="resident_deadline"[^>]*aria-invalid="true" value="2026-02-30"', form)
    assert "<li>没有这一天，填写的是 “2026-02-30”</li>" in form
