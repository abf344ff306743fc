"""Commands that print on paper: blank forms and record PDFs on demand."""

from __future__ import annotations

from pathlib import Path

import click

from formflow.cli.common import NOW, load, now_from, open_app, with_root
from formflow.cli.main import cli
from formflow.errors import WorkspaceError


@cli.command()
@click.argument("form")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 output file (default: outbox/blank/<form>.pdf)")
@click.option("--fillable", is_flag=True, help="可在 PDF 阅读器中填写 add form fields to type into")
@with_root
def blank(form: str, output: Path | None, fillable: bool, root: Path) -> None:
    """空白纸质表 Print the paper version of FORM: boxes to write in, tick boxes, sign-off boxes.

    \b
    例 Example:  formflow blank repair -o 维修单.pdf
    """
    from formflow.adapters.atomic import write_bytes
    from formflow.render.pdf import render_blank

    defs = load(root)
    if form not in defs.forms:
        raise WorkspaceError(f"没有表单 no form “{form}”；可用 available: {', '.join(sorted(defs.forms))}")
    target = output or root / "outbox" / "blank" / f"{form}{'-可填写' if fillable else ''}.pdf"
    if output is not None and output.exists():
        raise WorkspaceError(f"文件已存在 file exists: {output}（请换一个文件名 choose another name）")
    write_bytes(target, render_blank(defs, form, fillable=fillable))
    click.echo(f"已生成 written: {target}")


@cli.command("print")
@click.argument("records", nargs=-1, required=True)
@NOW
@with_root
def print_records(records: tuple[str, ...], now_text: str | None, root: Path) -> None:
    """重新打印记录 Render the PDFs of RECORDS again into outbox/records/ (e.g. after a template change)."""
    app = open_app(root)
    for number in records:
        app.record(number)  # a clear error for a number that does not exist
    app.outbox.queue(records)
    for path in app.write_outputs(now_from(now_text, app.defs.settings.timezone), todo=False):
        click.echo(f"已生成 written: {path.relative_to(root)}")
