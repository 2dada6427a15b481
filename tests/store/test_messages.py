"""Incident messages: claimed before posting, recorded after, at most one per incident and channel."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bot.store import MessageState, Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_only_the_first_claim_wins(store: Store, other_store: Store) -> None:
    assert store.claim_message("inc-1", "C1", "replica-a", T0) is True
    assert other_store.claim_message("inc-1", "C1", "replica-b", T0) is False
    assert store.claim_message("inc-1", "C1", "replica-a", T0) is False  # not even twice by the winner
    assert store.claim_message("inc-1", "C2", "replica-b", T0) is True  # another channel is another message
    row = store.message("inc-1", "C1")
    assert row is not None
    assert (row.state, row.claimed_by, row.claimed_at, row.ts) == (
        MessageState.CLAIMED,
        "replica-a",
        T0,
        None,
    )
    assert not row.is_posted


def test_racing_replicas_get_exactly_one_winner_per_message(db_url: str, store: Store) -> None:
    replicas = [Store.from_url(db_url) for _ in range(4)]
    keys = [(f"inc-{n}", f"C{n % 3}") for n in range(25)]
    try:
        for incident_id, channel in keys:
            barrier = threading.Barrier(len(replicas))

            def claim(
                index: int,
                incident_id: str = incident_id,
                channel: str = channel,
                barrier: threading.Barrier = barrier,
            ) -> bool:
                barrier.wait()
                return replicas[index].claim_message(incident_id, channel, f"replica-{index}", T0)

            with ThreadPoolExecutor(len(replicas)) as pool:
                results = list(pool.map(claim, range(len(replicas))))
            assert results.count(True) == 1, (incident_id, channel, results)
            row = store.message(incident_id, channel)
            assert row is not None
            assert row.claimed_by == f"replica-{results.index(True)}"
    finally:
        for replica in replicas:
            replica.close()


def test_record_posted_turns_the_claim_into_a_message(store: Store) -> None:
    store.claim_message("inc-1", "C1", "replica-a", T0)
    posted_at = T0 + timedelta(seconds=2)
    store.record_posted(
        "inc-1", "C1", "1700000000.000100", None, "fp-1", posted_at, event_count=3, last_event_id="e3"
    )

    row = store.message("inc-1", "C1")
    assert row is not None
    assert row.is_posted
    assert (row.ts, row.thread_ts, row.fingerprint) == ("1700000000.000100", None, "fp-1")
    assert (row.posted_at, row.updated_at, row.claimed_at) == (posted_at, posted_at, T0)
    assert (row.event_count, row.last_event_id, row.claimed_by) == (3, "e3", "replica-a")
    assert store.message_by_ts("C1", "1700000000.000100") == row
    assert store.message_by_ts("C2", "1700000000.000100") is None
    # A recorded message is never released, so nobody can post a second one.
    assert store.release_claim("inc-1", "C1") is False
    assert store.claim_message("inc-1", "C1", "replica-b", T0) is False


def test_record_posted_without_a_claim_still_keeps_the_message(store: Store) -> None:
    store.record_posted("inc-9", "C1", "1.1", "0.9", None, T0)
    row = store.message("inc-9", "C1")
    assert row is not None
    assert (row.state, row.ts, row.thread_ts, row.claimed_by, row.event_count) == (
        MessageState.POSTED,
        "1.1",
        "0.9",
        None,
        0,
    )


def test_released_claim_can_be_claimed_again(store: Store, other_store: Store) -> None:
    store.claim_message("inc-1", "C1", "replica-a", T0)
    assert store.release_claim("inc-1", "C1", replica_id="replica-b") is False  # not b's claim
    assert store.release_claim("inc-1", "C1", replica_id="replica-a") is True
    assert store.message("inc-1", "C1") is None
    assert other_store.claim_message("inc-1", "C1", "replica-b", T0) is True


def test_stale_claims_are_the_ones_never_recorded(store: Store) -> None:
    store.claim_message("old-claim", "C1", "replica-a", T0)
    store.claim_message("old-posted", "C1", "replica-a", T0)
    store.record_posted("old-posted", "C1", "1.0", None, "fp", T0)
    store.claim_message("new-claim", "C1", "replica-a", T0 + timedelta(minutes=5))

    stale = store.stale_claims(older_than=T0 + timedelta(minutes=1))
    assert [(row.incident_id, row.channel) for row in stale] == [("old-claim", "C1")]
    assert store.stale_claims(older_than=T0) == []


def test_a_stale_claim_is_taken_over_by_exactly_one_replica(store: Store, other_store: Store) -> None:
    store.claim_message("inc-1", "C1", "replica-dead", T0)
    cutoff = T0 + timedelta(minutes=1)
    later = T0 + timedelta(minutes=2)
    assert store.reclaim_stale("inc-1", "C1", "replica-a", cutoff, later) is True
    assert other_store.reclaim_stale("inc-1", "C1", "replica-b", cutoff, later) is False  # no longer stale
    row = store.message("inc-1", "C1")
    assert row is not None
    assert (row.claimed_by, row.claimed_at) == ("replica-a", later)
    assert store.reclaim_stale("nothing", "C1", "replica-a", cutoff, later) is False


def test_fingerprint_and_event_progress_are_updated_in_place(store: Store) -> None:
    store.claim_message("inc-1", "C1", "replica-a", T0)
    store.record_posted("inc-1", "C1", "1.0", None, "fp-1", T0)
    assert store.set_message_fingerprint("inc-1", "C1", "fp-2", T0 + timedelta(seconds=30)) is True
    assert store.set_message_events("inc-1", "C1", 7, "e7", T0 + timedelta(seconds=40)) is True
    assert store.set_message_fingerprint("inc-1", "C-unknown", "fp-2", T0) is False

    row = store.message("inc-1", "C1")
    assert row is not None
    assert (row.fingerprint, row.event_count, row.last_event_id) == ("fp-2", 7, "e7")
    assert row.updated_at == T0 + timedelta(seconds=40)
    assert (row.ts, row.posted_at) == ("1.0", T0)


def test_messages_of_one_and_of_many_incidents(store: Store) -> None:
    for incident_id, channel in [("a", "C2"), ("a", "C1"), ("b", "C1")]:
        store.claim_message(incident_id, channel, "replica-a", T0)
    many_ids = [f"x-{n}" for n in range(1100)]  # more ids than one query takes
    for incident_id in many_ids[::100]:
        store.claim_message(incident_id, "C9", "replica-a", T0)

    assert [row.channel for row in store.messages_for("a")] == ["C1", "C2"]
    assert store.messages_for("nothing") == []
    found = store.messages_for_incidents(["a", "b", "c", "a", *many_ids])
    assert {key: [row.channel for row in rows] for key, rows in found.items()} == {
        "a": ["C1", "C2"],
        "b": ["C1"],
        **{incident_id: ["C9"] for incident_id in many_ids[::100]},
    }


def test_bulk_claims_win_only_what_nobody_holds(db_url: str, store: Store, other_store: Store) -> None:
    assert store.claim_message("inc-1", "C1", "replica-a", T0) is True
    won = other_store.claim_messages([("inc-1", "C1"), ("inc-2", "C1"), ("inc-1", "C2")], "replica-b", T0)
    assert won == {("inc-2", "C1"), ("inc-1", "C2")}
    assert store.claim_messages([("inc-2", "C1")], "replica-a", T0) == set()
    # racing bulk claims over the same pairs: every pair has exactly one winner
    pairs = [(f"race-{n}", f"C{n % 4}") for n in range(60)]
    replicas = [Store.from_url(db_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(
                pool.map(lambda r: r[1].claim_messages(pairs, f"r{r[0]}", T0), enumerate(replicas))
            )
    finally:
        for replica in replicas:
            replica.close()
    assert sorted(p for result in results for p in result) == sorted(pairs)
