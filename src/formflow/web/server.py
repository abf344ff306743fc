"""``formflow serve``: the desk on 127.0.0.1, served by the standard library's WSGI server and a few threads.

    from formflow.web.server import serve
    serve(Path("~/阳光花园").expanduser())        # prints the link, opens the browser, Ctrl-C stops

Only the loopback address is ever bound. Port 0 (the default) takes a free port; the link
printed carries the one-time token that signs the browser in (:mod:`formflow.web.security`).

Limits, so that no client can wear the desk down: a connection that has not sent its request
waits in a lobby watched by one thread (not a thread each) and is dropped after
:data:`IDLE_TIMEOUT` seconds of silence; :data:`WORKERS` threads answer requests, each
dropping a client that stalls :data:`IDLE_TIMEOUT` seconds mid-request; requests beyond what
the workers and their queue can take are answered 503 at once.
"""

from __future__ import annotations

import queue
import selectors
import socket
import sys
import threading
import time
import webbrowser
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from formflow.definitions.loader import Definitions
from formflow.errors import WorkspaceError
from formflow.web.app import DeskApp
from formflow.web.desk import Desk
from formflow.web.security import LOOPBACK, Guard
from formflow.web.submit import Processor


#: Threads answering requests: a few clerks on one computer, pages of milliseconds; a slow page
#: (or a pass) still leaves the others free.
WORKERS = 8
#: Seconds a client may stay silent, before its request or in the middle of it, before it is dropped.
#: Generous: a silent connection costs a socket, not a thread (browsers open some in advance).
IDLE_TIMEOUT = 30.0
#: Silent connections kept at most; past it the longest-silent one is dropped to make room.
MAX_WAITING = 200
#: Requests that may wait for a free worker, per worker; past it a request is answered 503 at once.
QUEUED_PER_WORKER = 4

_BUSY_PAGE = "<!doctype html><meta charset=\"utf-8\"><title>服务台正忙</title><p>服务台正忙，请稍后刷新页面。</p>".encode()
_BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\nRetry-After: 2\r\n"
         b"Connection: close\r\nContent-Length: " + str(len(_BUSY_PAGE)).encode() + b"\r\n\r\n" + _BUSY_PAGE)


def _hang_up(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:  # already gone
        pass
    conn.close()


class _Lobby(threading.Thread):
    """Accepted connections that have not sent anything yet, watched by this one thread.

    A connection that speaks is handed to ``hand_over``; one silent for ``idle`` seconds is
    dropped. Connections come in through :meth:`add` from the accepting thread.
    """

    def __init__(self, idle: float, hand_over: Callable[[socket.socket, tuple], None]):
        super().__init__(name="formflow-desk-lobby", daemon=True)
        self.idle = idle
        self.hand_over = hand_over
        self._selector = selectors.DefaultSelector()
        # A socket pair wakes select() when a connection arrives or the lobby closes.
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        self._selector.register(self._wake_in, selectors.EVENT_READ)
        self._arrived: deque[tuple[socket.socket, tuple]] = deque()
        self._lock = threading.Lock()
        # conn -> (deadline, address); all share one timeout, so insertion order is deadline order.
        self._waiting: dict[socket.socket, tuple[float, tuple]] = {}
        self._closing = False

    def add(self, conn: socket.socket, address: tuple) -> None:
        """Let ``conn`` wait here until it sends its request (called by the accepting thread)."""
        with self._lock:
            self._arrived.append((conn, address))
        self._wake()

    def close(self) -> None:
        """Drop every waiting connection and end the thread."""
        self._closing = True
        self._wake()
        self.join(timeout=5)

    def _wake(self) -> None:
        try:
            self._wake_out.send(b"\0")
        except OSError:  # the pipe is full (it will wake anyway) or already closed
            pass

    def run(self) -> None:
        try:
            while not self._closing:
                timeout = None
                if self._waiting:
                    timeout = max(0.0, next(iter(self._waiting.values()))[0] - time.monotonic())
                for key, _ in self._selector.select(timeout):
                    if key.fileobj is self._wake_in:
                        self._drain_wake()
                    else:
                        conn = key.fileobj
                        self._selector.unregister(conn)
                        _, address = self._waiting.pop(conn)
                        self.hand_over(conn, address)
                self._admit()
                self._expire()
        finally:
            self._admit()
            for conn in list(self._waiting):
                self._drop(conn)
            self._selector.close()
            self._wake_in.close()
            self._wake_out.close()

    def _drain_wake(self) -> None:
        try:
            while self._wake_in.recv(4096):
                pass
        except OSError:  # nothing more to read
            pass

    def _admit(self) -> None:
        with self._lock:
            arrived, self._arrived = self._arrived, deque()
        deadline = time.monotonic() + self.idle
        for conn, address in arrived:
            if self._closing:
                _hang_up(conn)
                continue
            if len(self._waiting) >= MAX_WAITING:
                self._drop(next(iter(self._waiting)))
            try:
                self._selector.register(conn, selectors.EVENT_READ)
            except (OSError, ValueError):  # closed in the meantime
                _hang_up(conn)
                continue
            self._waiting[conn] = (deadline, address)

    def _expire(self) -> None:
        now = time.monotonic()
        for conn, (deadline, _) in list(self._waiting.items()):
            if deadline > now:
                break
            self._drop(conn)

    def _drop(self, conn: socket.socket) -> None:
        self._waiting.pop(conn, None)
        try:
            self._selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        _hang_up(conn)


class _DeskServer(WSGIServer):
    """The WSGI server with a lobby for silent connections and a fixed pool of worker threads."""

    allow_reuse_address = True
    # The listen backlog: a burst of connections waits in the kernel until accepted, not refused.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type, *, workers: int = WORKERS,
                 idle_timeout: float = IDLE_TIMEOUT):
        self._lobby: _Lobby | None = None  # none yet if binding fails (the base class then calls server_close)
        super().__init__(address, handler)  # binds: OSError when the port is taken, before any thread starts
        self.idle_timeout = idle_timeout
        self._max_queued = QUEUED_PER_WORKER * workers
        # Unbounded as a type: only the lobby thread puts, and it checks the length first, so the
        # stop signals below always fit.
        self._jobs: queue.Queue[tuple[socket.socket, tuple] | None] = queue.Queue()
        self._lobby = _Lobby(idle_timeout, self._hand_over)
        self._workers = [threading.Thread(target=self._work, name=f"formflow-desk-worker-{n}", daemon=True)
                         for n in range(workers)]
        self._lobby.start()
        for worker in self._workers:
            worker.start()

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        """An accepted connection waits in the lobby until it sends its request."""
        self._lobby.add(request, client_address)

    def _hand_over(self, conn: socket.socket, address: tuple) -> None:
        if self._jobs.qsize() >= self._max_queued:
            _refuse_busy(conn)
        else:
            self._jobs.put((conn, address))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            conn, address = job
            try:
                self.finish_request(conn, address)
            except Exception:  # noqa: BLE001 - one request's failure must not end the worker
                self.handle_error(conn, address)
            finally:
                self.shutdown_request(conn)

    def handle_error(self, request, client_address) -> None:
        """A client that went silent or away is not worth a traceback on the console; anything else is."""
        if isinstance(sys.exc_info()[1], (TimeoutError, ConnectionError)):
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        """Close the listening socket, drop waiting connections, and end the threads (a short wait for each)."""
        super().server_close()
        if self._lobby is None:
            return
        self._lobby.close()
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                _hang_up(job[0])
        for _ in self._workers:
            self._jobs.put(None)
        deadline = time.monotonic() + 5
        for worker in self._workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))


def _refuse_busy(conn: socket.socket) -> None:
    # Read the request first: closing a socket with unread data resets it, and the client would
    # lose the answer. Never block the lobby: what does not go at once is dropped.
    conn.setblocking(False)
    try:
        conn.recv(65536)
        conn.sendall(_BUSY)
    except OSError:
        pass
    _hang_up(conn)


class _QuietHandler(WSGIRequestHandler):
    """No access log on the console (the console is for the link and for errors); a read timeout per client."""

    def setup(self) -> None:
        """Give the connection the server's idle timeout, so a client stalling mid-request is dropped."""
        self.timeout = self.server.idle_timeout
        super().setup()

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
          defs: Definitions | None = None, workers: int = WORKERS, idle_timeout: float = IDLE_TIMEOUT) -> Running:
    """Load the workspace and bind 127.0.0.1:``port``; with ``background`` serve in a thread (tests, scripts).

    ``defs``: the workspace's definitions when the caller has just loaded them. ``workers``
    threads answer requests; a client silent for ``idle_timeout`` seconds is dropped. Raises the
    usual :class:`~formflow.errors.FormflowError` when the definitions do not load, and
    ``OSError`` when the port is taken.
    """
    desk = Desk(Path(root), log, defs)
    threading.Thread(target=desk.prepare_search, daemon=True, name="search-index").start()
    server = _DeskServer((LOOPBACK, port), _QuietHandler, workers=workers, idle_timeout=idle_timeout)
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
