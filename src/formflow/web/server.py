"""``formflow serve``: the desk on 127.0.0.1, served by the standard library's WSGI server, threaded.

    from formflow.web.server import serve
    serve(Path("~/阳光花园").expanduser())        # prints the link, opens the browser, Ctrl-C stops

Only the loopback address is ever bound. Port 0 (the default) takes a free port; the link
printed carries the one-time token that signs the browser in (:mod:`formflow.web.security`).
"""

from __future__ import annotations

import socketserver
import sys
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from formflow.definitions.loader import Definitions
from formflow.errors import WorkspaceError
from formflow.web.app import DeskApp
from formflow.web.desk import Desk
from formflow.web.security import LOOPBACK, Guard
from formflow.web.submit import Processor


class _ThreadedServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow page (or a pass) never holds up another clerk's."""

    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    """No access log on the console (the console is for the link and for errors)."""

    def log_message(self, format, *args) -> None:  # noqa: A002 - the standard library's name
        return


@dataclass
class Running:
    """A started desk: its address, and how to stop it."""

    url: str
    port: int
    app: DeskApp
    server: WSGIServer
    thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``, without the token."""
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        """Stop serving, let a running pass finish, close the socket."""
        self.server.shutdown()
        self.app.processor.stop()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=10)


def start(root: Path, port: int = 0, *, log: Callable[[str], None] | None = None, background: bool = True,
          defs: Definitions | None = None) -> Running:
    """Load the workspace and bind 127.0.0.1:``port``; with ``background`` serve in a thread (tests, scripts).

    ``defs``: the workspace's definitions when the caller has just loaded them. Raises the usual
    :class:`~formflow.errors.FormflowError` when the definitions do not load, and ``OSError``
    when the port is taken.
    """
    desk = Desk(Path(root), log, defs)
    server = make_server(LOOPBACK, port, None, server_class=_ThreadedServer, handler_class=_QuietHandler)
    guard = Guard(server.server_port)
    processor = Processor(desk)
    app = DeskApp(desk, guard, processor)
    server.set_app(app)
    processor.start()
    running = Running(guard.launch_url(), server.server_port, app, server)
    if background:
        running.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                          name="formflow-desk", daemon=True)
        running.thread.start()
    return running


def serve(root: Path, port: int = 0, open_browser: bool = True) -> None:
    """Serve the desk over workspace ``root`` until Ctrl-C: print the link and open it in the default browser."""
    try:
        running = start(root, port, background=False)
    except OSError as exc:  # the port is taken (or not ours to bind)
        raise WorkspaceError(f"无法在 127.0.0.1:{port} 上启动服务台 cannot listen there: {exc.strerror or exc}；"
                             "换一个端口（--port），或用 0 任选空闲端口") from None
    print(f"formflow 服务台已启动 desk running: {running.url}")
    print("  只接受本机访问；此链接只能打开一次（登录后浏览器会记住），按 Ctrl-C 停止。")
    print("  Local only; the link works once (the browser then stays signed in). Ctrl-C stops.")
    sys.stdout.flush()
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(running.url,), daemon=True).start()
    try:
        running.server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        running.app.processor.stop()
        running.server.server_close()
        print("已停止 stopped")
