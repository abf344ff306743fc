"""Search over the short values written into every committed record (房号, 姓名, 电话, 车牌号 ...), for the desk.

Each record partition's summary carries its search text: per record, its number, then the number casefolded
and the record's values (casefolded, :func:`formflow.adapters.partitions.search_text`), all between
``VALUE_SEP``; records between ``RECORD_SEP``. The desk searches them through a trigram index: an SQLite
database (the standard library's ``sqlite3``, FTS5's ``trigram`` tokenizer) in ``index/search.sqlite`` beside
the partitions' summaries, one row per record, kept per partition with the file stamp it was read at.

Why an index and not a scan: the texts are about 18 million characters at 100k records, and ``str.find`` over
all of them took 21–26 ms a search, growing with the store (9× from 1k to 100k records), besides holding them
in the desk's memory and reading them all at the first search (~0.4 s). A trigram index answers a needle of
three characters or more from the postings of its trigrams, so the time follows the hits, not the store:
about 2 ms for a 房号 or a phone's last four digits at 100k records. A needle of two characters is every
indexed trigram that starts with it (each value is followed by a separator and the last by two, so every
occurrence starts one); a single character is a scan of the texts inside SQLite (its hits are a tenth of the store anyway).

The database is derived data: a partition whose file stamp differs from the one kept is read again, a
database that cannot be opened or is of another format is made again, and where none can be written (a
read-only or full disk) the index lives in memory for the process. Nothing is lost by deleting it. Where
SQLite lacks FTS5's trigram tokenizer (older than 3.34), the same rows are searched by a scan inside SQLite.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path

from formflow.adapters.partitions import (
    RECORD_SEP,
    SUMMARY_VERSION,
    VALUE_SEP,
    list_partitions,
)

#: The database's file, in the store's ``index/`` folder.
DATABASE = "search.sqlite"
#: Format of the database (``PRAGMA user_version``); a database of another format is made again.
SCHEMA_VERSION = 2
#: Partitions read again in one transaction (each is at most a few hundred records).
READ_TOGETHER = 50
#: A two-character needle is looked up as the trigrams that start with it; past this many, a scan is cheaper.
MAX_PREFIX_TERMS = 2000
#: The end of every record's indexed text: after its last value, two separators, so that each occurrence of a
#: one- or two-character needle starts a trigram.
_TAIL = VALUE_SEP * 2

#: FTS5's tokenizer (SQLite 3.34 or later); case_sensitive: the texts and the needles are casefolded already
#: (str.casefold), nothing more to fold.
TOKENIZER = "trigram case_sensitive 1"
_TABLES = (
    "CREATE TABLE parts (name TEXT PRIMARY KEY, stamp TEXT NOT NULL)",
    "CREATE TABLE recs (id INTEGER PRIMARY KEY, part TEXT NOT NULL, number TEXT NOT NULL, text TEXT NOT NULL)",
    "CREATE INDEX recs_part ON recs (part)",
)


#: The rows whose text an FTS5 query matches.
_MATCHED = "SELECT number, part, text FROM recs WHERE id IN (SELECT rowid FROM fts WHERE fts MATCH ?)"


def _index_tables() -> tuple[str, ...]:
    return (f"CREATE VIRTUAL TABLE fts USING fts5 (text, content='recs', content_rowid='id', tokenize='{TOKENIZER}')",
            "CREATE VIRTUAL TABLE vocab USING fts5vocab (fts, 'row')")


def trigrams_available() -> bool:
    """Whether this Python's SQLite has FTS5 and its trigram tokenizer. Without them (an SQLite older than
    3.34, or built without FTS5) the rows are kept all the same and searched by a scan inside SQLite: the same
    answers, at the speed of the old scan."""
    return _available(TOKENIZER)


@functools.cache
def _available(tokenizer: str) -> bool:  # (asked once per process and tokenizer)
    probe = sqlite3.connect(":memory:")
    try:
        for statement in (*_TABLES, *_index_tables()):
            probe.execute(statement)
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def clean_query(text: str) -> str:
    """``text`` as the texts hold it: casefolded, without the separators (which no value holds either)."""
    return text.replace(VALUE_SEP, " ").replace(RECORD_SEP, " ").casefold()


def storable(text: str) -> str:
    """``text`` as the index can take it: a lone surrogate (which a hand-edited JSON file can hold and ``str``
    keeps, but UTF-8 cannot) and NUL (where FTS5's terms end) become ``?``, in the texts and the needles alike."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "?")


def split_records(search: str) -> Iterable[tuple[str, str]]:
    """``(number, indexed text)`` of each record in a partition summary's search text."""
    search = storable(search)
    for entry in search.split(RECORD_SEP) if search else ():
        number, _, text = entry.partition(VALUE_SEP)
        yield number, text + _TAIL


def _stamp(file_stamp) -> str:
    """What ``parts`` keeps of a partition: its file's stamp, and the summary format its rows were made by (a
    formflow that searches other values reads every partition again)."""
    return f"{SUMMARY_VERSION} {tuple(file_stamp)!r}"


def _phrase(text: str) -> str:
    """``text`` as one FTS5 string (a phrase: with the trigram tokenizer, the text as a substring)."""
    return '"' + text.replace('"', '""') + '"'


class SearchIndex:
    """The trigram index of a store's record partitions, opened and brought up to date on first use; safe for
    the desk's threads (one connection behind a lock) and for several processes (SQLite's own locking)."""

    def __init__(self, folder: Path, summary: Callable[[str, str], dict]):
        """``summary(name, path)``: partition ``name``'s summary as it is now."""
        self._folder = folder
        self._summary = summary
        self._db: sqlite3.Connection | None = None
        self._trigrams = True  # (as the database was made: see trigrams_available)
        # Partitions this process wrote since the index was brought up to date (another process's writes are
        # found by their file stamps when a store is opened again, as the desk does after every commit).
        self._stale: set[str] = set()
        self._lock = threading.Lock()

    def forget(self, names: Iterable[str]) -> None:
        """Partitions ``names`` were just written: read them again at the next search."""
        with self._lock:
            self._stale.update(name for name in names if name.startswith("records-"))

    def prepare(self) -> None:
        """Bring the index up to date now (the desk does at start, in the background: the index of a store of
        100k records not indexed yet takes several seconds to make, which no clerk's first search should wait
        for)."""
        with self._lock:
            self._current()

    def find(self, text: str, form: str | None = None) -> set[str]:
        """Numbers of the committed records (of ``form``) whose number or searched values (what
        :func:`formflow.adapters.partitions.search_text` keeps) contain ``text``."""
        needle = storable(clean_query(text))
        if not needle:
            return set()
        prefix = f"records-{form}-" if form else "records-"
        with self._lock:
            try:
                return self._find(needle, prefix)
            except sqlite3.DatabaseError as error:
                if isinstance(error, sqlite3.OperationalError):
                    raise
                # damaged while open (a disk error, a hand edit): made again from the summaries
                if self._db is not None:
                    self._db.close()
                self._db = None
                with contextlib.suppress(OSError):
                    self._remove(self._folder / "index" / DATABASE)
                return self._find(needle, prefix)

    def _find(self, needle: str, prefix: str) -> set[str]:
        rows = self._rows(self._current(), needle)
        # (the index answers exactly; the check is what makes that a fact, not a hope)
        return {number for number, part, haystack in rows if part.startswith(prefix) and needle in haystack}

    def _rows(self, db: sqlite3.Connection, needle: str):
        """``(number, part, text)`` of the rows that may hold ``needle``: from the trigram index where it can
        tell (three characters or more; two, as the trigrams starting with them), else by a scan."""
        if self._trigrams and len(needle) >= 3:
            return db.execute(_MATCHED, (_phrase(needle),))
        if self._trigrams and len(needle) == 2:
            terms = [term for (term,) in db.execute(
                "SELECT term FROM vocab WHERE term >= ? AND term < ? LIMIT ?",
                (needle, needle + "\U0010ffff", MAX_PREFIX_TERMS + 1))]
            if len(terms) <= MAX_PREFIX_TERMS:
                return db.execute(_MATCHED, (" OR ".join(map(_phrase, terms)),)) if terms else []
        return db.execute("SELECT number, part, text FROM recs WHERE instr(text, ?) > 0", (needle,))

    # -- keeping the index ------------------------------------------------------------------------------

    def _current(self) -> sqlite3.Connection:
        """The database, each partition's rows as its file is now."""
        if self._db is None:
            self._db = self._open()
            # Closed with its index: an open sqlite3 connection is a reference cycle (its statement cache), so
            # without this each store dropped would keep one until the cyclic collector ran.
            weakref.finalize(self, self._db.close)
            self._stale.clear()  # (the files as they are now: written since or not)
            self._reconcile()
        if self._stale:
            stale, self._stale = sorted(self._stale), set()
            self._read([(name, str(self._folder / f"{name}.json")) for name in stale])
        return self._db

    def _open(self) -> sqlite3.Connection:
        path = self._folder / "index" / DATABASE
        try:
            path.parent.mkdir(exist_ok=True)
            return self._ready_here(path)
        except sqlite3.OperationalError:  # cannot be opened or written (read-only, full, locked for long)
            pass
        except sqlite3.DatabaseError:  # damaged, or not a database: it holds nothing that cannot be made again
            with contextlib.suppress(OSError, sqlite3.Error):
                self._remove(path)
                return self._ready_here(path)
        except OSError:
            pass
        return self._ready_here(":memory:")  # searching still works, for this process

    def _ready_here(self, path: Path | str) -> sqlite3.Connection:
        db, self._trigrams = self._ready(path)
        return db

    @staticmethod
    def _remove(path: Path) -> None:
        for leftover in (path, *(path.with_name(path.name + end) for end in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)

    @staticmethod
    def _ready(path: Path | str) -> tuple[sqlite3.Connection, bool]:
        """The database at ``path`` in the format this process makes (with the trigram index where SQLite has
        it: ``user_version`` is :data:`SCHEMA_VERSION`, or its negative without), and whether it has the index."""
        trigrams = trigrams_available()
        wanted = SCHEMA_VERSION if trigrams else -SCHEMA_VERSION
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            # WAL: a reader never waits for another process writing, and a power cut loses at most the last
            # transactions, never the file (each partition's rows and its stamp are written together).
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != wanted:
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    if db.execute("PRAGMA user_version").fetchone()[0] != wanted:  # (not made meanwhile)
                        for table in ("vocab", "fts", "recs", "parts"):  # (their indexes go with them)
                            db.execute(f"DROP TABLE IF EXISTS {table}")
                        for statement in (*_TABLES, *(_index_tables() if trigrams else ())):
                            db.execute(statement)
                        db.execute(f"PRAGMA user_version = {wanted}")
            db.execute("SELECT count(*) FROM parts").fetchone()
        except BaseException:
            db.close()
            raise
        return db, trigrams

    def _reconcile(self) -> None:
        """Every record partition's rows against its file: rows of a changed file read again, of a gone one
        dropped (one listing of the folder, at the first search only)."""
        db = self._db
        files = {name: (path, _stamp(stamp)) for name, path, stamp in list_partitions(self._folder)
                 if name.startswith("records-")}
        kept = dict(db.execute("SELECT name, stamp FROM parts").fetchall())
        gone = kept.keys() - files.keys()
        if gone:
            with db:
                db.execute("BEGIN IMMEDIATE")
                for name in gone:
                    _drop(db, name, self._trigrams)
                    db.execute("DELETE FROM parts WHERE name = ?", (name,))
        changed = [(name, path) for name, (path, stamp) in files.items() if kept.get(name) != stamp]
        for start in range(0, len(changed), READ_TOGETHER):
            self._read(changed[start:start + READ_TOGETHER])

    def _read(self, partitions: list[tuple[str, str]]) -> None:
        """The rows of ``partitions`` (name, path) replaced by what their summaries say now, in one transaction
        (not one per partition: each commit is a write of the index's changed pages)."""
        with self._db as db:
            db.execute("BEGIN IMMEDIATE")
            for name, path in partitions:
                _drop(db, name, self._trigrams)
                if not Path(path).exists():  # (written by a commit that then went back)
                    db.execute("DELETE FROM parts WHERE name = ?", (name,))
                    continue
                summary = self._summary(name, path)
                db.executemany("INSERT INTO recs (part, number, text) VALUES (?, ?, ?)",
                               ((name, number, text) for number, text in split_records(summary.get("search", ""))))
                if self._trigrams:
                    db.execute("INSERT INTO fts (rowid, text) SELECT id, text FROM recs WHERE part = ?", (name,))
                db.execute("INSERT OR REPLACE INTO parts (name, stamp) VALUES (?, ?)",
                           (name, _stamp(summary["file"])))


def _drop(db: sqlite3.Connection, name: str, trigrams: bool = True) -> None:
    """Partition ``name``'s rows out of the index and the table. The trigram index is kept by statements over a
    partition's rows, not by triggers: a trigger per row made the index of 100k records in 17 s, these in 5."""
    if trigrams:
        db.execute("INSERT INTO fts (fts, rowid, text) SELECT 'delete', id, text FROM recs WHERE part = ?", (name,))
    db.execute("DELETE FROM recs WHERE part = ?", (name,))
