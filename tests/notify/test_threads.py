"""The poll's helper threads live as long as their owner, not one poll: a thread started and ended every
second can land on another malloc arena each time, and glibc keeps what each arena once held resident."""

from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime, timedelta

from bot.cards.lanes import MAX_PARALLEL
from bot.notify.reads import OneRead
from tests.notify.conftest import OLD, World


def test_reconciliation_reads_share_one_thread_that_ends_with_its_reader() -> None:
    reader = OneRead(name="test-one-read")
    threads = [reader.get(n, threading.current_thread, wait=10) for n in range(3)]
    assert all(thread is not None for thread in threads)
    assert len({id(thread) for thread in threads}) == 1, "a thread per read"
    thread = threads[0]
    assert thread is not None and thread.name == "test-one-read"
    del reader, threads
    gc.collect()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the read thread outlived its reader"


def _event_readers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("incident-events")}


def test_event_reads_reuse_the_publishers_threads_from_poll_to_poll(world: World) -> None:
    ids = world.sim.generate(12, created_at=OLD)
    store = world.store()
    poller = world.poller(store, world.backend(), reconcile_every=timedelta(0))
    for _ in range(20):  # first start, then until a reconciliation has tracked every open incident
        if poller.poll_once().reconciled:
            break
    now = datetime.now(UTC)
    store.claim_messages([(incident_id, "C0INCIDENTS") for incident_id in ids], "r1", now)
    for n, incident_id in enumerate(ids):  # as if each had its card: a change then reads its events
        store.record_posted(incident_id, "C0INCIDENTS", f"100.{n}", f"100.{n}", None, now)
    seen: list[set[threading.Thread]] = []
    for batch in (ids[:4], ids[4:8], ids[8:]):
        for incident_id in batch:
            world.sim.acknowledge(incident_id, "alice@example.com")
        assert poller.poll_once().changed >= len(batch)
        seen.append(_event_readers())
    assert seen[0], "the changes' events were not read on the publisher's threads"
    assert seen[0] <= seen[-1], "a later poll read events on new threads"
    assert len(seen[-1]) <= MAX_PARALLEL
    store.close()
