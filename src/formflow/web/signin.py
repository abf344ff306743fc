"""Who is working at this desk: sign-in with a PIN, sessions that end when idle, lock-out after wrong PINs.

With ``desk.sign_in: pin`` (the default) a person signs in with their PIN; the desk then knows them by a random
session token in a cookie (never their name, which anyone could write), signs everything they submit with their
name whatever the page sent, ends the session after ``idle_minutes`` without a request, and locks a name for
``lock_minutes`` after ``attempts`` wrong PINs in a row (a shared laptop: someone trying a colleague's PIN). With
``sign_in: none`` the desk works as it did before: the clerk picks a name, nothing is asked.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from formflow.adapters.pins import PinStore


@dataclass
class _Session:
    name: str
    seen: float


@dataclass
class Outcome:
    """What a sign-in attempt gave: a session token, or why not (in Chinese)."""

    token: str = ""
    message: str = ""


@dataclass
class SignIn:
    """The sessions and failed attempts of one running desk (in memory: a restart signs everyone out)."""

    pins: PinStore
    sessions: dict[str, _Session] = field(default_factory=dict)
    failures: dict[str, list[float]] = field(default_factory=dict)
    locked: dict[str, float] = field(default_factory=dict)
    #: PIN checks under way per name: counted before scrypt runs, so parallel tries cannot pass the limit.
    trying: dict[str, int] = field(default_factory=dict)
    #: The PIN's ``set`` stamp a name's failures were counted against: a new PIN clears them.
    counted: dict[str, str] = field(default_factory=dict)
    clock: object = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, name: str, pin: str, settings) -> Outcome:
        """Sign ``name`` in with ``pin``: a new session, or the reason it was refused."""
        if settings.person(name) is None:
            return Outcome(message="请选择人员名册中的姓名")
        if not self.pins.has(name):
            return Outcome(message=f"{name}还没有登录密码：请主管为其设置")
        stamp, now = self.pins.stamp(name), self.clock()
        window = settings.lock_minutes * 60
        with self._lock:
            if self.counted.get(name) != stamp:  # the supervisor set a new PIN: the lock-out is over
                self.locked.pop(name, None)
                self.failures.pop(name, None)
                self.counted[name] = stamp
            until = self.locked.get(name, 0.0)
            if until > now:
                minutes = max(1, round((until - now) / 60))
                return Outcome(message=f"{name}连续输错密码次数过多，已锁定，请 {minutes} 分钟后再试，或请主管重设密码")
            recent = [t for t in self.failures.get(name, []) if now - t < window]
            if len(recent) + self.trying.get(name, 0) >= settings.attempts:
                return Outcome(message="正在核对刚才输入的密码，请稍后再试")
            self.trying[name] = self.trying.get(name, 0) + 1
        try:
            right = self.pins.check(name, pin)  # ~50 ms of scrypt, outside the lock
        finally:
            with self._lock:
                self.trying[name] -= 1
        with self._lock:
            if not right:
                tries = [t for t in self.failures.get(name, []) if now - t < window] + [now]
                self.failures[name] = tries
                left = settings.attempts - len(tries)
                if left <= 0:
                    self.locked[name] = now + window
                    self.failures.pop(name, None)
                    return Outcome(message=f"密码不对。{name}已连续输错 {settings.attempts} 次，锁定 "
                                           f"{settings.lock_minutes} 分钟")
                return Outcome(message=f"密码不对，还可以再试 {left} 次")
            self.failures.pop(name, None)
            token = secrets.token_urlsafe(24)
            self.sessions[token] = _Session(name, now)
        return Outcome(token=token)

    def person(self, token: str, settings):
        """The person of session ``token`` if it is still alive (and touch it); ``None`` otherwise."""
        if not token:
            return None
        now = self.clock()
        with self._lock:
            session = self.sessions.get(token)
            if session is None:
                return None
            if now - session.seen > settings.idle_minutes * 60:
                del self.sessions[token]
                return None
            session.seen = now
        return settings.person(session.name)

    def sign_out(self, token: str) -> None:
        """End session ``token``."""
        with self._lock:
            self.sessions.pop(token, None)
