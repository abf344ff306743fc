"""``formflow serve`` as a clerk starts it: the command prints the link, the link signs in once, Ctrl-C stops."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from formflow.errors import WorkspaceError
from formflow.web.cli import serve_command
from formflow.web.server import serve


def test_the_command_documents_itself():
    result = CliRunner().invoke(serve_command, ["--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--no-browser" in result.output and "127.0.0.1" in result.output


def test_serve_prints_a_loopback_link_that_signs_in_and_stops_on_ctrl_c(workspace):
    code = "from formflow.web.cli import serve_command; serve_command()"
    process = subprocess.Popen([sys.executable, "-c", code, "--root", str(workspace.root), "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = process.stdout.readline()
        assert first.startswith("formflow 服务台已启动 desk running: http://127.0.0.1:"), first
        url = urlsplit(first.split(": ", 1)[1].strip())
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        connection.request("GET", f"/?{url.query}", headers={"Host": url.netloc})
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 303 and "formflow_desk=" in answer.getheader("Set-Cookie")
        cookie = answer.getheader("Set-Cookie").split(";")[0]
        connection.request("GET", "/", headers={"Host": url.netloc, "Cookie": cookie})
        page = connection.getresponse()
        assert page.status == 200 and "投诉处理记录" in page.read().decode()
        connection.request("GET", f"/?{url.query}", headers={"Host": url.netloc})  # the link is spent
        spent = connection.getresponse()
        spent.read()
        assert spent.status == 403
        connection.close()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "已停止" in out


def test_a_taken_port_is_said_plainly(running, workspace):
    with pytest.raises(WorkspaceError, match="无法在 127.0.0.1:.* 上启动服务台"):
        serve(workspace.root, running.port, open_browser=False)
