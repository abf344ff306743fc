"""The submission hash index answers what a plain dict of every hash would, whatever the order and size of the
additions (small thresholds here, so that the dict part, segments and their merges all take part)."""

from __future__ import annotations

import random

import pytest

from formflow.adapters.digestindex import PREFIX_BITS, DigestIndex
from formflow.adapters.partitions import digest_key
from formflow.adapters.store import Store


def random_keys(rng: random.Random, count: int) -> list[int]:
    return [rng.getrandbits(64) for _ in range(count)]


@pytest.mark.parametrize("bulk", [False, True])
def test_every_key_finds_its_partition_and_strangers_find_none(bulk):
    rng = random.Random(7)
    index = DigestIndex(recent_max=50, segment_max=400)
    model: dict[int, set[str]] = {}
    for part in range(120):
        name = f"submissions-2026.{part}"
        keys = random_keys(rng, rng.randrange(1, 30))
        (index.extend if bulk else index.add)(keys, name)
        for key in keys:
            model.setdefault(key, set()).add(name)
    index.settle()
    assert len(index) == sum(len(names) for names in model.values())
    assert len(index._segments) > 1  # merged, but not into one run beyond segment_max
    assert max(len(segment) for segment in index._segments) <= 400
    for key, names in model.items():
        assert set(index.partitions(key)) == names
    strangers = [key for key in random_keys(rng, 2000) if key not in model]
    assert not any(index.partitions(key) for key in strangers)


def test_hashes_sharing_a_prefix_give_every_partition_holding_one():
    index = DigestIndex(recent_max=4, segment_max=64)
    prefix = 0xABCDE << (64 - PREFIX_BITS)
    index.add([prefix | 1], "submissions-2025")
    index.add([prefix | 2], "submissions-2026")  # same prefix, another partition: the dict part gives way
    index.add([prefix | 3], "submissions-2026")
    assert sorted(index.partitions(prefix | 99)) == ["submissions-2025", "submissions-2026"]
    assert index.partitions(prefix + (1 << (64 - PREFIX_BITS))) == []


def test_additions_after_a_build_are_found(tmp_path):
    """The store's duplicate check: built from the partitions at an open, then added to by commits."""
    folder = tmp_path / "db"
    store = Store(folder)
    digests = [f"{random.Random(n).getrandbits(256):064x}" for n in range(1200)]
    for n, digest in enumerate(digests[:900]):
        store.note_submission(digest, {"received": "2026-03-01T09:00:00+08:00", "file": f"{n}.yaml"})
        if n % 300 == 299:
            store.commit()
    reopened = Store(folder)
    for n, digest in enumerate(digests[900:], 900):
        reopened.note_submission(digest, {"received": "2026-03-02T09:00:00+08:00", "file": f"{n}.yaml"})
    reopened.commit()
    assert all(reopened.submission(d)["file"] == f"{n}.yaml" for n, d in enumerate(digests))
    assert Store(folder).submission(f"{random.Random(5000).getrandbits(256):064x}") is None
    assert digest_key(digests[0]) >> 1 != 0  # (keys are the digests' leading bits, not a counter)


def test_odd_keys_and_a_hash_stored_twice(tmp_path):
    """A hand-edited hash gives a negative key; a hand copy stores one hash twice: the later copy answers,
    before and after the store is opened again (as the dict of one partition per hash did)."""
    index = DigestIndex(recent_max=4, segment_max=64)
    index.add([-1, 2**70 + 5], "submissions-2025")
    assert index.partitions(-1) == ["submissions-2025"] and index.partitions(2**70 + 5) == ["submissions-2025"]
    folder = tmp_path / "db"
    store = Store(folder)
    digest = "b" * 64
    store.note_submission(digest, {"received": "2025-03-01T09:00:00+08:00", "name": "first"})
    store.commit()
    again = Store(folder)
    again._pending_submissions[digest] = {"hash": digest, "received": "2026-03-01T09:00:00+08:00", "name": "second"}
    again.commit()
    assert again.submission(digest)["name"] == Store(folder).submission(digest)["name"] == "second"
