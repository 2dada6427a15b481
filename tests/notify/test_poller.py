"""The regular poll: one page when idle, and bounded memory on the first start and after a long outage."""

from __future__ import annotations

from datetime import timedelta

from bot.notify.poller import FIRST_START_PAGE, Poller
from tests.notify.conftest import OLD, World

PAGE = 5


def _track_everything(poller: Poller) -> None:
    """First start, then polls until a reconciliation has tracked every open incident."""
    assert poller.poll_once().first_start
    for _ in range(50):
        if poller.poll_once().reconciled:
            return
    raise AssertionError("no reconciliation finished")


def test_an_idle_poll_reads_one_page(world: World) -> None:
    world.sim.generate(40, created_at=OLD)  # eight pages of PAGE
    store = world.store()
    backend = world.backend()
    poller = world.poller(store, backend, page_size=PAGE, reconcile_every=timedelta(hours=1))
    _track_everything(world.poller(store, world.backend(), reconcile_every=timedelta(0)))
    for _ in range(3):
        before = backend.seen.cursor_pages
        result = poller.poll_once()
        assert (result.pages, backend.seen.cursor_pages - before) == (1, 1)
        assert result.changed <= 1  # at most the newest one, re-checked by fingerprint
        assert result.stats.posted == result.stats.updated == 0
    store.close()


def test_the_first_start_holds_one_page_at_a_time(world: World) -> None:
    count = 2 * FIRST_START_PAGE + 50
    world.sim.generate(count)  # all of the last six hours: inside a six-hour backfill
    store = world.store()
    backend = world.backend(count_live=True)
    poller = world.poller(store, backend, backfill=timedelta(hours=7))
    result = poller.poll_once()
    assert result.first_start
    assert [len(page.ids) for page in backend.seen.first_start_pages][:2] == [FIRST_START_PAGE] * 2
    assert store.count_tracked_open() == count
    assert 0 < backend.seen.most_live <= FIRST_START_PAGE
    store.close()


def test_after_a_long_outage_the_cursor_walk_holds_a_bounded_number(world: World) -> None:
    world.sim.generate(10, created_at=OLD)
    store = world.store()
    backend = world.backend(count_live=True)
    hold = 2 * PAGE
    poller = world.poller(store, backend, page_size=PAGE, hold=hold, reconcile_every=timedelta(hours=1))
    assert poller.poll_once().first_start
    # new while the bot was away: six pages of changes
    fresh = [world.sim.create_incident(severity="warning", created_at=OLD) for _ in range(6 * PAGE)]
    result = poller.poll_once()
    assert result.pages is not None and result.pages >= 6
    assert result.changed >= 6 * PAGE
    assert set(store.get_snapshots(fresh)) == set(fresh)
    assert 0 < backend.seen.most_live <= hold
    store.close()
