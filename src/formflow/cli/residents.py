"""Commands that start from a resident: ``search``, ``unit``, and ``units import`` for the unit register."""

from __future__ import annotations

import json
from pathlib import Path

import click

from formflow.cli.common import FORMAT_X, NOW, OUTPUT, agreed, load, now_from, open_app, with_root, xlsx_target
from formflow.cli.main import cli


def _entry_json(item, zone) -> dict:
    return {"record": item.number, "form": item.form, "form_title": item.form_title,
            "created": item.created.astimezone(zone).isoformat(), "unit": item.unit, "name": item.name,
            "phone": item.phone, "state": item.state, "state_label": item.state_label,
            "deadlines": [{"label": d.label, "due": d.due.isoformat(), "status": d.status,
                           "status_label": d.status_label} for d in item.deadlines]}


def _entry_line(item, zone) -> str:
    who = " ".join(v for v in (item.name, item.phone) if v)
    late = "；".join(f"{d.label} {d.due.astimezone(zone):%m-%d %H:%M} {d.status_label}" for d in item.deadlines)
    return "  ".join(v for v in (f"{item.created.astimezone(zone):%Y-%m-%d %H:%M}", item.number, item.form_title,
                                 item.unit, who, item.state_label, late) if v)


@cli.command()
@click.argument("text")
@click.option("--form", "form_id", help="只查此表单 only this form")
@FORMAT_X
@OUTPUT
@NOW
@with_root
def search(text: str, form_id: str | None, fmt: str, output: Path | None, now_text: str | None, root: Path) -> None:
    """查找记录 Find records by 房号 (any spelling), name, phone (or its last digits) or record number.

    \b
    例 Examples:  formflow search 3栋2单元1502
                  formflow search 黄秀英
                  formflow search 7094 --format xlsx -o 查找结果.xlsx
    """
    from formflow import exporting
    from formflow.residents import EXPORT_LIMIT, LIMIT
    from formflow.residents import search as find

    target = xlsx_target(fmt, output)
    app = open_app(root)
    zone = app.defs.settings.timezone
    found = find(app, text, now_from(now_text, zone), form=form_id, limit=EXPORT_LIMIT if target else LIMIT)
    if target is not None:
        headers, rows = exporting.entries_table(found.entries, zone)
        exporting.save(target, headers, rows, title=f"查找“{found.query}”：共 {found.total} 条记录", sheet="查找结果")
        click.echo(f"已写入 written: {target}（{len(rows)} 条 records）")
        return
    if fmt == "json":
        click.echo(json.dumps({"query": found.query, "unit": found.unit, "total": found.total,
                               "units": [u.as_data() for u in found.units],
                               "records": [_entry_json(e, zone) for e in found.entries]}, ensure_ascii=False, indent=1))
        return
    for unit in found.units:
        click.echo(f"房屋 unit {unit.unit}  {unit.owner}  {'、'.join(unit.phones)}  {unit.status}"
                   f"  （formflow unit {unit.unit}）")
    for item in found.entries:
        click.echo(_entry_line(item, zone))
    more = f"，显示最新的 {len(found.entries)} 条 newest shown" if found.total > len(found.entries) else ""
    click.echo(f"共 {found.total} 条记录 records{more}")


@cli.command()
@click.argument("unit")
@FORMAT_X
@OUTPUT
@NOW
@with_root
def unit(unit: str, fmt: str, output: Path | None, now_text: str | None, root: Path) -> None:
    """一户一档 A unit's file: owner, phones, 入住状态, its history and every record of the unit.

    \b
    例 Example:  formflow unit 3-2-1502
    """
    from formflow import exporting
    from formflow.residents import unit_file_of

    target = xlsx_target(fmt, output)
    app = open_app(root)
    zone = app.defs.settings.timezone
    file = unit_file_of(app, unit, now_from(now_text, zone))
    if target is not None:
        title, headers, rows = exporting.unit_file_table(file, zone)
        exporting.save(target, headers, rows, title=title, sheet=file.unit)
        click.echo(f"已写入 written: {target}（{len(rows)} 条 records）")
        return
    if fmt == "json":
        click.echo(json.dumps({
            "unit": file.unit, "registered": file.registered is not None, "owner": file.owner,
            "phones": list(file.phones), "status": file.status, "area": file.area,
            "history": [{"at": c.at.isoformat() if c.at else None, "source": c.source or "units.yaml",
                         "owner": c.owner, "phones": list(c.phones), "status": c.status, "note": c.note}
                        for c in file.history],
            "records": [_entry_json(e, zone) for e in file.records]}, ensure_ascii=False, indent=1))
        return
    click.echo(f"房号 {file.unit}" + ("" if file.registered else "（不在房屋清单中 not in the register）"))
    for label, value in (("业主/住户", file.owner), ("联系电话", "、".join(file.phones)), ("入住状态", file.status),
                         ("建筑面积", f"{file.area} 平方米" if file.area else "")):
        if value:
            click.echo(f"  {label}：{value}")
    if len(file.history) > 1 or (file.history and file.history[0].note):
        click.echo("  变更记录 history:")
        for change in file.history:
            when = f"{change.at.astimezone(zone):%Y-%m-%d}" if change.at else "房屋清单"
            what = "  ".join(v for v in (change.owner, "、".join(change.phones), change.status, change.note) if v)
            click.echo(f"    {when}  {change.source or '房屋清单'}  {what}")
    click.echo(f"  记录 records（{len(file.records)} 条，未办结 {len(file.open_records)} 条 open）:")
    from formflow.exporting import summary

    for item in file.records:
        click.echo("    " + _entry_line(item, zone))
        if item.details:
            click.echo("      " + summary(item, zone))


@cli.group()
def units() -> None:
    """房屋清单 The unit register (units.yaml): import the office's Excel/CSV list."""


@units.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="工作表名称 sheet name (default: the first)")
@click.option("--yes", is_flag=True, help="不询问，直接写入 apply without asking (scripts)")
@with_root
def units_import(file: Path, sheet: str | None, yes: bool, root: Path) -> None:
    """导入房屋清单 Import FILE (.xlsx or CSV, UTF-8 or GBK) into units.yaml, after a preview.

    \b
    例 Example:  formflow units import 房屋清单.xlsx
    Columns are found by their headers: 房号 (or 楼栋 + 单元 + 房间), 建筑面积, 业主(姓名), 联系电话/手机
    (several columns or several numbers in a cell), 入住状态, 备注. Units the file does not mention are kept.
    """
    from formflow.unitsimport import apply, plan

    defs = load(root)
    planned = plan(root, defs.settings, file, sheet=sheet)
    names = {"unit": "房号", "building": "楼栋", "entrance": "单元", "room": "房间", "area": "建筑面积",
             "owner": "业主", "phones": "电话", "status": "入住状态", "note": "备注", "phones_extra": "其他电话"}
    click.echo(f"{file.name}：" + "，".join(f"{names[k]}←“{v.replace(chr(31), '”“')}”" for k, v in planned.columns.items()))
    click.echo(f"新增 added {len(planned.added)} 户，变更 changed {len(planned.changed)} 户，"
               f"不变 unchanged {len(planned.unchanged)} 户，未导入的行 refused {len(planned.refused)} 行；"
               f"清单中文件未提到的 {planned.untouched} 户保持不变 kept")
    for unit_ in planned.added[:20]:
        click.echo(f"  + {unit_.unit}  {unit_.owner}  {'、'.join(unit_.phones)}  {unit_.status}")
    if len(planned.added) > 20:
        click.echo(f"  + …… 另 {len(planned.added) - 20} 户 more")
    for old, new, what in planned.changed[:20]:
        click.echo(f"  ~ {new.unit}  {'、'.join(what)}：" + "；".join(
            f"{_show(old, k)} → {_show(new, k)}" for k in _KEYS if k in what))
    if len(planned.changed) > 20:
        click.echo(f"  ~ …… 另 {len(planned.changed) - 20} 户 more")
    for refused in planned.refused:
        click.echo(f"  ✗ 第 {refused.row} 行 row {refused.row}：{refused.reason}")
    if planned.filled:
        rows = "、".join(str(n) for n in planned.filled[:10]) + ("……" if len(planned.filled) > 10 else "")
        click.echo(f"  提示：第 {rows} 行的楼栋/单元是空的（合并单元格），按上一行填写 blank 楼栋/单元 taken from the row above")
    if planned.unused:
        click.echo(f"  未使用的列 columns not read：{'、'.join(planned.unused)}")
    if not planned.changes_anything:
        click.echo("房屋清单无需改动 nothing to change")
        return
    if not agreed(yes, "写入 units.yaml？ apply?"):
        return
    path = apply(root, defs.settings, planned)
    click.echo(f"已写入 written: {path}（共 {len(planned.result)} 户 units）")


_KEYS = {"业主": "owner", "电话": "phones", "入住状态": "status", "建筑面积": "area", "备注": "note"}


def _show(u, label: str) -> str:
    value = getattr(u, _KEYS[label])
    if isinstance(value, tuple):
        return "、".join(value) or "（空）"
    return str(value) if value not in ("", None) else "（空）"


@units.command("normalise")
@click.option("--by", required=True, help="经办人姓名 who does it (from the roster)")
@click.option("--yes", is_flag=True, help="不询问，直接写入 apply without asking (scripts)")
@with_root
def units_normalise(by: str, yes: bool, root: Path) -> None:
    """统一已存房号的写法 Show the 房号 stored in another spelling (03-02-1502), and on confirmation correct them.

    \b
    例 Example:  formflow units normalise --by 赵敏
    Each correction is an action (房号写法统一) written into inbox/: the engine applies it on its next pass,
    keeps the old spelling in the record's history, and a rebuild replays it like any action.
    """

    from formflow.adapters.inbox import put
    from formflow.residents import misspelled

    app = open_app(root)
    if app.defs.settings.person(by) is None:
        raise click.BadParameter(f"“{by}”不在人员名册中 not on the roster", param_hint="--by")
    found = misspelled(app)
    for number, old, new in found:
        click.echo(f"  {number}  {old} → {new}")
    if not found:
        click.echo("所有记录的房号写法都已统一 every stored 房号 is in the office's spelling")
        return
    click.echo(f"共 {len(found)} 条记录的房号写法不统一 records to correct")
    if not agreed(yes, "写入收件箱，由下次处理时更正？ write the corrections into inbox/?"):
        return
    for number, old, new in found:
        form = app.store.get(number).form
        key = app.defs.forms[form].unit_field
        doc = {"record": number, "action": "unit_spelling", "by": by, "data": {key: new},
               "note": f"房号写法统一：{old} → {new}"}
        put(root / "inbox", f"{number}-房号写法统一.yaml", doc)
    click.echo(f"已放入收件箱 written: {len(found)} 个文件 files（formflow process 或 watch 处理）")
