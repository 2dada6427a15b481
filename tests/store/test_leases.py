"""Leases: exactly one replica holds a named lease until it expires or is released."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_acquire_renew_expire_take_over_release(store: Store, other_store: Store) -> None:
    a, b = store, other_store
    assert a.lease_holder("poller", at(0)) is None
    assert a.acquire_lease("poller", "replica-a", 30, at(0)) is True
    assert b.acquire_lease("poller", "replica-b", 30, at(10)) is False
    assert b.lease_holder("poller", at(10)) == "replica-a"

    assert a.acquire_lease("poller", "replica-a", 30, at(20)) is True  # renewed until 50
    assert b.acquire_lease("poller", "replica-b", 30, at(40)) is False
    assert b.lease_holder("poller", at(49)) == "replica-a"
    assert b.lease_holder("poller", at(50)) is None  # expired

    assert b.acquire_lease("poller", "replica-b", 30, at(51)) is True  # taken over
    assert a.acquire_lease("poller", "replica-a", 30, at(52)) is False  # the old holder lost it
    assert a.lease_holder("poller", at(52)) == "replica-b"

    assert a.release_lease("poller", "replica-a") is False  # not a's to release
    assert a.lease_holder("poller", at(53)) == "replica-b"
    assert b.release_lease("poller", "replica-b") is True
    assert a.lease_holder("poller", at(53)) is None
    assert a.acquire_lease("poller", "replica-a", 30, at(54)) is True


def test_leases_with_different_names_are_independent(store: Store) -> None:
    assert store.acquire_lease("poller", "replica-a", 30, at(0)) is True
    assert store.acquire_lease("outbox", "replica-b", 30, at(0)) is True
    assert store.lease_holder("poller", at(1)) == "replica-a"
    assert store.lease_holder("outbox", at(1)) == "replica-b"


def test_without_now_the_database_clock_decides(store: Store, other_store: Store) -> None:
    assert store.acquire_lease("poller", "replica-a", 60) is True
    assert other_store.acquire_lease("poller", "replica-b", 60) is False
    assert other_store.lease_holder("poller") == "replica-a"
    assert store.acquire_lease("poller", "replica-a", 60) is True


def test_racing_replicas_get_exactly_one_lease(db_url: str, store: Store) -> None:
    replicas = [Store.from_url(db_url) for _ in range(4)]
    try:
        for round_number in range(10):
            name = f"lease-{round_number}"
            barrier = threading.Barrier(len(replicas))

            def acquire(index: int, name: str = name, barrier: threading.Barrier = barrier) -> bool:
                barrier.wait()
                return replicas[index].acquire_lease(name, f"replica-{index}", 30, at(0))

            with ThreadPoolExecutor(len(replicas)) as pool:
                results = list(pool.map(acquire, range(len(replicas))))
            assert results.count(True) == 1, results
            assert store.lease_holder(name, at(1)) == f"replica-{results.index(True)}"
    finally:
        for replica in replicas:
            replica.close()


def test_a_lease_needs_a_positive_ttl(store: Store) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        store.acquire_lease("poller", "replica-a", 0, at(0))
