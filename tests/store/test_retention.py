"""Retention: closed incidents, stale identity answers, old outbox items and expired claims are forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Severity, State, Status
from bot.metrics import Metrics
from bot.notify.retention import RetentionJob
from bot.store import MessageKind, NewOutboxItem, OutboxKind, Snapshot, Store
from bot.store.reminders import ReminderSeries
from bot.store.reports import CachedResponse

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


def _closed_with_card(store: Store, incident_id: str, now: datetime) -> None:
    """A closed incident with a posted card, a cached response time and a war room record."""
    store.upsert_snapshots([snapshot(incident_id, closed=True)], now=now)
    store.claim_message(incident_id, "C1", "r1", now=now)
    store.save_responses(
        [CachedResponse(incident_id, "v1", True, now, None, None, now, 0, False, False)], now
    )
    store.claim_room(incident_id, "U0A", "r1", stale_before=now, now=now)


def test_at_zero_a_closed_incident_goes_once_its_card_is_final(store: Store) -> None:
    """`BOT_RETENTION_DAYS=0`: the closed incident whose closing redraw still waits in the outbox keeps
    its snapshot, message and records; the one with nothing left to send goes at once; open ones stay."""
    just = NOW - timedelta(seconds=1)
    _closed_with_card(store, "final", just)
    _closed_with_card(store, "pending", just)
    store.upsert_snapshots([snapshot("live", closed=False)], now=OLD)
    redraw = NewOutboxItem(OutboxKind.CARD_UPDATE, "C1", {"x": 1}, dedupe_key="redraw", incident_id="pending")
    store.enqueue(redraw, now=just)
    store.cache_identity("U0NEW", "new@example.com", "new@example.com", just)

    pruned = store.prune_older_than(NOW, NOW, others_cutoff=NOW - timedelta(days=1))

    assert pruned.closed_incidents == 1
    assert store.get_snapshot("final") is None
    assert store.message("final", "C1") is None
    assert store.cached_responses(["final", "pending"]).keys() == {"pending"}
    assert store.room("final") is None
    assert store.get_snapshot("pending") is not None
    assert store.message("pending", "C1") is not None
    assert store.room("pending") is not None
    assert store.get_snapshot("live") is not None
    assert store.pending_count() == 1  # the redraw is not past the day's floor
    assert store.cached_identity("U0NEW", timedelta(days=365), NOW) is not None

    [item] = store.due_items(NOW, 10)
    assert store.complete(item.id)  # the closing redraw went out: the card is final
    assert store.prune_older_than(NOW, NOW, others_cutoff=NOW - timedelta(days=1)).closed_incidents == 1
    assert store.get_snapshot("pending") is None
    assert store.message("pending", "C1") is None
    assert store.cached_responses(["pending"]) == {}


def test_at_zero_the_job_runs_every_few_seconds_and_keeps_unsent_work_a_day(store: Store) -> None:
    recent = NOW - timedelta(hours=2)
    store.upsert_snapshots([snapshot("closed", closed=True)], now=recent)
    store.enqueue(NewOutboxItem(OutboxKind.THREAD, "C2", {"lines": ["y"]}, dedupe_key="unsent"), now=recent)
    store.acquire_lease("poller", "r1", 60, NOW)
    job = RetentionJob(store=store, replica_id="r1", days=0, metrics=Metrics(), clock=lambda: NOW)

    assert job.every_seconds < 60
    assert job() == 1
    assert store.get_snapshot("closed") is None
    assert store.pending_count() == 1
    hourly = RetentionJob(store=store, replica_id="r1", days=1, metrics=Metrics(), clock=lambda: NOW)
    assert hourly.every_seconds == 3600


def test_at_zero_a_pruned_cards_reminders_go_with_it(store: Store) -> None:
    """The reminders job forgets such series hourly; at 0 the pruning does it in the same run."""
    store.upsert_snapshots([snapshot("closed", closed=True)], now=NOW - timedelta(seconds=1))
    store.record_posted("closed", "C1", "100.1", None, None, NOW - timedelta(minutes=5))
    series = ReminderSeries("C1", "100.1", "payments", {"closed": "Checkout 5xx"}, NOW - timedelta(hours=1))
    store.add_reminder_series([series], NOW - timedelta(minutes=5))
    store.acquire_lease("poller", "r1", 60, NOW)
    job = RetentionJob(store=store, replica_id="r1", days=0, metrics=Metrics(), clock=lambda: NOW)

    assert job() == 1
    assert store.reminder_series("C1", "100.1") is None


def test_at_zero_a_storm_digests_closed_lines_stay_until_every_line_is_closed(store: Store) -> None:
    """A digest is redrawn from its members' rows: pruning a closed member would shrink the storm's count
    while others are still open. Its lines go together once the last one closes; a card is not held."""
    just = NOW - timedelta(seconds=1)
    store.upsert_snapshots(
        [snapshot("d-closed", closed=True), snapshot("card-closed", closed=True)], now=just
    )
    store.upsert_snapshots([snapshot("d-open", closed=False)], now=just)
    for member in ("d-closed", "d-open"):
        store.record_posted(member, "C1", "200.1", "200.1", None, just, kind=MessageKind.DIGEST)
    store.record_posted("card-closed", "C1", "200.2", "200.2", None, just)  # a card of its own
    store.record_posted("d-closed", "C2", "300.1", "300.1", None, just)  # and a card elsewhere

    assert store.prune_older_than(NOW, NOW).closed_incidents == 1
    assert store.get_snapshot("card-closed") is None
    assert store.get_snapshot("d-closed") is not None
    assert [m.incident_id for m in store.messages_at("C1", "200.1")] == ["d-closed", "d-open"]

    store.upsert_snapshots([snapshot("d-open", closed=True)], now=just)
    assert store.prune_older_than(NOW, NOW).closed_incidents == 2
    assert store.messages_at("C1", "200.1") == []
