"""The logs of the stations of one office: this station's archive and the copies of the others'.

A station writes only its own log (``data/archive/``: every accepted file, a ``.meta.json`` beside
it, and ``definitions/<id>.json``, each version of the definitions it accepted under). The logs of
the other stations arrive — through Syncthing or a USB stick — as verbatim copies in
``data/stations/<CODE>/``. Every file is immutable and uniquely named, so the sync engine never sees
two writers of one file.

Each entry of a log has a place in one total order, its :class:`Key` ``(order, station, seq)``:
``order`` is a hybrid logical clock in microseconds — the time it was received, but never less than
one more than anything its station had folded in before (so an action comes after the creation it
acts on, whatever the clocks of two laptops say) — then the station code, then the station's own
sequence. Entries of one log come in their sequence; :func:`merged` interleaves the logs by key.

A copy of another station's log is read up to its first gap: a file whose meta arrived before its
data, a sequence number still missing (the sync engine delivers files in any order). What lies
beyond waits for the next look, not refused — :class:`LogScan` says what is still to arrive.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from formflow.adapters.archive import META, Archive

#: Where the copies of other stations' logs live, under ``data/``.
STATIONS = "stations"
#: Kept definition versions inside a log (so they travel with the files accepted under them).
DEFINITIONS = "definitions"
#: A station code, as settings allow it (also the only names taken from ``data/stations/``).
CODE = re.compile(r"^[A-Z][A-Z0-9]{1,5}$")
_SEQ = re.compile(r"^(\d{9,})-")


class Key(NamedTuple):
    """An entry's place in the office's one order."""

    order: int
    station: str
    seq: int


@dataclass(frozen=True)
class Entry:
    """One accepted file of some station's log."""

    key: Key
    path: Path
    meta: dict
    #: Whose log it is in (the code its copies go by at the other stations).
    log: str = ""

    @property
    def station(self) -> str:
        """The station whose log holds it: its sequence and counters are that station's."""
        return self.log or self.key.station


def key_station(meta: dict, log: str) -> str:
    """The station in an entry's key: the one that accepted it, as its meta says (a station renamed since
    keeps the keys its events carry), else the log's owner (metas from before stations)."""
    code = meta.get("station")
    return code if isinstance(code, str) and CODE.match(code) else log


@dataclass
class LogScan:
    """Where a look at one station's log stopped before its end, and why."""

    station: str
    #: Why the scan stopped early (a gap, a file not yet arrived), in Chinese; "" when it read to the end.
    waiting: str = ""
    #: Files arrived that wait behind the one that stopped the scan.
    beyond: int = 0


def order_of(meta: dict, previous: int) -> int:
    """The clock value of an entry: its meta's ``order`` (or, from before stations, its received time),
    never less than one more than the previous entry of its log — so every log is in key order."""
    value = meta.get("order")
    if not isinstance(value, int) or isinstance(value, bool):
        value = _from_text(str(meta.get("received", "")))
    return max(value, previous + 1)


def _from_text(text: str) -> int:
    try:
        return micros(dt.datetime.fromisoformat(text))
    except ValueError:
        return 0


def micros(moment: dt.datetime) -> int:
    """``moment`` in whole microseconds since 1970 (exact: no float in between)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def own_entries(archive: Archive, station: str) -> Iterator[Entry | tuple[Path, str]]:
    """This station's log in order; an unreadable file or meta is yielded as ``(path, why)``."""
    previous = 0
    for path, meta, error in archive.files():
        if meta is None:
            yield path, error
            continue
        previous = order_of(meta, previous)
        yield Entry(Key(previous, key_station(meta, station), int(meta.get("seq", 0))), path, meta, station)


def peers(data: Path) -> list[str]:
    """The station codes whose logs this workspace holds copies of (names that are no code are skipped)."""
    try:
        return sorted(e.name for e in os.scandir(data / STATIONS) if e.is_dir(follow_symlinks=False)
                      and CODE.match(e.name))
    except FileNotFoundError:
        return []


def others(data: Path, own: str) -> list[str]:
    """The other stations whose logs this workspace holds copies of."""
    return [code for code in peers(data) if code != own]


def peer_folder(data: Path, station: str) -> Path:
    """The copy of ``station``'s log (the code is checked: a name from outside never becomes a path unchecked)."""
    if not CODE.match(station):
        raise ValueError(f"not a station code: {station!r}")
    return data / STATIONS / station


def peer_entries(folder: Path, station: str, after: int, previous: int, scan: LogScan,
                 from_month: str = "") -> Iterator[Entry]:
    """Entries of the copy of ``station``'s log in ``folder`` with a sequence above ``after``, up to the first
    gap, one at a time (a meta is read when its turn comes); where it stopped early and why goes into
    ``scan``. ``previous`` is the clock value of entry ``after`` (0 for none). Names start with the
    zero-padded sequence, so only metas above ``after`` are read; month folders before ``from_month``
    (``YYYY/MM`` of entry ``after``) are listed only when this process has not seen them as they are
    (:data:`_LISTED`)."""
    found = _above(folder, after, from_month)
    expected = after + 1
    for index, (seq, month, name) in enumerate(found):
        data = os.path.join(month, name.removesuffix(META))
        why, meta = "", None
        if seq != expected:
            why = f"{station} 站第 {expected} 号文件尚未到达"
        elif not os.path.isfile(data):
            why = f"{station} 站第 {seq} 号文件的内容尚未到达"
        else:
            try:
                with open(os.path.join(month, name), encoding="utf-8") as handle:
                    meta = json.loads(handle.read())
                if not isinstance(meta, dict) or int(meta.get("seq", -1)) != seq:
                    raise ValueError("not a meta of this name")
            except (OSError, ValueError, TypeError):
                why = f"{station} 站第 {seq} 号文件的说明尚不完整"
        if why:
            scan.waiting, scan.beyond = why, len(found) - index - (seq == expected)
            return
        previous = order_of(meta, previous)
        yield Entry(Key(previous, key_station(meta, station), seq), Path(data), meta, station)
        expected += 1


#: Month folders of other stations' logs as this process last listed them (path → mtime): a month before the
#: one folded last is listed again only when a file arrived in it (a laptop's clock set back a month).
_LISTED: dict[str, int] = {}


def _above(folder: Path, after: int, from_month: str) -> list[tuple[int, str, str]]:
    """``(seq, month folder, meta name)`` of the metas with a sequence above ``after``, sorted; months before
    ``from_month`` only when new to this process or changed since it listed them."""
    found = []
    first = os.path.join(folder, from_month) if from_month else ""
    for month in _months(folder):
        try:
            if month < first and _LISTED.get(month) == os.stat(month).st_mtime_ns:
                continue  # an earlier month, unchanged since this process listed it
            changed = os.stat(month).st_mtime_ns
            names = os.listdir(month)
        except OSError:
            continue
        _LISTED[month] = changed
        present = set(names)
        for name in names:
            if not name.endswith(META) or name.startswith(".") or name + META in present:
                continue
            match = _SEQ.match(name)
            if match and int(match[1]) > after:
                found.append((int(match[1]), month, name))
    found.sort()
    return found


def month_of(entry: Entry) -> str:
    """``YYYY/MM``: the month folder an entry is in."""
    return f"{entry.path.parent.parent.name}/{entry.path.parent.name}"


def _months(folder: Path) -> list[str]:
    months = []
    try:
        years = sorted(e.path for e in os.scandir(folder) if e.is_dir(follow_symlinks=False) and e.name.isdigit())
    except (FileNotFoundError, NotADirectoryError):
        return []
    for year in years:
        months += sorted(e.path for e in os.scandir(year) if e.is_dir(follow_symlinks=False) and e.name.isdigit())
    return months


def merged(streams: Iterable[Iterator[Entry]]) -> Iterator[Entry]:
    """Entries of several logs (each in key order) in the office's one order."""
    return heapq.merge(*streams, key=lambda entry: entry.key)


def peer_definitions(data: Path) -> list[Path]:
    """Where the definition versions other stations accepted under are: in the copies of their logs."""
    return [data / STATIONS / code / DEFINITIONS for code in peers(data)]


class OfficeLog:
    """This station's log and the copies of the others', merged in the office's one order.

    ``available(vid)`` says whether a definitions version is here: another station's log is read up to
    the first entry accepted under a version that has not arrived yet (it waits, with what follows it).
    After iterating, :attr:`last` holds each other station's last key read and :attr:`waiting` why a
    log stopped early.
    """

    def __init__(self, data: Path, own: str, available):
        self.data = data
        self.own = own
        self._available = available
        self.last: dict[str, Key] = {}
        self.waiting: dict[str, str] = {}
        self.months: dict[str, str] = {}
        self.problems: list[tuple[Path, str]] = []  # this station's own unreadable files

    def others(self) -> list[str]:
        """The other stations whose logs are here."""
        return others(self.data, self.own)

    def __iter__(self) -> Iterator[Entry]:
        streams = [self._own()] + [self.peer(code) for code in self.others()]
        return merged(streams)

    def _own(self) -> Iterator[Entry]:
        for item in own_entries(Archive(self.data / "archive"), self.own):
            if isinstance(item, Entry):
                yield item
            else:
                self.problems.append(item)

    def peer(self, code: str, after: int = 0, previous: int = 0, from_month: str = "") -> Iterator[Entry]:
        scan = LogScan(code)
        for entry in peer_entries(peer_folder(self.data, code), code, after, previous, scan, from_month):
            vid = entry.meta.get("definitions")
            if vid and not self._available(str(vid)):
                self.waiting[code] = f"{code} 站第 {entry.key.seq} 号文件所用的表单定义版本尚未到达"
                return
            self.last[code] = entry.key
            self.months[code] = month_of(entry)
            yield entry
        if scan.waiting:
            self.waiting[code] = scan.waiting + (f"（已到达的 {scan.beyond} 个文件在其后等待）" if scan.beyond else "")


def fold_state(office: OfficeLog, last: Key | None, held: list[dict], conflicts: set[str]) -> dict:
    """The store's fold state after applying all of ``office`` (``last``: the key of its last entry)."""
    state: dict = {"seq": {code: key.seq for code, key in office.last.items()},
                   "orders": {code: key.order for code, key in office.last.items()},
                   "months": dict(office.months),
                   "held": held, "waiting": dict(office.waiting), "conflicts": sorted(conflicts)}
    if last is not None:
        state["high"] = list(last)
    return state


def newest_first(folder: Path, station: str, upto: int) -> Iterator[Entry | None]:
    """The entries of a log with a sequence up to ``upto``, newest first (months listed newest first, one
    at a time); ``None`` for an entry whose place cannot be told from its meta alone (one written before
    metas carried their clock value): the caller then replays everything."""
    below = upto + 1
    for month in reversed(_months(folder)):
        try:
            names = os.listdir(month)
        except OSError:
            yield None
            return
        found = []
        for name in names:
            match = _SEQ.match(name)
            if match and name.endswith(META) and not name.startswith(".") and int(match[1]) <= upto:
                found.append((int(match[1]), name))
        for seq, name in sorted(found, reverse=True):
            if seq >= below:  # months out of sequence order (a clock set back): not one walk back
                yield None
                return
            below = seq
            try:
                with open(os.path.join(month, name), encoding="utf-8") as handle:
                    meta = json.loads(handle.read())
                order = meta["order"]
                if not isinstance(order, int) or isinstance(order, bool):
                    raise TypeError("no clock value")
            except (OSError, ValueError, TypeError, KeyError):
                yield None
                return
            data = Path(month, name.removesuffix(META))
            yield Entry(Key(order, key_station(meta, station), seq), data, meta, station)
