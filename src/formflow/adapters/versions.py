"""Every version of the definitions that records were made under, kept in ``data/definitions/``.

A supervisor edits forms and workflows in place; the submissions accepted under last month's
version must still replay as they were accepted (``rebuild``, and the fold of other stations'
logs). So the engine keeps each version it accepts a submission under, as one immutable file
named by its content hash (``<id>.json``: the definition files' text), and the archive names that
id beside every accepted file. Immutable, uniquely named files are also what a sync engine
replicates without conflicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from formflow.adapters.atomic import write_bytes
from formflow.definitions.loader import Definitions, load_definitions
from formflow.definitions.sources import Sources, decode_version, encode_version
from formflow.errors import DefinitionError, WorkspaceError


class DefinitionVersions:
    """The kept versions of one workspace (``folder`` is ``data/definitions``)."""

    def __init__(self, folder: Path, root: Path, *, log: Path | None = None,
                 others: Callable[[], list[Path]] = list):
        """``folder``: where this station keeps them; ``log``: a second copy inside this station's log, which
        carries them to the other stations; ``others``: the copies of theirs, looked in when a version is not here."""
        self.folder = folder
        self.root = root
        self._log = log
        self._also = lambda: [*([log] if log else []), *others()]
        self._kept: set[str] = set()
        self._present: set[str] = set()
        self._loaded: dict[str, Definitions] = {}

    def _path(self, vid: str) -> Path:
        if len(vid) != 64 or any(c not in "0123456789abcdef" for c in vid):
            raise WorkspaceError(f"定义版本号无效 not a definitions version id: {vid!r}")  # never a path from input
        return self.folder / f"{vid}.json"

    def keep(self, defs: Definitions) -> str:
        """Keep the version ``defs`` were read from (once; durably, before anything names it); its id."""
        vid = defs.version_id
        if vid not in self._kept:
            path = self._path(vid)
            for place in (path, *([self._log / path.name] if self._log else [])):
                if not place.is_file():
                    write_bytes(place, encode_version(defs.sources))
            self._kept.add(vid)
            self._loaded.setdefault(vid, defs)
        return vid

    def has(self, vid: str) -> bool:
        """Whether version ``vid`` is here (kept by this station or arrived with another's log)."""
        if vid in self._loaded or vid in self._present:  # (a kept version never goes away: asked once per fold entry)
            return True
        path = self._path(vid)
        if path.is_file() or any((f / path.name).is_file() for f in self._also()):
            self._present.add(vid)
            return True
        return False

    def load(self, vid: str, today: dt.date) -> Definitions:
        """The definitions of kept version ``vid`` (loaded once per process)."""
        found = self._loaded.get(vid)
        if found is not None:
            return found
        path = self._path(vid)
        if not path.is_file():
            path = next((p for p in (folder / path.name for folder in self._also()) if p.is_file()), path)
        try:
            files = decode_version(path.read_bytes())
        except FileNotFoundError:
            raise WorkspaceError(f"缺少定义版本 kept definitions version missing: {path}") from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise WorkspaceError(f"定义版本文件损坏 kept definitions version damaged: {path} ({exc})") from None
        try:
            defs = load_definitions(self.root, today, Sources.kept(self.root, files))
        except DefinitionError as exc:  # a version that loaded once and no longer does: this code changed
            raise WorkspaceError(f"定义版本 {vid[:12]} 无法载入 kept definitions version no longer loads:\n{exc}") from None
        self._loaded[vid] = defs
        return defs
