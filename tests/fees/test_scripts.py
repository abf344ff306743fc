"""The office's collection scripts (fees/scripts.yaml): which one fits a record, the figures filled in, the call's
result turned into the workflow's action, and what `formflow check` says about a script file with mistakes."""

from __future__ import annotations

import datetime as dt

import pytest

from formflow.definitions.scripts import SCRIPTS_FILE
from formflow.engine.records import Event, Record, replay
from formflow.fees import calls
from formflow.fees.placeholders import NAMES, figures, fill, period_words, unknown
from formflow.fees.promises import outstanding_broken
from formflow.fees.situations import SITUATIONS, choose

from ..conftest import NOW, REPO

TODAY = dt.date(2026, 12, 5)
HUANG = {"round": "2026年12月催费", "unit": "3-2-1502", "owner": "黄秀英", "phone": "13826517094", "occupancy": "已入住",
         "items": [{"item": "物业费", "period": "2026-01至2026-06", "owed": "1200.00"},
                   {"item": "水费", "period": "2026年10月", "owed": "35.50"}],
         "amount": "1235.50", "snapshot_date": "2026-11-28", "collector": "王芳"}


@pytest.mark.parametrize(("state", "values", "broken", "expected"), [
    ("pending", {}, None, "first"),
    ("pending", {"occupancy": "未入住"}, None, "not_moved_in"),
    ("pending", {"occupancy": "空置"}, None, "not_moved_in"),
    ("unreachable", {"attempts": 2, "outcome": "无人接听"}, None, "again"),
    ("escalated", {"attempts": 3, "outcome": "号码错误"}, None, "again"),
    ("promised", {"attempts": 1, "outcome": "承诺缴费", "promised_date": "2026-12-10"}, None, "reminder"),
    ("promised", {"attempts": 1, "outcome": "承诺缴费", "promised_date": "2026-12-01"}, dt.date(2026, 12, 1),
     "broken_promise"),
    ("disputed", {"attempts": 1, "outcome": "拒绝缴费", "reason": "经济困难"}, None, "refused"),
    ("disputed", {"attempts": 1, "outcome": "有异议", "reason": "其他", "occupancy": "未入住"}, None, "refused"),
    ("disputed", {"attempts": 1, "outcome": "有异议", "reason": "对服务不满"}, None, "service_dispute"),
    ("disputed", {"attempts": 1, "outcome": "有异议", "reason": "未入住不愿缴"}, None, "not_moved_in"),
    ("noticed", {"attempts": 4, "outcome": "拒绝缴费", "reason": "经济困难", "pay_by": "2026-12-20"}, None, "refused"),
    ("noticed", {"attempts": 4, "outcome": "无人接听", "pay_by": "2026-12-20"}, None, "after_notice"),
    # a broken promise comes before everything else, a service dispute before a promise still to come
    ("disputed", {"outcome": "有异议", "reason": "对服务不满"}, dt.date(2026, 12, 1), "broken_promise"),
    ("promised", {"promised_date": "2026-12-10", "reason": "对服务不满"}, None, "service_dispute"),
])
def test_the_situation_is_chosen_from_what_the_record_says(state, values, broken, expected):
    assert choose(state, values, TODAY, broken).key == expected


def _view(*events):
    at = dt.datetime(2026, 11, 28, 10, 0, tzinfo=NOW.tzinfo)
    record = Record("CJ-YG-202611-0001", "fee_collection",
                    (Event("create", "王芳", at, HUANG),
                     *(Event(action, "王芳", at + dt.timedelta(days=day), data) for day, action, data in events)))
    from formflow.workspace import Workspace

    return replay(record, Workspace(REPO).load().workflows["fee_collection"])


def _broken(view, day: dt.date) -> dt.date | None:
    """The promised date of the record's outstanding broken promise at the start of ``day`` (office time)."""
    zone = dt.timezone(dt.timedelta(hours=8))
    found = outstanding_broken(view, dt.datetime.combine(day, dt.time(9), zone), zone)
    return found.date if found else None


def test_a_promise_is_broken_once_its_day_is_over_without_a_payment_since():
    promised = (1, "call_promise", {"promised_date": "2026-12-03", "attempts": 1, "outcome": "承诺缴费"})
    view = _view(promised)
    assert _broken(view, dt.date(2026, 12, 3)) is None             # its day is not over yet
    assert _broken(view, dt.date(2026, 12, 4)) == dt.date(2026, 12, 3)
    assert choose(view.state, view.values, dt.date(2026, 12, 4), dt.date(2026, 12, 3)).why == \
        "业主承诺12月3日缴费，已过期仍未缴"
    paid = _view(promised, (6, "paid", {"paid_on": "2026-12-06", "outcome": "已缴费"}))
    assert _broken(paid, dt.date(2026, 12, 10)) is None
    renewed = _view(promised, (7, "call_promise", {"promised_date": "2026-12-15", "attempts": 2}))
    assert _broken(renewed, dt.date(2026, 12, 10)) is None           # a new promise replaces the old one
    assert _broken(_view(), dt.date(2026, 12, 10)) is None           # no promise at all


def test_the_figures_of_a_record_fill_the_placeholders():
    values = figures({**HUANG, "promised_date": "2026-12-10", "pay_by": "2026-12-20"}, "阳光花园管理处",
                     noticed=dt.date(2026, 12, 5))
    assert values == {
        "业主": "黄秀英", "房号": "3-2-1502", "欠费合计": "1,235.50元", "欠费合计大写": "壹仟贰佰叁拾伍元伍角",
        "欠费明细": "物业费（2026年1月至6月）1,200.00元、水费（2026年10月）35.50元", "欠费月数": "7",
        "最早欠费期间": "2026年1月", "承诺日期": "2026年12月10日", "承诺金额": "1,235.50元",
        "限期缴费日期": "2026年12月20日", "管理处": "阳光花园管理处", "催费人": "王芳",
        "通知日期": "2026年12月5日"}
    assert set(values) == set(NAMES)
    text = "{业主}您好，{房号}欠费{欠费合计}，共{欠费月数}个月；{承诺日期}前缴清。{不认识}"
    assert fill(text, values) == "黄秀英您好，3-2-1502欠费1,235.50元，共7个月；2026年12月10日前缴清。{不认识}"
    assert fill("{承诺日期}", figures({}, "阳光花园管理处", "李娜")) == "＿＿"      # not known yet: a blank
    assert figures({}, "x", "李娜")["催费人"] == "李娜" and figures({}, "x")["业主"] == "业主"
    assert unknown("{业主名}先生，{房号}，{业主名}") == ["业主名"]
    assert [period_words(p) for p in ("2026-11", "2025-11至2026-02", "2026年1月至6月", "上半年")] == [
        "2026年11月", "2025年11月至2026年2月", "2026年1月至6月", "上半年"]


@pytest.mark.parametrize(("result", "state", "typed", "action", "values"), [
    ("承诺缴费", "pending", {"promised_date": "2026-12-10", "promised_amount": "", "reason": "经济困难"},
     "call_promise", {"promised_date": "2026-12-10", "reason": "经济困难"}),
    ("承诺缴费", "promised", {"promised_date": ""}, "call_reminded", {}),
    ("承诺缴费", "promised", {"promised_date": "2026-12-06"}, "call_reminded", {}),
    ("承诺缴费", "promised", {"promised_date": "2026-12-08"}, "call_promise", {"promised_date": "2026-12-08"}),
    # the promised day is over: a promise now is a new one (its date asked for), not a reminder
    ("承诺缴费", "broken", {"promised_date": ""}, "call_promise", {}),
    ("无人接听", "promised", {"promised_date": "2026-12-08"}, "call_no_answer", {"outcome": "无人接听"}),
    ("号码错误", "pending", {}, "call_no_answer", {"outcome": "号码错误"}),
    ("有异议", "pending", {"reason": "对服务不满", "reason_text": "漏水没修", "service_issue": "转维修"},
     "call_refused", {"outcome": "有异议", "reason": "对服务不满", "reason_text": "漏水没修", "service_issue": "转维修"}),
    ("拒绝缴费", "unreachable", {"reason": "经济困难"}, "call_refused", {"outcome": "拒绝缴费", "reason": "经济困难"}),
    ("已缴费", "promised", {"promised_amount": "100"}, "call_paid", {}),   # the owner's word: verified later
    ("", "pending", {}, "", {}),
])
def test_the_result_of_a_call_is_the_workflows_action(result, state, typed, action, values):
    stored = {"promised": {"promised_date": "2026-12-06"}, "broken": {"promised_date": "2026-12-01"}}.get(state, {})
    assert calls.action_for(result, "promised" if state == "broken" else state, stored, typed, TODAY) == action
    fields = {"call_promise": ("promised_date", "promised_amount", "reason", "reason_text"),
              "call_no_answer": ("outcome",), "call_refused": ("outcome", "reason", "reason_text", "service_issue"),
              "paid": ("paid_on", "paid_amount", "receipt")}.get(action, ())
    assert calls.action_values(action, result, typed, fields, TODAY) == values


def test_the_shipped_scripts_cover_every_situation_with_known_placeholders(defs):
    assert not defs.scripts.built_in
    assert [s.key for s in defs.scripts] == list(SITUATIONS)
    assert all(s.title and not unknown(s.text) for s in defs.scripts)
    assert "{欠费明细}" in defs.scripts.get("first").text and "{承诺日期}" in defs.scripts.get("broken_promise").text


BAD = """\
scripts:
  first:
    title: 首次催缴
    text: |
      您好，请问是{业主名}吗？
      您家{房号}欠费{欠费总额}。
  again: {title: 再次催缴, text: "{业主}您好"}
  reminder: {title: 承诺缴费日前提醒, text: "{承诺日期}"}
  broken_promise: {title: 承诺未兑现, text: "{承诺日期}"}
  not_moved_in: {title: 未入住, text: "{房号}"}
  service_dispute: {title: 对服务有异议, text: "{房号}"}
  after_notice: {title: 已发催缴通知书, text: "{限期缴费日期}"}
"""


def test_check_names_an_unknown_placeholder_and_a_missing_situation_with_line_and_fix(workspace):
    workspace.write(SCRIPTS_FILE, BAD)
    result = workspace.cli("check")
    assert result.code == 1
    available = "可用 available: " + "、".join(f"{{{n}}}" for n in NAMES)
    assert result.err.splitlines()[:6] == [
        "fees/scripts.yaml:1:1: scripts: 缺少「拒绝缴费」的话术 no script for situation 'refused'",
        ("    修改建议 fix: 添加 add `refused: {title: 拒绝缴费, text: ...}`；内置的写法见 formflow init 新建的工作区中的 "
         "fees/scripts.yaml see the shipped file"),
        "fees/scripts.yaml:5:13: scripts.first.text: 未知的占位符 unknown placeholder {业主名}",
        f"    修改建议 fix: 是否应为 did you mean {{业主}}? {available}",
        "fees/scripts.yaml:6:15: scripts.first.text: 未知的占位符 unknown placeholder {欠费总额}",
        f"    修改建议 fix: {available}",     # 欠费合计, 欠费明细 or 欠费月数: too near each other to guess
    ]
    workspace.write(SCRIPTS_FILE, BAD.replace("  first:", "  frist:"))
    err = workspace.cli("check").err
    assert ("fees/scripts.yaml:2:3: scripts.frist: 未知的键 unknown key 'frist'\n"
            "    修改建议 fix: 是否应为 did you mean 'first'?") in err


def test_without_the_file_the_built_in_scripts_are_used_and_check_says_so(workspace):
    (workspace.root / SCRIPTS_FILE).unlink()
    defs = workspace.load()
    assert defs.scripts.built_in and [s.key for s in defs.scripts] == list(SITUATIONS)
    result = workspace.cli("check")
    assert result.code == 0, result.err
    assert "提示 note: 没有 fees/scripts.yaml，电话催费页面使用内置话术 the call page shows the built-in scripts" in result.out


def test_a_part_payment_recorded_is_taken_off_what_the_scripts_say_is_owed():
    """After 核对部分缴费 recorded 400.00 of 1,235.50, a call asks for the 835.50 still owed, not the round's total."""
    values = figures({**HUANG, "paid_amount": "400.00"}, "阳光花园管理处")
    assert (values["欠费合计"], values["欠费合计大写"], values["承诺金额"]) == ("835.50元", "捌佰叁拾伍元伍角", "835.50元")
    assert values["欠费明细"] == "物业费（2026年1月至6月）1,200.00元、水费（2026年10月）35.50元，已缴400.00元"
    # paid up (the record closed with 实缴金额 the total): the round's figures as they were
    assert figures({**HUANG, "paid_amount": "1235.50"}, "x")["欠费合计"] == "1,235.50元"
