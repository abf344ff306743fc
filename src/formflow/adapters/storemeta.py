"""The store's meta document: serial counters, where folding the office's logs stands, the first day in use, and
the recurring duties done — small values every pass reads and changes, kept in memory and written with the
commit like the records (:class:`formflow.adapters.store.Store` takes these methods from :class:`MetaAccess`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


class MetaAccess:
    """Reading and changing the meta document ``self._meta`` of a store; a change sets ``self._meta_dirty`` (the
    commit writes it) and, where readers derive something from it, bumps ``self.version``."""

    _meta: dict[str, Any]
    _meta_dirty: bool
    version: int

    def next_serial(self, counter: str) -> int:
        """The next serial of ``counter`` (e.g. ``complaint:2026-11``), never reused."""
        value = int(self._meta["counters"].get(counter, 0)) + 1
        self._meta["counters"][counter] = value
        self._meta_dirty = True
        return value

    def peek_serial(self, counter: str) -> int:
        """The serial :meth:`next_serial` would give now (nothing taken)."""
        return int(self._meta["counters"].get(counter, 0)) + 1

    def raise_serial(self, counter: str, value: int) -> None:
        """Make sure ``counter`` is at least ``value`` (counters never go backwards)."""
        if int(self._meta["counters"].get(counter, 0)) < value:
            self._meta["counters"][counter] = value
            self._meta_dirty = True

    def counters(self) -> dict[str, int]:
        """Every serial counter and the last serial it gave."""
        return {k: int(v) for k, v in self._meta["counters"].items()}

    def fold_state(self) -> dict:
        """Where folding the office's logs stands (a copy): ``high`` — the key ``[order, station, seq]`` of
        the last entry folded in, ``seq`` — per other station the last sequence folded, ``held`` — entries
        folded in that could not apply yet (``{"station", "seq", "why"}``). Empty for a lone station."""
        return json.loads(json.dumps(self._meta["fold"]))

    def set_fold_state(self, state: dict) -> None:
        """Replace the fold state (pending until the commit, like every change)."""
        self._meta["fold"] = json.loads(json.dumps(state))
        self._meta_dirty = True
        self.version += 1

    def fold_high(self) -> tuple[int, str, int] | None:
        """The key of the last entry of the office's logs applied here (see :mod:`formflow.adapters.stationlog`)."""
        high = self._meta["fold"].get("high")
        return (int(high[0]), str(high[1]), int(high[2])) if isinstance(high, list) and len(high) == 3 else None

    def note_high(self, order: int, station: str, seq: int) -> None:
        """Note the key of an entry just applied (a pass's files, each in turn). The fold state is never
        changed in place, so a :meth:`snapshot` holds it as it is, uncopied."""
        self._meta["fold"] = {**self._meta["fold"], "high": [order, station, seq]}
        self._meta_dirty = True

    def fold_conflicts(self) -> list[str]:
        """The records that were given a 同步冲突 event (open or resolved since)."""
        return list(self._meta["fold"].get("conflicts", ()))

    def note_since(self, day: dt.date) -> None:
        """Remember ``day`` as the first day in use, unless one is noted already."""
        if not self._meta.get("since"):
            self._meta["since"] = day.isoformat()
            self._meta_dirty = True
            self.version += 1

    def note_duty(self, duty: str, at: dt.datetime, *, once: bool = False) -> None:
        """Record that ``duty`` was done at ``at`` (``once``: unless that very time is noted already)."""
        done = self._meta["duties"].setdefault(duty, [])
        if once and at.isoformat() in done:
            return
        done.append(at.isoformat())
        self._meta_dirty = True
        self.version += 1

    def duty_done(self) -> dict[str, list[dt.datetime]]:
        """Completion times of recurring duties."""
        return {k: [dt.datetime.fromisoformat(t) for t in v] for k, v in self._meta["duties"].items()}
