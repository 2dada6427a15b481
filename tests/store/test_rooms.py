"""War rooms in the store: one per incident across replicas, its card claimed once, archived once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.domain import Severity, State, Status
from bot.store import Snapshot, Store
from bot.store.rows import MessageKind, RoomState

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
STALE = T0 - timedelta(seconds=60)


def test_the_first_claim_creates_and_every_later_one_finds_the_room(store: Store) -> None:
    assert store.claim_room("inc-1", "U0ALICE", "replica-a", stale_before=STALE, now=T0) is None
    found = store.claim_room("inc-1", "U0BOB", "replica-b", stale_before=STALE, now=T0)
    assert found is not None
    assert (found.state, found.opened_by, found.claimed_by, found.channel) == (
        RoomState.CREATING,
        "U0ALICE",
        "replica-a",
        None,
    )
    assert store.room_opened("inc-1", "replica-a", "C1", "inc-2026-12-03-x", T0)
    room = store.room("inc-1")
    assert room is not None and (room.state, room.channel, room.name) == (
        RoomState.OPEN,
        "C1",
        "inc-2026-12-03-x",
    )
    assert store.room_in_channel("C1") == room
    assert store.room_in_channel("C2") is None


def test_replicas_claiming_together_create_one_room(db_url: str) -> None:
    replicas = [Store.from_url(db_url) for _ in range(6)]
    replicas[0].create_schema()
    barrier = threading.Barrier(len(replicas))
    won: list[int] = []

    def claim(number: int, replica: Store) -> None:
        barrier.wait()
        if replica.claim_room("inc-1", f"U{number}", f"replica-{number}", stale_before=STALE, now=T0) is None:
            won.append(number)

    threads = [threading.Thread(target=claim, args=pair) for pair in enumerate(replicas)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1
    finally:
        for replica in replicas:
            replica.close()


def test_a_creator_that_died_is_taken_over_and_one_that_failed_lets_go(store: Store) -> None:
    assert store.claim_room("inc-1", "U0ALICE", "replica-a", stale_before=STALE, now=T0) is None
    later = T0 + timedelta(seconds=61)
    assert (
        store.claim_room("inc-1", "U0BOB", "replica-b", stale_before=later - timedelta(seconds=60), now=later)
        is None
    )
    assert not store.room_opened("inc-1", "replica-a", "C1", "x", later), "the dead creator's claim is gone"
    assert not store.release_room("inc-1", "replica-a")
    assert store.release_room("inc-1", "replica-b")
    assert store.room("inc-1") is None


def test_an_open_room_is_never_taken_over(store: Store) -> None:
    store.claim_room("inc-1", "U0ALICE", "replica-a", stale_before=STALE, now=T0)
    store.room_opened("inc-1", "replica-a", "C1", "x", T0)
    much_later = T0 + timedelta(days=1)
    found = store.claim_room("inc-1", "U0BOB", "replica-b", stale_before=much_later, now=much_later)
    assert found is not None and found.state is RoomState.OPEN and found.channel == "C1"


def test_the_rooms_card_is_claimed_once_and_free_again_when_posting_failed(store: Store) -> None:
    store.claim_room("inc-1", "U0ALICE", "replica-a", stale_before=STALE, now=T0)
    store.room_opened("inc-1", "replica-a", "C1", "x", T0)
    assert not store.claim_room_card("inc-1", "replica-b", stale_before=STALE, now=T0), "its creator holds it"
    store.release_room_card("inc-1", "replica-a")
    assert store.claim_room_card("inc-1", "replica-b", stale_before=STALE, now=T0)
    assert not store.claim_room_card("inc-1", "replica-c", stale_before=STALE, now=T0)
    store.room_card_posted("inc-1", "1.000001", T0)
    store.release_room_card("inc-1", "replica-b")
    assert not store.claim_room_card("inc-1", "replica-c", stale_before=T0 + timedelta(days=1), now=T0)
    room = store.room("inc-1")
    assert room is not None and room.card_ts == "1.000001"


def test_a_room_is_archived_once_and_its_card_is_then_forgotten(store: Store) -> None:
    store.claim_room("inc-1", "U0ALICE", "replica-a", stale_before=STALE, now=T0)
    store.room_opened("inc-1", "replica-a", "C1", "x", T0)
    store.record_posted("inc-1", "C1", "1.000001", "1.000001", None, T0, kind=MessageKind.ROOM)
    store.record_posted("inc-1", "C0PAYMENTS", "1.000002", "1.000002", None, T0)
    assert [m.kind for m in store.messages_for("inc-1")] == [MessageKind.CARD, MessageKind.ROOM]
    assert store.start_archive("inc-1", "U0LEAD", T0)
    assert not store.start_archive("inc-1", "U0BOB", T0)
    store.undo_archive("inc-1", T0)
    assert store.start_archive("inc-1", "U0BOB", T0)
    store.room_archived("inc-1", "C1")
    room = store.room("inc-1")
    assert room is not None and (room.state, room.archived_by) == (RoomState.ARCHIVED, "U0BOB")
    assert [m.channel for m in store.messages_for("inc-1")] == ["C0PAYMENTS"]


def test_a_closed_incidents_room_is_forgotten_with_it(store: Store) -> None:
    old = T0 - timedelta(days=40)
    for incident_id, closed in (("old-closed", True), ("old-open", False)):
        store.upsert_snapshots(
            [Snapshot(incident_id, Status.RESOLVED, State.RESOLVED, Severity.ERROR, closed=closed)], now=old
        )
        store.claim_room(incident_id, "U0ALICE", "replica-a", stale_before=old, now=old)
    store.prune_older_than(T0 - timedelta(days=30), T0)
    assert store.room("old-closed") is None
    assert store.room("old-open") is not None
