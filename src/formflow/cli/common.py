"""Shared pieces of the CLI: the ``--root`` option, loading a workspace, the clock."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

ROOT_HELP = "工作区目录 workspace folder (default: current folder, or $FORMFLOW_ROOT)"


def with_root(func):
    @click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=".", envvar="FORMFLOW_ROOT",
                  show_default=True, help=ROOT_HELP)
    @functools.wraps(func)
    def wrapper(root: Path, **kwargs):
        return func(root=root, **kwargs)

    return wrapper


def load(root: Path, *, show_warnings: bool = False):
    from formflow.workspace import Workspace

    defs = Workspace(root).load()
    if show_warnings:
        for warning in defs.warnings:
            click.echo(str(warning), err=True)
    return defs



def agreed(yes: bool, question: str, declined: str = "未写入 nothing written") -> bool:
    """Whether to go on after a preview: ``--yes``, or the supervisor answers yes to ``question`` (no by
    default); on no, says ``declined``."""
    if yes or click.confirm(question, default=False):
        return True
    click.echo(declined)
    return False


def open_app(root: Path):
    from formflow.app import App

    return App.open(root)


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                       help="输出格式 output format")
NOW = click.option("--now", "now_text", metavar="ISO", help="以此时间为“现在” fix the clock (tests, what-ifs)")



def now_from(text: str | None, zone) -> dt.datetime:
    """``--now`` when given, else the clock (which honours FORMFLOW_NOW)."""
    from formflow import clock

    return clock.parse_moment(text, zone) if text else clock.now(zone)


FORMAT_X = click.option("--format", "fmt", type=click.Choice(["text", "json", "xlsx"]), default="text",
                        show_default=True, help="输出格式 output format (xlsx needs -o)")
OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                      help="写入此文件 write to this file (for --format xlsx)")


def xlsx_target(fmt: str, output: Path | None) -> Path | None:
    """The .xlsx file to write, or ``None`` for text/json; a usage error when ``-o`` is missing."""
    if fmt != "xlsx":
        return None
    if output is None:
        raise click.UsageError("--format xlsx 需要 -o 文件名 needs -o FILE.xlsx")
    return output if output.suffix.lower() == ".xlsx" else output.with_name(output.name + ".xlsx")
