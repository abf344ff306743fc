"""Fixtures of the web desk: the WSGI app called directly, a running server, and headless Chromium."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlencode, urlsplit

import pytest

from formflow.web.app import DeskApp
from formflow.web.desk import Desk
from formflow.web.security import SESSION_COOKIE, WHO_COOKIE, Guard
from formflow.web.server import start
from formflow.web.submit import Processor
from formflow.workspace import Workspace, defaults_dir

from ..conftest import without_pdfs

PORT = 8765
CHROMIUM = Path("/usr/bin/chromium")

COMPLAINT = """
form: complaint
by: 李娜
at: 2026-11-28T09:00:00+08:00
data:
  channel: 来电
  complainant: {complainant}
  unit: 3-2-1502
  phone: "13812345678"
  details: {details}
  category: 工程维修
  severity: {severity}
  receiver: 李娜
"""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    cookies: list[str]
    raw: bytes = b""

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Client:
    """Calls the WSGI app in-process, as a browser on 127.0.0.1 would (unless told otherwise)."""

    def __init__(self, app: DeskApp):
        self.app = app
        self.host = f"127.0.0.1:{app.guard.port}"
        self.cookie = ""

    def sign_in(self, person: str = "李娜") -> Client:
        self.cookie = f"{SESSION_COOKIE}={self.app.guard.session}; {WHO_COOKIE}={quote(person)}"
        return self

    def call(self, method: str, path: str, data: dict | None = None, headers: dict | None = None,
             csrf: bool = True) -> Answer:
        target = urlsplit(path)
        fields = dict(data or {})
        if method == "POST" and csrf:
            fields.setdefault("_csrf", self.app.guard.csrf)
        body = urlencode(fields, doseq=True).encode() if method == "POST" else b""
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": unquote_to_bytes(target.path).decode("latin-1"),  # as wsgiref does
            "QUERY_STRING": target.query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": str(self.app.guard.port),
            "HTTP_HOST": self.host, "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http", "CONTENT_TYPE": "application/x-www-form-urlencoded",
        }
        if self.cookie:
            environ["HTTP_COOKIE"] = self.cookie
        for key, value in (headers or {}).items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        captured = {}

        def start_response(status, headers):
            captured["status"], captured["headers"] = int(status.split()[0]), headers

        raw = b"".join(self.app(environ, start_response))
        return Answer(captured["status"], dict(captured["headers"]), raw.decode("utf-8", "replace"),
                      [v for k, v in captured["headers"] if k == "Set-Cookie"], raw)

    def get(self, path: str, **kw) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, data: dict | None = None, **kw) -> Answer:
        return self.call("POST", path, data, **kw)


@pytest.fixture(scope="session")
def shipped():
    """The shipped definitions, loaded once (what `workspace` copies; loading takes half a second)."""
    return Workspace(defaults_dir()).load()


def without_sign_in(root: Path) -> None:
    """The desk as before sign-in (``desk.sign_in: none``): the clerk picks a name. For the tests of pages and
    passes; sign-in itself is tested with PINs set (``tests/web/test_signin.py``)."""
    settings = root / "formflow.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "  sign_in: pin " in text
    settings.write_text(text.replace("  sign_in: pin ", "  sign_in: none"), encoding="utf-8")


def make_desk(workspace, shipped, pdfs: bool, sign_in: str = "none") -> DeskApp:
    """The desk's WSGI app over ``workspace`` (no server, no processing thread).

    Without ``pdfs`` the workspace prints no PDFs (``outbox:`` in formflow.yaml): most tests are
    about pages and passes, and rendering every record and to-do list would only make them slow.
    """
    settings = dataclasses.replace(shipped.settings, sign_in=sign_in)
    if sign_in == "none":
        without_sign_in(workspace.root)
    if not pdfs:
        without_pdfs(workspace.root)
        settings = dataclasses.replace(settings, record_pdfs=False, todo_pdfs=frozenset())
    desk = Desk(workspace.root, defs=dataclasses.replace(shipped, root=workspace.root, settings=settings))
    return DeskApp(desk, Guard(PORT), Processor(desk))


@pytest.fixture
def desk_app(workspace, shipped) -> DeskApp:
    """The desk over a fresh workspace that prints no PDFs."""
    return make_desk(workspace, shipped, pdfs=False)


@pytest.fixture
def desk_app_pdfs(workspace, shipped) -> DeskApp:
    """The desk over a fresh workspace as shipped: passes print record and to-do PDFs."""
    return make_desk(workspace, shipped, pdfs=True)


@pytest.fixture
def client(desk_app) -> Client:
    return Client(desk_app).sign_in()


def lain_still(path) -> None:
    """Make a file dropped by hand look as if it had lain in the inbox a minute: the desk's pass takes such
    files (its own at once; others only once settled, as a copy may still be under way)."""
    import os
    import time

    os.utime(path, (time.time() - 60, time.time() - 60))


def store_complaint(app: DeskApp, complainant: str = "张先生", details: str = "楼上漏水", severity: str = "轻微") -> str:
    """A complaint put into the inbox and through the engine by the desk's own pass; returns its number."""
    import json

    inbox = app.desk.root / "inbox" / f"c-{len(app.processor.results)}.yaml"
    inbox.write_text(COMPLAINT.format(complainant=json.dumps(complainant, ensure_ascii=False), severity=severity,
                                      details=json.dumps(details, ensure_ascii=False)), encoding="utf-8")
    lain_still(inbox)
    assert app.processor.run_pass()
    result = app.processor.results[inbox.name]
    assert result.status == "stored", result.problems
    return result.records[0]


@pytest.fixture
def running(workspace, shipped):
    """A real desk server on a free loopback port, stopped after the test."""
    without_sign_in(workspace.root)
    settings = dataclasses.replace(shipped.settings, sign_in="none")
    server = start(workspace.root, log=lambda message: None,
                   defs=dataclasses.replace(shipped, root=workspace.root, settings=settings))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium from Debian's package, driven by Playwright (which downloads no browser)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (/usr/bin/chromium): scripts/setup.sh test installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, running):
    """A signed-in page at 1366×768 (the launch link spent, as a clerk's browser would)."""
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(15000)
    tab = context.new_page()
    tab.goto(running.url)
    yield tab
    context.close()
