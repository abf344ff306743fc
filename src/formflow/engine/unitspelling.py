"""One spelling of every 房号: what clerks type, read into the office's canonical form (pure).

Clerks write the same flat as "3栋2单元1502", "3幢2单元1502室", "3-2-1502室", "３－２－１５０２", "3—2—1502" or
"03-02-1502". :func:`spellings` reads any of them into its parts (building, entrance, room ...) and gives the
candidate canonical spellings, best first: the parts joined by ``-`` without leading zeros, then with the zeros
as typed (for an office whose pattern pads rooms, e.g. ``3-2-0502``). The office's ``unit_pattern`` then picks
the first candidate it accepts (:func:`canonical`); nothing is guessed beyond that — a text with any other word
in it ("3栋2单元1502旁边") is not read at all, because a wrong flat on a record is worse than a question.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

#: Characters clerks put between the parts (after NFKC, which already maps full-width ones to ASCII).
_SEPARATORS = "-‐‑‒–—―−~_/\\、,.·．"
#: Words that end a part, and which part: 区/期 (0), building 栋/幢/座/号楼/# (1), entrance 单元 (2). They must
#: come in that order and never after the room: "2单元3栋1502" and "3-2-1502号楼" are not read as anything.
_LEVELS = {"区": 0, "期": 0, "号楼": 1, "栋": 1, "幢": 1, "座": 1, "#": 1, "单元": 2}
_TOKEN = re.compile(r"([0-9A-Z]+)(号楼|单元|栋|幢|座|#|区|期)?")
#: Words after the room number that add nothing.
_ROOM_WORDS = re.compile(r"(室|房|号|户)$")
_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9}
_CHINESE_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+(?=号楼|单元|栋|幢|座|区|期)")


def _chinese_number(text: str) -> str:
    """``三`` → ``3``, ``十二`` → ``12``, ``二十三`` → ``23`` (buildings and entrances, never rooms)."""
    if "十" not in text:
        return "".join(str(_CHINESE_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    return str((_CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CHINESE_DIGITS.get(ones, 0) if ones else 0))


def parts(text: str) -> list[str] | None:
    """The parts of a typed 房号 as written (``["03", "02", "1502"]``), or ``None`` when it is not a 房号.

    Parts are read in order; a word after a part says which it is. A 区/期 is read only with both a building and
    an entrance after it ("A区3栋2单元1502"): "3区2栋1502" would otherwise read like building 3, entrance 2."""
    text = unicodedata.normalize("NFKC", str(text)).upper().strip()
    if not text:
        return None
    text = _CHINESE_NUMBER.sub(lambda m: _chinese_number(m.group()) if m.group().count("十") <= 1 else m.group(),
                               text)
    text = _ROOM_WORDS.sub("", text)
    text = re.sub(r"\s+", "-", text)  # "3 2 1502": spaces between the parts
    for sep in _SEPARATORS:
        text = text.replace(sep, "-")
    found: list[str] = []
    levels: set[int] = set()
    last, marked = -1, False
    for chunk in (c for c in text.split("-") if c):
        at = 0
        for match in _TOKEN.finditer(chunk):
            if match.start() != at:
                return None  # a character that is neither a part nor a word we know
            at = match.end()
            value, word = match.groups()
            marked = word is not None
            if marked:
                level = _LEVELS[word]
                if level <= last:
                    return None  # out of order: 单元 before 栋, two buildings
                last = level
                levels.add(level)
            found.append(value)
        if at != len(chunk):
            return None
    if not found or marked:
        return None  # no room after the last word: "3栋2单元", "3-2-1502号楼"
    if 0 in levels and not {1, 2} <= levels:
        return None
    return found


def _strip_zeros(part: str) -> str:
    return part.lstrip("0") or "0" if part.isdigit() else part


def spellings(text: str) -> list[str]:
    """Canonical candidates for ``text``, best first: zeros stripped, then as typed (empty when unreadable)."""
    found = parts(text)
    if found is None:
        return []
    out = ["-".join(_strip_zeros(p) for p in found), "-".join(found)]
    return list(dict.fromkeys(out))


def canonical(text: str, pattern: re.Pattern) -> str | None:
    """The office's one spelling of ``text``: the first candidate ``pattern`` accepts, else ``None``."""
    return next((s for s in spellings(text) if pattern.fullmatch(s)), None)


def closest(text: str, known: Iterable[str], count: int = 3) -> list[str]:
    """Up to ``count`` units of ``known`` nearest to ``text`` (a typo'd room, swapped digits), best first.

    Units of the same building and entrance come first; among them, the most alike spelling, then the nearest
    room number; then units elsewhere that are very alike (``13-2-1502`` for ``3-2-1502``)."""
    candidates = spellings(text)
    if not candidates:
        return []
    wanted = candidates[0]
    head, _, room = wanted.rpartition("-")
    pool: Sequence[str] = list(known)

    def rank(unit: str) -> tuple:
        other = unit.rpartition("-")[2]
        distance = abs(int(other) - int(room)) if other.isdigit() and room.isdigit() else 1 << 30
        return -round(difflib.SequenceMatcher(None, wanted, unit).ratio(), 3), distance, unit

    near = sorted((u for u in pool if head and u.rpartition("-")[0] == head), key=rank)
    found = [u for u in near if rank(u)[0] <= -0.5][:count]
    for unit in difflib.get_close_matches(wanted, pool, n=count * 2, cutoff=0.75):
        if unit not in found:
            found.append(unit)
    return found[:count]
