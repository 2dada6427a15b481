"""The outbox: deduplicated Slack work, claimed by one worker at a time, retried with backoff."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.domain import Severity, State, Status
from bot.store import NewOutboxItem, OutboxItem, OutboxKind, Snapshot, Store
from bot.store.rows import MessageKind

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def work(n: int, **changes: object) -> NewOutboxItem:
    fields: dict[str, object] = {
        "kind": OutboxKind.UPDATE,
        "channel": "C1",
        "payload": {"n": n, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "é ✓"}}]},
        "dedupe_key": f"update:inc-{n}:v1",
        "incident_id": f"inc-{n}",
    }
    fields.update(changes)
    return NewOutboxItem(**fields)  # type: ignore[arg-type]


def test_enqueue_is_deduplicated_by_key(store: Store) -> None:
    assert store.enqueue(work(1), T0) is True
    assert store.enqueue(work(1, payload={"other": True}), T0) is False
    assert store.enqueue(work(2), T0) is True
    # Without a key nothing is deduplicated.
    assert store.enqueue(work(3, dedupe_key=None), T0) is True
    assert store.enqueue(work(3, dedupe_key=None), T0) is True
    assert store.pending_count() == 4


def test_due_items_claims_due_work_once(store: Store) -> None:
    store.enqueue(work(1), T0)
    store.enqueue(work(2, kind=OutboxKind.EPHEMERAL, not_before=T0 + timedelta(minutes=5)), T0)

    claimed = store.due_items(T0 + timedelta(seconds=1), limit=10, lock_seconds=600)
    assert [item.incident_id for item in claimed] == ["inc-1"]
    item = claimed[0]
    assert isinstance(item, OutboxItem)
    assert (item.kind, item.channel, item.dedupe_key, item.attempts) == (
        OutboxKind.UPDATE,
        "C1",
        "update:inc-1:v1",
        1,
    )
    assert item.payload == work(1).payload
    assert item.created_at == T0
    assert item.next_attempt_at == T0 + timedelta(seconds=601)
    # Claimed work is hidden from everyone until its lock period ends.
    assert store.due_items(T0 + timedelta(seconds=2), limit=10) == []

    later = store.due_items(T0 + timedelta(minutes=5), limit=10)
    assert [i.incident_id for i in later] == ["inc-2"]
    assert later[0].kind is OutboxKind.EPHEMERAL


def test_work_of_a_worker_that_died_becomes_due_again(store: Store) -> None:
    store.enqueue(work(1), T0)
    first = store.due_items(T0, lock_seconds=60)
    assert store.due_items(T0 + timedelta(seconds=59)) == []
    again = store.due_items(T0 + timedelta(seconds=60))
    assert [i.id for i in again] == [first[0].id]
    assert again[0].attempts == 2


def test_limit_and_order(store: Store) -> None:
    for n in range(5):
        store.enqueue(work(n), T0 + timedelta(seconds=n))
    first = store.due_items(T0 + timedelta(seconds=10), limit=2)
    second = store.due_items(T0 + timedelta(seconds=10), limit=10)
    assert [i.incident_id for i in first] == ["inc-0", "inc-1"]
    assert [i.incident_id for i in second] == ["inc-2", "inc-3", "inc-4"]


def test_reschedule_and_complete(store: Store) -> None:
    store.enqueue(work(1), T0)
    (item,) = store.due_items(T0)
    retry_at = T0 + timedelta(seconds=30)
    assert store.reschedule(item.id, retry_at, "ratelimited" + "!" * 5000) is True
    assert store.due_items(retry_at - timedelta(seconds=1)) == []
    (again,) = store.due_items(retry_at)
    assert again.attempts == 2
    assert again.last_error is not None
    assert again.last_error.startswith("ratelimited")
    assert len(again.last_error) <= 2000

    assert store.complete(again.id) is True
    assert store.complete(again.id) is False
    assert store.reschedule(again.id, T0, "gone") is False
    assert store.pending_count() == 0
    assert store.due_items(T0 + timedelta(days=1)) == []
    # Once done, the same dedupe key may be queued again.
    assert store.enqueue(work(1), T0) is True


def test_concurrent_workers_never_get_the_same_item(db_url: str, store: Store) -> None:
    for n in range(120):
        store.enqueue(work(n), T0)
    workers = [Store.from_url(db_url) for _ in range(4)]
    start = threading.Barrier(len(workers))

    def drain(index: int) -> list[int]:
        start.wait()
        got: list[int] = []
        while batch := workers[index].due_items(T0, limit=7):
            got.extend(item.id for item in batch)
        return got

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            per_worker = list(pool.map(drain, range(len(workers))))
    finally:
        for worker in workers:
            worker.close()
    claimed = [item_id for got in per_worker for item_id in got]
    assert len(claimed) == 120
    assert len(set(claimed)) == 120


@pytest.mark.postgres
def test_a_locked_item_is_skipped_not_waited_for(postgres_url: str) -> None:
    store = Store.from_url(postgres_url)
    store.create_schema()
    for n in range(3):
        store.enqueue(work(n), T0)
    locker = create_engine(postgres_url)
    try:
        with locker.begin() as conn:
            locked_id = conn.execute(
                text("SELECT id FROM outbox WHERE incident_id = 'inc-0' FOR UPDATE")
            ).scalar_one()
            result: list[list[OutboxItem]] = []
            claimer = threading.Thread(target=lambda: result.append(store.due_items(T0, limit=10)))
            claimer.start()
            claimer.join(timeout=30)  # without SKIP LOCKED it would wait for this transaction forever
            assert not claimer.is_alive()
            assert sorted(str(i.incident_id) for i in result[0]) == ["inc-1", "inc-2"]
        (later,) = store.due_items(T0, limit=10)
        assert later.id == locked_id
    finally:
        locker.dispose()
        store.close()


def test_claim_closed_waiting_takes_only_long_waiting_lines_of_closed_incidents(store: Store) -> None:
    store.upsert_snapshots(
        [
            Snapshot("closed", Status.RESOLVED, State.RESOLVED, Severity.ERROR, closed=True),
            Snapshot("open", Status.TRIGGERED, State.TRIGGERED, Severity.ERROR),
            Snapshot("in-digest", Status.RESOLVED, State.RESOLVED, Severity.ERROR, closed=True),
        ],
        now=T0,
    )
    # a storm digest's line is no card: its lines go in the digest's thread, never folded onto a card
    store.claim_messages([("in-digest", "C1")], "replica-a", T0)
    store.record_posted("in-digest", "C1", "300.1", "300.1", None, T0, kind=MessageKind.DIGEST)
    old, recent = T0, T0 + timedelta(seconds=50)
    for key, incident, channel, at in (
        ("old-closed", "closed", "C1", old),
        ("recent-closed", "closed", "C1", recent),
        ("old-open", "open", "C1", old),
        ("old-closed-elsewhere", "closed", "C2", old),
        ("old-closed-in-digest", "in-digest", "C1", old),
    ):
        store.enqueue(
            work(
                0, kind=OutboxKind.THREAD, dedupe_key=key, incident_id=incident, channel=channel, priority=3
            ),
            at,
        )
    now = T0 + timedelta(minutes=1)

    taken = store.claim_closed_waiting("C1", now, priority=3, queued_before=now - timedelta(seconds=15))

    assert [item.dedupe_key for item in taken] == ["old-closed"]
    assert store.claim_closed_waiting("C1", now, priority=3, queued_before=now - timedelta(seconds=15)) == []
