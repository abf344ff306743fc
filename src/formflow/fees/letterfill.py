"""``{业主}``-style placeholders in the office's letter text (pure): which names there are, and filling them.

The office writes the 催缴通知书 (``fees/notice.yaml``) in its own words with the unit's figures as
placeholders: ``尊敬的{业主}业主：``. The names and the syntax are those of the call scripts
(``fees/scripts.yaml``), so one module can serve both later; the letter adds 欠费合计大写,
限期缴费日期 and 通知日期. A ``{`` that does not open a known name's placeholder is an error for
``formflow check`` (:func:`unknown_placeholders`), never printed as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Every name a letter may use, with what it is filled with (for ``formflow check`` and the guide).
PLACEHOLDERS: Mapping[str, str] = {
    "业主": "业主姓名 the owner's name",
    "房号": "房号 the unit",
    "欠费合计": "欠费合计，元，如 1,280.50 the total owed",
    "欠费明细": "收费项目、所属期间与金额，如 物业费（2026-01至2026-06）1,200.00元 the items owed",
    "欠费月数": "欠费涉及的月数 how many months are owed",
    "最早欠费期间": "最早的欠费月份，如 2026年1月 the earliest month owed",
    "承诺日期": "承诺缴费日期 the promised date",
    "承诺金额": "承诺缴费金额 the promised amount",
    "管理处": "管理处名称（formflow.yaml 的 office）the office",
    "催费人": "本档案的催费人 the collector",
    "欠费合计大写": "欠费合计的人民币大写，如 壹仟贰佰捌拾元伍角 the total in capitals",
    "限期缴费日期": "通知书上的限期缴费日期 the pay-by date",
    "通知日期": "发出通知书的日期 the day the notice was given",
}

_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")


def placeholders_in(text: str) -> list[str]:
    """The names ``text`` puts in braces, in order."""
    return _PLACEHOLDER.findall(text)


def unknown_placeholders(text: str) -> list[str]:
    """The names in braces in ``text`` that are not :data:`PLACEHOLDERS`."""
    return [name for name in placeholders_in(text) if name not in PLACEHOLDERS]


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{name}`` replaced by its value ("" when the record has none)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")) if m.group(1) in PLACEHOLDERS
                            else m.group(0), text)
