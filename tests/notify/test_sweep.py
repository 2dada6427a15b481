"""The reconciliation: every page once, one page held at a time, resumed after an interruption, paced."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from bot.domain import Severity, State, Status
from bot.errors import CoralogixUnavailableError
from bot.notify.poller import Poller, PollResult
from bot.notify.sweep import STATE, Phase, SweepState
from bot.store import Snapshot
from tests.notify.conftest import OLD, World
from tests.notify.recording import PageRead, Ticks

PAGE = 5
OPEN = 23  # five pages, the last one short
EVERY_POLL: dict[str, Any] = {"reconcile_every": timedelta(0), "sweep_page_size": PAGE}


def _set_up(world: World, stale: int = 3) -> set[str]:
    """OPEN open incidents, four closed ones, and `stale` the store still thinks open but that Coralogix
    closed behind the bot's back (the cursor walk missed it). Returns the stale ids."""
    world.sim.generate(OPEN + 4 + stale, created_at=OLD)
    ids = sorted(world.open_ids())
    closed = ids[OPEN:]
    for incident_id in closed:
        world.sim.close(incident_id, "alice@example.com")
    store = world.store()
    store.upsert_snapshots(
        [
            Snapshot(incident_id=i, status=Status.TRIGGERED, state=State.TRIGGERED, severity=Severity.ERROR)
            for i in closed[:stale]
        ]
    )
    store.close()
    return set(closed[:stale])


def _start(poller: Poller) -> None:
    assert poller.poll_once().first_start


def _until_reconciled(poller: Poller, polls: int = 50) -> list[PollResult]:
    results = []
    for _ in range(polls):
        results.append(poller.poll_once())
        if results[-1].reconciled:
            return results
    raise AssertionError(f"no reconciliation finished within {polls} polls")


def _assert_every_page_once(pages: list[PageRead], open_ids: set[str]) -> None:
    tokens = [page.token for page in pages]
    assert tokens[0] is None
    assert len(set(tokens)) == len(tokens), "a page was read twice"
    read = Counter(incident_id for page in pages for incident_id in page.ids)
    assert set(read) == open_ids
    assert max(read.values()) == 1, "an incident was read twice"


def test_the_reconciliation_reads_every_page_once_holding_one_page_at_a_time(world: World) -> None:
    stale = _set_up(world)
    store = world.store()
    backend = world.backend(count_live=True)
    poller = world.poller(store, backend, **EVERY_POLL)
    _start(poller)
    _until_reconciled(poller)

    open_ids = world.open_ids()
    assert len(open_ids) == OPEN
    _assert_every_page_once(backend.seen.sweep_pages, open_ids)
    assert len(backend.seen.sweep_pages) == 5
    # only what the open walk did not see is read back, once: the stale ones, found closed
    assert sorted(i for batch in backend.seen.batches for i in batch) == sorted(stale)
    assert store.count_tracked_open() == OPEN
    assert 0 < backend.seen.most_live <= PAGE
    done = SweepState.loads(store.get_cursor(STATE) or "")
    assert (done.phase, done.seen, done.gone) == (Phase.DONE, OPEN, len(stale))
    assert done.changed == OPEN + len(stale)  # all new to the store, and the stale ones now closed
    store.close()


@pytest.mark.parametrize("how", ["crash", "lease lost"])
def test_an_interrupted_reconciliation_resumes_where_it_stopped(world: World, how: str) -> None:
    stale = _set_up(world)
    first_store = world.store()
    ticks = Ticks()
    # "lease lost": each poll has room for the cursor walk and one page; the replica then stops polling
    first = world.backend(ticks, read_cost=1.0 if how == "lease lost" else 0.0)
    poller = world.poller(first_store, first, sweep_seconds=1.5, **EVERY_POLL)
    _start(poller)
    if how == "crash":
        first.fail_sweep_read = 3
        with pytest.raises(CoralogixUnavailableError):
            poller.poll_once()
    else:
        poller.poll_once()
        poller.poll_once()
    assert len(first.seen.sweep_pages) == 2
    first_store.close()  # the replica is gone; another one (or the restarted bot) polls on

    second_store = world.store()
    second = world.backend(count_live=True)
    _until_reconciled(world.poller(second_store, second, **EVERY_POLL))

    assert second.seen.sweep_pages[0].token is not None  # it did not start over
    _assert_every_page_once(first.seen.sweep_pages + second.seen.sweep_pages, world.open_ids())
    assert sorted(i for batch in second.seen.batches for i in batch) == sorted(stale)
    assert second_store.count_tracked_open() == OPEN
    assert second.seen.most_live <= PAGE
    second_store.close()


def test_a_poll_takes_its_share_of_the_reconciliation_and_no_more(world: World) -> None:
    """Each read costs a second of the poll's clock; with half a 4-second interval for the sweep, every
    poll ends within the interval, so the next one starts on time, and the sweep spreads over polls."""
    interval = 4.0
    _set_up(world, stale=0)
    store = world.store()
    ticks = Ticks()
    backend = world.backend(ticks, read_cost=1.0)
    poller = world.poller(store, backend, sweep_seconds=interval / 2, **EVERY_POLL)
    _start(poller)
    took = []
    for _ in range(50):
        before = ticks.now
        result = poller.poll_once()
        took.append(ticks.now - before)
        if result.reconciled:
            break
    assert result.reconciled
    assert max(took) <= interval, f"a poll held the next one back: {took}"
    assert len(took) >= 3  # five pages and a check of the store, spread over several polls
    _assert_every_page_once(backend.seen.sweep_pages, world.open_ids())
    store.close()


def test_a_slow_reconciliation_read_never_holds_up_a_poll(world: World) -> None:
    """The read is kept for a later poll; the poll it started in ends when its share does."""
    _set_up(world, stale=0)
    store = world.store()
    backend = world.backend()
    poller = world.poller(store, backend, sweep_seconds=0.2, **EVERY_POLL)
    _start(poller)
    gate = threading.Event()
    backend.before_sweep_read = gate.wait  # the sweep's first read answers once the gate opens
    polled = threading.Event()
    results: list[PollResult] = []

    def poll() -> None:
        results.append(poller.poll_once())
        polled.set()

    threading.Thread(target=poll, daemon=True).start()
    try:
        assert polled.wait(timeout=30), "the poll waited for the reconciliation's read"
    finally:
        gate.set()
    assert (results[0].pages, results[0].swept) == (1, 0)  # its own cursor walk, and no page yet
    _until_reconciled(poller)
    _assert_every_page_once(backend.seen.sweep_pages, world.open_ids())
    store.close()


def test_a_refused_page_token_starts_the_walk_again(world: World) -> None:
    _set_up(world, stale=0)
    store = world.store()
    backend = world.backend()
    poller = world.poller(store, backend, **EVERY_POLL)
    _start(poller)
    store.set_cursor(STATE, SweepState(number=1, phase=Phase.OPEN, token="not-a-token").dumps())
    _until_reconciled(poller)
    _assert_every_page_once(backend.seen.sweep_pages, world.open_ids())
    assert store.count_tracked_open() == OPEN
    store.close()


def test_a_replica_that_lost_its_place_cannot_move_the_sweep_back(world: World) -> None:
    """While the late replica reads a page, its successor moves the sweep on: the late one stops there."""
    _set_up(world, stale=0)
    late_store, heir_store = world.store(), world.store()
    late_backend = world.backend()
    late = world.poller(late_store, late_backend, **EVERY_POLL)  # no limit: it would read every page
    # a read costs the heir a second of its clock and its share is 1.5 s: one page a poll
    heir = world.poller(heir_store, world.backend(read_cost=1.0), sweep_seconds=1.5, **EVERY_POLL)
    _start(heir)
    heir.poll_once()
    late_backend.before_sweep_read = heir.poll_once  # the heir takes the next page meanwhile
    result = late.poll_once()
    assert result.swept == 1  # the page it had in hand, and no more
    assert not result.reconciled
    assert SweepState.loads(heir_store.get_cursor(STATE) or "").pages == 2  # the heir's position stands
    late_store.close()
    heir_store.close()
