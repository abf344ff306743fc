"""The little HTTP the desk needs, on plain WSGI: a request, a response, a route table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, quote

from formflow.intake import MAX_BYTES
from formflow.web.fields import MultiDict
from formflow.web.security import cookies

#: A posted form is never bigger than a submission file may be.
MAX_BODY = MAX_BYTES


class HTTPError(Exception):
    """Ends a request with ``status`` and a Chinese ``message`` for the error page."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    """A WSGI request, with the form body read on demand (and size-limited)."""

    def __init__(self, environ: dict):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        # WSGI gives the path as latin-1 decoded bytes; URLs carry UTF-8.
        raw = environ.get("PATH_INFO", "/") or "/"
        try:
            self.path = raw.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            self.path = raw
        self.query = MultiDict.from_pairs(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        self.cookies = cookies(environ)
        self._form: MultiDict | None = None

    @property
    def form(self) -> MultiDict:
        """The url-encoded body of a POST (refused over :data:`MAX_BODY`)."""
        if self._form is None:
            try:
                length = int(self.environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY:
                raise HTTPError(413, "提交的内容太大")
            body = self.environ["wsgi.input"].read(length) if length > 0 else b""
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPError(400, "提交的内容不是 UTF-8 编码") from None
            self._form = MultiDict.from_pairs(parse_qsl(text, keep_blank_values=True, max_num_fields=5000))
        return self._form


@dataclass
class Response:
    """Status, headers and body of an answer."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, data, status: int = 200) -> Response:
        """``data`` as JSON."""
        return cls(json.dumps(data, ensure_ascii=False).encode("utf-8"), status, "application/json; charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> Response:
        """Go to ``location`` (a path of this desk; non-ASCII characters are escaped)."""
        return cls(b"", status, headers=[("Location", quote(location, safe="/?=&;%#:-_.~"))])

    def status_line(self) -> str:
        """``"200 OK"``."""
        return f"{self.status} {HTTPStatus(self.status).phrase}"


Handler = Callable[..., Response]


class Routes:
    """Method and path pattern → handler; path groups become the handler's arguments."""

    def __init__(self):
        self._routes: list[tuple[str, re.Pattern, Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Route ``method`` requests whose whole path matches ``pattern``."""
        self._routes.append((method, re.compile(pattern), handler))

    def match(self, method: str, path: str) -> tuple[Handler, tuple[str, ...]]:
        """The handler of ``method path`` and its arguments; 404 or 405 otherwise."""
        allowed = False
        for route_method, pattern, handler in self._routes:
            found = pattern.fullmatch(path)
            if found:
                if route_method == method or (route_method == "GET" and method == "HEAD"):
                    return handler, found.groups()
                allowed = True
        if allowed:
            raise HTTPError(405, "不支持此请求方式")
        raise HTTPError(404, "没有这个页面")
