"""The fee collection report as printed and exported: PDF context (report_fees.html), CSV rows, .xlsx rows and the
short text ``formflow report fees`` prints, all from one :class:`~formflow.reports.fees.FeeSummary`.

Phones are masked everywhere here (a mobile as 138****5678, a landline as 0755-****1234): the full numbers are
for the collector's screen only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from formflow.definitions.loader import Definitions
from formflow.fees import promises as pr
from formflow.fees.calllist import masked_phones
from formflow.fees.values import yuan
from formflow.reports import fees as fe
from formflow.reports import tables as tb
from formflow.reports.charts import BAD, GOOD, NONE, OPEN, Chart, stacked_bar
from formflow.reports.pages import _card, _common, _of

NO_RATE = "清单没有应收、已收金额，无法计算收缴率"


def mask_phone(phone: str) -> str:
    """A phone as a printed list shows it: the mobile mask of the to-do lists, else all but the area code and
    the last four digits hidden (0755-26881234 → 0755-****1234); every number of the text."""
    return masked_phones(phone, area=True)


def phones_text(phones) -> str:
    return "、".join(mask_phone(p) for p in phones) or "—"


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


def _rate_text(c: fe.Collected) -> str:
    return c.rate.percent() if c.known else "—"


def _promises(key: str) -> Callable:
    return lambda item: item[1].promises[key]


GROUP = tb.Column("分组", lambda item: item[0])
NAME = tb.Column("名称", lambda item: item[1].label)
CALLS = [
    tb.Column("期初欠费户数", lambda i: i[1].units_start),
    tb.Column("通话次数", lambda i: i[1].calls),
    tb.Column("接通", lambda i: i[1].reached),
    tb.Column("接通率", lambda i: i[1].reach_rate, ratio=True),
    tb.Column("承诺", lambda i: i[1].promised),
    *(tb.Column(f"承诺{label}", _promises(key)) for key, label in pr.LABELS.items()),
    tb.Column("兑现率", lambda i: i[1].kept_rate, ratio=True),
]
MONEY = [
    tb.Column("期初欠费金额", lambda i: f"{i[1].owed_start:.2f}"),
    tb.Column("结案户数", lambda i: i[1].closed),
    tb.Column("收回金额", lambda i: f"{i[1].recovered:.2f}"),
    tb.Column("期初收缴率", lambda i: i[1].start.rate, ratio=True),
    tb.Column("期末收缴率", lambda i: i[1].end.rate, ratio=True),
]


def groups(s: fe.FeeSummary) -> list[tuple[str, fe.FeeTally]]:
    """(group, tally) rows: the total, each 催费人, each 楼栋."""
    return [("合计", s.total), *(("催费人", t) for t in s.by_collector), *(("楼栋", t) for t in s.by_building)]


OWING_COLUMNS = [tb.Column(h, g) for h, g in (
    ("房号", lambda o: o.unit), ("业主", lambda o: o.owner or "—"), ("联系电话", lambda o: phones_text(o.phones)),
    ("欠费金额", lambda o: f"{o.owed:.2f}"), ("欠费月数", lambda o: o.months or "—"),
    ("催费人", lambda o: o.collector), ("催缴次数", lambda o: o.attempts), ("最近一次结果", lambda o: o.outcome),
    ("最近日期", lambda o: o.last_date or "—"), ("档案状态", lambda o: o.state))]


def _list_text(snapshot) -> str:
    return f"{snapshot.date.isoformat()} 导入的欠费清单（{snapshot.source}）" if snapshot is not None else "没有"


def facts(s: fe.FeeSummary, local: Callable) -> list[list]:
    """The headline figures and definitions (CSV ``指标`` rows)."""
    t = s.total
    return [
        ["统计月份", s.period.key, s.period.label],
        ["统计截至", local(s.now), "此时间以后的办理不计入"],
        ["期初清单", s.start.date.isoformat() if s.start else "", _list_text(s.start)],
        ["期末清单", s.end.date.isoformat() if s.end else "", _list_text(s.end) + (
            "；本月没有新导入的欠费清单，期末与期初相同" if s.start is not None and s.end is s.start else "")],
        ["期初欠费户数", t.units_start, "期初清单中欠费的房屋"],
        ["期初欠费金额", f"{t.owed_start:.2f}", "元"],
        ["通话次数", t.calls, "本月记录的通话（承诺缴费、未接通、拒缴或有异议、承诺前提醒）"],
        ["接通率", t.reach_rate, "接通 ÷ 通话次数；无人接听、号码错误为未接通"],
        ["本月承诺", t.promised, "、".join(f"{label} {t.promises[k]}" for k, label in pr.LABELS.items())],
        ["兑现率", t.kept_rate, "已兑现 ÷（已兑现 + 未兑现）；未到期的不计"],
        ["结案户数", t.closed, "本月确认已缴清的催缴档案" + (
            f"；其中 {s.closed_without_amount} 户未填实缴金额，未计入收回金额" if s.closed_without_amount else "")],
        ["收回金额", f"{t.recovered:.2f}", "本月结案档案的实缴金额合计（元）"],
        ["部分缴费未结案", s.part_paid[0], f"尚未结案的档案已记实缴金额 {s.part_paid[1]:.2f} 元"],
        ["期初收缴率", t.start.rate, "已收 ÷ 应收（期初清单各行）" if t.start.known else NO_RATE],
        ["期末收缴率", t.end.rate, "已收 ÷ 应收（期末清单各行）" if t.end.known else NO_RATE],
        ["仍欠费户数", len(s.owing), "期末清单中仍欠费的房屋；电话已隐去中间数字"],
    ]


def csv_rows(s: fe.FeeSummary, local: Callable) -> list[list[str]]:
    """The CSV: the groups, the units still owing, the headline figures."""
    return tb.csv_rows([GROUP, NAME, *CALLS, *MONEY], groups(s), facts(s, local),
                       [tb.Section("仍欠费户：期末清单中仍欠费的房屋", OWING_COLUMNS, s.owing)])


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def xlsx_rows(rows: list[list[str]]) -> list[list]:
    """The CSV rows for a spreadsheet: plain numbers as numbers (房号, dates and masked phones stay text)."""
    return [[Decimal(c) if _NUMBER.fullmatch(c) else c for c in row] for row in rows]


def _rate_bars(label: str, t: fe.FeeTally, group: bool = False) -> list:
    return [stacked_bar(f"{label} {when}", [(_fen(c.paid), GOOD, "已收")], _fen(c.due), _rate_text(c), group=group)
            for when, c in (("期初", t.start), ("期末", t.end)) if c.known]


def context(defs: Definitions, s: fe.FeeSummary) -> dict:
    """The template context of report_fees.html."""
    t = s.total
    people = [("合计", t), *(("催费人", c) for c in s.by_collector)]
    calls = Chart("通话接通情况（每条 100% = 通话次数）", tuple(
        stacked_bar(c.label, [(c.reached, GOOD, "接通"), (c.calls - c.reached, BAD, "未接通")], c.calls,
                    f"接通率 {_of(c.reach_rate)}", group=g == "合计") for g, c in people if c.calls or g == "合计"),
        legend=((GOOD, "接通"), (BAD, "未接通")))
    kept = Chart("本月承诺的兑现（每条 100% = 承诺次数）", tuple(
        stacked_bar(c.label, [(c.promises[pr.KEPT], GOOD, "已兑现"), (c.promises[pr.BROKEN], BAD, "未兑现"),
                              (c.promises[pr.OPEN], OPEN, "未到期")], c.promised, f"兑现率 {_of(c.kept_rate)}",
                    group=g == "合计") for g, c in people if c.promised or g == "合计"),
        legend=((GOOD, "已兑现"), (BAD, "未兑现"), (OPEN, "未到期")))
    rates = Chart("收缴率（每条 100% = 应收金额）",
                  tuple(b for label, c, g in [("合计", t, True), *((b.label, b, False) for b in s.by_building)]
                        for b in _rate_bars(label, c, g)),
                  legend=((GOOD, "已收"), (NONE, "未收")),
                  note="" if t.start.known and t.end.known else NO_RATE)
    styled = [(g, "row-total" if g[0] == "合计" else "") for g in groups(s)]
    same = s.start is not None and s.end is s.start
    lead = (f"期初（{_list_text(s.start)}）欠费 {t.units_start} 户，共 {yuan(t.owed_start)} 元。本月通话 {t.calls} 次，"
            f"接通 {t.reached} 次，接通率 {t.reach_rate.percent()}；承诺缴费 {t.promised} 次，已兑现 "
            f"{t.promises[pr.KEPT]}、未兑现 {t.promises[pr.BROKEN]}、未到期 {t.promises[pr.OPEN]}；缴清结案 {t.closed} 户，"
            f"收回 {yuan(t.recovered)} 元。" + ("本月没有新导入的欠费清单，期末与期初相同。" if same else ""))
    if s.start is None:
        lead = "还没有导入本月或以前的欠费清单：期初欠费和收缴率无从统计。" + lead[lead.index("本月通话"):]
    return {
        **_common(defs, "fees", f"{s.period.label}电话催费统计", s.period, s.now),
        "cards": [
            _card("期初欠费（元）", yuan(t.owed_start), f"{t.units_start} 户"),
            _card("接通率", t.reach_rate.percent(), f"接通 {t.reached} / 通话 {t.calls}"),
            _card("承诺兑现", f"{t.promises[pr.KEPT]} / {t.promised}",
                  f"未兑现 {t.promises[pr.BROKEN]} · 未到期 {t.promises[pr.OPEN]}", alert=bool(t.promises[pr.BROKEN])),
            _card("收回金额（元）", yuan(t.recovered), f"结案 {t.closed} 户"),
            _card("期末收缴率", _rate_text(t.end), f"期初 {_rate_text(t.start)}" if t.start.known and t.end.known
                  else NO_RATE),
        ],
        "lead": lead, "calls_chart": calls, "kept_chart": kept, "rates_chart": rates,
        "calls_table": tb.pdf_table([GROUP, NAME, *CALLS], styled, text_columns=2, widths=("16mm", "20mm")),
        "money_table": tb.pdf_table([GROUP, NAME, *MONEY], styled, text_columns=2, widths=("16mm", "20mm")),
        "part_paid": (f"尚未结案、已记部分缴费的档案 {s.part_paid[0]} 份，共 {yuan(s.part_paid[1])} 元（不计入收回金额）。"
                      if s.part_paid[0] else ""),
        "owing": tb.pdf_table(OWING_COLUMNS, [(o, "") for o in s.owing], text_columns=3, nowrap=(0, 8),
                              widths=("18mm", "13mm", "", "16mm", "10mm", "12mm", "10mm", "17mm", "19mm", "25mm")),
        "definitions": DEFINITIONS,
    }


DEFINITIONS = (
    ("期初 / 期末清单", ("期初取本月第一天或以前最近一次导入的欠费清单（之前没有的取本月第一份）；期末取本月最后一天"
                   "或以前最近一次导入的。本月没有新导入的，期末与期初相同。")),
    ("通话次数 / 接通率", ("本月记录的每次通话；无人接听、号码错误为未接通，其余（承诺缴费、拒缴或有异议、承诺前提醒）"
                     "为接通。接通率 = 接通 ÷ 通话次数。")),
    ("承诺兑现", ("本月记录的承诺缴费：承诺日期或以前确认已缴清（缴清日期不晚于承诺日期）为已兑现；承诺日期已过仍未缴清"
              "为未兑现；承诺日期未到为未到期。兑现率 = 已兑现 ÷（已兑现 + 未兑现）。按欠费清单核对结案的，缴清日期为"
              "该清单的日期。")),
    ("收回金额", "本月确认已缴清（结案）的催缴档案的实缴金额合计；部分缴费、尚未结案的单列，不计入。"),
    ("收缴率", "已收 ÷ 应收，按欠费清单各行的应收、已收计算；清单没有这两列的无法计算。"),
    ("分组", "催费人取催缴档案上的催费人；清单中的房屋取其最近一份催缴档案的催费人，没有档案的为未分配。楼栋取房号的第一段。"),
    ("仍欠费户", "期末清单中仍欠费的房屋，附最近一份催缴档案的催缴次数、最近一次结果和日期；电话隐去中间数字。"),
)


def text(s: fe.FeeSummary) -> list[str]:
    """The short text summary ``formflow report fees`` prints."""
    t = s.total
    return [
        (f"{s.period.label} 电话催费：期初欠费 {t.units_start} 户 {yuan(t.owed_start)} 元；通话 {t.calls} 次，"
         f"接通率 {_of(t.reach_rate)}"),
        f"  承诺 {t.promised} 次：已兑现 {t.promises[pr.KEPT]}、未兑现 {t.promises[pr.BROKEN]}、未到期 {t.promises[pr.OPEN]}",
        f"  结案 {t.closed} 户，收回 {yuan(t.recovered)} 元；收缴率 期初 {_rate_text(t.start)} → 期末 {_rate_text(t.end)}",
        f"  仍欠费 {len(s.owing)} 户",
    ]

