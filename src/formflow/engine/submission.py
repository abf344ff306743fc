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
import re
from dataclasses import dataclass, field
from typing import Any

from formflow.definitions.forms import form_labels
from formflow.definitions.loader import Definitions
from formflow.engine.fieldtypes import BadValue, read_datetime
from formflow.engine.numbering import SAFE_NUMBER
from formflow.engine.validate import DataProblem

_LABELS = {"form": "表单", "version": "版本", "by": "经办人", "at": "办理时间", "data": "表单内容",
           "record": "记录编号", "action": "操作", "duty": "周期性工作", "note": "备注"}
_NEW_KEYS = {"form", "version", "by", "at", "data"}
_ACTION_KEYS = {"record", "action", "by", "at", "data", "note"}
_DUTY_KEYS = {"duty", "by", "at", "note"}
#: Most characters of ``note:`` (printed in the record's history; a remark, not a report).
MAX_NOTE = 2000
#: Text that cannot be stored or printed: a lone half of a UTF-16 surrogate pair (an emoji or rare
#: character cut in two by a copy-paste, or a "\ud83d" escape; UTF-8 has no encoding for it, so the
#: store's commit would fail for the whole pass) and control characters other than tab and line ends
#: (invisible, and not allowed in the XML/HTML the PDFs are made from).
_UNSTORABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f]")
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


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


def printable(text: str) -> str:
    """``text`` with every character that cannot be stored or printed shown as �: for messages that quote a value."""
    return _UNSTORABLE.sub("\ufffd", text)


def _flaw(text: str) -> str:
    """What makes ``text`` unstorable, in Chinese (where, what, how to fix), or "" when nothing does."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return ""
    char, where = found.group(), f"第 {found.start() + 1} 个字处"
    if "\ud800" <= char <= "\udfff":
        return (f"{where}有一个残缺的字符（复制粘贴时表情符号或生僻字只复制了一半），无法保存；"
                "请删除这个字符，或删掉此项后重新输入")
    return (f"{where}有一个看不见的控制字符（U+{ord(char):04X}，多半是从其他软件复制时带进来的），无法保存和打印；"
            "请删除这个字符，或删掉此项后重新输入")


def _joined(text: str) -> str:
    # Two escapes that together make one character (YAML's "\ud83d\ude00" for 😀) are fine: join them.
    return _PAIR.sub(lambda m: m.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le"), text)


def _field_labels(raw: dict, defs: Definitions) -> dict[str, str]:
    """Chinese labels of the data fields a document may hold: its form's, or (an action) those all forms agree on."""
    form = defs.forms.get(raw.get("form")) if isinstance(raw.get("form"), str) else None
    if form is not None:
        return form_labels(form)
    labels: dict[str, str] = {}
    clash: set[str] = set()
    for each in defs.forms.values():
        for name, label in form_labels(each).items():
            if labels.setdefault(name, label) != label:
                clash.add(name)
    return {k: v for k, v in labels.items() if k not in clash}


def _where(path: tuple, labels: dict[str, str]) -> tuple[str, str]:
    """(key, label) of the value at ``path`` as problems name it: ``members[2].phone``, 「同住人员」第2行「电话」.

    Keys come back as written (they match the keys of the other problems of the same value);
    messages are made printable as a whole before anyone sees them.
    """
    if not path:
        return "", ""
    if path[0] != "data" or len(path) == 1:
        head = str(path[0])
        return head, f"「{_LABELS[head]}」" if head in _LABELS else ""
    name = str(path[1])
    label = f"「{labels[name]}」" if name in labels else ""
    if len(path) >= 4 and isinstance(path[2], int) and isinstance(path[3], str):  # a table's row and column
        column = path[3]
        row_label = f"{label or name}第{path[2] + 1}行" + (f"「{labels[column]}」" if column in labels else column)
        return f"{name}[{path[2] + 1}].{column}", row_label
    return name, label


def may_hold_flaws(text: str) -> bool:
    """Whether a document parsed from ``text`` (YAML or JSON) can hold a string :func:`check_text` refuses or
    joins. Without a backslash no escape can make a surrogate or a control character, and a raw one
    would be in ``text`` itself: most files are then spared the walk over every value."""
    return "\\" in text or _UNSTORABLE.search(text) is not None


def check_text(raw: Any, defs: Definitions) -> list[DataProblem]:
    """Problems with every string of the parsed document ``raw`` (keys too) that cannot be stored.

    Such a string must be refused here, file by file: stored, it would stop the store's commit
    (every file of the pass, and every later pass, with it). Pairs of surrogate escapes that make
    one character are joined in place (``raw`` is a freshly parsed document). Walked without
    recursion, in document order: a document may be nested as deep as the parser allowed.
    """
    # The labels only name a flawed value (rare): looked up then, for the form as written.
    written = {"form": raw.get("form")} if isinstance(raw, dict) else None
    labels: dict[str, str] | None = None
    problems: list[DataProblem] = []
    stack: list[tuple[Any, tuple, bool]] = [(raw, (), False)]  # (node, its path, whether it is a key)
    while stack:
        node, path, is_key = stack.pop()
        children: list[tuple[Any, tuple, bool]] = []
        if isinstance(node, dict):
            if any(isinstance(k, str) and _PAIR.search(k) for k in node):
                items = [(_joined(k) if isinstance(k, str) else k, v) for k, v in node.items()]
                node.clear()
                node.update(items)
            for key, value in node.items():
                if isinstance(key, str) and _flaw(key):
                    children.append((key, (*path, key), True))  # its value is not looked at: the key is refused
                    continue
                if isinstance(value, str) and _PAIR.search(value):
                    value = node[key] = _joined(value)
                children.append((value, (*path, key), False))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str) and _PAIR.search(value):
                    value = node[i] = _joined(value)
                children.append((value, (*path, i), False))
        elif isinstance(node, str) and (flaw := _flaw(node)):
            if labels is None:
                labels = _field_labels(written, defs) if written is not None else {}
            key, label = _where(path, labels)
            if is_key:
                problems.append(DataProblem(key, "字段名" if path[:1] == ("data",) else "键名", flaw))
            elif not any(p.key == key for p in problems):  # one per field: a list's items say it once
                problems.append(DataProblem(key, label, flaw))
        stack.extend(reversed(children))
    return problems


def read_submission(raw: Any, defs: Definitions,
                    now: dt.datetime | None = None) -> tuple[Submission | None, list[DataProblem]]:
    """Read the envelope ``raw`` (one YAML/JSON document); problems are in Chinese.

    The submission comes back whenever its form (or record and action) is known, even with
    envelope problems, so its data can be checked too; it is only usable without problems.
    With ``now`` (when the file was received), ``at`` must lie in the settings' ``dates`` window
    around it; an ``at`` outside is left out of the submission, so the data is judged at ``now``.
    """
    problems: list[DataProblem] = []

    def bad(key: str, message: str) -> None:
        problems.append(DataProblem(key, f"「{_LABELS[key]}」" if key in _LABELS else "", message))

    if not isinstance(raw, dict):
        bad("", "文件内容应为“键: 值”的组合（form、by、data 等），请使用填写模板")
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
        bad("by", "缺少经办人，请填写人员名册中的姓名")
    elif defs.settings.person(by.strip()) is None:
        names = "、".join(s.name for s in defs.settings.staff if s.active)
        bad("by", f"“{by}”不在人员名册中（名册：{names}）")
    at = None
    if raw.get("at") not in (None, ""):
        try:
            at = read_datetime(None, raw["at"], defs.settings.timezone)
        except BadValue as exc:
            bad("at", str(exc))
        if at is not None and now is not None and defs.settings.plausibility:
            window = defs.settings.dates
            when, received = _minutes(at), _minutes(now.astimezone(at.tzinfo))
            if at < now - window.backdate:
                bad("at", f"“{when}”比收到文件的时间（{received}）早了 {window.backdate.days} 天以上，请核对年份和日期"
                          f"（补录纸质表最多可早 {window.backdate.days} 天；确需补录更早的表，请主管放宽补录期限）")
                at = None
            elif at > now + window.ahead:
                bad("at", f"“{when}”晚于收到文件的时间（{received}），不能填写将来的时间，请核对日期和年份")
                at = None
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
    elif len(note) > MAX_NOTE and defs.settings.plausibility:
        bad("note", f"最多 {MAX_NOTE} 个字，填写了 {len(note)} 个字，请删减")
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


def _minutes(moment: dt.datetime) -> str:
    """``2026-11-28 09:15``; years before 1000 zero-padded too (strftime would not)."""
    return moment.isoformat(sep=" ", timespec="minutes")[:16]
