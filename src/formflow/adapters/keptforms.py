"""The kept definitions versions by the form and workflow versions they declare: what a record was made under.

A record keeps the versions of its form and workflow (``form_version``, ``workflow_version``), and every
version of the definitions a submission was accepted under is kept (:mod:`formflow.adapters.versions`:
``data/definitions/``, the copy in this station's log and those of other stations' logs). So a record
made under version 1 of a form prints with version 1's labels, options and sections after the form
has moved on (:func:`form_made_under`), and ``check`` can tell a form edited without its version raised
(:mod:`formflow.versioncheck`).

The index reads each kept file once per process and only the ``version:`` line of each form and workflow
in it (no YAML parsed): a kept file is immutable, named by its content hash.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path

from formflow.adapters.archive import META
from formflow.adapters.stationlog import DEFINITIONS, peer_definitions, peer_folder
from formflow.adapters.versions import DefinitionVersions
from formflow.definitions.forms import Form
from formflow.definitions.loader import Definitions
from formflow.definitions.sources import decode_version
from formflow.engine.records import Record
from formflow.errors import FormflowError

#: A definition file's top-level ``version:`` line (forms and workflows have one; the schema makes it a number).
_VERSION = re.compile(rb"^version:[ \t]*['\"]?(\d+)['\"]?[ \t]*(?:#.*)?$", re.M)
_ID = re.compile(r"^[0-9a-f]{64}$")


def kept_folders(data: Path) -> list[Path]:
    """Every folder kept definitions versions are in: this station's, its log's copy, other stations' logs."""
    return [data / "definitions", data / "archive" / DEFINITIONS, *peer_definitions(data)]


def declared_versions(files: Mapping[str, bytes]) -> dict[str, int]:
    """``forms/<id>.yaml`` and ``workflows/<id>.yaml`` of one version → the version each declares."""
    found = {}
    for key, data in files.items():
        if key.startswith(("forms/", "workflows/")) and key.endswith(".yaml"):
            match = _VERSION.search(data)
            if match:
                found[key] = int(match[1])
    return found


class KeptIndex:
    """The kept versions of one workspace (``data``: its ``data/`` folder) and what each declares."""

    def __init__(self, data: Path):
        self.data = data
        self._paths: dict[str, Path] = {}
        self._declared: dict[str, dict[str, int]] = {}
        self._mtime: dict[str, int] = {}

    def refresh(self) -> KeptIndex:
        """Take in versions kept since the last look (the folders are listed; a known file is not read again)."""
        for folder in kept_folders(self.data):
            try:
                entries = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                vid = entry.name.removesuffix(".json")
                if vid in self._declared or not entry.name.endswith(".json") or not _ID.match(vid):
                    continue
                try:
                    files = decode_version(Path(entry.path).read_bytes())
                    mtime = entry.stat().st_mtime_ns
                except (OSError, ValueError, UnicodeDecodeError):
                    continue  # damaged or half-arrived: another copy, or a later look, may do
                self._paths[vid], self._mtime[vid] = Path(entry.path), mtime
                self._declared[vid] = declared_versions(files)
        return self

    def __len__(self) -> int:
        return len(self._declared)

    def declaring(self, key: str, version: int) -> list[str]:
        """The ids of the versions whose file ``key`` (``forms/x.yaml``) declares ``version``, newest kept first."""
        found = [vid for vid, declared in self._declared.items() if declared.get(key) == version]
        return sorted(found, key=lambda vid: (self._mtime[vid], vid), reverse=True)

    def files(self, vid: str) -> dict[str, bytes]:
        """The definition files of kept version ``vid`` (read again: the index holds no file's text)."""
        return decode_version(self._paths[vid].read_bytes())


class MadeUnder:
    """Finds, and keeps loaded, the form versions records of one workspace were made under."""

    def __init__(self, root: Path):
        data = root / "data"
        self.root = root
        self.index = KeptIndex(data)
        self.versions = DefinitionVersions(data / "definitions", root, log=data / "archive" / DEFINITIONS,
                                           others=lambda: peer_definitions(data))
        self._entries: dict[tuple[str, int], str] = {}  # (station, seq) → the version its file was accepted under
        self._lock = threading.Lock()

    def form(self, defs: Definitions, record: Record, now: dt.datetime) -> Form | None:
        """The form ``record`` was made under: today's when it has the record's version, else the kept one
        (the version its creating file was accepted under, or the newest kept with that form version);
        ``None`` when no kept version has it."""
        current = defs.forms.get(record.form)
        if current is not None and current.version == record.form_version:
            return current
        today = now.astimezone(defs.settings.timezone).date()
        with self._lock:
            created = self._created_under(defs, record)
            candidates = [created] if created else []
            candidates += [v for v in self.index.refresh().declaring(f"forms/{record.form}.yaml", record.form_version)
                           if v != created]
            for vid in candidates:
                try:
                    form = self.versions.load(vid, today).forms.get(record.form)
                except FormflowError:  # missing, damaged or no longer loading: the next candidate may do
                    continue
                if form is not None and form.version == record.form_version:
                    return form
        return None

    def _created_under(self, defs: Definitions, record: Record) -> str:
        """The version the file that created ``record`` was accepted under, as its archive meta says ("" when
        unknown: an event from before keys were kept, a clock set back across a month end)."""
        entry = record.events[0].entry if record.events else None
        if entry is None:
            return ""
        order, station, seq = entry
        if (station, seq) not in self._entries:
            self._entries[(station, seq)] = self._meta_definitions(defs, order, station, seq)
        return self._entries[(station, seq)]

    def _meta_definitions(self, defs: Definitions, order: int, station: str, seq: int) -> str:
        data = self.root / "data"
        logs = [data / "archive"] if station == defs.settings.station else []
        try:
            logs.append(peer_folder(data, station))
        except ValueError:
            pass
        # The archive files an entry under the month it was received; its order is that time (in microseconds),
        # unless a clock set back pushed it later: then the month may be another, and the index decides.
        received = dt.datetime.fromtimestamp(order / 1_000_000, defs.settings.timezone)
        prefix = f"{seq:09d}-"
        for log in logs:
            month = log / f"{received:%Y}" / f"{received:%m}"
            try:
                names = [e.name for e in os.scandir(month) if e.name.startswith(prefix) and e.name.endswith(META)]
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                try:
                    meta = json.loads((month / name).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if isinstance(meta, dict) and meta.get("seq") == seq and isinstance(meta.get("definitions"), str):
                    return meta["definitions"]
        return ""


_made_under: dict[Path, MadeUnder] = {}
_made_under_lock = threading.Lock()


def _forget_in_child() -> None:
    # A render worker forked while another thread held a lock here would wait on it for ever: it starts afresh.
    global _made_under_lock
    _made_under_lock = threading.Lock()
    _made_under.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def form_made_under(defs: Definitions, record: Record, now: dt.datetime) -> Form | None:
    """The form ``record`` was made under (see :meth:`MadeUnder.form`); kept versions loaded once per process."""
    root = Path(defs.root)
    with _made_under_lock:
        finder = _made_under.get(root)
        if finder is None:
            finder = _made_under[root] = MadeUnder(root)
    return finder.form(defs, record, now)
