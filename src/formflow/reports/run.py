"""Each report made whole: figures, PDF page and CSV rows, ready to write (``formflow report``) or serve (the desk).

One function per report takes the definitions, a way to read records and its period; the CLI and the desk
differ only in where the result goes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain

from formflow.definitions.loader import Definitions
from formflow.engine.records import Record
from formflow.reports import pages
from formflow.reports import tables as tb
from formflow.reports.base import Period

#: Records of one form (``None``: every form) as the caller holds them.
RecordsOf = Callable[[str | None], Iterable[Record]]

#: The reports by key, with their Chinese names and whether they cover a month or a year.
KINDS = {"callbacks": ("月度回访汇总", "month"), "deadlines": ("月度期限执行情况", "month"),
         "survey": ("年度业主意见征询分析", "year"), "fees": ("电话催费统计", "month")}


@dataclass(frozen=True)
class Report:
    """A report computed for one period: the PDF page (template and context), the CSV rows, a summary."""

    kind: str
    period: Period
    template: str
    context: dict
    rows: list[list[str]]
    lines: list[str]

    @property
    def title(self) -> str:
        """``月度回访汇总（2026年10月）``: the report's name as a clerk reads it (its download's file name)."""
        return f"{KINDS[self.kind][0]}（{self.period.label}）"

    def pdf(self, defs: Definitions) -> bytes:
        """The report's PDF."""
        from formflow.render.pdf import ARCHIVE_VARIANT, renderer_for

        return renderer_for(defs).pdf(self.template, self.context, variant=ARCHIVE_VARIANT)

    def csv(self) -> bytes:
        """The report's CSV (Excel/WPS open it as Chinese text)."""
        return tb.csv_bytes(self.rows)

    def xlsx(self, path) -> None:
        """Write the report's table to ``path`` as .xlsx (the CSV's rows, numbers as numbers)."""
        from formflow.adapters.spreadsheet import write_xlsx
        from formflow.reports.feespages import xlsx_rows

        rows = xlsx_rows(self.rows)
        write_xlsx(path, rows[0], rows[1:], title=self.title, sheet_name=KINDS[self.kind][0])


def callbacks(defs: Definitions, records_of: RecordsOf, period: Period, now: dt.datetime) -> Report:
    """The monthly callback summary (回访率, 按时率, 满意度, 返工) of ``period``."""
    from formflow.reports.callbacks import CALLBACK, REPAIR, callback_summary

    summary = callback_summary(defs, chain(records_of(REPAIR), records_of(CALLBACK)), period, now)
    local = pages.local_time(defs)
    rows = tb.csv_rows([tb.CB_GROUP, tb.CB_NAME, *tb.CB_OUTCOME, *tb.CB_SATISFACTION[1:]], tb.callback_groups(summary),
                       tb.callback_facts(summary, local), tb.callback_sections(summary, local))
    return Report("callbacks", period, "report_callbacks.html", pages.callback_context(defs, summary), rows,
                  pages.callback_text(summary))


def deadlines(defs: Definitions, records_of: RecordsOf, period: Period, now: dt.datetime) -> Report:
    """The deadlines due in ``period``, per form and clock: on time, late, overdue, open."""
    from formflow.reports.deadlines import deadline_summary

    summary = deadline_summary(defs, records_of(None), period, now)
    rows = tb.csv_rows(tb.DEADLINE_COLUMNS, tb.deadline_rows(summary),
                       tb.deadline_facts(summary, pages.local_time(defs)))
    return Report("deadlines", period, "report_deadlines.html", pages.deadline_context(defs, summary), rows,
                  pages.deadline_text(summary))


def survey(defs: Definitions, records_of: RecordsOf, period: Period, now: dt.datetime, units: int | None = None,
           targets: tuple | None = None) -> Report:
    """The yearly owner-opinion-survey analysis of ``period`` (a year): return rate, satisfaction per item;
    ``units`` handed a form and grade ``targets`` as ``formflow report survey`` takes them (default: its defaults)."""
    from formflow.reports.survey import DEFAULT_TARGETS, MOVEIN, SURVEY, survey_analysis

    records = chain(records_of(SURVEY), records_of(MOVEIN) if MOVEIN in defs.forms else ())
    analysis = survey_analysis(defs, records, period.start.year, now, units=units, targets=targets or DEFAULT_TARGETS)
    rows = tb.csv_rows(tb.SURVEY_COLUMNS, tb.survey_items(analysis), tb.survey_facts(analysis, pages.local_time(defs)))
    return Report("survey", period, "report_survey.html", pages.survey_context(defs, analysis, period), rows,
                  pages.survey_text(analysis))


def fees(defs: Definitions, records_of: RecordsOf, period: Period, now: dt.datetime, root=None) -> Report:
    """The fee collection report of ``period``: calls, reach, promises kept, recovered, 收缴率 by 催费人 and 楼栋,
    the units still owing; the arrears snapshots read from the workspace at ``root`` (none without it)."""
    from formflow.fees import snapshots as sn
    from formflow.reports import feespages
    from formflow.reports.fees import FORM, choose_days, fee_summary

    start = end = None
    if root is not None:
        first, last = choose_days(sn.kept_days(root), period, now.astimezone(defs.settings.timezone).date())
        start = sn.latest(root, dt.date.fromisoformat(first)) if first else None
        end = start if last == first else sn.latest(root, dt.date.fromisoformat(last)) if last else None
    records = records_of(FORM) if FORM in defs.workflows else ()
    summary = fee_summary(defs, records, start, end, period, now)
    return Report("fees", period, "report_fees.html", feespages.context(defs, summary),
                  feespages.csv_rows(summary, pages.local_time(defs)), feespages.text(summary))
