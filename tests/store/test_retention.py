"""Retention: closed incidents, stale identity answers, old outbox items and expired claims are forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Severity, State, Status
from bot.metrics import Metrics
from bot.notify.retention import RetentionJob
from bot.store import NewOutboxItem, OutboxKind, Snapshot, Store

NOW = datetime(2026, 6, 1, tzinfo=UTC)
OLD = NOW - timedelta(days=40)


def snapshot(incident_id: str, *, closed: bool) -> Snapshot:
    return Snapshot(incident_id, Status.RESOLVED, State.RESOLVED, Severity.ERROR, closed=closed)


def test_only_what_is_past_retention_goes_in_small_batches(store: Store) -> None:
    store.upsert_snapshots([snapshot(f"old-closed-{n}", closed=True) for n in range(7)], now=OLD)
    store.upsert_snapshots([snapshot("old-open", closed=False)], now=OLD)
    store.upsert_snapshots([snapshot("new-closed", closed=True)], now=NOW)
    store.claim_message("old-closed-0", "C1", "r1", now=OLD)
    store.claim_message("new-closed", "C1", "r1", now=NOW)
    store.cache_identity("U0OLD", "old@example.com", "old@example.com", OLD)
    store.cache_identity("U0NEW", "new@example.com", "new@example.com", NOW)
    store.enqueue(NewOutboxItem(OutboxKind.THREAD, "C1", {"lines": ["x"]}, dedupe_key="old"), now=OLD)
    store.enqueue(NewOutboxItem(OutboxKind.THREAD, "C1", {"lines": ["y"]}, dedupe_key="new"), now=NOW)
    store.claim_action("i", "ack", "U0A", lifetime=timedelta(seconds=5), now=OLD)

    pruned = store.prune_older_than(NOW - timedelta(days=30), NOW, batch=3)

    assert (pruned.closed_incidents, pruned.identities, pruned.outbox_items, pruned.action_claims) == (
        7,
        1,
        1,
        1,
    )
    assert store.get_snapshot("old-open") is not None
    assert store.get_snapshot("new-closed") is not None
    assert store.get_snapshot("old-closed-3") is None
    assert store.message("old-closed-0", "C1") is None
    assert store.message("new-closed", "C1") is not None
    assert store.cached_identity("U0NEW", timedelta(days=365), NOW) is not None
    assert store.pending_count() == 1
    assert store.prune_older_than(NOW - timedelta(days=30), NOW).total == 0


def test_only_the_lease_holder_prunes(store: Store) -> None:
    store.upsert_snapshots([snapshot("old", closed=True)], now=OLD)
    metrics = Metrics()

    def job(replica: str) -> RetentionJob:
        return RetentionJob(store=store, replica_id=replica, days=30, metrics=metrics, clock=lambda: NOW)

    store.acquire_lease("poller", "r1", 60, NOW)
    assert job("r2")() == 0
    assert store.get_snapshot("old") is not None
    assert job("r1")() == 1
    assert store.get_snapshot("old") is None
    assert metrics.pruned.labels(kind="closed_incidents")._value.get() == 1
