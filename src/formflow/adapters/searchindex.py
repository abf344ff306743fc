"""Search over the short values written into every committed record (房号, 姓名, 电话, 车牌号 ...), for the desk.

Each record partition's summary carries its search text: per record, its number as it is (what a hit gives
back), then casefolded, then the record's values (casefolded, :func:`formflow.adapters.partitions.search_text`),
all between ``VALUE_SEP``; records between ``RECORD_SEP``. A search is
then :meth:`str.find` over one string per partition — C speed, about 10 MB at 100k records — instead of
reading and replaying records. The strings are loaded on the first search only (the engine never searches),
from the ``search`` snapshot where their partitions did not change (:mod:`indexsnapshot`), else from the
summaries; a commit makes its partitions be read again at the next search.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from formflow.adapters import indexsnapshot
from formflow.adapters.partitions import RECORD_SEP, VALUE_SEP, list_partitions
from formflow.adapters.storeopen import worth_saving

#: The snapshot kind of the search texts.
KIND = "search"


def clean_query(text: str) -> str:
    """``text`` as the texts hold it: casefolded, without the separators (which no value holds either)."""
    return text.replace(VALUE_SEP, " ").replace(RECORD_SEP, " ").casefold()


def numbers_in(haystack: str, needle: str) -> Iterable[str]:
    """Numbers of the records of one partition's search text whose number or values contain ``needle``."""
    pos = haystack.find(needle)
    while pos != -1:
        start = haystack.rfind(RECORD_SEP, 0, pos) + 1
        yield haystack[start:haystack.find(VALUE_SEP, start)]
        end = haystack.find(RECORD_SEP, pos)
        if end == -1:
            return
        pos = haystack.find(needle, end)


class SearchIndex:
    """The search texts of a store's record partitions, loaded on first use; safe for the desk's threads."""

    def __init__(self, folder: Path, summary: Callable[[str, str], dict], partitions: Callable[[], list[str]]):
        """``summary(name, path)``: partition ``name``'s summary as it is now; ``partitions()``: the names of
        the record partitions, new ones included."""
        self._folder = folder
        self._summary = summary
        self._partitions = partitions
        self._texts: dict[str, tuple[tuple, str]] | None = None  # name -> (file stamp, search text)
        self._lock = threading.Lock()

    def forget(self, names: Iterable[str]) -> None:
        """Partitions ``names`` were just written: read their texts again at the next search."""
        with self._lock:
            if self._texts is not None:
                for name in names:
                    self._texts.pop(name, None)

    def find(self, text: str, form: str | None = None) -> set[str]:
        """Numbers of the committed records (of ``form``) whose number or searched values (what
        :func:`formflow.adapters.partitions.search_text` keeps) contain ``text``."""
        needle = clean_query(text)
        if not needle:
            return set()
        prefix = f"records-{form}-" if form else "records-"
        found: set[str] = set()
        for name, haystack in self._haystacks():
            if name.startswith(prefix):
                found.update(numbers_in(haystack, needle))
        return found

    def _haystacks(self) -> list[tuple[str, str]]:
        with self._lock:
            if self._texts is None:
                self._texts = self._load()
            texts = self._texts
            for name in self._partitions():
                path = self._folder / f"{name}.json"
                if name not in texts and path.exists():  # new, or written since (not one a commit is still to write)
                    summary = self._summary(name, str(path))
                    texts[name] = (tuple(summary["file"]), summary.get("search", ""))
            return [(name, text) for name, (_, text) in texts.items()]

    def _load(self) -> dict[str, tuple[tuple, str]]:
        saved = indexsnapshot.load(self._folder, KIND)
        known = saved[0] if saved is not None else {}
        texts, read = {}, 0
        for name, path, stamp in list_partitions(self._folder):
            if not name.startswith("records-"):
                continue
            entry = known.get(name)
            if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == stamp and isinstance(entry[1], str):
                texts[name] = entry
                continue
            summary = self._summary(name, path)
            texts[name] = (tuple(summary["file"]), summary.get("search", ""))
            read += 1
        if saved is None or worth_saving(read, len(texts)):
            indexsnapshot.save(self._folder, texts, (), KIND)
        return texts
