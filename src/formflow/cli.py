"""The ``formflow`` command: a thin click layer over the library.

Each command parses its options, calls one library function and prints. Errors are
mapped to exit codes in :func:`main` only (see :mod:`formflow.errors`).
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import traceback
from pathlib import Path

import click

from formflow.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, FormflowError, WorkspaceError

_ROOT_HELP = "工作区目录 workspace folder (default: current folder, or $FORMFLOW_ROOT)"


def _with_root(func):
    @click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=".", envvar="FORMFLOW_ROOT",
                  show_default=True, help=_ROOT_HELP)
    @functools.wraps(func)
    def wrapper(root: Path, **kwargs):
        return func(root=root, **kwargs)

    return wrapper


def _load(root: Path, *, show_warnings: bool = False):
    from formflow.workspace import Workspace

    defs = Workspace(root).load()
    if show_warnings:
        for warning in defs.warnings:
            click.echo(str(warning), err=True)
    return defs


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="formflow")
def cli() -> None:
    """formflow — 物业客服中心的离线表单与流程 offline forms and procedures for a property office.

    \b
    快速开始 Quick start:
      formflow init 我的管理处      建立工作区 create a workspace
      formflow check               检查表单和流程定义 check the definitions
      formflow new complaint       生成填写模板 write a fill-in template
      formflow validate 文件.yaml   检查填好的表单 check a filled form
    """


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
@_with_root
def check(root: Path) -> None:
    """检查全部定义 Check every definition; list all problems (exit 1) or say OK (exit 0).

    \b
    例 Example:  formflow check --root ~/阳光花园
    """
    defs = _load(root, show_warnings=True)
    click.echo(f"定义检查通过 OK: {len(defs.forms)} 个表单 forms, {len(defs.settings.staff)} 名人员 staff"
               + (f", {len(defs.warnings)} 条警告 warnings" if defs.warnings else ""))


@cli.command("forms")
@_with_root
def list_forms(root: Path) -> None:
    """列出表单 List the forms with their Chinese titles.

    \b
    例 Example:  formflow forms
    """
    defs = _load(root)
    width = max(len(f.id) for f in defs.forms.values())
    for form in defs.forms.values():
        en = f"  {form.title_en}" if form.title_en else ""
        click.echo(f"{form.id:<{width}}  {form.title}（第{form.version}版）{en}")


@cli.command()
@click.argument("form")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件 write to this file (default: print)")
@_with_root
def new(form: str, output: Path | None, root: Path) -> None:
    """生成填写模板 Write a fill-in template for FORM (a YAML file with Chinese comments).

    \b
    例 Example:  formflow new complaint -o 投诉-张三.yaml
    """
    from formflow.render.fillin import fill_in_template

    defs = _load(root)
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
@_with_root
def validate(files: tuple[Path, ...], now_text: str | None, root: Path) -> None:
    """检查填好的表单 Check filled forms without storing them; list every problem in Chinese.

    \b
    例 Example:  formflow validate 投诉-张三.yaml
    """
    from formflow.intake import check_file

    defs = _load(root)
    now = _now(now_text, defs.settings.timezone)
    failed = 0
    for path in files:
        problems = check_file(path, defs, now)
        if problems:
            failed += 1
            click.echo(f"✗ {path}：{len(problems)} 处问题")
            for problem in problems:
                click.echo(f"  - {problem}")
        else:
            click.echo(f"✓ {path}：填写正确")
    if failed:
        raise click.exceptions.Exit(1)


def _now(text: str | None, zone) -> dt.datetime:
    """``--now`` when given, else the clock (which honours FORMFLOW_NOW)."""
    from formflow import clock

    return clock.parse_moment(text, zone) if text else clock.now(zone)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; the one place exceptions become exit codes."""
    try:
        code = cli.main(args=argv, prog_name="formflow", standalone_mode=False)
        if isinstance(code, int):  # click returns a command's ctx.exit(code) instead of raising
            return code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except FormflowError as exc:
        click.echo(str(exc), err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception:  # a bug: say so plainly, keep the details for the report
        click.echo("formflow 内部错误 internal error — 这是程序缺陷，请把下面的信息发给维护人员:", err=True)
        traceback.print_exc()
        return EXIT_BUG
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
