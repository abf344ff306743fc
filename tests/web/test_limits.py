"""The desk server's limits, on a real server on 127.0.0.1: silent clients cost no thread and are
dropped after the idle timeout, a fixed pool of workers answers, and a full queue is refused cleanly."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import socket
import threading

import pytest

from formflow.web import server as server_module
from formflow.web.security import SESSION_COOKIE
from formflow.web.server import start

#: Short, so the tests wait little; long enough that a loaded machine still sends a request in time.
IDLE = 1.0


@contextlib.contextmanager
def desk(workspace, shipped, **limits):
    """A real desk server on a free loopback port with ``limits`` (idle_timeout, workers), stopped afterwards."""
    server = start(workspace.root, log=lambda message: None, defs=dataclasses.replace(shipped, root=workspace.root),
                   **limits)
    try:
        yield server
    finally:
        server.stop()


def signed_in_page(server) -> tuple[int, str]:
    """``GET /`` as the signed-in browser: status and page."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", "/", headers={"Host": f"127.0.0.1:{server.port}",
                                                "Cookie": f"{SESSION_COOKIE}={server.app.guard.session}"})
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8")
    finally:
        connection.close()


def read_to_end(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a socket timeout fails the test)."""
    chunks = []
    for _ in range(10_000):  # bounded: the answers here are a few kilobytes
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_silent_connections_hold_no_thread_and_the_desk_still_answers(workspace, shipped):
    with desk(workspace, shipped, idle_timeout=30.0) as server:
        before = threading.active_count()
        silent = []
        try:
            for _ in range(60):
                silent.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            status, page = signed_in_page(server)  # accepted after the 60, so they are all in by now
            threads = threading.active_count()
        finally:
            for conn in silent:
                conn.close()
    assert status == 200 and "投诉处理记录" in page
    assert threads - before < 10, f"{threads - before} more threads for 60 silent connections"


def test_a_client_that_sends_nothing_is_dropped_after_the_idle_timeout(workspace, shipped):
    with desk(workspace, shipped, idle_timeout=IDLE) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=IDLE * 20) as silent, \
                socket.create_connection(("127.0.0.1", server.port), timeout=IDLE * 20) as halfway:
            halfway.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n")  # the headers never end
            assert read_to_end(silent) == b""
            assert read_to_end(halfway) == b""
            status, _ = signed_in_page(server)
    assert status == 200


def test_past_the_most_silent_connections_kept_the_longest_silent_is_dropped(workspace, shipped, monkeypatch):
    monkeypatch.setattr(server_module, "MAX_WAITING", 5)
    with desk(workspace, shipped, idle_timeout=30.0) as server:
        silent = []
        try:
            for _ in range(6):
                silent.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            assert read_to_end(silent[0]) == b""  # long before the idle timeout
            silent[1].setblocking(False)
            with pytest.raises(BlockingIOError):  # still open, nothing to read
                silent[1].recv(1)
            status, _ = signed_in_page(server)
        finally:
            for conn in silent:
                conn.close()
    assert status == 200


def test_past_the_workers_and_their_queue_a_request_is_told_the_desk_is_busy(workspace, shipped):
    # One worker, held by a client that stops halfway through its headers (until the idle
    # timeout); six complete requests behind it: the queue takes four, the rest are refused.
    # The holder's timeout is long enough for the six to arrive while it still holds the worker.
    with desk(workspace, shipped, idle_timeout=5.0, workers=1) as server:
        host = f"Host: 127.0.0.1:{server.port}\r\nCookie: {SESSION_COOKIE}={server.app.guard.session}"
        clients = []
        try:
            holder = socket.create_connection(("127.0.0.1", server.port), timeout=60)
            clients.append(holder)
            holder.sendall(b"GET / HTTP/1.0\r\n")
            for _ in range(6):
                conn = socket.create_connection(("127.0.0.1", server.port), timeout=60)
                clients.append(conn)
                conn.sendall(f"GET / HTTP/1.0\r\n{host}\r\n\r\n".encode())
            answers = [read_to_end(conn) for conn in clients[1:]]
            assert read_to_end(holder) == b""
        finally:
            for conn in clients:
                conn.close()
    busy = [a for a in answers if a.startswith(b"HTTP/1.0 503 ")]
    served = [a for a in answers if a.startswith(b"HTTP/1.0 200 ")]
    assert len(busy) + len(served) == 6 and len(busy) >= 2 and len(served) >= 3
    assert "服务台正忙，请稍后刷新页面" in busy[0].decode("utf-8")
    assert "投诉处理记录" in served[0].decode("utf-8")


def test_stopping_the_desk_ends_every_thread_it_started(workspace, shipped):
    before = {t.ident for t in threading.enumerate()}
    with desk(workspace, shipped, idle_timeout=IDLE, workers=3) as server:
        assert signed_in_page(server)[0] == 200
        socket.create_connection(("127.0.0.1", server.port), timeout=10).close()
    left = [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == []
