"""``formflow report …``: the reports the work manual asks for, as PDF (with a chart) and CSV.

Each command reads the records (nothing is written to the store), computes the figures with a
pure module of :mod:`formflow.reports`, writes ``<kind>-<period>.pdf`` and ``.csv`` into
``outbox/reports/`` (or ``-o DIR``), and prints the paths and a short summary.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from formflow.cli.common import NOW, now_from, open_app, with_root
from formflow.cli.main import cli

OUTPUT = click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
                      help="输出目录 output folder (default: outbox/reports/)")
MONTH = click.option("--month", metavar="YYYY-MM", help="统计月份 the month, e.g. 2026-10 (default: the month of --now)")
GRADE_NAMES = ("一级", "二级", "三级", "四级", "五级")


@cli.group("report")
def report() -> None:
    """统计报表 Reports: the monthly callback summary, the yearly survey analysis, deadlines, fee collection.

    \b
    每个报表生成 PDF（带图表，可打印报管理处主任）和 CSV（Excel/WPS 可直接打开），
    默认放在 outbox/reports/。Each writes a PDF and a CSV into outbox/reports/.
    例 Example:  formflow report callbacks --month 2026-10
    """


STATION = click.option("--station", default="all", show_default=True, metavar="CODE|all",
                       help="只统计此站点登记的记录 only records registered at this station "
                            "(a headquarters holding many estates' logs); all: every record held here")


def _records(app, station: str, form: str | None = None):
    """The records of ``form`` held here, or only those registered at ``station`` (the station of the
    entry that created each: :attr:`Event.entry`; records from before entries were keyed are this station's)."""
    records = app.store.records(form)
    if station == "all":
        return records
    from formflow.adapters.stationlog import CODE

    if not CODE.match(station):
        raise click.BadParameter(f"站点代码应为 2–6 位大写字母/数字，或 all: {station!r}", param_hint="--station")
    own = app.defs.settings.station
    return (r for r in records if (r.events[0].entry[1] if r.events[0].entry else own) == station)


def _key(key: str, station: str) -> str:
    """A report's file name: its period, and the station when it covers one only."""
    return key if station == "all" else f"{key}-{station}"


def _month(text: str | None, now: dt.datetime, tz):
    from formflow.reports.base import month_period

    try:
        return month_period(text or f"{now.astimezone(tz):%Y-%m}", tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None


def _write(app, root: Path, output: Path | None, station: str, made) -> None:
    """Write report ``made`` as ``<kind>-<period>[-<station>].pdf`` and ``.csv`` and say where, with its summary."""
    from formflow.reports import pages

    paths = pages.write_report(app.defs, output or root / "outbox" / "reports",
                               _key(f"{made.kind}-{made.period.key}", station), made.template, made.context, made.rows)
    _written(root, paths, made.lines)


def _written(root: Path, paths, lines: list[str]) -> None:
    for path in paths:
        try:
            shown = path.resolve().relative_to(root.resolve())
        except ValueError:
            shown = path
        click.echo(f"已生成 written: {shown}")
    for line in lines:
        click.echo(line)


@report.command("callbacks")
@MONTH
@STATION
@OUTPUT
@NOW
@with_root
def callbacks_cmd(month: str | None, station: str, output: Path | None, now_text: str | None, root: Path) -> None:
    """月度回访汇总 The monthly callback summary: callback rate (target 100%), on-time rate, satisfaction, rework.

    \b
    手册：对维修服务回访处理率达100%；每月末汇总走回访记录，统计、分析，经客服中心主管审核后报管理处主任。
    按维修类别和维修部门·人员分列；另列本月到期、本月完成的回访，发现的问题和尚未回访的清单。
    例 Example:  formflow report callbacks --month 2026-10 [--station YG2]
    """
    from formflow.reports import run

    app = open_app(root)
    tz = app.defs.settings.timezone
    now = now_from(now_text, tz)
    made = run.callbacks(app.defs, lambda form: _records(app, station, form), _month(month, now, tz), now)
    _write(app, root, output, station, made)


def _targets(text: str | None):
    """``--targets``: ``80,75,70`` (named 一级, 二级, … from the highest) or ``优秀=95,合格=90``."""
    from formflow.reports.survey import DEFAULT_TARGETS

    if not text:
        return DEFAULT_TARGETS
    parsed = []
    for part in (p.strip() for p in text.replace("，", ",").split(",") if p.strip()):
        name, _, value = part.rpartition("=")
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            number = -1
        if not 0 < number <= 100:
            raise click.BadParameter(f"应为 0–100 的百分数 expected percentages, e.g. 80,75,70 (got {part!r})",
                                     param_hint="--targets")
        parsed.append((name.strip(), number))
    parsed.sort(key=lambda t: -t[1])
    return tuple((name or (GRADE_NAMES[i] if i < len(GRADE_NAMES) else f"{i + 1}级"), number)
                 for i, (name, number) in enumerate(parsed))


@report.command("survey")
@click.option("--year", type=int, help="征询年度 the survey year (default: the year of --now)")
@click.option("--units", type=click.IntRange(min=1), help="应发放户数 units handed a form "
              "(default: the choice list 'units', else distinct units of the move-in records)")
@click.option("--targets", metavar="80,75,70", help="满意率等级目标 grade targets in % (default: 一级 80, 二级 75, "
              "三级 70 — the industry reference in forms/survey.yaml; the manual sets none)")
@STATION
@OUTPUT
@NOW
@with_root
def survey_cmd(year: int | None, units: int | None, targets: str | None, station: str, output: Path | None,
               now_text: str | None, root: Path) -> None:
    """年度业主意见征询分析 The yearly survey analysis: return rate, overall and per-item satisfaction, chart.

    \b
    手册：每年发放《业主意见征询表》征询业主意见并及时回收，统计分析，报管理处主任。
    满意率 =（满意 + 基本满意）÷ 该项有效回答数；回收率 = 回收户数 ÷ 应发放户数。
    例 Example:  formflow report survey --year 2026 --units 480
    """
    from formflow.reports import run
    from formflow.reports.base import year_period

    grades = _targets(targets)
    app = open_app(root)
    tz = app.defs.settings.timezone
    now = now_from(now_text, tz)
    year = year if year is not None else now.astimezone(tz).year
    try:
        period = year_period(year, tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--year") from None
    made = run.survey(app.defs, lambda form: _records(app, station, form), period, now, units=units, targets=grades)
    _write(app, root, output, station, made)


@report.command("deadlines")
@MONTH
@STATION
@OUTPUT
@NOW
@with_root
def deadlines_cmd(month: str | None, station: str, output: Path | None, now_text: str | None, root: Path) -> None:
    """月度期限执行情况 Deadlines due in the month, per form and clock: on time, late, overdue, open.

    \b
    例 Example:  formflow report deadlines --month 2026-10
    """
    from formflow.reports import run

    app = open_app(root)
    tz = app.defs.settings.timezone
    now = now_from(now_text, tz)
    made = run.deadlines(app.defs, lambda form: _records(app, station, form), _month(month, now, tz), now)
    _write(app, root, output, station, made)


@report.command("fees")
@MONTH
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "csv"]), help="只生成一种 only this one "
              "(default: PDF and CSV)")
@STATION
@OUTPUT
@NOW
@with_root
def fees_cmd(month: str | None, fmt: str | None, station: str, output: Path | None, now_text: str | None,
             root: Path) -> None:
    """电话催费统计 The monthly fee collection report: calls, reach rate, promises kept, amount recovered, 收缴率.

    \b
    按催费人和楼栋分列，另列期末仍欠费的房屋（最近一次结果和日期，电话隐去中间数字）。期初、期末欠费取导入的
    欠费清单（formflow fees import）。
    例 Example:  formflow report fees --month 2026-12 [--format xlsx]
    """
    from formflow.adapters.atomic import write_bytes
    from formflow.reports import run

    app = open_app(root)
    tz = app.defs.settings.timezone
    now = now_from(now_text, tz)
    made = run.fees(app.defs, lambda form: _records(app, station, form), _month(month, now, tz), now, root=root)
    if fmt is None:
        _write(app, root, output, station, made)
        return
    target = (output or root / "outbox" / "reports") / f"{_key(f'fees-{made.period.key}', station)}.{fmt}"
    if fmt == "xlsx":
        made.xlsx(target)
    else:
        write_bytes(target, made.pdf(app.defs) if fmt == "pdf" else made.csv())
    _written(root, [target], made.lines)
