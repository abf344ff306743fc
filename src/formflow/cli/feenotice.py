"""``formflow fees notice``: (re)print the 催缴通知书 of one collection record."""

from __future__ import annotations

from pathlib import Path

import click

from formflow.cli.common import open_app, with_root
from formflow.cli.fees import fees


@fees.command("notice")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="写到此文件 write here (default: beside the record's PDF in outbox/records/)")
@with_root
def fees_notice(number: str, output: Path | None, root: Path) -> None:
    """催缴通知书 Print the written fee notice of collection record NUMBER again.

    \b
    例 Example:  formflow fees notice CJ-YG-202612-0001
    The record must have had 发出催缴通知书 (its 限期缴费日期 is printed). The letter's words are the office's
    (fees/notice.yaml); it is written beside the record's PDF, as the desk and each pass print it.
    """
    from formflow.adapters.atomic import write_bytes
    from formflow.render.notice import render_notice

    app = open_app(root)
    record = app.record(number)
    target = output or app.outbox.notice_path(record)
    write_bytes(target, render_notice(app.defs, record))
    click.echo(f"已打印催缴通知书 written: {target}")
