"""``formflow fees calls`` (each collector's call list) and ``formflow fees assign`` (moving records to another
collector by correction). Phones are masked in everything these commands print or write: the whole number is
shown only on the collector's own desk page (/fees)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from formflow.cli.common import NOW, agreed, now_from, open_app, with_root
from formflow.cli.fees import fees

#: Columns of the call list as a spreadsheet.
CALL_HEADERS = ("序号", "催费人", "房号", "业主", "联系电话", "欠费合计（元）", "欠费月数", "最近一次结果", "承诺缴费日期",
                "上次联系", "催缴次数", "失约次数", "下一步", "档案编号", "通话结果（手写）")


def _lists(app, collector: str | None, now: dt.datetime):
    from formflow.fees.calllist import call_list, collectors_of

    records = list(app.store.records("fee_collection"))
    if collector:
        if app.defs.settings.person(collector) is None:
            raise click.BadParameter(f"“{collector}”不在人员名册中 not on the roster", param_hint="--collector")
        return [call_list(app.defs, records, now, collector)]
    everyone = call_list(app.defs, records, now)
    return [call_list(app.defs, records, now, name) for name in collectors_of(everyone.rows)] or [everyone]


@fees.command("calls")
@click.option("--collector", help="催费人 only this collector's list (default: one list per collector)")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "xlsx", "pdf"]), default="text",
              show_default=True, help="输出格式 output format (xlsx and pdf need -o)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="写入此文件 write to this file")
@NOW
@with_root
def fees_calls(collector: str | None, fmt: str, output: Path | None, now_text: str | None, root: Path) -> None:
    """催费电话清单 Each collector's call list: the open 催缴档案 in the order to call them.

    \b
    例 Examples:  formflow fees calls --collector 王芳
                  formflow fees calls --format pdf -o 催费电话清单.pdf
    Order: a call due now (first call, the reminder before a promised date, the retry after no answer), then
    broken promises, amount owed, months owed, days since the last call (never called first). Phones are
    masked in every format (138****5678): this is the supervisor's view; a collector sees the whole numbers
    on the desk (formflow serve, 催费).
    """
    from formflow.fees.calllist import masked_phones
    from formflow.fees.values import yuan
    from formflow.render.calls import list_title

    if fmt in ("xlsx", "pdf") and output is None:
        raise click.UsageError(f"--format {fmt} 需要 -o 文件名 needs -o FILE.{fmt}")
    app = open_app(root)
    if "fee_collection" not in app.defs.workflows:
        raise click.ClickException("工作区没有催缴档案流程 no workflow “fee_collection”")
    now = now_from(now_text, app.defs.settings.timezone)
    lists = _lists(app, collector, now)
    if output is not None and output.suffix.lower() != f".{fmt}":
        output = output.with_name(f"{output.name}.{fmt}")
    if fmt == "pdf":
        from formflow.adapters.atomic import write_bytes
        from formflow.render.calls import render_calls

        write_bytes(output, render_calls(app.defs, lists, now))
        click.echo(f"已写入 written: {output}（{sum(len(one.rows) for one in lists)} 户 units）")
        return
    if fmt == "xlsx":
        from formflow.adapters.spreadsheet import write_xlsx

        rows = [(i, r.collector, r.unit, r.owner, masked_phones(r.phones), r.amount, r.months, r.outcome,
                 r.promised_date, r.last_text, r.attempts, r.broken, r.next_step, r.number, "")
                for one in lists for i, r in enumerate(one.rows, 1)]
        write_xlsx(output, CALL_HEADERS, rows, title=f"催费电话清单（截至 {now:%Y-%m-%d %H:%M}）", sheet_name="催费电话清单")
        click.echo(f"已写入 written: {output}（{len(rows)} 户 units）")
        return
    if fmt == "json":
        text = json.dumps({"now": now.isoformat(), "hours": lists[0].hours if lists else "",
                           "lists": [{"collector": one.collector, "rows": [r.as_data() for r in one.rows]}
                                     for one in lists]}, ensure_ascii=False, indent=1)
        if output is not None:
            output.write_text(text + "\n", encoding="utf-8")
            click.echo(f"已写入 written: {output}")
        else:
            click.echo(text)
        return
    for one in lists:
        click.echo(f"{list_title(one)}：{len(one.rows)} 户，共 {yuan(one.total)} 元，现在该打 {one.due_now} 户"
                   + (f"；通话时段 calling hours：{one.hours}" if one.hours else ""))
        for i, r in enumerate(one.rows, 1):
            promised = f"承诺 {r.promised_date}" if r.promised_date else ""
            broken = f"失约 {r.broken} 次" if r.broken else ""
            click.echo(f"  {i:>2}. " + "  ".join(v for v in (
                r.unit, r.owner, masked_phones(r.phones) or "（无电话）", f"{yuan(r.amount)} 元", f"{r.months} 个月",
                r.outcome, promised, f"上次 {r.last_text}", f"已催 {r.attempts} 次", broken) if v))
            click.echo(f"      → {r.next_step}（{r.number}）")


@fees.command("assign")
@click.option("--unit", help="房号 the open record(s) of this unit")
@click.option("--building", help="楼栋 the open records of this building (the 房号's first part)")
@click.option("--round", "round_name", help="催费批次 the open records of this round (with --from)")
@click.option("--from", "from_name", help="原催费人 only the records of this collector (needed with --round)")
@click.option("--to", "to", required=True, help="新催费人 the collector they move to")
@click.option("--by", required=True, help="经办人 the supervisor making the correction")
@click.option("--reason", default="", help="更正原因 the reason on each correction (default: 主管重新分配催费人)")
@click.option("--yes", is_flag=True, help="不询问，直接写入 write without asking (scripts)")
@NOW
@with_root
def fees_assign(unit: str | None, building: str | None, round_name: str | None, from_name: str | None, to: str,
                by: str, reason: str, yes: bool, now_text: str | None, root: Path) -> None:
    """调整催费人 Move open 催缴档案 to another collector: one correction (更正) of 催费人 per record, after a preview.

    \b
    例 Examples:  formflow fees assign --building 6 --to 李娜 --by 赵敏
                  formflow fees assign --round 2026年12月催费 --from 王芳 --to 李娜 --by 赵敏 --yes
    Each correction is an action file written into inbox/ (formflow process or watch applies it), so the
    history keeps who moved what, when and why.
    """

    from formflow.adapters.inbox import put
    from formflow.definitions.feecollectors import call_roles
    from formflow.fees import assign

    if sum(bool(v) for v in (unit, building, round_name)) != 1:
        raise click.UsageError("请只用 --unit、--building、--round 之一 give exactly one of --unit, --building, --round")
    if round_name and not from_name:
        raise click.UsageError("--round 需要 --from 原催费人 needs --from NAME")
    app = open_app(root)
    defs = app.defs
    settings = defs.settings
    if "fee_collection" not in defs.workflows:
        raise click.ClickException("工作区没有催缴档案流程 no workflow “fee_collection”")
    person = settings.person(to)
    if person is None:
        raise click.BadParameter(f"“{to}”不在人员名册中 not on the roster", param_hint="--to")
    roles = call_roles(defs.forms, defs.workflows)
    if roles and not roles & set(person.roles):
        need = "、".join(settings.roles.get(r, r) for r in sorted(roles))
        raise click.BadParameter(f"“{to}”不能做催费人 cannot collect（需要角色：{need}）", param_hint="--to")
    rules = defs.workflows["fee_collection"].corrections
    supervisor = settings.person(by)
    if supervisor is None or rules is None or not set(rules.roles) & set(supervisor.roles):
        need = "、".join(settings.roles.get(r, r) for r in (rules.roles if rules else ()))
        raise click.BadParameter(f"“{by}”不能更正催缴档案 may not correct collection records（需要角色：{need}）",
                                 param_hint="--by")
    now = now_from(now_text, settings.timezone)
    found = assign.moves(defs, app.store.records("fee_collection"), to, unit=unit or "", building=building or "",
                         round_name=round_name or "", from_name=from_name or "")
    click.echo(f"改由 {to} 催缴 to move to {to}：{len(found)} 份催缴档案 records")
    for move in found:
        click.echo(f"  {move.number}  {move.unit}  {move.round}  {move.collector or '（无）'} → {to}")
    if not found:
        click.echo("没有要调整的催缴档案 nothing to move")
        return
    if not agreed(yes, "写入收件箱，由下次处理时更正？ write the corrections into inbox/?"):
        return
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for move in found:
        doc = assign.correction(move, to, by, now, reason)
        put(root / "inbox", f"更正催费人-{move.number}-{stamp}.yaml", doc)
    click.echo(f"已放入收件箱 written: {len(found)} 个文件 files（formflow process 或 watch 处理）")
