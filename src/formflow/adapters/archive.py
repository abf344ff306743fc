"""The archive (``data/archive/``): every accepted file as it came, the log ``rebuild`` replays.

Each accepted file is kept as ``YYYY/MM/<seq>-<hash12>-<name>`` with a ``….meta.json`` beside it:
its sequence (the replay order), original name, received time, content hash, the version of the
definitions it was accepted under and the record numbers it was given.

Only what the store committed is archived: during a pass a file is *staged* in ``.pending/``, and
moved into place after the commit. A pass that dies or fails before its commit leaves staged files
whose hash the store does not hold; :meth:`Archive.recover` drops those (their files are still in
the inbox, and the next pass may give their numbers to other files) and publishes the others.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from formflow.adapters.atomic import fsync_dir, write_bytes
from formflow.adapters.inbox import safe_name

META = ".meta.json"
PENDING = ".pending"


class Archive:
    """The archive folder of one workspace."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pending = folder / PENDING

    def stage(self, raw: bytes, name: str, received: dt.datetime, seq: int, digest: str, definitions: str,
              created: list[str], *, station: str = "", order: int | None = None) -> str:
        """Keep ``raw`` aside until the commit; returns the path it will have in the archive.

        ``station`` and ``order`` place it in the office's one order of all stations' logs
        (:mod:`formflow.adapters.stationlog`)."""
        relative = f"{received:%Y}/{received:%m}/{seq:09d}-{digest[:12]}-{safe_name(name)}"
        staged = self.pending / relative.rsplit("/", 1)[1]
        meta = {"seq": seq, "name": name, "received": received.isoformat(), "hash": digest,
                "definitions": definitions, "created": created, "path": relative}
        if station:
            meta["station"] = station
        if order is not None:
            meta["order"] = order
        write_bytes(staged, raw)
        write_bytes(staged.with_name(staged.name + META), json.dumps(meta, ensure_ascii=False).encode())
        return relative

    def publish(self, relatives: list[str]) -> None:
        """Move staged files (each: data, then meta, so a meta never names a missing file) to their places;
        each folder made durable once, not once per file (a burst publishes a thousand)."""
        folders = set()
        for relative in relatives:
            name = relative.rsplit("/", 1)[1]
            target = self.folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", META):
                source = self.pending / (name + suffix)
                if source.exists():
                    os.replace(source, target.with_name(name + suffix))
            folders.add(target.parent)
        for folder in folders:
            fsync_dir(folder)

    def recover(self, stored: Callable[[str], bool]) -> None:
        """After a crash or a failed commit: publish staged files the store holds, drop the others."""
        try:
            metas = [p for p in self.pending.iterdir() if p.name.endswith(META) and not p.name.startswith(".")]
        except FileNotFoundError:
            return
        for meta_path in metas:
            data = meta_path.with_name(meta_path.name.removesuffix(META))
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                relative = str(meta["path"])
                digest = str(meta["hash"])
            except (OSError, ValueError, KeyError, TypeError):
                meta_path.unlink(missing_ok=True)  # written atomically: a damaged one is not ours
                continue
            if stored(digest) and _safe_relative(relative):
                self.publish([relative])
            else:
                data.unlink(missing_ok=True)
                meta_path.unlink(missing_ok=True)
        for left in self.pending.iterdir():  # a data file whose meta was never written: never committed
            if not left.name.startswith(".") and not (left.with_name(left.name + META)).exists():
                left.unlink(missing_ok=True)

    def files(self) -> Iterator[tuple[Path, dict | None, str]]:
        """Every archived file with its meta (``None`` and why, if the meta cannot be read), in order.

        The order is the names' (a name starts with its zero-padded sequence). Months are listed
        once to learn the first and last name in each; when their ranges follow one another (the
        sequence and the clock both go forward: the usual case) each month is listed again and
        sorted on its own when its turn comes, so what a rebuild holds here is one month of names,
        not the whole history, and packed (:class:`_Names`: about 60 bytes a name instead of 120, since
        a busy month is tens of thousands of them). Ranges that overlap (a clock set back) are sorted
        all together.
        """
        ranges = []
        for month in self.folder.glob("[0-9]*/[0-9]*"):
            names, error = _listed(month)
            if error:  # never skipped in silence: a rebuild without its files would lose their records
                yield month, None, error
            elif names:
                ranges.append((min(names), max(names), str(month)))
        ranges.sort()
        if all(before[1] < after[0] for before, after in zip(ranges, ranges[1:])):
            for _, _, month in ranges:
                names, error = _listed(Path(month))
                if error:
                    yield Path(month), None, error
                names.sort()
                packed, names = _Names(names), None  # the list goes: only the packed copy stays for the month
                yield from _read_metas(month, packed)
            return
        every = []
        for _, _, month in ranges:
            names, error = _listed(Path(month))
            if error:
                yield Path(month), None, error
            every += [(name, month) for name in names]
        every.sort()
        for name, month in every:
            yield from _read_metas(month, [name])


def _listed(month: Path) -> tuple[list[str], str]:
    """The meta files in one month folder (a submission named ``*.meta.json`` has its meta beside it),
    or why the folder cannot be listed."""
    try:
        entries = os.listdir(month)
    except OSError as exc:
        return [], f"存档文件夹无法读取 archive folder unreadable: {exc}"
    present = set(entries)
    return [name for name in entries if name.endswith(META) and not name.startswith(".")
            and name + META not in present], ""


class _Names:
    """Sorted file names of one month, packed in one bytes object (file-system encoded, NUL-separated: a
    name cannot hold NUL) instead of a list of str objects; iterated in order, decoded one at a time."""

    def __init__(self, names: list[str]):
        self._packed = b"\0".join(os.fsencode(name) for name in names)
        self._empty = not names

    def __iter__(self) -> Iterator[str]:
        if self._empty:
            return
        packed, start = self._packed, 0
        while (end := packed.find(b"\0", start)) >= 0:
            yield os.fsdecode(packed[start:end])
            start = end + 1
        yield os.fsdecode(packed[start:])


def _read_metas(month: str, names: Iterable[str]) -> Iterator[tuple[Path, dict | None, str]]:
    # os.path and open() rather than pathlib: this runs once per archived file of a rebuild
    for name in names:
        data = os.path.join(month, name.removesuffix(META))
        try:
            with open(os.path.join(month, name), encoding="utf-8") as handle:
                meta = json.loads(handle.read())
            if not isinstance(meta, dict) or not os.path.isfile(data):
                raise ValueError("meta without its file" if isinstance(meta, dict) else "not a meta file")
        except (OSError, ValueError, TypeError) as exc:
            yield Path(data), None, f"存档说明文件无法读取 archive meta unreadable: {exc}"
            continue
        yield Path(data), meta, ""


def _safe_relative(relative: str) -> bool:
    """A meta's path is ours (YYYY/MM/name), never a way out of the archive."""
    parts = relative.split("/")
    return (len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit()
            and parts[2] == safe_name(parts[2]) and parts[2] not in ("", ".", ".."))
