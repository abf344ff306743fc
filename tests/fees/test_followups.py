"""Follow-ups of a collection record (workflows/fee_collection.yaml): after 3 failed calls or a broken promise the
collector sends the 催缴通知书; once its pay-by date passes unpaid, the supervisor decides. Calls fall due inside
the calling hours, which the to-do lists show."""

from __future__ import annotations

from formflow.render.values import mask

from .test_round import made_round


def test_three_failed_calls_ask_for_the_notice_then_the_supervisor_after_its_date(workspace):
    desk, made = made_round(workspace)
    number = made["3-2-1502"]
    desk.act(number, "call_no_answer", "2026-11-30T09:05+08:00", outcome="无人接听")
    desk.act(number, "call_refused", "2026-11-30T15:00+08:00", outcome="拒绝缴费", reason="经济困难")
    assert "notice_after_calls" not in desk.tasks(number, "2026-11-30T16:00+08:00")   # 2 failed: not yet
    desk.act(number, "call_no_answer", "2026-12-01T20:30+08:00", outcome="无人接听")
    assert desk.record(number)["failed_calls"] == 3
    # the retry two days after 20:30 falls inside the calling hours: 20:00
    assert desk.tasks(number, "2026-12-01T21:00+08:00") == {
        "retry": ("2026-12-03T20:00:00+08:00", "upcoming"),
        "notice_after_calls": ("2026-12-03T17:30:00+08:00", "upcoming")}
    who = f"{number} 3-2-1502 黄秀英 {mask(desk.record(number)['phone'])}"
    mine = workspace.cli("todo", "--person", "王芳", "--now", "2026-12-01T21:00+08:00").out
    assert (f"  2026-12-03 17:30  {who}  多次电话催缴未果，2个工作日内发出催缴通知书"
            "（在档案上办理「发出催缴通知书」并打印送达）  〔收费员、客服专员〕") in mine.splitlines()
    assert (f"  2026-12-03 20:00  {who}  未接通2天后再次拨打业主电话催缴"
            "（可拨打时间 9:00–12:00、14:00–20:00）  〔收费员、客服专员〕") in mine.splitlines()

    printed = _printed_reasons(workspace, "2026-12-01T21:00+08:00", "王芳")   # the to-do PDF's lines
    assert printed[number] == ["2个工作日", "2天（日历日）；可拨打时间 9:00–12:00、14:00–20:00"]

    desk.act(number, "notice", "2026-12-02T10:00+08:00", pay_by="2026-12-15")
    assert desk.record(number)["state"] == "noticed"
    assert desk.tasks(number, "2026-12-02T11:00+08:00") == {}          # the notice sent: nothing left to call
    assert desk.tasks(number, "2026-12-15T20:00+08:00") == {}          # the pay-by day itself still counts
    assert desk.tasks(number, "2026-12-16T10:00+08:00") == {"notice_expired": ("2026-12-17T17:30:00+08:00", "upcoming")}
    boss = workspace.cli("todo", "--person", "赵敏", "--now", "2026-12-16T10:00+08:00").out
    assert f"  2026-12-17 17:30  {who}  催缴通知书限期已过仍未缴清，决定上门、律师函或终止催缴" \
           "  〔客服中心主管〕" in boss.splitlines()
    assert number not in workspace.cli("todo", "--person", "王芳", "--now", "2026-12-16T10:00+08:00").out
    desk.act(number, "paid", "2026-12-16T15:00+08:00", by="郑丽", paid_on="2026-12-16", paid_amount="1235.50")
    assert desk.tasks(number, "2026-12-16T16:00+08:00") == {}


def _printed_reasons(workspace, now: str, who: str) -> dict[str, list[str]]:
    """The small line under each task of ``who``'s printed to-do list, by record."""
    import datetime as dt

    from formflow.app import App
    from formflow.render.todolist import todo_context

    app = App.open(workspace.root)
    moment = dt.datetime.fromisoformat(now)
    found: dict[str, list[str]] = {}
    for group in todo_context(app.defs, app.todo(moment), moment, "待办", who)["groups"]:
        for task in group["tasks"]:
            found.setdefault(task["record"], []).append(task["reason"])
    return found


def test_a_broken_promise_asks_for_the_notice(workspace):
    desk, made = made_round(workspace)
    number = made["3-1-402"]
    desk.act(number, "call_promise", "2026-11-30T10:00+08:00", promised_date="2026-12-05", reason="经济困难")
    # reminded the day before, at the end of that day's calling hours
    assert desk.tasks(number, "2026-12-03T10:00+08:00") == {"promise_reminder": ("2026-12-04T20:00:00+08:00", "upcoming")}
    desk.act(number, "call_reminded", "2026-12-04T15:00+08:00")
    assert desk.tasks(number, "2026-12-05T20:00+08:00") == {}         # the promised day is not over yet
    # the promised day over, nothing paid: the promise is broken
    assert desk.tasks(number, "2026-12-06T10:00+08:00") == {
        "notice_broken_promise": ("2026-12-08T17:30:00+08:00", "upcoming")}
    # a new promise replaces the old one: no notice until the new date passes too
    desk.act(number, "call_promise", "2026-12-07T10:00+08:00", promised_date="2026-12-12")
    assert "notice_broken_promise" not in desk.tasks(number, "2026-12-07T11:00+08:00")
    assert "notice_broken_promise" in desk.tasks(number, "2026-12-13T10:00+08:00")


def test_the_notice_is_asked_for_from_the_third_failed_call_whichever_kind_it_was(workspace):
    """The 3-failed-calls clock starts at the latest failed call, a refusal as well as a call not answered (not
    at the latest 未接通 only): a refusal after two calls not answered, and a refusal after a promise."""
    desk, made = made_round(workspace)
    number = made["3-2-1502"]
    desk.act(number, "call_no_answer", "2026-11-30T09:05+08:00", outcome="无人接听")
    desk.act(number, "call_no_answer", "2026-11-30T15:00+08:00", outcome="无人接听")
    desk.act(number, "call_refused", "2026-12-03T10:00+08:00", outcome="拒绝缴费", reason="经济困难")
    # two working days after the refusal (Friday 4th, Monday 7th), not after the 30th's call
    assert desk.tasks(number, "2026-12-03T11:00+08:00")["notice_after_calls"] == ("2026-12-07T17:30:00+08:00",
                                                                                  "upcoming")
    other = made["3-1-402"]
    for at in ("2026-11-30T09:05+08:00", "2026-11-30T15:00+08:00", "2026-12-01T10:00+08:00"):
        desk.act(other, "call_no_answer", at, outcome="无人接听")
    desk.act(other, "call_promise", "2026-12-02T10:00+08:00", promised_date="2026-12-20", reason="经济困难")
    assert "notice_after_calls" not in desk.tasks(other, "2026-12-02T11:00+08:00")   # the promise stops it
    desk.act(other, "call_refused", "2026-12-03T10:00+08:00", outcome="有异议", reason="经济困难")
    # failed again after the promise: asked for again
    assert desk.tasks(other, "2026-12-03T11:00+08:00")["notice_after_calls"] == ("2026-12-07T17:30:00+08:00",
                                                                                 "upcoming")


def test_a_call_not_answered_after_the_notice_asks_for_no_second_notice(workspace):
    """Once the 催缴通知书 is out, its pay-by date is what counts (then the supervisor: notice_expired): a failed
    call while it runs does not ask for another notice."""
    desk, made = made_round(workspace)
    number = made["3-2-1502"]
    for at in ("2026-11-30T09:05+08:00", "2026-11-30T15:00+08:00", "2026-12-01T10:00+08:00"):
        desk.act(number, "call_no_answer", at, outcome="无人接听")
    desk.act(number, "notice", "2026-12-02T10:00+08:00", pay_by="2026-12-15")
    desk.act(number, "call_no_answer", "2026-12-08T10:00+08:00", outcome="无人接听")
    assert desk.tasks(number, "2026-12-08T11:00+08:00") == {"retry": ("2026-12-10T10:00:00+08:00", "upcoming")}
    assert set(desk.tasks(number, "2026-12-16T10:00+08:00")) == {"retry", "notice_expired"}


def test_the_printed_to_do_lists_mask_a_landline_and_a_mobile_written_in_groups(workspace):
    import yaml

    _, made = made_round(workspace)
    number = made["3-2-1502"]
    workspace.write("inbox/phone.yaml", yaml.safe_dump(
        {"record": number, "action": "correct", "by": "王芳", "at": "2026-11-30T09:00+08:00",
         "data": {"phone": "0755-26881234、138 2651 7094"}, "note": "电话以房屋清单为准"}, allow_unicode=True))
    assert "0 个未登记 set aside" in workspace.cli("process", "--now", "2026-11-30T09:00+08:00").out
    mine = workspace.cli("todo", "--person", "王芳", "--now", "2026-11-30T10:00+08:00").out
    line = next(line for line in mine.splitlines() if number in line)
    assert "黄秀英 ****1234、138****7094" in line and "26881234" not in mine and "2651 7094" not in mine

    import datetime as dt

    from formflow.app import App
    from formflow.render.todolist import todo_context

    app = App.open(workspace.root)
    moment = dt.datetime.fromisoformat("2026-11-30T10:00+08:00")
    printed = [task["resident"] for group in todo_context(app.defs, app.todo(moment), moment, "待办", "王芳")["groups"]
               for task in group["tasks"] if task["record"] == number]
    assert printed == ["黄秀英 ****1234、138****7094"]


def test_a_promise_to_pay_the_same_day_is_not_a_reminder_already_late(workspace):
    desk, made = made_round(workspace)
    today, later = made["3-2-1502"], made["3-1-402"]
    desk.act(today, "call_promise", "2026-12-02T10:00+08:00", promised_date="2026-12-02", reason="经济困难")
    desk.act(later, "call_promise", "2026-12-02T10:00+08:00", promised_date="2026-12-04", reason="经济困难")
    assert "promise_reminder" not in desk.tasks(today, "2026-12-02T10:30+08:00")   # its day before is gone
    assert desk.tasks(later, "2026-12-02T10:30+08:00")["promise_reminder"] == ("2026-12-03T20:00:00+08:00", "upcoming")
    # the next day, the same-day promise not kept is a broken one: the notice is asked for
    assert "notice_broken_promise" in desk.tasks(today, "2026-12-03T10:00+08:00")
