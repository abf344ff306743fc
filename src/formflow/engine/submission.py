"""The envelope of a file dropped into the inbox: who, when, which form or record, and the data.

Two kinds, told apart by their keys::

    form: complaint            record: TS-YG-202611-0003
    by: 李娜                    action: reply
    at: 2026-11-28 09:15       by: 赵敏
    data: {...}                data: {...}

Reading the envelope is pure: a parsed document in, a :class:`Submission` or Chinese
problems out. The data itself is validated by :mod:`formflow.engine.validate`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from formflow.definitions.loader import Definitions
from formflow.engine.fieldtypes import BadValue, read_datetime
from formflow.engine.numbering import SAFE_NUMBER
from formflow.engine.validate import DataProblem

_LABELS = {"form": "表单", "version": "版本", "by": "经办人", "at": "办理时间", "data": "表单内容",
           "record": "记录编号", "action": "操作", "duty": "周期性工作", "note": "备注"}
_NEW_KEYS = {"form", "version", "by", "at", "data"}
_ACTION_KEYS = {"record", "action", "by", "at", "data", "note"}
_DUTY_KEYS = {"duty", "by", "at", "note"}


@dataclass(frozen=True)
class Submission:
    """A read envelope: a new record of ``form`` or an ``action`` on ``record``, by ``by`` at ``at``."""

    by: str
    at: dt.datetime | None
    data: dict[str, Any] = field(default_factory=dict)
    form: str = ""
    version: int | None = None
    record: str = ""
    action: str = ""
    duty: str = ""
    note: str = ""

    @property
    def is_new_record(self) -> bool:
        return bool(self.form)


def read_submission(raw: Any, defs: Definitions) -> tuple[Submission | None, list[DataProblem]]:
    """Read the envelope ``raw`` (one YAML/JSON document); problems are in Chinese.

    The submission comes back whenever its form (or record and action) is known, even with
    envelope problems, so its data can be checked too; it is only usable without problems.
    """
    problems: list[DataProblem] = []

    def bad(key: str, message: str) -> None:
        problems.append(DataProblem(key, f"「{_LABELS[key]}」" if key in _LABELS else "", message))

    if not isinstance(raw, dict):
        bad("", "文件内容应为“键: 值”的组合（form、by、data 等），请用 formflow new 生成填写模板")
        return None, problems
    kind_keys = (_NEW_KEYS if "form" in raw else _ACTION_KEYS if "record" in raw
                 else _DUTY_KEYS if "duty" in raw else None)
    if kind_keys is None:
        bad("form", "缺少 form（新建表单）、record（对已有记录的操作）或 duty（周期性工作完成）")
        return None, problems
    for key in raw:
        if key not in kind_keys:
            bad(key, f"未知的键，可用的键：{', '.join(sorted(kind_keys))}")
    by = raw.get("by")
    if not isinstance(by, str) or not by.strip():
        bad("by", "缺少经办人（by），请填写人员名册中的姓名")
    elif defs.settings.person(by.strip()) is None:
        names = "、".join(s.name for s in defs.settings.staff if s.active)
        bad("by", f"“{by}”不在人员名册中（名册：{names}）")
    at = None
    if raw.get("at") not in (None, ""):
        try:
            at = read_datetime(None, raw["at"], defs.settings.timezone)
        except BadValue as exc:
            bad("at", str(exc))
    data = raw.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        bad("data", "data 应为“字段: 值”的组合")
        data = {}
    form = record = action = duty = ""
    version = None
    note = raw.get("note") or ""
    if not isinstance(note, str):
        bad("note", "备注应为文字")
        note = ""
    if "duty" in raw:
        duty = str(raw.get("duty") or "")
        if duty not in defs.duties:
            bad("duty", f"没有周期性工作“{duty[:40]}”，可用：{', '.join(defs.duties) or '无'}")
            return None, problems
        who = by.strip() if isinstance(by, str) else ""
        person, need = defs.settings.person(who), defs.duties[duty].who
        if person is not None and need and not set(person.roles) & set(need):  # as actions check their roles
            bad("by", f"“{who}”没有权限完成「{defs.duties[duty].label}」，需要角色："
                      f"{'、'.join(defs.settings.roles.get(r, r) for r in need)}")
        return Submission(who, at, {}, duty=duty, note=note), problems
    if "form" in raw:
        form = str(raw["form"] or "")
        if form not in defs.forms:
            bad("form", f"没有表单“{form}”，可用的表单：{', '.join(defs.forms)}")
        version = raw.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            bad("version", f"版本号应为整数，填写的是“{version}”")
    else:
        record, action = str(raw.get("record") or ""), str(raw.get("action") or "")
        if not SAFE_NUMBER.match(record):
            bad("record", f"记录编号“{record[:40]}”格式不对（只能含字母、数字、- 和 _）")
        if not action:
            bad("action", "缺少操作名称（action）")
    # Keep going with a known form even when the envelope has problems, so the clerk
    # also learns what is wrong in the data in the same round.
    if form not in defs.forms and not (record and action):
        return None, problems
    who = by.strip() if isinstance(by, str) else ""
    return Submission(who, at, data, form, version, record, action, note=note), problems
