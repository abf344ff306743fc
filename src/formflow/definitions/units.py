"""The unit register (``units.yaml``, 房屋清单): every flat of the estate, its owner, phones and 入住状态.

The supervisor edits it like the other definitions, or has ``formflow units import`` write it from the office's
Excel list; ``formflow check`` reports its mistakes with file and line. Every 房号 in it is read into the office's
one spelling (:mod:`formflow.engine.unitspelling`), so "03-02-1502" in the billing system's export and
"3栋2单元1502" typed at the desk are the same flat. What happens later (a move-in's new occupant and phone) is
not written back into this file: it is on the records, and a unit's file (:mod:`formflow.engine.unitfile`)
shows both, newest first, so nothing the supervisor wrote is ever rewritten behind their back.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import astuple, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from formflow.definitions.checking import check_schema
from formflow.definitions.yamlsource import Document
from formflow.engine import unitspelling
from formflow.engine.unitspelling import canonical, closest, spellings
from formflow.errors import Problem

#: The register's file in a workspace.
UNITS_FILE = "units.yaml"
#: 入住状态 a unit may have.
STATUSES = ("已入住", "未入住", "空置")

_PHONE = {"type": "string", "pattern": r"^[0-9+\-() ]{5,20}$",
          "description": "A phone number as dialled: mobile (13800138000) or fixed line (021-12345678)."}

UNITS_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Unit register (units.yaml)",
    "description": "The estate's flats and their owners (房屋清单). `formflow units import FILE` writes it from an "
                   "Excel or CSV list; a supervisor may also edit it by hand, one flat per line.",
    "type": "object",
    "additionalProperties": False,
    "required": ["units"],
    "properties": {
        "units": {
            "type": "array",
            "description": "One entry per flat (户). Its 房号 is read into the office's spelling (`unit_pattern`), "
                           "so each flat may appear once only, however it is written.",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["unit"],
                "properties": {
                    "unit": {"type": ["string", "integer"], "description": "房号, e.g. `3-2-1502` (any spelling "
                             "clerks type: 3栋2单元1502, 03-02-1502 …)."},
                    "area": {"type": ["number", "string"], "description": "建筑面积 in square metres, e.g. 89.5."},
                    "owner": {"type": "string", "description": "业主姓名 (several owners: 王建华、李梅)."},
                    "phones": {"type": "array", "items": _PHONE, "description": "联系电话, the owner's first."},
                    "status": {"enum": list(STATUSES), "description": "入住状态: 已入住 moved in, 未入住 not yet "
                               "moved in (handed over, nobody living there), 空置 vacant (unsold or empty)."},
                    "note": {"type": "string", "description": "备注, free text shown on the unit's page."},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Unit:
    """One flat of the register, its 房号 in the office's spelling."""

    unit: str
    owner: str = ""
    phones: tuple[str, ...] = ()
    status: str = ""
    area: Decimal | None = None
    note: str = ""
    #: Line of ``units.yaml`` it was read from (0 when made otherwise).
    line: int = 0

    def as_data(self) -> dict:
        """The entry as ``units.yaml`` writes it (empty values left out)."""
        out: dict = {"unit": self.unit}
        if self.area is not None:
            out["area"] = float(self.area) if self.area != self.area.to_integral() else int(self.area)
        for key in ("owner", "phones", "status", "note"):
            value = getattr(self, key)
            if value:
                out[key] = list(value) if key == "phones" else value
        return out


class UnitRegister(Mapping[str, Unit]):
    """The register: units by their canonical 房号, in the file's order."""

    def __init__(self, units: Mapping[str, Unit], pattern: re.Pattern):
        self._units = dict(units)
        self._pattern = pattern

    @property
    def pattern(self) -> re.Pattern:
        """The office's ``unit_pattern`` its 房号 were read with."""
        return self._pattern

    def __getitem__(self, unit: str) -> Unit:
        return self._units[unit]

    def __iter__(self) -> Iterator[str]:
        return iter(self._units)

    def __len__(self) -> int:
        return len(self._units)

    def find(self, text: str) -> Unit | None:
        """The unit ``text`` names in any spelling, if the register has it."""
        key = canonical(text, self._pattern)
        return self._units.get(key) if key else None

    def closest(self, text: str, count: int = 3) -> list[str]:
        """Registered units nearest to ``text`` (for "did you mean")."""
        return closest(text, self._units, count)

    def starting(self, text: str, count: int = 20) -> list[Unit]:
        """Units whose spelling starts with what ``text`` reads as so far (the desk completes as a clerk types)."""
        key = canonical(text, self._pattern) or next(iter(spellings(text)), text.strip())
        if not key:
            return []
        return [u for k, u in self._units.items() if k.startswith(key)][:count]


def read_area(value) -> Decimal | None:
    """建筑面积 as a number, or ``None`` when it is not one (``89.5``, ``"89.50"``, ``"89.5㎡"``)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    for unit in ("平方米", "平米", "平方", "㎡", "m²", "M²", "m2", "M2"):
        text = text.removesuffix(unit).strip()
    try:
        area = Decimal(text)
    except InvalidOperation:
        return None
    return area if area.is_finite() and 0 < area < 100_000 else None


def load_units(doc: Document, pattern: re.Pattern, example: str) -> tuple[UnitRegister | None, list[Problem]]:
    """The register from ``units.yaml``, with every problem found (a flat listed twice names both lines)."""
    problems = check_schema(doc, UNITS_SCHEMA)
    if problems:
        return None, problems
    units: dict[str, Unit] = {}
    for i, raw in enumerate(doc.data["units"]):
        where = ("units", i)
        key = canonical(str(raw["unit"]), pattern)
        if key is None:
            problems.append(doc.problem((*where, "unit"), f"房号写法不对 unit {raw['unit']!r} does not fit "
                                        f"unit_pattern", f"应写成 write it like {example}"))
            continue
        if key in units:
            problems.append(doc.problem((*where, "unit"), f"房号重复 unit {key} is listed twice (also line "
                                        f"{units[key].line})", "合并为一行 keep one entry per flat"))
            continue
        area = read_area(raw.get("area"))
        if raw.get("area") not in (None, "") and area is None:
            problems.append(doc.problem((*where, "area"), f"建筑面积不是数字 area {raw['area']!r} is not a "
                                        "number of square metres", "例如 e.g. 89.5"))
        units[key] = Unit(key, raw.get("owner", "").strip(), tuple(raw.get("phones", ())), raw.get("status", ""),
                          area, raw.get("note", ""), doc.where(where)[0])
    return UnitRegister(units, pattern), problems


# -- the parsed register, kept by content ------------------------------------------------------------------
# Every command loads the definitions, and a register of 12,000 flats takes ~1.5 s to parse with line marks
# and check against the schema — more than the rest of the definitions together. A register that loaded
# without a problem is kept (marshal, ~20 ms to read) under the hash of its bytes and the office's pattern,
# so only the first load after an edit pays; a missing, stale or damaged copy is simply parsed again.

#: Where kept registers live, relative to the workspace.
CACHE = Path("data") / "cache"
_CACHE_FORMAT = 1
_SPELLING_CODE = hashlib.sha256(Path(unitspelling.__file__).read_bytes()).digest()


def _cache_path(root: Path, raw: bytes, pattern: re.Pattern) -> Path:
    # The reader of spellings is part of the key: an upgrade that reads them differently parses the file again.
    digest = hashlib.sha256(raw + b"\0" + pattern.pattern.encode("utf-8") + bytes([_CACHE_FORMAT])
                            + _SPELLING_CODE).hexdigest()
    return root / CACHE / f"units-{digest[:32]}.marshal"


def cached_register(root: Path, raw: bytes, pattern: re.Pattern) -> UnitRegister | None:
    """The register kept for exactly these bytes of ``units.yaml`` and this pattern, if any."""
    try:
        rows = marshal.loads(_cache_path(root, raw, pattern).read_bytes())
        units = {row[0]: Unit(row[0], row[1], tuple(row[2]), row[3], Decimal(row[4]) if row[4] else None, row[5],
                              row[6]) for row in rows}
    except Exception:  # noqa: BLE001 - missing, from another version, damaged: parse the file instead
        return None
    return UnitRegister(units, pattern)


def keep_register(root: Path, raw: bytes, register: UnitRegister) -> None:
    """Keep ``register`` (loaded from ``raw`` without problems) for the next load; old copies are removed."""
    path = _cache_path(root, raw, register.pattern)
    rows = [(*astuple(u)[:4], str(u.area) if u.area is not None else "", u.note, u.line) for u in register.values()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temp.write_bytes(marshal.dumps(rows))
        os.replace(temp, path)
        for old in path.parent.glob("units-*.marshal"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only workspace, a full disk: the register is simply parsed next time
        pass
