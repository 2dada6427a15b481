"""What the reconciliation asks of the store: fingerprints compared in the database, the keyset walk over
incidents a sweep has not seen open, and a cursor only its current holder moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.store import Store
from bot.store.sweeps import Comparison
from tests.store.test_snapshots import T0, snapshot


def test_a_page_is_compared_in_the_database(store: Store) -> None:
    store.upsert_snapshots(
        [snapshot(f"inc-{n:04d}") for n in range(600)] + [snapshot("no-print", fingerprint=None)]
    )
    prints = {f"inc-{n:04d}": f"fp-inc-{n:04d}" for n in range(600)}  # more than one batch
    prints |= {"inc-0007": "moved", "inc-0599": "moved", "inc-0300": "moved"}
    prints |= {"never-seen": "fp-never-seen", "no-print": "fp-no-print"}
    updated = dict.fromkeys(prints, T0)
    updated["inc-0300"] = T0 - timedelta(minutes=1)  # the page is older than what the store knows
    updated["inc-0599"] = T0 + timedelta(minutes=1)
    stored = store.compare(prints, updated)
    assert stored.same == {f"inc-{n:04d}" for n in range(600)} - {"inc-0007", "inc-0599", "inc-0300"}
    assert stored.newer == {"inc-0300"}
    assert store.compare({}, {}) == Comparison(frozenset(), frozenset())


def test_the_walk_over_unswept_open_incidents_is_a_keyset_walk(store: Store) -> None:
    store.upsert_snapshots([snapshot(f"inc-{n}") for n in range(7)] + [snapshot("inc-9", closed=True)])
    store.mark_swept(["inc-1", "inc-4", "unknown"], 3)
    assert store.unswept_open(3, None, 2) == ["inc-0", "inc-2"]
    assert store.unswept_open(3, "inc-2", 2) == ["inc-3", "inc-5"]
    assert store.unswept_open(3, "inc-5", 2) == ["inc-6"]
    assert store.unswept_open(3, "inc-6", 2) == []
    # the next sweep has seen nothing yet; closed incidents are never walked
    assert store.unswept_open(4, None, 10) == [f"inc-{n}" for n in range(7)]


def test_writing_a_snapshot_keeps_its_sweep_mark(store: Store) -> None:
    store.upsert_snapshot(snapshot("inc-1"))
    store.mark_swept(["inc-1"], 5)
    store.upsert_snapshots([replace(snapshot("inc-1"), fingerprint="new")])
    assert store.unswept_open(5, None, 10) == []


def test_a_cursor_is_swapped_only_from_the_value_expected(store: Store, other_store: Store) -> None:
    assert store.swap_cursor("poll.sweep", None, "a")
    assert not other_store.swap_cursor("poll.sweep", None, "b")  # already there
    assert other_store.swap_cursor("poll.sweep", "a", "b")
    assert not store.swap_cursor("poll.sweep", "a", "c")  # the other replica moved on
    assert store.get_cursor("poll.sweep") == "b"
