"""The ``serve`` command, for ``formflow.cli`` to register: ``cli.add_command(serve_command)``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="端口，0 为任选空闲端口 port (0: any free port)")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器 do not open the browser")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=".", envvar="FORMFLOW_ROOT",
              show_default=True, help="工作区目录 workspace folder (default: current folder, or $FORMFLOW_ROOT)")
def serve_command(port: int, no_browser: bool, root: Path) -> None:
    """本机网页服务台 Serve the desk in the browser: forms, records, actions, to-do list (127.0.0.1 only).

    \b
    例 Example:  formflow serve --root ~/阳光花园
    """
    from formflow.web.server import serve

    serve(root, port, open_browser=not no_browser)
