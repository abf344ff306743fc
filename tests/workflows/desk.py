"""A clerk at the desk, for the workflow tests: drops files into a workspace's inbox, runs ``formflow``."""

from __future__ import annotations

import datetime as dt
import json
import re

import yaml


class Desk:
    """Drops files into a workspace's inbox, runs ``formflow``, reads what comes out.

    Subclasses name their ``form``, the record-number ``pattern`` a new record must get,
    and the ``clerk`` who signs by default.
    """

    form = ""
    pattern = ""
    clerk = "王芳"

    def __init__(self, workspace):
        self.ws = workspace
        self.dropped = 0

    def drop(self, doc: dict) -> str:
        self.dropped += 1
        name = f"{self.dropped:03d}.yaml"
        self.ws.write(f"inbox/{name}", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        return name

    def process(self, now: str, *, ok: bool = True):
        result = self.ws.cli("process", "--now", now)
        assert (result.code == 0) == ok, result.out + result.err
        return result

    def create(self, at: str, data: dict, by: str | None = None) -> str:
        self.drop({"form": self.form, "by": by or self.clerk, "at": at, "data": data})
        return re.search(rf"→ ({self.pattern})", self.process(at).out).group(1)

    def act(self, number: str, action: str, at: str, by: str | None = None, *, ok: bool = True, note: str = "",
            **data):
        """Do ``action``; a refused one returns the rejection note written next to the set-aside file."""
        doc = {"record": number, "action": action, "by": by or self.clerk, "at": at, "data": data}
        name = self.drop({**doc, "note": note} if note else doc)
        result = self.process(at, ok=ok)
        if not ok:
            stamp = dt.datetime.fromisoformat(at).strftime("%Y%m%d-%H%M%S")
            return (self.ws.root / f"outbox/rejected/{stamp}-{name}.说明.txt").read_text("utf-8")
        return result

    def todo(self, now: str) -> list[dict]:
        result = self.ws.cli("todo", "--format", "json", "--now", now)
        assert result.code == 0, result.err
        return json.loads(result.out)

    def tasks(self, number: str, now: str) -> dict[str, dict]:
        return {t["clock"]: t for t in self.todo(now) if t["record"] == number}

    def due(self, number: str, now: str) -> dict[str, tuple]:
        return {k: (t["due"], t["status"], t["who"]) for k, t in self.tasks(number, now).items()}

    def explain(self, number: str, now: str) -> list[str]:
        result = self.ws.cli("explain", number, "--now", now)
        assert result.code == 0, result.err
        return result.out.splitlines()

    def show(self, number: str, now: str) -> list[str]:
        result = self.ws.cli("show", number, "--now", now)
        assert result.code == 0, result.err
        return result.out.splitlines()

    def state(self, number: str) -> str:
        rows = json.loads(self.ws.cli("list", "--format", "json").out)
        return next(r["state_label"] for r in rows if r["record"] == number)
