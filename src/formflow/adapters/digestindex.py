"""Which partition holds each submission hash, in about 8 bytes a submission.

Every file the inbox takes is one submission, so an office has several times as many submissions as records
(586,000 for 100,000 records in the bench's workspace). A ``dict`` from a 64-bit digest key to a partition
name costs about 70 bytes an entry (the int, the slot, the table's spare room): 40 MB at 100k records, 200 MB
at 500k, most of what a rebuild of a large archive held at its peak. Here each entry is one 64-bit integer —
the top :data:`PREFIX_BITS` bits of the digest key, then the partition's number — in sorted
:class:`array.array` segments searched with :mod:`bisect`:

* adding goes to a small ``dict`` first (the commit of a watcher pass adds a few, a rebuild adds millions),
  which becomes a sorted segment when it holds :data:`RECENT_MAX` entries;
* segments of similar size are merged (as the digits of a binary counter carry), so there are a few dozen at
  most, and none beyond :data:`SEGMENT_MAX` entries: a merge sorts through a list of ints, which costs about
  40 bytes an entry while it lasts;
* a look-up answers every partition whose entry has the same prefix (two hashes may share one): the caller
  checks the full hash in each, as it did with one candidate before.
"""

from __future__ import annotations

import bisect
from array import array

#: Bits of the digest key kept (the rest of the 64 numbers the partition): two hashes in a million share a
#: prefix only once 2**44 / 1e6 = 17 million submissions are stored, and then cost one more partition read.
PREFIX_BITS = 44
_ID_BITS = 64 - PREFIX_BITS
_ID_MASK = (1 << _ID_BITS) - 1
_KEY_MASK = (1 << 64) - 1  # a key from a hand-edited hash may be negative or longer: its low 64 bits serve
#: Entries added one by one kept in a dict (about 100 bytes each) before they become a sorted segment.
RECENT_MAX = 1 << 16
#: Entries beyond which two segments are not merged (the size of the list of ints a merge makes).
SEGMENT_MAX = 1 << 19


class DigestIndex:
    """Digest keys (64-bit ints, :func:`formflow.adapters.partitions.digest_key`) -> the partitions holding them."""

    def __init__(self, *, recent_max: int = RECENT_MAX, segment_max: int = SEGMENT_MAX) -> None:
        self._names: list[str] = []
        self._ids: dict[str, int] = {}
        self._segments: list[array] = []  # sorted runs of packed entries
        self._recent: dict[int, int] = {}  # prefix -> packed entry, not yet in a segment
        self._gathered = array("Q")  # entries given to extend(), not yet sorted
        self._recent_max = recent_max
        self._segment_max = segment_max

    def __len__(self) -> int:
        return sum(len(segment) for segment in self._segments) + len(self._recent) + len(self._gathered)

    def _id(self, name: str) -> int:
        found = self._ids.get(name)
        if found is None:
            found = len(self._names)
            if found > _ID_MASK:
                raise OverflowError(f"more than {_ID_MASK + 1} submission partitions")
            self._ids[name] = found
            self._names.append(name)
        return found

    def add(self, keys: list[int], name: str) -> None:
        """The submissions with digest keys ``keys`` are in partition ``name``."""
        ident = self._id(name)
        recent = self._recent
        for key in keys:
            prefix = (key & _KEY_MASK) >> _ID_BITS
            if prefix in recent and recent[prefix] != (prefix << _ID_BITS) | ident:
                self._flush()  # the same prefix in two partitions: the dict keeps one entry per prefix
            recent[prefix] = (prefix << _ID_BITS) | ident
            if len(recent) >= self._recent_max:
                self._flush()

    def extend(self, keys: list[int], name: str) -> None:
        """:meth:`add` for building the index from every partition at once: no look-up comes in between, so the
        entries are gathered unsorted (8 bytes each) and sorted by :meth:`settle`."""
        ident = self._id(name)
        self._gathered.extend(((key & _KEY_MASK) >> _ID_BITS << _ID_BITS) | ident for key in keys)
        if len(self._gathered) >= self._segment_max:
            self.settle()

    def settle(self) -> None:
        """Sort what :meth:`extend` gathered into segments."""
        if self._gathered:
            entries = sorted(self._gathered)
            for start in range(0, len(entries), self._segment_max):
                self._store(entries[start:start + self._segment_max])
            self._gathered = array("Q")  # (only once they are all in segments: a failure loses none)

    def partitions(self, key: int) -> list[str]:
        """The partitions holding a submission whose digest key shares ``key``'s prefix (most often one, or none),
        the one indexed last first (a hash stored twice, by a hand copy: the later copy answers, as it did)."""
        prefix = (key & _KEY_MASK) >> _ID_BITS
        low, high = prefix << _ID_BITS, ((prefix + 1) << _ID_BITS)
        found = []
        entry = self._recent.get(prefix)
        if entry is not None:
            found.append(entry & _ID_MASK)
        for segment in self._segments:
            at = bisect.bisect_left(segment, low)
            while at < len(segment) and segment[at] < high:
                found.append(segment[at] & _ID_MASK)
                at += 1
        return [self._names[ident] for ident in sorted(set(found), reverse=True)]

    def _flush(self) -> None:
        if self._recent:
            self._store(sorted(self._recent.values()))
            self._recent.clear()  # (only once they are in a segment: a failure loses none)

    def _store(self, entries: list[int]) -> None:
        """Add a sorted run of entries as a segment, merging it into the last ones while they are no larger."""
        segments = self._segments
        segments.append(array("Q", entries))
        while (len(segments) > 1 and len(segments[-2]) <= len(segments[-1]) * 2
               and len(segments[-2]) + len(segments[-1]) <= self._segment_max):
            # two sorted runs: the sort merges them (galloping), and the list of ints it makes lasts only the merge
            merged = array("Q", sorted(segments[-2] + segments[-1]))
            segments[-2:] = [merged]
