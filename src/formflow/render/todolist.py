"""What the to-do list PDF prints, as plain data (pure): tasks grouped 逾期 / 今天到期 / 即将到期 / 以后.

Every text is masked (mobile and ID numbers), since lists are pinned up and handed round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from formflow.definitions.loader import Definitions
from formflow.engine.clocks import CALLING_HOURS, fmt_clerk
from formflow.engine.todo import Task, is_mine
from formflow.fees.calllist import masked_phones
from formflow.punctuation import join_clauses
from formflow.render.context import settings_context
from formflow.render.values import local, mask, plain

TODO_GROUPS = (("overdue", "逾期"), ("today", "今天到期"), ("soon", "即将到期"), ("later", "以后"))


def who_roles(defs: Definitions, who: str | None) -> tuple[str, set[str] | None]:
    """``who`` (a staff name or a role key) as a title and the set of roles it covers (None: everyone)."""
    if not who:
        return "", None
    roles = defs.settings.roles
    if who in roles:
        return roles[who], {who}
    person = defs.settings.person(who)
    if person is not None:
        names = "、".join(roles.get(r, r) for r in person.roles)
        return f"{person.name}（{names}）", set(person.roles)
    return who, {who}


def tasks_for(defs: Definitions, tasks: Iterable[Task], who: str | None) -> list[Task]:
    """The tasks for ``who``: a person's own (:func:`~formflow.engine.todo.is_mine`: assigned to them, or of
    their roles and, for department-bound roles, their department), a role key's, or all when empty."""
    person = defs.settings.person(who) if who else None
    if person is not None:
        return [t for t in tasks if is_mine(t, person, defs.settings)]
    _, roles = who_roles(defs, who)
    return [t for t in tasks if roles is None or roles & set(t.who)]


def todo_group(task: Task, now: dt.datetime, tz) -> str:
    """逾期 / 今天到期 / 即将到期 / 以后 as a key: overdue, today, soon, later."""
    if task.status == "overdue" or task.due < now:
        return "overdue"
    if task.due.astimezone(tz).date() == now.astimezone(tz).date():
        return "today"
    return "soon" if task.status == "due_soon" else "later"


def _duty_name(defs: Definitions, task: Task) -> str:
    """A recurring duty's name and period (``月度回访汇总分析（2026-11-01 起）``), "" for a record's task."""
    duty = defs.duties.get(task.clock) if not task.form else None
    return f"{duty.label}（{task.record.partition('@')[2]} 起）" if duty else ""


def todo_lines(defs: Definitions, tasks: Iterable[Task], now: dt.datetime) -> list[str]:
    """The to-do list as plain text lines, grouped 逾期 / 今天到期 / 即将到期 / 以后 as on paper and the desk
    (phone and ID numbers never appear whole in it)."""
    roles = defs.settings.roles
    zone = defs.settings.timezone
    tasks = list(tasks)
    lines = []
    for key, label in TODO_GROUPS:
        group = [t for t in tasks if todo_group(t, now, zone) == key]
        if not group:
            continue
        lines.append(f"【{label}】{len(group)} 项")
        for t in group:
            who = "、".join(roles.get(r, r) for r in t.who)
            unit = "".join(f" {v}" for v in (t.unit, t.name, masked_phones(t.phone)) if v)
            name = _duty_name(defs, t) or t.record  # a recurring duty: its name, not its key
            hours = "".join(f"（{line}）" for line in t.explanation if line.startswith(CALLING_HOURS))
            lines.append(f"  {fmt_clerk(t.due)}  {name}{unit}  {t.task}{hours}  〔{who}〕")
    return lines or ["没有待办事项。"]


def _span(delta: dt.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{minutes}分" if minutes else f"{hours}小时"
    return f"{minutes}分钟"


_ESCALATED = "已逾期，升级告知："


def _reason(task: Task, roles: Mapping[str, str]) -> str:
    """The short why of a task: its due rule (or period) and whom it was escalated to."""
    parts = [line.removeprefix("规则：") for line in task.explanation if line.startswith("规则：")]
    if not parts:
        parts = [line for line in task.explanation if line.startswith("周期")]
    parts += [line for line in task.explanation if line.startswith(CALLING_HOURS)]  # when to phone
    for line in task.explanation:
        if line.startswith(_ESCALATED):
            keys = line.removeprefix(_ESCALATED).split("、")
            parts.append("已升级告知" + "、".join(roles.get(k, k) for k in keys))
    return plain(join_clauses(parts))


def todo_context(defs: Definitions, tasks: Iterable[Task], now: dt.datetime, title: str,
                 who: str | None = None) -> dict:
    """The to-do list grouped for print; every text masked (phone and ID numbers)."""
    tz = defs.settings.timezone
    roles = defs.settings.roles
    forms = defs.forms
    who_title, _ = who_roles(defs, who)
    chosen = tasks_for(defs, tasks, who)
    groups = {key: [] for key, _ in TODO_GROUPS}
    for t in sorted(chosen, key=lambda t: (t.due, t.record)):
        left = t.due - now
        groups[todo_group(t, now, tz)].append({
            "record": _duty_name(defs, t) or mask(t.record), "unit": mask(t.unit), "task": mask(t.task),
            "resident": " ".join(v for v in (mask(t.name), masked_phones(t.phone)) if v),
            "form": forms[t.form].title if t.form in forms else "",
            "due": local(t.due, tz), "left": ("已逾期 " if left.total_seconds() < 0 else "剩 ") + _span(left),
            "who": "、".join(roles.get(r, r) for r in t.who), "reason": mask(_reason(t, roles)),
        })
    return {
        **settings_context(defs),
        "kind": "todo", "title": mask(title), "who": who_title, "printed": local(now, tz),
        "created_iso": now.isoformat(timespec="seconds"), "count": len(chosen),
        "groups": [{"key": key, "label": label, "tasks": groups[key]} for key, label in TODO_GROUPS],
        "meta": {"FormflowList": "todo"},
    }
