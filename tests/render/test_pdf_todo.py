"""The printed to-do list (groups, masking, per person) and the .ics calendar of the same tasks."""

from __future__ import annotations

import datetime as dt
import re

import icalendar

from formflow.app import App
from formflow.engine.todo import Task
from formflow.render import pdf
from formflow.render.todolist import tasks_for, todo_context
from formflow.render.ics import task_uid, todo_ics

from ..conftest import NOW
from .test_pdf import COMPLAINT, flat, fonts, pdftotext

#: (registered at, severity) → what is due at NOW (2026-11-28 10:00)
COMPLAINTS = [
    ("2026-11-25T12:00:00+08:00", "重要"),  # 0001: handling due 11-28 12:00 → today; 1-hour notice long overdue
    ("2026-11-26T09:00:00+08:00", "重要"),  # 0002: handling due 11-29 09:00, within its 1-day reminder → soon
    ("2026-11-28T08:00:00+08:00", "重要"),  # 0003: 1-hour notice due 09:00 → overdue; handling 12-01 → later
]
#: A task whose text carries a phone and an ID number, as a free-text duty might.
CALL_BACK = Task("HF-YG-202611-0009", "callback", "回访张先生 13812345678（身份证 11010519491231002X）", ("clerk",),
                 dt.datetime(2026, 11, 28, 16, 0, tzinfo=NOW.tzinfo), "upcoming",
                 ("规则：2天（日历日）（2d）", "期限：2026-11-28 16:00 (+08:00)"), "5-1-0801", "callback")


def office_tasks(workspace) -> tuple[App, list[Task]]:
    for i, (at, severity) in enumerate(COMPLAINTS):
        text = COMPLAINT.format(at=at, details="楼上漏水").replace("severity: 重要", f"severity: {severity}")
        workspace.write(f"inbox/{i}.yaml", text)
        assert workspace.cli("process", "--now", "2026-11-28T09:45+08:00").code == 0
    app = App.open(workspace.root)
    return app, [*app.todo(NOW), CALL_BACK]


def test_todo_groups_each_task_by_when_it_is_due(workspace):
    app, tasks = office_tasks(workspace)
    context = todo_context(app.defs, tasks, NOW, "待办事项")
    groups = {g["key"]: [(t["record"], t["task"]) for t in g["tasks"]] for g in context["groups"]}
    assert [g["label"] for g in context["groups"]] == ["逾期", "今天到期", "即将到期", "以后"]
    assert ("TS-YG-202611-0003", "重要投诉1小时内转呈部门主管") in groups["overdue"]
    assert ("TS-YG-202611-0001", "处理完毕投诉") in groups["today"]
    assert ("HF-YG-202611-0009", "回访张先生 138****5678（身份证 110***********002X）") in groups["today"]
    assert groups["soon"] == [("TS-YG-202611-0002", "处理完毕投诉")]
    assert ("TS-YG-202611-0003", "处理完毕投诉") in groups["later"]
    overdue = next(t for t in context["groups"][0]["tasks"] if t["record"] == "TS-YG-202611-0003")
    assert (overdue["due"], overdue["left"], overdue["unit"]) == ("2026-11-28 09:00", "已逾期 1小时", "3-2-1502")
    assert overdue["reason"] == "1小时；已升级告知客服中心主管"  # the rule in words, not its code


def test_todo_pdf_lists_groups_in_order_with_phone_numbers_masked(workspace, tmp_path):
    app, tasks = office_tasks(workspace)
    data = pdf.render_todo(app.defs, tasks, NOW, "待办事项")
    text = flat(pdftotext(data, tmp_path))
    headings = [m.group(1) for m in re.finditer(r"(逾期|今天到期|即将到期|以后)\d+项", text)]
    assert headings == ["逾期", "今天到期", "即将到期", "以后"]
    assert "138****5678" in text and "110***********002X" in text
    assert "13812345678" not in text and "11010519491231002X" not in text
    for expected in ("阳光花园管理处", "待办事项", "截至2026-11-2810:00", "TS-YG-202611-0003", "3-2-1502",
                     "重要投诉1小时内转呈部门主管", "2026-11-2809:00", "客服专员"):
        assert expected in text, expected
    assert re.search(r"第1页/共\d+页", text)  # the office's duties make the list run to a second page
    assert all(name.split("+")[-1].startswith("Formflow-Sans-SC") for name, _ in fonts(data, tmp_path))


def test_a_persons_list_has_only_their_roles_tasks(workspace, tmp_path):
    app, tasks = office_tasks(workspace)
    mine = tasks_for(app.defs, tasks, "李娜")  # clerk
    assert mine and all("clerk" in t.who for t in mine)
    assert len(tasks_for(app.defs, tasks, "dept_head")) < len(tasks)
    text = flat(pdftotext(pdf.render_todo(app.defs, tasks, NOW, "我的待办", who="李娜"), tmp_path))
    assert "李娜（客服专员）" in text and "处理完毕投诉" not in text  # that one is the department heads'


def test_ics_has_one_event_per_task_at_its_due_time(workspace):
    app, tasks = office_tasks(workspace)
    text = todo_ics(tasks, NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == len(tasks)
    by_uid = {str(e["UID"]): e for e in events}
    assert len(by_uid) == len(tasks)
    for task in tasks:
        event = by_uid[task_uid(task)]
        assert event.decoded("DTSTART") == task.due
        assert task.task.split(" ")[0] in str(event["SUMMARY"])
        assert [c.name for c in event.subcomponents] == ["VALARM"]
    callback = by_uid[task_uid(CALL_BACK)]
    assert "138****5678" in str(callback["SUMMARY"]) and "13812345678" not in text
    assert "2天（日历日）" in str(callback["DESCRIPTION"])
    # the same task later (another status, due moved) keeps its UID: calendars update the event
    moved = Task(**{**CALL_BACK.__dict__, "due": CALL_BACK.due + dt.timedelta(days=1), "status": "overdue"})
    assert task_uid(moved) == task_uid(CALL_BACK)
    assert "【已逾期】" in str(icalendar.Calendar.from_ical(todo_ics([moved], NOW)).walk("VEVENT")[0]["SUMMARY"])
