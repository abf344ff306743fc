"""Commands on definitions: init, check, forms, new, validate."""

from __future__ import annotations

from pathlib import Path

import click

from formflow.cli.common import load, now_from, with_root
from formflow.cli.main import cli
from formflow.errors import WorkspaceError


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """建立新工作区 Create a workspace in DIRECTORY from the shipped defaults.

    \b
    例 Example:  formflow init ~/阳光花园
    """
    from formflow.workspace import init_workspace

    ws = init_workspace(directory)
    click.echo(f"已建立工作区 workspace created: {ws.root}")
    click.echo("下一步 next: 编辑 formflow.yaml 中的管理处名称和人员名册，然后运行 formflow check")


@cli.command()
@with_root
def check(root: Path) -> None:
    """检查全部定义 Check every definition; list all problems (exit 1) or say OK (exit 0).

    \b
    例 Example:  formflow check --root ~/阳光花园
    """
    from formflow.compat import stored_record_problems, unraised_versions
    from formflow.errors import DefinitionError

    defs = load(root, show_warnings=True)
    db = root / "data" / "db"
    warnings = []
    if db.is_dir():
        from formflow.adapters.store import Store

        rows = list(Store(db).states())
        problems = stored_record_problems(defs, rows)
        warnings = unraised_versions(defs, rows, root / "data")
        if problems:
            raise DefinitionError(problems + warnings)
        for warning in warnings:
            click.echo(str(warning), err=True)
    register = defs.settings.register
    count = len(defs.warnings) + len(warnings)
    click.echo(f"定义检查通过 OK: {len(defs.forms)} 个表单 forms, {len(defs.settings.staff)} 名人员 staff"
               + (f", {len(register)} 户房屋 units" if register else "")
               + (f", {count} 条警告 warnings" if count else ""))
    if defs.scripts.built_in:
        click.echo("提示 note: 没有 fees/scripts.yaml，电话催费页面使用内置话术 the call page shows the built-in scripts")
    if register and defs.settings.unknown_unit == "warn":
        click.echo("提示 note: 房号不在房屋清单中时只提示不拒收 (units.unknown: warn)；清单完整后可改为 refuse")
    if defs.settings.sign_in == "none":
        click.echo("提示 note: 服务台不要求登录 desk sign-in is off (desk.sign_in: none)：谁都可以选任何人的姓名办理")
    else:
        from formflow.adapters.pins import PinStore

        missing = [p.name for p in defs.settings.staff if p.active and p.name not in PinStore(root).names()]
        if missing:
            click.echo(f"提示 note: {len(missing)} 人还没有服务台登录密码 have no desk PIN yet: {'、'.join(missing)}"
                       "（formflow staff passwd 姓名）")
    if not defs.settings.unify_units:
        click.echo("提示 note: 房号写法未统一 (units.unify_spelling 未开启)：3栋2单元1502 会被拒收，03-02-1502 与 "
                   "3-2-1502 算两户；开启见 docs/reference.md")
    from formflow.stations import definitions_in_use

    for line in definitions_in_use(root / "data", defs.settings.station, defs.version_id):
        click.echo(f"提示 note: {line}")


@cli.command("forms")
@with_root
def list_forms(root: Path) -> None:
    """列出表单 List the forms with their Chinese titles, in the office's order (desk.form_order).

    \b
    例 Example:  formflow forms
    """
    from formflow.definitions.loader import ordered_forms

    defs = load(root)
    width = max(len(f.id) for f in defs.forms.values())
    for form in ordered_forms(defs):
        en = f"  {form.title_en}" if form.title_en else ""
        click.echo(f"{form.id:<{width}}  {form.title}（第{form.version}版）{en}")


@cli.command()
@click.argument("form")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件 write to this file (default: print)")
@with_root
def new(form: str, output: Path | None, root: Path) -> None:
    """生成填写模板 Write a fill-in template for FORM (a YAML file with Chinese comments).

    \b
    例 Example:  formflow new complaint -o 投诉-张三.yaml
    """
    from formflow.render.fillin import fill_in_template

    defs = load(root)
    if form not in defs.forms:
        raise WorkspaceError(f"没有表单 no form “{form}”；可用 available: {', '.join(defs.forms)}")
    text = fill_in_template(defs.forms[form], defs.settings)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists():
        raise WorkspaceError(f"文件已存在，未覆盖 file exists, not overwritten: {output}")
    output.write_text(text, encoding="utf-8")
    click.echo(f"已生成 written: {output}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--now", "now_text", metavar="ISO", help="以此时间为“现在” use this time as now (tests, what-ifs)")
@with_root
def validate(files: tuple[Path, ...], now_text: str | None, root: Path) -> None:
    """检查填好的表单 Check filled forms without storing them; list every problem in Chinese.

    \b
    例 Example:  formflow validate 投诉-张三.yaml
    """
    from formflow.intake import check_file

    defs = load(root)
    now = now_from(now_text, defs.settings.timezone)
    failed = 0
    for path in files:
        # A pipe or device is never opened: reading one waits for ever for a writer.
        problems = check_file(path, defs, now) if path.is_file() else [
            "这不是普通文件（可能是命名管道或设备），无法检查：请指定填好的表单文件本身"]
        if problems:
            failed += 1
            click.echo(f"✗ {path}：{len(problems)} 处问题")
            for problem in problems:
                click.echo(f"  - {problem}")
        else:
            click.echo(f"✓ {path}：填写正确")
    if failed:
        raise click.exceptions.Exit(1)


