"""The 催缴通知书 of a collection record, as plain data (pure): its placeholder values and its print context.

A record has a letter once ``发出催缴通知书`` (the workflow's ``notice`` action) was done on it. The letter
is dated the day of the latest notice and shows the record's items, total and pay-by date as they stand,
so printing it again gives the same letter until the record changes. The words around the figures are
the office's (``fees/notice.yaml``, :mod:`formflow.definitions.notice`).
"""

from __future__ import annotations

from formflow.definitions.notice import NoticeText
from formflow.engine.records import Event, Record, RecordView
from formflow.fees.placeholders import figures, fill, part_paid
from formflow.fees.values import period, stored, yuan
from formflow.render.values import mask

#: The form whose records get a letter, and the action that gives it.
NOTICE_FORM, NOTICE_ACTION = "fee_collection", "notice"
#: The letter's file, beside the record's PDF: ``CJ-YG-202612-0001-催缴通知书.pdf``.
NOTICE_SUFFIX = "-催缴通知书.pdf"


def notice_event(record: Record) -> Event | None:
    """The latest ``notice`` on ``record`` (the letter it stands for), or ``None``."""
    if record.form != NOTICE_FORM:
        return None
    return next((e for e in reversed(record.events) if e.action == NOTICE_ACTION), None)


def _rows(values) -> list[dict]:
    """The record's 欠费明细 as printed rows: item, period, amount (text)."""
    rows = []
    for row in values.get("items") or ():
        owed = stored(row.get("owed"))
        rows.append({"item": str(row.get("item") or ""), "period": period(str(row.get("period") or "")).label,
                     "owed": yuan(owed) if owed is not None else str(row.get("owed") or "")})
    return rows


def _total(values) -> tuple[str, str]:
    """The total still owed as the letter's table prints it: 1,235.50 (the column says 元), and the part paid
    already taken off it ("" when none is recorded)."""
    total = stored(values.get("amount"))
    if total is None:
        return "", ""
    paid = part_paid(values, total)
    return (yuan(total - paid), yuan(paid)) if paid else (yuan(total), "")


def notice_values(view: RecordView, office: str, tz) -> dict[str, str]:
    """What each placeholder (:data:`~formflow.fees.placeholders.NAMES`) says for the record of ``view``: the
    call scripts' words, dated by the latest notice (an owner without a name is a blank to write in: 尊敬的＿＿业主)."""
    event = notice_event(view.record)
    values = figures(view.values, office, noticed=event.at.astimezone(tz).date() if event is not None else None)
    values["业主"] = str(view.values.get("owner") or "")
    return values


def notice_context(text: NoticeText, view: RecordView, office: str, company: str, tz) -> dict:
    """What ``notice.html`` prints for the record of ``view``: the office's words filled, the table of items, the
    total in figures and capitals, the pay-by date. Phone numbers never appear whole on paper."""
    values = notice_values(view, office, tz)

    def words(source: str) -> str:
        return mask(fill(source, values))

    event = notice_event(view.record)
    total, paid = _total(view.values)
    return {
        "kind": "notice", "title": words(text.title), "salutation": words(text.salutation),
        "body": [words(p) for p in text.body], "after_table": [words(p) for p in text.after_table],
        "closing": words(text.closing), "signature": words(text.signature), "seal": words(text.seal),
        "footnote": words(text.footnote), "rows": _rows(view.values), "total": total, "paid": paid,
        "total_capital": values["欠费合计大写"], "pay_by": values["限期缴费日期"], "dated": values["通知日期"],
        "unit": values["房号"], "owner": values["业主"], "number": view.record.number,
        "office": office, "company": company,
        "created_iso": event.at.isoformat(timespec="seconds") if event is not None else "",
        "meta": {"FormflowRecord": view.record.number, "FormflowLetter": "notice"},
    }
