"""``formflow units import``: the office's own unit list (Excel or CSV) into the register, previewed first.

Offices already have their flats in a spreadsheet — the billing system's export, the developer's handover list,
a WPS file — with their own headers. :func:`plan` reads it (:mod:`formflow.adapters.spreadsheet`), finds the
columns by the names offices use (房号 or 楼栋/单元/房间, 业主, 电话 …), reads each row, and compares it with the
register: added, changed (which values), unchanged, refused (row number and reason). Nothing is written until
:func:`apply` (after the clerk's yes), which writes ``units.yaml`` whole — one flat per line, the file's own
comments kept — checks that it loads, and only then replaces the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from formflow.adapters.atomic import write_text
from formflow.adapters.spreadsheet import RefusedRow, Sheet, clean_header, read_table
from formflow.definitions.units import STATUSES, UNITS_FILE, Unit, UnitRegister, load_units, read_area
from formflow.definitions.yamlsource import load_bytes
from formflow.engine import unitspelling
from formflow.engine.unitspelling import canonical
from formflow.errors import FormflowError

#: Header names offices use for each value (compared without spaces, brackets and what is inside them).
HEADERS = {
    "unit": ("房号", "房屋编号", "房间号", "房屋号", "房产编号", "门牌号", "单元房号", "资源编号"),
    "building": ("楼栋", "栋号", "楼号", "栋", "幢", "楼宇"),
    "entrance": ("单元", "单元号"),
    "room": ("房间", "室号", "户号", "房号"),
    "area": ("建筑面积", "房屋面积", "面积", "计费面积", "产权面积"),
    "owner": ("业主姓名", "业主", "客户名称", "客户姓名", "产权人", "姓名", "住户姓名"),
    "phones": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "业主电话", "电话号码", "移动电话"),
    "status": ("入住状态", "房屋状态", "状态", "居住状态"),
    "note": ("备注", "说明"),
}
#: Words billing systems use for 入住状态.
STATUS_WORDS = {
    "已入住": "已入住", "入住": "已入住", "自住": "已入住", "出租": "已入住", "已住": "已入住", "在住": "已入住",
    "入伙": "已入住", "已入伙": "已入住", "租赁": "已入住", "已出租": "已入住", "居住": "已入住",
    "未入住": "未入住", "已交房": "未入住", "未住": "未入住", "已交付": "未入住", "未装修": "未入住",
    "装修中": "未入住", "已收房": "未入住", "已售": "未入住", "未入伙": "未入住", "装修": "未入住",
    "空置": "空置", "空房": "空置", "未售": "空置", "未交房": "空置", "空关": "空置", "闲置": "空置",
}
#: A phone number inside a cell: a mobile (spaces or dashes between its groups, +86 before it), or a fixed line
#: with its area code and an extension. What else a cell holds ("王先生") is left out of the register.
_PHONE_IN_CELL = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?!\d)"
                            r"|(?<!\d)(0\d{2,3}[\s-]?\d{7,8}(?:[-转]\d{1,6})?)(?!\d)")


class UnitImportError(FormflowError):
    """The file cannot be imported at all (no 房号 column)."""


@dataclass(frozen=True)
class Plan:
    """What importing a file would do."""

    source: Path
    columns: dict[str, str]            # our key -> the file's header
    added: list[Unit] = field(default_factory=list)
    changed: list[tuple[Unit, Unit, list[str]]] = field(default_factory=list)  # old, new, labels of what changed
    unchanged: list[Unit] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    untouched: int = 0                 # registered units the file does not mention (kept as they are)
    result: list[Unit] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)   # the file's columns nothing was read from
    filled: list[int] = field(default_factory=list)   # rows whose blank 楼栋/单元 came from the row above

    @property
    def changes_anything(self) -> bool:
        """Whether applying would write anything."""
        return bool(self.added or self.changed)


_LABELS = {"owner": "业主", "phones": "电话", "status": "入住状态", "area": "建筑面积", "note": "备注"}


def is_header(cells: list[str]) -> bool:
    """Whether a row of a sheet is its header: it names a 房号 (or a 楼栋 and a room) exactly."""
    names = {clean_header(c) for c in cells}
    return bool(names & set(HEADERS["unit"])) or bool(names & set(HEADERS["building"]) and
                                                      names & set(HEADERS["room"]))


def find_columns(headers: tuple[str, ...]) -> dict[str, str]:
    """Our keys mapped to the file's headers (each header used once; an exact name before a longer one, and
    never a longer one for the 房号 of a sheet that has 楼栋 and 房间 apart: 房屋面积 is not a 房号)."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for key, names in HEADERS.items():
            if key in found or (not exact and key == "unit" and {"building", "room"} & found.keys()):
                continue
            for header in headers:
                name = clean_header(header)
                if header in taken or not name:
                    continue
                if (name in names) if exact else any(name.startswith(n) for n in names):
                    found[key] = header
                    taken.add(header)
                    break
    # Extra phone columns (电话2, 手机) are phones too.
    extra = [h for h in headers if h not in taken and any(w in clean_header(h) for w in ("电话", "手机"))
             and "紧急" not in h]  # an emergency contact's phone is not the owner's
    if extra:
        found["phones_extra"] = "\x1f".join(extra)
    return found


def _row_unit(columns: dict[str, str], cells: dict[str, str]) -> str:
    given = cells.get(columns["unit"], "") if "unit" in columns else ""
    # 楼栋 | 单元 | 房号 with only "1502" under 房号: the room, not the whole 房号.
    if given and not ("building" in columns and len(unitspelling.parts(given) or [given]) == 1):
        return given
    room = given or (cells.get(columns["room"], "") if "room" in columns else "")
    parts = [cells.get(columns[k], "") for k in ("building", "entrance") if k in columns] + [room]
    return "-".join(p for p in parts if p)


def _phones(raw: str) -> tuple[list[str], str]:
    """The phone numbers in a cell, as dialled without spaces (+86 dropped), and what is left that looks like a
    number but is not one (a digit too few): "" when nothing is."""
    found = []
    for match in _PHONE_IN_CELL.finditer(raw):
        mobile, fixed = match.groups()
        number = re.sub(r"[\s-]", "", mobile) if mobile else re.sub(r"\s", "", fixed).replace("转", "-")
        if number not in found:
            found.append(number)
    left = _PHONE_IN_CELL.sub(" ", raw)
    odd = next((m.group() for m in re.finditer(r"\d[\d\s-]{3,}\d", left)), "")
    return found, odd.strip()


def _read_row(settings, columns: dict[str, str], number: int, cells: dict[str, str]) -> Unit | RefusedRow:
    typed = _row_unit(columns, cells)
    if not typed:
        return RefusedRow(number, "没有房号")
    unit = canonical(typed, settings.unit_pattern)
    if unit is None:
        return RefusedRow(number, f"房号“{typed}”读不出来，应写成 {settings.unit_example} 或 3栋2单元1502 这样")
    phones: list[str] = []
    raw_phones = [cells.get(columns["phones"], "")] if "phones" in columns else []
    raw_phones += [cells.get(h, "") for h in columns.get("phones_extra", "").split("\x1f") if h]
    for raw in raw_phones:
        found, odd = _phones(raw)
        if odd:
            return RefusedRow(number, f"{unit}：电话“{odd}”不是有效的电话号码（手机 11 位，固定电话带区号）")
        phones.extend(p for p in found if p not in phones)
    area = None
    if "area" in columns and cells.get(columns["area"], ""):
        area = read_area(cells[columns["area"]])
        if area is None:
            return RefusedRow(number, f"{unit}：建筑面积“{cells[columns['area']]}”不是数字")
    status = ""
    if "status" in columns and cells.get(columns["status"], ""):
        word = cells[columns["status"]].strip()
        status = STATUS_WORDS.get(word, "")
        if not status:
            return RefusedRow(number, f"{unit}：入住状态“{word}”不认识，应为 {'、'.join(STATUSES)} 之一")
    return Unit(unit, cells.get(columns["owner"], "").strip() if "owner" in columns else "", tuple(phones), status,
                area, cells.get(columns["note"], "").strip() if "note" in columns else "", number)


def _merge(old: Unit, new: Unit, columns: dict[str, str]) -> tuple[Unit, list[str]]:
    """``old`` with what the file gives (a column the file lacks, or an empty cell, keeps the old value)."""
    changes = {}
    for key in ("owner", "phones", "status", "area", "note"):
        given = key in columns or (key == "phones" and "phones_extra" in columns)
        value = getattr(new, key)
        if given and value not in ("", (), None) and value != getattr(old, key):
            changes[key] = value
    return replace(old, **changes), [_LABELS[k] for k in changes]


def plan(root: Path, settings, path: Path, *, sheet: str | None = None) -> Plan:
    """What importing ``path`` into ``root``'s register would do (nothing is written)."""
    table: Sheet = read_table(path, sheet=sheet, is_header=is_header)
    columns = find_columns(table.headers)
    if "unit" not in columns and not {"building", "room"} <= columns.keys():
        raise UnitImportError(f"✗ {path.name}：找不到房号列 no unit column. 表头是 headers: {'、'.join(table.headers)}\n"
                           "    修改建议 fix: 把房号所在列的表头改为“房号”（或分为“楼栋”“单元”“房间”三列）")
    register: UnitRegister | None = settings.register
    current = dict(register.items()) if register else {}
    used = {h for key, value in columns.items() for h in value.split("\x1f")}
    out = Plan(path, columns, unused=[h for h in table.headers if h not in used])
    seen: dict[str, int] = {}
    result = dict(current)
    above: dict[str, str] = {}
    for number, cells in table.rows:
        # A developer's handover list merges the 楼栋 and 单元 cells of a block: blank below its first row.
        for key in ("building", "entrance"):
            if key in columns:
                header = columns[key]
                if cells.get(header, ""):
                    above[key] = cells[header]
                elif key in above:
                    cells = {**cells, header: above[key]}
                    if number not in out.filled:
                        out.filled.append(number)
        read = _read_row(settings, columns, number, cells)
        if isinstance(read, RefusedRow):
            out.refused.append(read)
            continue
        if read.unit in seen:
            out.refused.append(RefusedRow(number, f"{read.unit} 与第 {seen[read.unit]} 行是同一户（房号重复）"))
            continue
        seen[read.unit] = number
        old = current.get(read.unit)
        if old is None:
            result[read.unit] = replace(read, line=0)
            out.added.append(read)
            continue
        merged, changed = _merge(old, read, columns)
        if changed:
            result[read.unit] = merged
            out.changed.append((old, merged, changed))
        else:
            out.unchanged.append(old)
    out.result.extend(result.values())
    return replace(out, untouched=sum(1 for u in current if u not in seen))


def _header_of(path: Path) -> str:
    """The comment lines at the top of the existing file (kept as they were), or ours."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else (
        "# 房屋清单 unit register — formflow units import 写入；也可直接编辑，每户一行。\n"
        "# 各键的说明见 docs/reference.md（Unit register 一节）。\n")


def register_text(units: list[Unit], header: str) -> str:
    """``units.yaml`` for ``units``: the header, then one flow mapping per flat (safe YAML, quoted as needed)."""
    lines = [header.rstrip("\n"), "units:"]
    for unit in units:
        lines.append("  - " + yaml.safe_dump(unit.as_data(), allow_unicode=True, default_flow_style=True,
                                              width=1 << 16, sort_keys=False).strip())
    return "\n".join(lines) + "\n"


def apply(root: Path, settings, planned: Plan) -> Path:
    """Write the planned register to ``root/units.yaml``, after checking that it loads; its path."""
    path = root / UNITS_FILE
    text = register_text(planned.result, _header_of(path))
    _, problems = load_units(load_bytes(text.encode("utf-8"), UNITS_FILE), settings.unit_pattern,
                             settings.unit_example)
    if problems:  # never replace a register with one that does not load (a bug here, not the clerk's mistake)
        raise FormflowError("✗ 生成的房屋清单无法读取，未写入 the new register does not load, nothing written:\n"
                            + "\n".join(str(p) for p in problems))
    write_text(path, text)
    return path
