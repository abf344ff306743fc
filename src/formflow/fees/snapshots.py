"""Arrears snapshots: each import of the billing system's list kept as what was owed on that day.

:func:`plan` reads a file (nothing written); :func:`keep` writes it under ``data/archive/fees/`` as
``<date>-<digest>.json`` (the items, refused rows and where they came from) with the original file beside it
(``<date>-<digest>-<its name made safe>``), each atomically. The digest is taken over what is owed (not the
file's bytes), so the same list imported twice on one day — even saved again by Excel — is kept once.
:func:`latest` reads the newest snapshot back (or the newest of a given day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from formflow.adapters.atomic import write_bytes, write_json
from formflow.adapters.inbox import safe_name
from formflow.adapters.spreadsheet import RefusedRow, read_table
from formflow.errors import FormflowError
from formflow.fees import arrears as reader
from formflow.fees.arrears import Arrears, Item

#: Where snapshots live, relative to the workspace (beside the archive's YYYY/MM folders, which it never matches).
FOLDER = Path("data") / "archive" / "fees"
_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-([0-9a-f]{6,64})\.json$")
FORMAT = "formflow-arrears/1"


class SnapshotError(FormflowError):
    """No snapshot to read, or one that cannot be read."""


@dataclass(frozen=True)
class Planned:
    """What importing a file would keep: the arrears read, for which day, under which digest."""

    source: Path
    raw: bytes
    sheet: str
    encoding: str
    headers: tuple[str, ...]
    arrears: Arrears
    date: dt.date
    digest: str

    @property
    def name(self) -> str:
        """The snapshot's file name."""
        return f"{self.date.isoformat()}-{self.digest}.json"


@dataclass(frozen=True)
class Snapshot:
    """A kept import, read back."""

    path: Path
    date: dt.date
    imported_at: str
    source: str
    items: tuple[Item, ...]
    refused: tuple[RefusedRow, ...]


def digest(items: list[Item]) -> str:
    """A short hash of what is owed (not of the file's bytes, nor of the register's view of it)."""
    data = [{k: v for k, v in item.as_data().items() if k != "registered"} for item in items]
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def plan(settings, path: Path, date: dt.date, *, sheet: str | None = None) -> Planned:
    """Read ``path`` as an arrears list for ``date`` (nothing is written)."""
    own = settings.fees.columns
    table = read_table(path, sheet=sheet, is_header=reader.is_header(own))
    columns = reader.find_columns(table.headers, own)
    reader.check_columns(columns, table.headers, path.name)
    read = reader.read(table.rows, columns, settings.unit_pattern, settings.unit_example, settings.register)
    return Planned(path, path.read_bytes(), table.sheet, table.encoding, table.headers, read, date,
                   digest(read.items))


def folder(root: Path) -> Path:
    """The snapshots' folder of the workspace at ``root``."""
    return root / FOLDER


def is_kept(root: Path, planned: Planned) -> bool:
    """Whether the same arrears were already kept for the same day."""
    return (folder(root) / planned.name).is_file()


def keep(root: Path, planned: Planned, imported_at: dt.datetime) -> Path:
    """Write the snapshot and the original file beside it (the original first: a snapshot never names a file
    that is not there); the snapshot's path."""
    target = folder(root) / planned.name
    original = f"{planned.date.isoformat()}-{planned.digest}-{safe_name(planned.source.name)}"
    write_bytes(folder(root) / original, planned.raw)
    found = planned.arrears
    write_json(target, {
        "format": FORMAT, "date": planned.date.isoformat(), "imported_at": imported_at.isoformat(),
        "source": {"name": planned.source.name, "kept": original, "sheet": planned.sheet,
                   "encoding": planned.encoding, "sha256": hashlib.sha256(planned.raw).hexdigest()},
        "columns": found.columns, "total": str(found.total),
        "items": [item.as_data() for item in found.items],
        "refused": [{"row": r.row, "reason": r.reason} for r in found.refused],
        "totals_skipped": found.totals})
    return target


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(data.get("format"))
        return data
    except (OSError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"✗ 欠费快照无法读取 cannot read the arrears snapshot {path}: {exc}") from exc


def kept_days(root: Path) -> list[str]:
    """The days (YYYY-MM-DD) with a snapshot, oldest first."""
    here = folder(root)
    names = [m.group(1) for p in (here.iterdir() if here.is_dir() else ()) if (m := _NAME.match(p.name))]
    return sorted(set(names))


def latest(root: Path, day: dt.date | None = None) -> Snapshot:
    """The newest snapshot (of ``day`` when given): the latest day, and on that day the latest import."""
    days = kept_days(root)
    if not days:
        raise SnapshotError("✗ 还没有导入过欠费清单 no arrears list imported yet\n"
                            "    修改建议 fix: formflow fees import 欠费明细.xlsx")
    wanted = day.isoformat() if day else days[-1]
    if wanted not in days:
        raise SnapshotError(f"✗ {wanted} 没有导入欠费清单 no arrears snapshot of that day；"
                            f"已有 kept: {'、'.join(days[-10:])}")
    found = [(d["imported_at"], p, d) for p in folder(root).glob(f"{wanted}-*.json") if _NAME.match(p.name)
             for d in (_read(p),)]
    imported_at, path, data = max(found, key=lambda t: (t[0], t[1].name))
    return Snapshot(path, dt.date.fromisoformat(data["date"]), imported_at, data["source"]["name"],
                    tuple(Item.from_data(i) for i in data["items"]),
                    tuple(RefusedRow(r["row"], r["reason"]) for r in data.get("refused", ())))
