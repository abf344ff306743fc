"""The tables of each report, once, for both outputs: the CSV (raw numbers) and the PDF (percent signs).

A CSV is the main table (a header row and one row per group), then each list the PDF prints (an
empty row, a title row naming it and its count, a header row, one row per item), then an empty row
and the headline figures as ``指标,数值,说明`` rows with the definitions. It is UTF-8 with a BOM and
CRLF line ends, which is what Excel and WPS need to open Chinese text correctly by double-click.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from formflow.render.values import mask
from formflow.reports import callbacks as cb
from formflow.reports import deadlines as dl
from formflow.reports.base import Ratio
from formflow.reports.callbacks import CallbackSummary, Tally
from formflow.reports.deadlines import ClockTally, DeadlineSummary
from formflow.reports.survey import ItemResult, SurveyAnalysis


@dataclass(frozen=True)
class Column:
    """A column: its header and how to read its value from a row item; ``ratio`` columns are percentages."""

    header: str
    get: Callable[[Any], Any]
    ratio: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table as the templates print it (report_macros.html ``table``)."""

    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    text_columns: int = 1          # the first columns are text (left aligned), the rest numbers
    widths: tuple[str, ...] = ()
    css: str = ""
    nowrap: tuple[int, ...] = ()   # columns kept on one line (record numbers)


def _pdf(value: Any) -> str:
    return value.percent() if isinstance(value, Ratio) else str(value)


def _csv(value: Any) -> str:
    return value.number() if isinstance(value, Ratio) else str(value)


def pdf_table(columns: Sequence[Column], items: Iterable[tuple[Any, str]], *, text_columns: int = 1,
              widths: Sequence[str] = (), css: str = "", nowrap: Sequence[int] = ()) -> Table:
    """A :class:`Table` of ``items`` (row item, row style) with percentages printed as ``80.0%``."""
    rows = tuple(Row(tuple(_pdf(c.get(item)) for c in columns), style) for item, style in items)
    return Table(tuple(c.header for c in columns), rows, text_columns, tuple(widths), css, tuple(nowrap))


@dataclass(frozen=True)
class Section:
    """A list printed under the main table (the PDF's 尚未回访, …): ``title`` names it in the CSV."""

    title: str
    columns: Sequence[Column]
    items: Sequence[Any]


def _csv_table(columns: Sequence[Column], items: Iterable[Any]) -> list[list[str]]:
    rows = [[c.header + ("(%)" if c.ratio else "") for c in columns]]
    return rows + [[_csv(c.get(item)) for c in columns] for item in items]


def csv_rows(columns: Sequence[Column], items: Iterable[Any], facts: Iterable[Sequence[Any]] = (),
             sections: Iterable[Section] = ()) -> list[list[str]]:
    """The CSV: header, one row per item (percentages as plain numbers), each of ``sections`` under a title
    row with its count, then the facts; an empty row before each part, so a spreadsheet shows them apart."""
    rows = _csv_table(columns, items)
    for section in sections:
        # The count in the title: an empty list still says so, as the PDF's "0 项" does.
        rows += [[], [f"{section.title} {len(section.items)} 项"], *_csv_table(section.columns, section.items)]
    facts = [[_csv(v) for v in fact] for fact in facts]
    if facts:
        rows += [[], ["指标", "数值", "说明"], *facts]
    return rows


def csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    """``rows`` as CSV bytes: UTF-8 with BOM, CRLF line ends (Excel/WPS open them as Chinese text)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


# ── callbacks ────────────────────────────────────────────────────────────────────────────────

def callback_groups(s: CallbackSummary) -> list[tuple[str, Tally]]:
    """(group name, tally) rows: the total, each repair class, each team · person."""
    return [("合计", s.total), *(("维修类别", t) for t in s.by_class), *(("维修部门·人员", t) for t in s.by_person)]


def _status(key: str) -> Callable[[tuple[str, Tally]], int]:
    return lambda item: item[1].statuses[key]


def _rating(key: str) -> Callable[[tuple[str, Tally]], int]:
    return lambda item: item[1].satisfaction.get(key, 0)


CB_GROUP = Column("分组", lambda item: item[0])
CB_NAME = Column("名称", lambda item: item[1].label)
CB_OUTCOME = [
    Column("应回访", lambda item: item[1].owed),
    Column("已回访", lambda item: item[1].called_back),
    Column("回访率", lambda item: item[1].callback_rate, ratio=True),
    Column("按时回访", _status(cb.ON_TIME)),
    Column("逾期回访", _status(cb.LATE)),
    Column("逾期未回访", _status(cb.OVERDUE_OPEN)),
    Column("未到期待回访", _status(cb.NOT_DUE)),
    Column("作废/无记录/无期限", lambda item: sum(item[1].statuses[k] for k in (cb.VOID, cb.MISSING, cb.NO_DEADLINE))),
    Column("按时率", lambda item: item[1].on_time_rate, ratio=True),
]
CB_SATISFACTION = [
    Column("已回访", lambda item: item[1].called_back),
    *(Column(k, _rating(k)) for k in cb.SATISFACTION),
    Column("未填满意度", _rating(cb.NOT_RATED)),
    Column("满意率", lambda item: item[1].satisfied_rate, ratio=True),
    Column("退回返工", lambda item: item[1].rework),
]


def callback_pending_columns(local: Callable) -> list[Column]:
    """The columns of the completions not called back yet (the PDF's 五、尚未回访 and the CSV's list)."""
    return [Column(h, g) for h, g in (
        ("完工时间", lambda c: local(c.completed_at)), ("维修单", lambda c: c.repair),
        ("房号", lambda c: mask(c.unit)), ("类别", lambda c: c.repair_class),
        ("维修部门·人员", cb.person_label), ("回访记录", lambda c: c.callback or "—"),
        ("回访期限", lambda c: local(c.due) or "—"), ("状态", lambda c: cb.STATUS_LABELS[c.status]))]


def callback_sections(s: CallbackSummary, local: Callable) -> list[Section]:
    """The lists the callback CSV carries under its groups: the repairs of the month not called back yet."""
    return [Section("尚未回访：本月完工、尚未回访的维修", callback_pending_columns(local), s.open_completions)]


def counts_text(counts: dict[str, int]) -> str:
    """``满意 3、基本满意 1`` (zero counts left out), or 无."""
    return "、".join(f"{k} {n}" for k, n in counts.items() if n) or "无"


def _visit_rate(counts: dict[str, int]) -> Ratio:
    rated = sum(n for k, n in counts.items() if k != cb.NOT_RATED)
    return Ratio(counts.get("满意", 0) + counts.get("基本满意", 0), rated)


def callback_facts(s: CallbackSummary, local: Callable) -> list[list[Any]]:
    """The headline figures and definitions of the callback summary (CSV ``指标`` rows)."""
    due = s.due.counts
    return [
        ["统计月份", s.period.key, s.period.label],
        ["统计截至", local(s.now), "此时间以后的办理不计入"],
        ["回访率目标", s.target, cb.CALLBACK_TARGET_SOURCE],
        ["回访率", s.total.callback_rate, "已回访 ÷ 应回访（本月完工的维修，每次完工应回访一次）"],
        ["按时率", s.total.on_time_rate, "按时回访 ÷（按时回访 + 逾期回访 + 逾期未回访）；期限按回访流程的规定"],
        ["满意率", s.total.satisfied_rate, "（满意 + 基本满意）÷ 填了满意度的已回访"],
        ["本月到期回访", s.due.total, counts_text({dl.OUTCOME_LABELS[k]: n for k, n in due.items()})],
        ["本月完成回访", len(s.visits), counts_text(s.visits_by_source)],
        ["本月完成回访的满意率", _visit_rate(s.visit_satisfaction), counts_text(s.visit_satisfaction)],
        ["回访发现问题", len(s.problems), f"其中退回返工 {sum(v.rework for v in s.problems)}"],
    ]


# ── survey ───────────────────────────────────────────────────────────────────────────────────

SURVEY_COLUMNS = [
    Column("项目", lambda i: i.label),
    Column("有效回答", lambda i: i.answered),
    Column("满意", lambda i: i.counts[0]),
    Column("基本满意", lambda i: i.counts[1]),
    Column("不满意", lambda i: i.counts[2]),
    Column("未答", lambda i: i.unanswered),
    Column("满意率", lambda i: i.satisfied, ratio=True),
    Column("满意占比", lambda i: i.very, ratio=True),
    Column("等级", lambda i: i.grade or "—"),
]


def survey_items(a: SurveyAnalysis) -> list[ItemResult]:
    """The overall rating first, then each item in the form's order."""
    return ([a.overall] if a.overall else []) + list(a.items)


def survey_facts(a: SurveyAnalysis, local: Callable) -> list[list[Any]]:
    """The headline figures and definitions of the survey analysis (CSV ``指标`` rows)."""
    targets = "、".join(f"{name} ≥{at:g}%" for name, at in a.targets)
    return [
        ["征询年度", a.year, ""],
        ["统计截至", local(a.now), "此时间以后登记的征询表不计入"],
        ["应发放户数", a.units or "", a.units_source or "未知：请主管指定应发放户数"],
        ["回收份数", a.forms_returned, "本年度登记的征询表，不含无效问卷"],
        ["回收户数", a.units_returned, "回收的不同房号数"],
        ["回收率", a.return_rate, "回收户数 ÷ 应发放户数"],
        ["无效问卷", a.invalid, "主管作废的问卷，不计入统计"],
        ["满意率目标", targets, "行业评定参考，工作手册未规定；主管可另定目标"],
        ["满意率口径", "", "（满意 + 基本满意）÷ 该项有效回答数；未回答的不计入该项"],
        *(["回收方式：" + way, n, ""] for way, n in a.by_collection),
    ]


# ── deadlines ────────────────────────────────────────────────────────────────────────────────

def _outcome(key: str) -> Callable[[ClockTally], int]:
    return lambda row: row.counts[key]


DEADLINE_COLUMNS = [
    Column("表单", lambda r: r.form_title),
    Column("期限", lambda r: r.label),
    Column("到期数", lambda r: r.total),
    *(Column(label, _outcome(key)) for key, label in dl.OUTCOME_LABELS.items()),
    Column("按时率", lambda r: r.on_time_rate, ratio=True),
]


def deadline_rows(s: DeadlineSummary) -> list[ClockTally]:
    """Every clock of every workflow, then the total."""
    return [*s.rows, s.total]


def deadline_facts(s: DeadlineSummary, local: Callable) -> list[list[Any]]:
    """The headline figures and definitions of the deadline report (CSV ``指标`` rows)."""
    return [
        ["统计月份", s.period.key, s.period.label],
        ["统计截至", local(s.now), "此时间以后的办理不计入"],
        ["到期数", s.total.total, "期限（按工作日历、暂停顺延后）落在本月的，不含作废/无效"],
        ["按时率", s.total.on_time_rate, "按时完成 ÷（按时完成 + 逾期完成 + 逾期未办）；未到期的不计"],
        ["作废/无效", s.total.counts[dl.CANCELLED], "记录作废或判为无效而停止的期限，不计入按时率"],
    ]
