"""Chinese sentences put together without doubled marks: "更换角阀。；完工时间…" reads as a typo on paper.

Texts people typed often end with 。 or ；, and the code that joins them adds its own mark; these
helpers drop the typed terminal mark where another mark follows. Pure; used by the record PDFs,
the desk, the to-do lists and the notes the engine writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Marks that end a clause or sentence (full-width and ASCII); one of them before another is one too many.
TERMINAL = "。；，、：！？.;,!?"
_TRAILING = re.compile(f"[{re.escape(TERMINAL)}\\s]+$")
#: A full-width mark, perhaps spaced, followed by another: the first goes (``。；`` → ``；``, ``；；`` → ``；``).
#: Not ？！ (``怎么回事？！`` is meant) nor ASCII (``...``).
_DOUBLED = re.compile("[。；，、：]\\s*(?=[。；，、：])")


def trim(text: str) -> str:
    """``text`` without the marks and spaces it ends with: ``已完工。`` → ``已完工``."""
    return _TRAILING.sub("", text)


def join_clauses(parts: Iterable[str], mark: str = "；") -> str:
    """Non-empty ``parts`` joined by ``mark``, none of them keeping a terminal mark before it; the last part keeps
    its own (``["换阀门。", "试水正常。"]`` → ``换阀门；试水正常。``)."""
    texts = [p.strip() for p in parts if p and p.strip()]
    return mark.join([trim(t) for t in texts[:-1]] + texts[-1:])


def then(text: str, mark: str, more: str) -> str:
    """``text`` followed by ``mark`` and ``more``, without doubling a mark ``text`` already ends with."""
    if not text:
        return more
    return f"{trim(text)}{mark}{more}"


def tidy(text: str) -> str:
    """``text`` with each run of terminal marks cut to its last one (``。；`` → ``；``, ``；；`` → ``；``): for notes
    stored before the joins above were careful."""
    return _DOUBLED.sub("", text) if text else text
