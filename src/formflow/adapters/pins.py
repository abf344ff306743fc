"""PINs of the people on the roster: salted scrypt hashes in ``data/people/pins.json``, never a PIN itself.

A supervisor sets a person's PIN with ``formflow staff passwd NAME``; the desk checks it when that person signs
in. scrypt (the standard library's, memory-hard: 16 MB and ~50 ms a check with these parameters) makes a copied
file slow to guess from, even for 6-digit PINs, and the desk locks a person out after a few wrong tries. The file
is this laptop's own: it is not in a station's log and never travels (each laptop's supervisor sets its PINs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from pathlib import Path

from formflow.adapters.atomic import write_text

#: Where the hashes are kept, relative to the workspace.
PINS = Path("data") / "people" / "pins.json"
#: scrypt's cost: n=2**14, r=8 → 16 MB of memory per check.
N, R, P = 2 ** 14, 8, 1
#: A PIN is 4 to 12 characters: digits for a keypad, or a password.
MIN_LENGTH, MAX_LENGTH = 4, 64


def _hash(pin: str, salt: bytes, n: int = N, r: int = R, p: int = P) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def weak(pin: str) -> str:
    """Why ``pin`` may not be used ("" when it may): too short, too long, or one digit repeated / 1234."""
    if len(pin) < MIN_LENGTH:
        return f"至少 {MIN_LENGTH} 位 at least {MIN_LENGTH} characters"
    if len(pin) > MAX_LENGTH:
        return f"最多 {MAX_LENGTH} 位 at most {MAX_LENGTH} characters"
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        return "太容易猜（如 1111、1234）too easy to guess"
    return ""


class PinStore:
    """The PIN hashes of one workspace."""

    def __init__(self, root: Path):
        self.path = root / PINS

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def has(self, name: str) -> bool:
        """Whether ``name`` has a PIN."""
        return isinstance(self._load().get(name), dict)

    def names(self) -> set[str]:
        """Who has a PIN."""
        return {k for k, v in self._load().items() if isinstance(v, dict)}

    def stamp(self, name: str) -> str:
        """When ``name``'s PIN was last set ("" without one): a lock-out ends when the supervisor sets a new one."""
        entry = self._load().get(name)  # (its salt: new at every set, even twice in one second)
        return str(entry.get("salt", "")) if isinstance(entry, dict) else ""

    def set(self, name: str, pin: str, by: str = "") -> None:
        """Set ``name``'s PIN (its hash and salt; the PIN itself is never written)."""
        salt = secrets.token_bytes(16)
        data = self._load()
        data[name] = {"scrypt": _hash(pin, salt).hex(), "salt": salt.hex(), "n": N, "r": R, "p": P,
                      "set": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "by": by}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1))

    def check(self, name: str, pin: str) -> bool:
        """Whether ``pin`` is ``name``'s (compared in constant time; False without a PIN)."""
        entry = self._load().get(name)
        if not isinstance(entry, dict) or not pin:
            return False
        try:
            salt, expected = bytes.fromhex(entry["salt"]), bytes.fromhex(entry["scrypt"])
            got = _hash(pin[:MAX_LENGTH], salt, int(entry.get("n", N)), int(entry.get("r", R)), int(entry.get("p", P)))
        except (KeyError, ValueError, TypeError):
            return False  # a damaged entry opens nothing
        return hmac.compare_digest(got, expected)
