"""The printed call list (催费电话清单): one section a collector, phones masked, a column for the result
written by hand. Plain data from :mod:`formflow.fees.calllist`, rendered with the ``calls.html`` template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from formflow.definitions.loader import Definitions
from formflow.fees.calllist import CallList, masked_phones
from formflow.fees.values import yuan
from formflow.render.context import settings_context
from formflow.render.values import local


def list_title(call_list: CallList) -> str:
    """``催费电话清单：王芳`` (or for every collector)."""
    return f"催费电话清单：{call_list.collector}" if call_list.collector else "催费电话清单（全部催费人）"


def calls_context(defs: Definitions, lists: Sequence[CallList], now: dt.datetime) -> dict:
    """What ``calls.html`` prints; every phone masked."""
    tz = defs.settings.timezone
    return {
        **settings_context(defs),
        "kind": "todo", "title": "催费电话清单", "printed": local(now, tz),
        "created_iso": now.isoformat(timespec="seconds"), "hours": lists[0].hours if lists else "",
        "lists": [{
            "title": list_title(one), "total": yuan(one.total), "due_now": one.due_now,
            "rows": [{"unit": r.unit, "owner": r.owner, "phones": masked_phones(r.phones), "amount": yuan(r.amount),
                      "months": r.months, "outcome": r.outcome or "—", "promised": r.promised_date,
                      "last": r.last_text, "attempts": r.attempts, "broken": r.broken, "next": r.next_step,
                      "number": r.number} for r in one.rows],
        } for one in lists],
        "meta": {"FormflowList": "calls"},
    }


def render_calls(defs: Definitions, lists: Sequence[CallList], now: dt.datetime) -> bytes:
    """The call lists as one PDF (a page break between collectors)."""
    from formflow.render.pdf import renderer_for

    renderer = renderer_for(defs)
    return renderer.pdf("calls.html", calls_context(defs, lists, now), variant=renderer.variant)
