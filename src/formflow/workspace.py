"""A workspace on disk: where definitions, inbox, outbox and data live, and how to make one.

A workspace is a folder found by convention (like datasette's project folder)::

    formflow.yaml   settings: office, station, roster
    calendar.yaml   business calendar
    forms/          one form definition per file
    choices/        shared choice lists (and CSV master lists)
    workflows/      one workflow per form
    inbox/          drop filled forms and actions here
    outbox/         PDFs, to-do lists, rejected files
    data/           the database and the archive of every accepted file
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from formflow.definitions.loader import SETTINGS_FILE, Definitions, load_definitions
from formflow.errors import WorkspaceError

#: What ``formflow init`` copies from the shipped defaults.
DEFAULT_CONTENT = (SETTINGS_FILE, "calendar.yaml", "duties.yaml", "units.yaml", "forms", "choices", "workflows", "fees")


def defaults_dir() -> Path:
    """The shipped default workspace.

    An installed wheel carries it as ``formflow/defaults``; a source checkout (editable
    install, tests) uses the repository root, which *is* the default workspace.
    """
    packaged = Path(str(resources.files("formflow"))) / "defaults"
    if (packaged / SETTINGS_FILE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / SETTINGS_FILE).is_file():
        return checkout
    raise WorkspaceError("找不到内置的默认表单 shipped defaults not found; reinstall formflow")


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; :meth:`load` reads and checks its definitions."""

    root: Path

    @property
    def forms_dir(self) -> Path:
        return self.root / "forms"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def load(self) -> Definitions:
        """Every definition of the workspace, checked; raises DefinitionError or WorkspaceError."""
        if not self.root.is_dir():
            raise WorkspaceError(f"工作区不存在 workspace not found: {self.root}\n"
                                 f"    修改建议 fix: formflow init {self.root}")
        from formflow import clock

        return load_definitions(self.root, today=clock.now(_zone_hint(self.root)).date())


def _zone_hint(root: Path):
    # "Today" for the calendar check is the office's today; before settings load, Shanghai is the
    # only zone formflow ships for, and the loader re-checks the settings' own zone anyway.
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def init_workspace(target: Path) -> Workspace:
    """Create a workspace at ``target`` from the shipped defaults; refuse to overwrite one."""
    if (target / SETTINGS_FILE).exists():
        raise WorkspaceError(f"这里已经是一个工作区 a workspace already exists at {target} (found {SETTINGS_FILE})")
    source = defaults_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in DEFAULT_CONTENT:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, target / name, dirs_exist_ok=True)
        elif src.is_file():
            shutil.copy2(src, target / name)
    for folder in ("inbox", "outbox", "data"):
        (target / folder).mkdir(exist_ok=True)
    return Workspace(target)
