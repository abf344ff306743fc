"""Shared fixtures: a real workspace on disk and a way to run the real CLI."""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from formflow.cli import main
from formflow.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
#: What `check` rightly says at NOW: 2027's official holiday notice is not out yet.
CALENDAR_WARNING = [
    "calendar.yaml:50:1: 警告 warning: years: 2027年节假日安排为暂定（官方通知未录入），期限可能有变；通知发布后请更新 "
    "calendar.yaml。 The 2027 arrangement is provisional: update calendar.yaml when the official notice is out.",
    "    修改建议 fix: 按国务院办公厅当年的放假通知补充 add the official arrangement from the State Council notice",
]


def without_pdfs(root: Path, todo_pdfs: str = "[]") -> None:
    """Switch the workspace's PDFs off (``outbox:`` in formflow.yaml; ``todo_pdfs``: which to-do PDFs stay).

    For tests about rules, stores and pages: the PDFs are tested on their own, and printing them
    at every pass would only make those tests slow.
    """
    settings = root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8")
                        + f"\noutbox: {{record_pdfs: false, todo_pdfs: {todo_pdfs}}}\n", encoding="utf-8")


@dataclass
class Result:
    code: int
    out: str
    err: str


class WorkspaceTree:
    """A workspace initialised from the shipped defaults in ``tmp_path``, cwd set to it."""

    def __init__(self, root: Path, capsys):
        self.root = root
        self._capsys = capsys

    def write(self, relative: str, text: str) -> Path:
        """Write ``text`` (dedented) to ``relative`` inside the workspace."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def load(self):
        return Workspace(self.root).load()

    def cli(self, *args: str) -> Result:
        """Run ``formflow ARGS`` in-process through the real entry point."""
        self._capsys.readouterr()
        code = main(list(args))
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """Every test runs at NOW unless it says otherwise: results must not depend on the real date."""
    monkeypatch.setenv("FORMFLOW_NOW", NOW.isoformat())


@pytest.fixture
def workspace(tmp_path, monkeypatch, capsys) -> WorkspaceTree:
    root = tmp_path / "ws"
    init_workspace(root)
    monkeypatch.chdir(root)
    return WorkspaceTree(root, capsys)


@pytest.fixture
def defs():
    """The repository's own (shipped) definitions, checked as of NOW."""
    return Workspace(REPO).load()
