"""``fees.calling_hours`` of formflow.yaml: checked with file, line and key, and the default when absent."""

from __future__ import annotations

import datetime as dt

from formflow.definitions.fees import DEFAULT_CALLING_HOURS

from ..conftest import CALENDAR_WARNING


def _with(workspace, text: str) -> int:
    """Append ``text`` to formflow.yaml; the line number its first line lands on."""
    settings = workspace.root / "formflow.yaml"
    before = settings.read_text(encoding="utf-8")
    settings.write_text(before + text, encoding="utf-8")
    return before.count("\n") + 1


def test_the_default_hours_and_the_offices_own(workspace):
    assert workspace.load().settings.fees.calling_hours == DEFAULT_CALLING_HOURS
    _with(workspace, 'fees:\n  calling_hours: ["08:30-12:00", "13:30-20:30"]\n')
    assert workspace.load().settings.fees.calling_hours == (
        (dt.time(8, 30), dt.time(12)), (dt.time(13, 30), dt.time(20, 30)))


def test_bad_periods_are_named_with_their_line(workspace):
    line = _with(workspace, 'fees:\n  calling_hours:\n    - "14:00-12:00"\n    - "09:00-12:00"\n    - "9点-12点"\n')
    result = workspace.cli("check")
    assert result.code == 1
    assert result.err.splitlines()[:-len(CALENDAR_WARNING) - 1] == [
        (f"formflow.yaml:{line + 2}:7: fees.calling_hours[0]: 时段“14:00-12:00”的结束不晚于开始 period '14:00-12:00' "
         "does not end after it starts"),
        "    修改建议 fix: 写成 开始-结束 write it as start-end, e.g. 14:00-20:00",
        (f"formflow.yaml:{line + 3}:7: fees.calling_hours[1]: 时段“09:00-12:00”与前一时段重叠或顺序颠倒 period "
         "'09:00-12:00' overlaps or comes before the one above it"),
        "    修改建议 fix: 按时间先后列出，互不重叠 list the periods in order, without overlap",
        (f"formflow.yaml:{line + 4}:7: fees.calling_hours[2]: 时段“9点-12点”应写成 时:分-时:分 period '9点-12点' is "
         "not HH:MM-HH:MM"),
        "    修改建议 fix: 例如 e.g. 09:00-12:00（24 小时制 24-hour clock）"]
    assert result.err.splitlines()[-1] == "共 3 处错误，请修改后重新运行 formflow check。"
