"""Who may use the desk: this computer's browser, opened through the link ``formflow serve`` printed.

* The server listens on 127.0.0.1 only, and every request must name it as ``Host``
  (``127.0.0.1:<port>`` or ``localhost:<port>``): a web page that points its own domain name
  at 127.0.0.1 (DNS rebinding) is refused.
* Each start makes fresh secrets. The printed link carries a one-time ``token``; the first
  page load with it gets the session cookie (HttpOnly, SameSite=Strict) and is redirected to
  the same page without the token, so the link in the browser history is spent. Without the
  cookie, pages answer 403: other users of the computer cannot read records.
* A POST must also carry the per-start form token (``_csrf`` field or ``X-CSRF-Token`` header)
  and, when the browser sends them, an ``Origin`` of the desk itself and a same-origin
  ``Sec-Fetch-Site``. A page on another site cannot read that token, so it cannot post forms.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from http.cookies import CookieError, SimpleCookie

SESSION_COOKIE = "formflow_desk"
WHO_COOKIE = "formflow_who"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "HTTP_X_CSRF_TOKEN"
LOOPBACK = "127.0.0.1"


def cookies(environ: dict) -> dict[str, str]:
    """The request's cookies (a malformed header counts as none)."""
    jar = SimpleCookie()
    try:
        jar.load(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class Guard:
    """The secrets of one server start, and the checks every request goes through."""

    def __init__(self, port: int):
        self.port = port
        self.session = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self._launch = secrets.token_urlsafe(24)
        self._launch_used = False
        self._lock = threading.Lock()

    @property
    def origins(self) -> tuple[str, ...]:
        """The origins the desk is reached at."""
        return (f"http://{LOOPBACK}:{self.port}", f"http://localhost:{self.port}")

    def launch_url(self) -> str:
        """The link to print and open: valid for one page load."""
        return f"http://{LOOPBACK}:{self.port}/?token={self._launch}"

    def host_ok(self, environ: dict) -> bool:
        """``Host`` names this desk on the loopback address, and ``Origin`` (when sent) is the desk."""
        host = environ.get("HTTP_HOST", "")
        if host.lower() not in (f"{LOOPBACK}:{self.port}", f"localhost:{self.port}"):
            return False
        origin = environ.get("HTTP_ORIGIN")
        return origin is None or origin in self.origins

    def redeem(self, token: str) -> bool:
        """Spend the one-time launch token; ``True`` only the first time it is presented."""
        with self._lock:
            if self._launch_used or not _same(token, self._launch):
                return False
            self._launch_used = True
            return True

    def signed_in(self, environ: dict) -> bool:
        """The request carries this start's session cookie."""
        return _same(cookies(environ).get(SESSION_COOKIE, ""), self.session)

    def post_ok(self, environ: dict, form_token: str) -> bool:
        """A state-changing request: session cookie, form token, and no sign of another site."""
        if environ.get("HTTP_SEC_FETCH_SITE", "same-origin") not in ("same-origin", "none"):
            return False
        token = environ.get(CSRF_HEADER) or form_token
        return self.signed_in(environ) and _same(token, self.csrf)

    def session_cookie(self) -> str:
        """``Set-Cookie`` value of the session (ends with the browser session)."""
        return f"{SESSION_COOKIE}={self.session}; Path=/; HttpOnly; SameSite=Strict"


#: Every response: no scripts or styles but our own files, no framing, no referrer to other sites.
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; object-src 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Not "no-referrer": with it browsers send "Origin: null" on form posts, and the Origin check needs the real one.
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]
