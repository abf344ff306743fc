"""``formflow fees``: the billing system's arrears list imported as a dated snapshot, and the collector's list."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from formflow.cli.common import FORMAT_X, OUTPUT, agreed, load, now_from, open_app, with_root, xlsx_target
from formflow.cli.main import cli
from formflow.definitions.fees import FEE_COLUMNS

#: Columns of the collector's list (``fees list``), as a clerk reads them.
LIST_HEADERS = ("房号", "业主", "联系电话", "入住状态", "欠费金额（元）", "欠费月数", "最早欠费期间", "收费项目")


def _day(text: str | None, param: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"“{text}”不是日期，应写成 YYYY-MM-DD not a date", param_hint=param) from None


@cli.group()
def fees() -> None:
    """电话催费 Fee collection: import the billing system's arrears list, list who owes what, start a collection round."""


@fees.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="工作表名称 sheet name (default: the one shown on opening)")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="欠费截至日期 the day it was owed (default: today; "
              "for back-filling older exports)")
@click.option("--by", help="经办人姓名 who imports (from the roster): signs the reconciliation of open collection "
              "records (default: each record's collector)")
@click.option("--yes", is_flag=True, help="不询问，直接保存 keep without asking (scripts)")
@with_root
def fees_import(file: Path, sheet: str | None, date_text: str | None, by: str | None, yes: bool,
                root: Path) -> None:
    """导入欠费清单 Import the arrears list FILE (.xlsx or CSV, UTF-8 or GBK) as a dated snapshot, after a preview.

    \b
    例 Example:  formflow fees import 欠费明细.xlsx
    Columns are found by their headers: 房号, 业主, 收费项目, 所属期间, 应收, 已收, 欠费金额 (and the names
    this office's billing system uses, listed under fees.columns in formflow.yaml). Each import is kept under
    data/archive/fees/ with the original file: what was owed on that day. Open collection records made from
    an older list are reconciled with it (fees/reconcile.py): paid up → closed, partly paid → recorded, each as
    an action file written into inbox/ once the list is kept.
    """
    from formflow.fees import reconcile, snapshots
    from formflow.fees.owing import summary
    from formflow.fees.values import yuan

    defs = load(root)
    settings = defs.settings
    if by is not None and settings.person(by) is None:
        raise click.BadParameter(f"“{by}”不在人员名册中 not on the roster", param_hint="--by")
    allowed = reconcile.signers(defs)
    if by is not None and allowed and not set(allowed) & set(settings.person(by).roles):
        need = "、".join(settings.roles.get(r, r) for r in allowed)
        raise click.BadParameter(f"“{by}”不能核对催缴档案 cannot sign the reconciliation（需要角色：{need}）",
                                 param_hint="--by")
    day = _day(date_text, "--date") or now_from(None, settings.timezone).date()
    planned = snapshots.plan(settings, file, day, sheet=sheet)
    found = planned.arrears
    where = f"（工作表 sheet：{planned.sheet}）" if planned.sheet else f"（{planned.encoding.upper()}）"
    click.echo(f"欠费清单 arrears list：{file.name}{where}")
    click.echo("列 columns：" + "，".join(f"{FEE_COLUMNS[k]}←“{found.columns[k]}”" for k in FEE_COLUMNS
                                         if k in found.columns))
    rows = len(found.items) + len(found.refused) + len(found.totals)
    click.echo(f"读取 rows read {rows} 行：采用 taken {len(found.items)} 行，未采用 refused {len(found.refused)} 行"
               + (f"，合计行 total rows {len(found.totals)} 行已跳过 skipped" if found.totals else ""))
    figures = summary(found.items, settings.register)
    click.echo(f"欠费 owing {figures.units} 户 units，共 total {yuan(figures.total)} 元（截至 as of {day.isoformat()}）"
               + (f"；已缴清 paid up {figures.paid_up} 行" if figures.paid_up else ""))
    if figures.by_item:
        click.echo("  按收费项目 by item：" + "；".join(f"{name} {units} 户 {yuan(owed)} 元"
                                                  for name, units, owed in figures.by_item))
    if figures.by_status:
        click.echo("  按入住状态 by occupancy：" + "；".join(f"{status} {count} 户" for status, count in figures.by_status))
    for item in found.unregistered:
        click.echo(f"  ! 第 {item.row} 行 row {item.row}：{item.unit} 不在房屋清单中（已采用，请核对房号）")
    for refused in found.refused:
        click.echo(f"  ✗ 第 {refused.row} 行 row {refused.row}：{refused.reason}")
    for number in found.totals:
        click.echo(f"  提示：第 {number} 行是合计行，已跳过 total row skipped")
    if snapshots.is_kept(root, planned):
        click.echo(f"这份欠费清单 {day.isoformat()} 已经导入过，不再重复保存 already kept: "
                   f"{snapshots.FOLDER.as_posix()}/{planned.name}")
        return
    if not found.items:
        click.echo("没有可采用的行，未保存 nothing to keep")
        return
    reconciliation = reconcile.for_import(root, day, found.items)
    for line in reconcile.preview(reconciliation) if reconciliation is not None else ():
        click.echo(line)
    if not agreed(yes, "保存这份欠费快照？ keep this snapshot?", "未保存 nothing written"):
        return
    path = snapshots.keep(root, planned, now_from(None, settings.timezone))
    click.echo(f"已保存 kept: {path.relative_to(root).as_posix()}（{len(found.items)} 行 rows，"
               f"{figures.units} 户 units，{yuan(figures.total)} 元）")
    if reconciliation is not None:
        written = reconcile.write(root, reconciliation, by or "", now_from(None, settings.timezone))
        click.echo(f"核对结果已放入收件箱 reconciliation written: {written} 个文件 files（formflow process 或 watch 处理）")


@fees.command("list")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="这一天导入的欠费清单 the snapshot of that day "
              "(default: the latest)")
@FORMAT_X
@OUTPUT
@with_root
def fees_list(date_text: str | None, fmt: str, output: Path | None, root: Path) -> None:
    """欠费户清单 Who owes what, largest amount first, with the owner's phones from the unit register.

    \b
    例 Examples:  formflow fees list
                  formflow fees list --date 2026-11-28 --format xlsx -o 欠费户清单.xlsx
    """
    from formflow.adapters.spreadsheet import write_xlsx
    from formflow.fees import snapshots
    from formflow.fees.owing import ZERO, per_unit
    from formflow.fees.values import yuan

    target = xlsx_target(fmt, output)
    defs = load(root)
    snapshot = snapshots.latest(root, _day(date_text, "--date"))
    units = per_unit(snapshot.items, defs.settings.register)
    total = sum((u.owed for u in units), ZERO)
    title = f"欠费户清单（{snapshot.date.isoformat()} 导入，{snapshot.source}）：{len(units)} 户，共 {yuan(total)} 元"
    if target is not None:
        write_xlsx(target, LIST_HEADERS, [(u.unit, u.owner, "、".join(u.phones), u.status, u.owed, u.months,
                                           u.oldest, u.items_text) for u in units], title=title, sheet_name="欠费户清单")
        click.echo(f"已写入 written: {target}（{len(units)} 户 units）")
        return
    if fmt == "json":
        click.echo(json.dumps({"date": snapshot.date.isoformat(), "source": snapshot.source, "total": f"{total:.2f}",
                               "units": [u.as_data() for u in units]}, ensure_ascii=False, indent=1))
        return
    click.echo(title)
    for u in units:
        click.echo("  " + "  ".join(v for v in (u.unit, u.owner, "、".join(u.phones) or "（无电话）", u.status,
                                                f"{yuan(u.owed)} 元", f"{u.months} 个月", f"自 {u.oldest}" if u.oldest else "",
                                                u.items_text) if v))


@fees.command("round")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="这一天导入的欠费清单 the snapshot of that day "
              "(default: the latest)")
@click.option("--name", help="催费批次名称 the round's name (default: 当月，如 2026年12月催费)")
@click.option("--by", required=True, help="经办人姓名 who does it (from the roster); also the collector unless "
              "--collector says otherwise")
@click.option("--collector", help="催费人 the collector of every record (default: each building's collector from "
              "fees.collectors in formflow.yaml, then --by for buildings not listed there)")
@click.option("--yes", is_flag=True, help="不询问，直接写入 write without asking (scripts)")
@with_root
def fees_round(date_text: str | None, name: str | None, by: str, collector: str | None, yes: bool,
               root: Path) -> None:
    """一轮催费 A collection round: one 催缴档案 per unit owing in the arrears snapshot, after a preview.

    \b
    例 Example:  formflow fees round --name 2026年12月催费 --by 王芳
    Units moved in and not yet moved in alike; the owner's phones from the unit register. Each record is a
    submission written into inbox/ (formflow process or watch stores it). A unit that already has a record of
    the same round (or whose submission waits in inbox/) is skipped, so running it twice creates nothing twice.
    """

    from formflow.adapters.inbox import put, safe_name
    from formflow.fees import rounds, snapshots
    from formflow.fees.values import yuan

    app = open_app(root)
    settings = app.defs.settings
    if rounds.FORM not in app.defs.forms or rounds.FORM not in app.defs.workflows:
        raise click.ClickException(f"工作区没有催缴档案表单 no form “{rounds.FORM}” (forms/{rounds.FORM}.yaml)")
    from formflow.definitions.feecollectors import collector_for

    assigned = {} if collector else settings.fees.collectors
    collector = collector or by
    for option, person_name in (("--by", by), ("--collector", collector)):
        if settings.person(person_name) is None:
            raise click.BadParameter(f"“{person_name}”不在人员名册中 not on the roster", param_hint=option)
    field = app.defs.forms[rounds.FORM].fields.get("collector")
    roles = set(field.roles or ()) if field is not None else set()
    if roles and not roles & set(settings.person(collector).roles):
        need = "、".join(settings.roles.get(r, r) for r in sorted(roles))
        raise click.BadParameter(f"“{collector}”不能做催费人 cannot collect（需要角色：{need}）",
                                 param_hint="--collector" if collector != by else "--by")
    now = now_from(None, settings.timezone)
    snapshot = snapshots.latest(root, _day(date_text, "--date"))
    name = (name or rounds.default_name(now.date())).strip()
    if not name:
        raise click.BadParameter("催费批次名称不能为空 the round needs a name", param_hint="--name")
    inbox = root / "inbox"

    def file_of(unit: str) -> Path:
        return inbox / f"催缴-{safe_name(name)}-{safe_name(unit)}.yaml"

    existing = rounds.existing_units(app, name)
    waiting = {u.unit for u in rounds.plan(name, snapshot.date, snapshot.items, settings.register, set()).units
               if file_of(u.unit).exists()}
    planned = rounds.plan(name, snapshot.date, snapshot.items, settings.register, existing | waiting)
    click.echo(f"催费批次 round：{name}（欠费清单 {snapshot.date.isoformat()} 导入，{snapshot.source}）")
    click.echo(f"新建催缴档案 to create：{len(planned.units)} 户 units"
               + (f"，共 {yuan(planned.total)} 元" if planned.units else "")
               + (f"；已有本批次档案，跳过 skipped {len(planned.skipped)} 户" if planned.skipped else ""))
    statuses: dict[str, int] = {}
    for unit in planned.units:
        statuses[unit.status] = statuses.get(unit.status, 0) + 1
    if statuses:
        click.echo("  按入住状态 by occupancy：" + "；".join(f"{s} {n} 户" for s, n in statuses.items()))
    collectors = {u.unit: collector_for(u.unit, assigned, collector) for u in planned.units}
    if assigned and collectors:
        counts: dict[str, int] = {}
        for person_name in collectors.values():
            counts[person_name] = counts.get(person_name, 0) + 1
        click.echo("  按催费人 by collector（fees.collectors）：" + "；".join(f"{p} {n} 户" for p, n in counts.items()))
    for unit in planned.units[:20]:
        click.echo("  + " + "  ".join(v for v in (unit.unit, unit.owner, "、".join(unit.phones) or "（无电话）",
                                                  unit.status, f"{yuan(unit.owed)} 元") if v))
    if len(planned.units) > 20:
        click.echo(f"  + …… 另 {len(planned.units) - 20} 户 more")
    if planned.skipped:
        shown = "、".join(planned.skipped[:20]) + ("……" if len(planned.skipped) > 20 else "")
        click.echo(f"  跳过 skipped：{shown}")
    if not planned.units:
        click.echo("没有要新建的催缴档案 nothing to create")
        return
    if not agreed(yes, "写入收件箱，由下次处理时登记？ write the records into inbox/?"):
        return
    for unit in planned.units:
        doc = rounds.submission(planned, unit, by, collectors[unit.unit], now)
        put(inbox, file_of(unit.unit).name, doc)
    click.echo(f"已放入收件箱 written: {len(planned.units)} 个文件 files（formflow process 或 watch 处理）")
