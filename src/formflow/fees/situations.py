"""Which of the office's scripts (话术) fits a collection record now (pure).

:data:`SITUATIONS` names every situation the office writes a script for, in the order the call page offers
them; :func:`choose` picks one from what the record says — its state, the last outcome, the 入住状态, the
reason given, the calls made, and whether a promise was broken (:func:`formflow.fees.promises.outstanding_broken`) — with the reason
in words, so the collector sees why this script comes first.

A promise is *broken* when its promised date has ended and the record has had no ``paid`` since the promise;
*kept* when the record reached ``paid`` with 缴清日期 on or before the promised date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Situation key → its Chinese name, in the order the call page lists the scripts.
SITUATIONS: dict[str, str] = {
    "first": "首次催缴",
    "again": "再次催缴",
    "reminder": "承诺缴费日前提醒",
    "broken_promise": "承诺未兑现",
    "not_moved_in": "未入住",
    "service_dispute": "对服务有异议",
    "refused": "拒绝缴费",
    "after_notice": "已发催缴通知书",
}
#: What each situation is, for supervisors (the reference, ``check``).
MEANINGS: dict[str, str] = {
    "first": "the first call of a round: nothing has been said to the owner yet",
    "again": "calls made before (unanswered, or answered without a promise) and nothing below applies",
    "reminder": "the owner promised to pay and the promised date has not ended: the reminder before it",
    "broken_promise": "the promised date has ended and the record has had no 确认已缴清 since the promise",
    "not_moved_in": "an owner not moved in (入住状态 未入住 or 空置), or who gave 未入住不愿缴 as the reason",
    "service_dispute": "the owner withholds payment over the service (reason 对服务不满)",
    "refused": "the owner refused to pay or disputed the arrears (last outcome 拒绝缴费 or 有异议)",
    "after_notice": "a written notice (催缴通知书) has been sent: the call that follows it",
}
#: 入住状态 of an owner not moved in.
_NOT_MOVED_IN = ("未入住", "空置")


@dataclass(frozen=True)
class Choice:
    """The situation that fits, and why (Chinese, for the collector)."""

    key: str
    why: str


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def choose(state: str, values: Mapping[str, Any], today: dt.date, broken: dt.date | None = None) -> Choice:
    """The situation of a collection record in ``state`` with stored ``values`` on ``today``; ``broken``: the
    promised date of a broken promise (:func:`formflow.fees.promises.outstanding_broken`). The first rule that holds wins:

    a broken promise; a dispute over the service; a promise still to come; 未入住不愿缴 as the reason; a
    refusal or dispute; a notice sent; an owner not moved in; calls made before; else the first call.
    """
    reason = values.get("reason") or ""
    outcome = values.get("outcome") or ""
    occupancy = values.get("occupancy") or ""
    promised = _date(values.get("promised_date"))
    if broken is not None:
        return Choice("broken_promise", f"业主承诺{broken.month}月{broken.day}日缴费，已过期仍未缴")
    if reason == "对服务不满":
        return Choice("service_dispute", "业主因对服务不满不缴费")
    if state == "promised" and promised is not None and promised >= today:
        return Choice("reminder", f"业主已承诺{promised.month}月{promised.day}日缴费")
    if reason == "未入住不愿缴":
        return Choice("not_moved_in", "业主以未入住为由不愿缴费")
    if state == "disputed" or outcome in ("拒绝缴费", "有异议"):
        return Choice("refused", f"上次通话业主{'拒绝缴费' if outcome == '拒绝缴费' else '对欠费有异议'}")
    if state == "noticed":
        return Choice("after_notice", "已发出催缴通知书")
    if occupancy in _NOT_MOVED_IN:
        return Choice("not_moved_in", f"这户{occupancy}")
    attempts = values.get("attempts") or 0
    if str(attempts).isdigit() and int(attempts) > 0:
        return Choice("again", f"已催缴 {int(attempts)} 次，{'上次' + outcome if outcome else '尚未承诺'}")
    return Choice("first", "这一轮还没有打过电话")
