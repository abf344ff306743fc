"""What each report PDF prints (the template contexts), its short text summary, and writing the files.

The figures come from the pure modules (callbacks, survey, deadlines) and the tables from
:mod:`formflow.reports.tables`, so the PDF and the CSV always agree. Every free text a resident or
clerk wrote (problems found, opinions) is masked like the to-do lists: mobile and ID numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from formflow.definitions.duetext import clock_text
from formflow.definitions.loader import Definitions
from formflow.render.values import mask
from formflow.reports import callbacks as cb
from formflow.reports import deadlines as dl
from formflow.reports import tables as tb
from formflow.reports.base import Period, Ratio
from formflow.reports.charts import BAD, FAIR, GOOD, NONE, OPEN, Chart, markers, stacked_bar
from formflow.reports.survey import TARGETS_SOURCE, SurveyAnalysis

SIGNOFF = ("制表", "客服中心主管审核", "管理处主任")


def local_time(defs: Definitions):
    """A formatter of moments in the office's time zone: ``2026-11-01 09:00`` (empty for None)."""
    tz = defs.settings.timezone
    return lambda moment: f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment else ""


def _common(defs: Definitions, kind: str, title: str, period: Period, now: dt.datetime) -> dict:
    local = local_time(defs)
    last = period.end - dt.timedelta(days=1)
    return {"office": defs.settings.office, "company": defs.settings.company, "kind": f"report report-{kind}",
            "title": title, "period_label": period.label, "printed": local(now), "subtitle": "",
            "period_range": f"{period.start:%Y-%m-%d} 至 {last:%Y-%m-%d}",
            "created_iso": now.isoformat(timespec="seconds"), "signoff": SIGNOFF,
            "meta": {"FormflowReport": kind, "FormflowPeriod": period.key}}


def _card(label: str, value: str, note: str, alert: bool = False) -> dict:
    return {"label": label, "value": value, "note": note, "alert": alert}


def _callback_definitions(defs: Definitions) -> tuple[tuple[str, str], ...]:
    """The method notes, with the callback deadlines as the workflow has them today (not a copy that goes stale)."""
    workflow = defs.workflows.get(cb.CALLBACK)
    clock = workflow.clocks.get(cb.CALLBACK_CLOCK) if workflow is not None else None
    rules = (clock_text(clock) if clock is not None else None) or "回访流程中未设期限"
    return tuple((term, text.replace("{rules}", rules)) for term, text in CALLBACK_DEFINITIONS)


def _of(ratio: Ratio) -> str:
    return f"{ratio.percent()}（{ratio.num}/{ratio.den}）" if ratio.den else "—"


# ── callbacks ────────────────────────────────────────────────────────────────────────────────

CALLBACK_DEFINITIONS = (
    ("应回访", "本月完工的维修：每次「完工」（完工时间在本月；返工后再完工另算一次）应回访一次，流程自动生成回访记录。"),
    ("已回访", "该次完工的回访记录已「回访完毕」或「退回返工」（截至统计时间）。"),
    ("回访率", f"已回访 ÷ 应回访。目标 100%（{cb.CALLBACK_TARGET_SOURCE}）。"),
    ("按时 / 逾期", "按回访流程的期限（{rules}）："
                  "期限内回访为按时，期限后回访为逾期回访，过期仍未回访为逾期未回访，期限未到为未到期。"),
    ("按时率", "按时回访 ÷（按时回访 + 逾期回访 + 逾期未回访）；未到期、作废、无回访记录的不计。"),
    ("满意率", "（满意 + 基本满意）÷ 填了满意度的已回访。"),
    ("退回返工", "回访发现问题、用「退回返工」把维修单退回维修人员整改的次数。"),
    ("分组", "维修类别取回访记录的类别（安全设施 / 渗漏水 / 其他）；维修部门·人员取完工时维修单上的派工信息。"),
    ("本月工作量", "本月到期回访：回访期限落在本月的回访记录；本月完成回访：回访时间在本月的全部回访记录（含投诉、便民服务）。"),
)


def callback_context(defs: Definitions, s: cb.CallbackSummary) -> dict:
    """The template context of report_callbacks.html."""
    local, t = local_time(defs), s.total
    groups = tb.callback_groups(s)
    styled = [(g, "row-total" if g[0] == "合计" else "") for g in groups]
    open_now = t.statuses[cb.OVERDUE_OPEN] + t.statuses[cb.NOT_DUE]
    reached = t.callback_rate.reaches(s.target)
    lead = (f"本月完工 {t.owed} 次（维修单 {len({c.repair for c in s.completions})} 张），已回访 {t.called_back} 次，"
            f"回访率 {t.callback_rate.percent()}"
            + ("" if reached is None else "，达到 100% 的要求" if reached else "，未达到 100% 的要求")
            + f"；尚未回访 {open_now} 次（逾期 {t.statuses[cb.OVERDUE_OPEN]}、未到期 {t.statuses[cb.NOT_DUE]}）。")
    outcome_parts = ((cb.ON_TIME, GOOD), (cb.LATE, FAIR), (cb.OVERDUE_OPEN, BAD), (cb.NOT_DUE, OPEN))
    outcome = Chart("回访完成情况（每条 100% = 应回访次数）", tuple(
        stacked_bar(tally.label, [*((tally.statuses[k], css, cb.STATUS_LABELS[k]) for k, css in outcome_parts),
                                  (tally.owed - sum(tally.statuses[k] for k, _ in outcome_parts), NONE, "其他")],
                    tally.owed, f"回访率 {_of(tally.callback_rate)}", group=group == "合计")
        for group, tally in groups),
        legend=((GOOD, "按时回访"), (FAIR, "逾期回访"), (BAD, "逾期未回访"), (OPEN, "未到期待回访"), (NONE, "作废/无记录")))
    satisfaction = Chart("回访满意度（每条 100% = 填了满意度的已回访）", tuple(
        stacked_bar(tally.label,
                    [(tally.satisfaction.get(k, 0), css, k) for k, css in zip(cb.SATISFACTION, (GOOD, FAIR, BAD))],
                    tally.rated, f"满意率 {_of(tally.satisfied_rate)}", group=group == "合计")
        for group, tally in groups),
        legend=tuple(zip((GOOD, FAIR, BAD), cb.SATISFACTION)))
    due = s.due.counts
    workload = [
        f"本月到期回访 {s.due.total} 项：" + "、".join(f"{dl.OUTCOME_LABELS[k]} {n}" for k, n in due.items()) + "。",
        f"本月完成回访 {len(s.visits)} 项：" + tb.counts_text(s.visits_by_source) + "；满意度 "
        + tb.counts_text(s.visit_satisfaction) + "。",
    ]
    problems = tb.pdf_table(
        [tb.Column(h, g) for h, g in (
            ("回访时间", lambda v: local(v.visited_at)), ("回访记录", lambda v: v.callback),
            ("来源记录", lambda v: v.source_record), ("房号", lambda v: mask(v.unit)),
            ("类别", lambda v: v.repair_class or v.source_form), ("满意度", lambda v: v.satisfaction or "未填"),
            ("发现的问题", lambda v: mask(v.problem) or "—"), ("返工", lambda v: "是" if v.rework else "否"))],
        [(v, "") for v in s.problems], text_columns=8, nowrap=(1, 2),
        widths=("19mm", "29mm", "29mm", "14mm", "13mm", "13mm", "", "9mm"))
    pending = tb.pdf_table(
        tb.callback_pending_columns(local), [(c, "") for c in s.open_completions], text_columns=8, nowrap=(1, 5),
        widths=("19mm", "29mm", "14mm", "13mm", "", "29mm", "19mm", "17mm"))
    satisfied = t.satisfied_rate
    return {
        **_common(defs, "callbacks", f"{s.period.label}维修回访汇总分析", s.period, s.now),
        "cards": [
            _card("回访率", t.callback_rate.percent(), f"已回访 {t.called_back} / 应回访 {t.owed} · 目标 {s.target}%",
                  alert=reached is False),
            _card("按时率", t.on_time_rate.percent(), f"按时 {t.on_time_rate.num} / {t.on_time_rate.den}"),
            _card("满意率", satisfied.percent(), "满意 {} · 基本满意 {} · 不满意 {}".format(
                *(t.satisfaction.get(k, 0) for k in cb.SATISFACTION))),
            _card("退回返工", str(t.rework), f"本月回访发现问题 {len(s.problems)} 项"),
        ],
        "lead": lead, "outcome_chart": outcome, "satisfaction_chart": satisfaction, "workload": workload,
        "outcome_table": tb.pdf_table([tb.CB_GROUP, tb.CB_NAME, *tb.CB_OUTCOME], styled, text_columns=2,
                                      widths=("24mm", "32mm")),
        "satisfaction_table": tb.pdf_table([tb.CB_GROUP, tb.CB_NAME, *tb.CB_SATISFACTION], styled, text_columns=2,
                                           widths=("24mm", "32mm")),
        "problems": problems, "pending": pending, "definitions": _callback_definitions(defs),
    }


def callback_text(s: cb.CallbackSummary) -> list[str]:
    """The short text summary ``formflow report callbacks`` prints."""
    t = s.total
    return [
        f"{s.period.label} 维修回访：应回访 {t.owed}，已回访 {t.called_back}，回访率 {t.callback_rate.percent()}"
        f"（目标 {s.target}%）",
        f"  按时率 {_of(t.on_time_rate)}；逾期未回访 {t.statuses[cb.OVERDUE_OPEN]}，未到期 {t.statuses[cb.NOT_DUE]}",
        f"  满意率 {_of(t.satisfied_rate)}；退回返工 {t.rework}",
        f"  本月到期回访 {s.due.total}，本月完成回访 {len(s.visits)}",
    ]


# ── survey ───────────────────────────────────────────────────────────────────────────────────

def survey_context(defs: Definitions, a: SurveyAnalysis, period: Period) -> dict:
    """The template context of report_survey.html."""
    items = tb.survey_items(a)
    first_name, first = a.targets[0] if a.targets else ("", 0)
    overall = a.overall
    chart = Chart("各项满意率（每条 100% = 该项有效回答数）", tuple(
        stacked_bar(i.label, [(n, css, k) for n, css, k in zip(i.counts, (GOOD, FAIR, BAD), ("满意", "基本满意", "不满意"))],
                    i.answered, f"{i.satisfied.percent()}{'（' + i.grade + '）' if i.grade else ''}", group=i is overall)
        for i in items),
        legend=((GOOD, "满意"), (FAIR, "基本满意"), (BAD, "不满意")), markers=markers(a.targets))
    weak = a.weakest
    weakest = ("低于" + f"{first_name}目标（≥{first:g}%）的项目：" + "、".join(f"{i.label} {i.satisfied.percent()}" for i in weak)
               + "。" if weak else (f"各项满意率均达到{first_name}目标（≥{first:g}%）。" if a.forms_returned else ""))
    ways = "、".join(f"{w} {n}" for w, n in a.by_collection) or "无"
    returns = [
        f"应发放 {a.units or '—'} 户（{a.units_source or '未知：请主管指定应发放户数'}）；回收征询表 {a.forms_returned} 份，"
        f"涉及 {a.units_returned} 户，回收率 {_of(a.return_rate)}；无效问卷 {a.invalid} 份。",
        f"回收方式：{ways}。",
    ]
    comments = tb.pdf_table(
        [tb.Column("编号", lambda c: c.record), tb.Column("房号", lambda c: mask(c.unit)),
         tb.Column("总体评价", lambda c: c.overall), tb.Column("意见和建议", lambda c: mask(c.text))],
        [(c, "") for c in a.comments], text_columns=4, widths=("29mm", "16mm", "16mm", ""), nowrap=(0,))
    return {
        **_common(defs, "survey", f"{a.year}年度业主意见征询统计分析", period, a.now),
        "cards": [
            _card("回收率", a.return_rate.percent(), f"回收 {a.units_returned} 户 / 应发放 {a.units or '—'} 户"),
            _card("总体满意率", overall.satisfied.percent() if overall else "—",
                  f"{overall.grade or '—'} · {first_name}目标 ≥{first:g}%" if overall else "",
                  alert=bool(overall and overall.answered and not overall.satisfied.reaches(first))),
            _card("总体满意占比", overall.very.percent() if overall else "—", "只计“满意”"),
            _card("低于目标的项目", str(len(weak)), f"共 {len(a.items)} 项", alert=bool(weak)),
        ],
        "returns": returns, "chart": chart, "weakest": weakest, "comments": comments,
        "table": tb.pdf_table(tb.SURVEY_COLUMNS, [(i, "row-total" if i is overall else "") for i in items],
                              widths=("30mm",)),
        "definitions": (
            ("回收份数", "本年度（「征询年度」）登记的征询表，不含主管作废的无效问卷；回收户数为其中不同房号数。"),
            ("应发放户数", "每户发放一份：取主管指定的户数；未指定时取房号清单的户数，"
                      "没有房号清单时取入住登记记录中的不同房号数（已取消的不计）。"),
            ("回收率", "回收户数 ÷ 应发放户数。"),
            ("满意率", "（满意 + 基本满意）÷ 该项有效回答数；满意占比 = 满意 ÷ 该项有效回答数；未回答的不计入该项。"),
            ("目标", TARGETS_SOURCE + "。"),
        ),
    }


def survey_text(a: SurveyAnalysis) -> list[str]:
    """The short text summary ``formflow report survey`` prints."""
    lines = [f"{a.year}年 业主意见征询：回收 {a.forms_returned} 份 / {a.units_returned} 户，应发放 {a.units or '—'} 户，"
             f"回收率 {a.return_rate.percent()}"]
    if a.overall:
        lines.append(f"  总体满意率 {_of(a.overall.satisfied)}，{a.overall.grade or '—'}；满意占比 {a.overall.very.percent()}")
    if a.weakest:
        lines.append("  低于目标：" + "、".join(f"{i.label} {i.satisfied.percent()}" for i in a.weakest))
    return lines


# ── deadlines ────────────────────────────────────────────────────────────────────────────────

def deadline_context(defs: Definitions, s: dl.DeadlineSummary) -> dict:
    """The template context of report_deadlines.html."""
    local, roles = local_time(defs), defs.settings.roles
    parts = ((dl.ON_TIME, GOOD), (dl.LATE, FAIR), (dl.OVERDUE_OPEN, BAD), (dl.OPEN, OPEN), (dl.CANCELLED, NONE))
    chart = Chart("本月到期的期限（每条 100% = 到期数，含作废）", tuple(
        stacked_bar(f"{row.form_title} · {row.label}", [(row.counts[k], css, dl.OUTCOME_LABELS[k]) for k, css in parts],
                    sum(row.counts.values()), f"按时率 {_of(row.on_time_rate)}") for row in s.active_rows),
        legend=tuple((css, dl.OUTCOME_LABELS[k]) for k, css in parts))
    rows = tb.deadline_rows(s)
    breaches = tb.pdf_table(
        [tb.Column(h, g) for h, g in (
            ("期限", lambda i: local(i.due)), ("记录编号", lambda i: i.record), ("房号", lambda i: mask(i.unit)),
            ("事项", lambda i: f"{defs.forms[i.form].title} · {i.label}"),
            ("完成", lambda i: local(i.stopped) or "未办"), ("状态", lambda i: dl.OUTCOME_LABELS[i.outcome]),
            ("负责", lambda i: "、".join(roles.get(r, r) for r in i.who)))],
        [(i, "") for i in s.breaches], text_columns=7, widths=("19mm", "29mm", "14mm", "", "19mm", "15mm", "24mm"),
        nowrap=(1,))
    t = s.total
    return {
        **_common(defs, "deadlines", f"{s.period.label}期限执行情况", s.period, s.now),
        "cards": [
            _card("本月到期", str(t.total), f"作废/无效另有 {t.counts[dl.CANCELLED]}"),
            _card("按时率", t.on_time_rate.percent(), f"按时 {t.on_time_rate.num} / {t.on_time_rate.den}"),
            _card("逾期完成", str(t.counts[dl.LATE]), "已办结，但晚于期限"),
            _card("逾期未办", str(t.counts[dl.OVERDUE_OPEN]), "期限已过仍未办结", alert=bool(t.counts[dl.OVERDUE_OPEN])),
        ],
        "chart": chart, "breaches": breaches,
        "table": tb.pdf_table(tb.DEADLINE_COLUMNS, [(r, "row-total" if r is s.total else "") for r in rows],
                              text_columns=2, widths=("30mm", "34mm")),
        "definitions": (
            ("到期", "期限（按工作日历跳过节假日、扣除暂停时间后）落在本月；一张记录的每个期限各算一项。"),
            ("按时完成 / 逾期完成", "期限停止（办结）的时间在期限之前 / 之后。"),
            ("逾期未办 / 未到期", "截至统计时间仍未办结，期限已过 / 未到。"),
            ("作废/无效", "记录作废或判为无效而停止的期限，单列，不计入按时率。"),
            ("按时率", "按时完成 ÷（按时完成 + 逾期完成 + 逾期未办）。返工等重新起算的期限按最近一轮计算。"),
        ),
    }


def deadline_text(s: dl.DeadlineSummary) -> list[str]:
    """The short text summary ``formflow report deadlines`` prints."""
    t = s.total
    lines = [f"{s.period.label} 期限：到期 {t.total}，按时率 {_of(t.on_time_rate)}；逾期完成 {t.counts[dl.LATE]}，"
             f"逾期未办 {t.counts[dl.OVERDUE_OPEN]}，未到期 {t.counts[dl.OPEN]}"]
    for row in s.active_rows:
        c = row.counts
        lines.append(f"  {row.form_title} · {row.label}：{row.total} 项，按时 {c[dl.ON_TIME]}、逾期完成 {c[dl.LATE]}、"
                     f"逾期未办 {c[dl.OVERDUE_OPEN]}、未到期 {c[dl.OPEN]}")
    return lines


# ── files ────────────────────────────────────────────────────────────────────────────────────

def write_report(defs: Definitions, folder: Path, name: str, template: str, context: dict,
                 rows: list[list[str]]) -> tuple[Path, Path]:
    """Render ``template`` to ``folder/name.pdf`` and write ``rows`` to ``folder/name.csv`` (atomically)."""
    from formflow.adapters.atomic import write_bytes
    from formflow.render.pdf import ARCHIVE_VARIANT, renderer_for

    pdf_path, csv_path = folder / f"{name}.pdf", folder / f"{name}.csv"
    write_bytes(pdf_path, renderer_for(defs).pdf(template, context, variant=ARCHIVE_VARIANT))
    write_bytes(csv_path, tb.csv_bytes(rows))
    return pdf_path, csv_path
