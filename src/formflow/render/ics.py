"""The to-do list as an iCalendar file (RFC 5545) that phone and desktop calendars subscribe to.

Written by hand: one VCALENDAR with a VEVENT per task is a few dozen lines of a stable
format (escaping, CRLF, folding at 75 octets), not worth a dependency. Times are UTC
(``…Z``), which every calendar shows in its own zone and which needs no VTIMEZONE block.
A task's UID depends only on its record and clock, so a calendar that re-reads the file
updates the event (a new due time, a new status) instead of adding another.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from formflow.engine.clocks import STATUS_LABELS
from formflow.engine.todo import Task
from formflow.render.values import mask, plain

PRODID = "-//formflow//todo//ZH"
#: The calendar reminds this long before a task is due.
ALARM_BEFORE = "-PT1H"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Fold ``line`` into pieces of at most 75 octets, never splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def task_uid(task: Task) -> str:
    """A stable identifier for the task: its record and clock."""
    key = re.sub(r"[^0-9A-Za-z._-]", "_", f"{task.record}.{task.clock or task.task}")
    return f"{key}@formflow"


def todo_ics(tasks: Iterable[Task], now: dt.datetime, name: str = "待办事项",
             titles: Mapping[str, str] | None = None) -> str:
    """The tasks as an .ics VCALENDAR text (CRLF line ends), one VEVENT each at its due time; ``titles``: the
    forms' Chinese titles, the events' category (a phone's calendar shows it to the clerk)."""
    titles = titles or {}
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_escape(mask(name))}"]
    stamp = _utc(now)
    for task in tasks:
        unit = f" {task.unit}" if task.unit else ""
        flag = f"【{STATUS_LABELS.get(task.status, task.status)}】" if task.status == "overdue" else ""
        # A recurring duty has no record: its period, not its key (bulletin_board@2026-11-23).
        where = f"{task.record}{unit}" if task.form else f"{task.record.partition('@')[2]} 起"
        summary = mask(f"{flag}{task.task} · {where}")
        description = mask("\n".join((f"记录 {where}" if task.form else f"周期 {where}",
                                       *(plain(line) for line in task.explanation))))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{task_uid(task)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(task.due)}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            f"CATEGORIES:{_escape(titles.get(task.form, task.form) if task.form else '周期性工作')}",
            "BEGIN:VALARM", "ACTION:DISPLAY", f"TRIGGER:{ALARM_BEFORE}", f"DESCRIPTION:{_escape(summary)}", "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
