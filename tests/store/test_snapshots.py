"""Incident snapshots (read and written in batches) and poll cursors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from bot.domain import Severity, State, Status
from bot.store import Snapshot, Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def snapshot(incident_id: str, **changes: object) -> Snapshot:
    base = Snapshot(
        incident_id=incident_id,
        status=Status.TRIGGERED,
        state=State.TRIGGERED,
        severity=Severity.ERROR,
        assignee=None,
        muted=False,
        closed=False,
        last_state_update_time=T0,
        fingerprint=f"fp-{incident_id}",
        seen_event_count=1,
        last_event_id="e1",
        channels=("C1",),
        updated_at=T0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_snapshot_round_trips_every_field(store: Store) -> None:
    cet = timezone(timedelta(hours=1))
    full = snapshot(
        "inc-1",
        status=Status.ACKNOWLEDGED,
        state=State.RESOLVED,
        severity=Severity.CRITICAL,
        assignee="alice@example.com",
        muted=True,
        closed=True,
        last_state_update_time=datetime(2025, 3, 1, 13, 30, 0, 123456, tzinfo=cet),
        seen_event_count=12,
        last_event_id="e12",
        channels=("C2", "C1"),
    )
    store.upsert_snapshot(full)
    got = store.get_snapshot("inc-1")
    assert got == full
    assert got is not None
    assert got.last_state_update_time is not None
    assert got.last_state_update_time.tzinfo == UTC
    assert got.last_state_update_time == datetime(2025, 3, 1, 12, 30, 0, 123456, tzinfo=UTC)
    assert store.get_snapshot("unknown") is None


def test_upsert_replaces_and_fills_updated_at(store: Store) -> None:
    store.upsert_snapshot(snapshot("inc-1"))
    store.upsert_snapshot(
        snapshot("inc-1", status=Status.RESOLVED, channels=(), updated_at=None), now=T0 + timedelta(minutes=1)
    )
    got = store.get_snapshot("inc-1")
    assert got is not None
    assert (got.status, got.channels, got.updated_at) == (Status.RESOLVED, (), T0 + timedelta(minutes=1))


def test_bulk_upsert_and_read_of_many_incidents(store: Store) -> None:
    first = [snapshot(f"inc-{n:05d}", seen_event_count=n) for n in range(1200)]
    store.upsert_snapshots(first)
    changed = [replace(s, fingerprint="changed") for s in first[::2]]
    # The same id twice in one batch: the last one wins instead of the batch failing.
    store.upsert_snapshots([*changed, replace(first[1], assignee="bob"), replace(first[1], assignee="carol")])
    store.upsert_snapshots([])

    ids = [s.incident_id for s in first]
    got = store.get_snapshots([*ids, "missing", ids[0]])
    assert len(got) == 1200
    assert "missing" not in got
    assert got["inc-00000"].fingerprint == "changed"
    assert got["inc-00001"].fingerprint == "fp-inc-00001"
    assert got["inc-00001"].assignee == "carol"
    assert got["inc-01199"].seen_event_count == 1199
    assert store.get_snapshots([]) == {}


def test_the_count_of_tracked_open_incidents_leaves_out_closed_ones(store: Store) -> None:
    store.upsert_snapshots([snapshot("b"), snapshot("a"), snapshot("c", closed=True)])
    assert store.count_tracked_open() == 2
    store.upsert_snapshot(snapshot("a", closed=True))
    assert store.count_tracked_open() == 1


def test_prune_forgets_old_closed_incidents_and_their_messages(store: Store) -> None:
    store.upsert_snapshots(
        [
            snapshot("old-closed", closed=True, updated_at=T0),
            snapshot("new-closed", closed=True, updated_at=T0 + timedelta(days=10)),
            snapshot("old-open", updated_at=T0),
        ]
    )
    for incident_id in ("old-closed", "new-closed", "old-open"):
        store.claim_message(incident_id, "C1", "replica-a", T0)

    assert store.prune_closed(updated_before=T0 + timedelta(days=1)) == 1
    assert set(store.get_snapshots(["old-closed", "new-closed", "old-open"])) == {"new-closed", "old-open"}
    assert store.messages_for("old-closed") == []
    assert len(store.messages_for("old-open")) == 1


def test_cursors_are_named_values(store: Store, other_store: Store) -> None:
    assert store.get_cursor("incidents") is None
    store.set_cursor("incidents", "2025-03-01T12:00:00Z|inc-1", T0)
    store.set_cursor("other", "x", T0)
    store.set_cursor("incidents", "2025-03-01T12:05:00Z|inc-7", T0 + timedelta(minutes=5))
    assert other_store.get_cursor("incidents") == "2025-03-01T12:05:00Z|inc-7"
    assert other_store.get_cursor("other") == "x"
