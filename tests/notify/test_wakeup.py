"""The webhook's poll requests: only the lease holder polls, once per request, never faster than the gap."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.notify.wakeup import PollWakeup
from bot.store import Store


class Clocks:
    def __init__(self) -> None:
        self.now = 100.0
        self.requests = 0

    def wall(self) -> datetime:
        self.requests += 1  # every request gets a new, distinct timestamp, as webhooks a moment apart do
        return datetime.fromtimestamp(1_700_000_000 + self.requests / 1000, UTC)

    def monotonic(self) -> float:
        return self.now


def wakeups(store: Store, clocks: Clocks, *, holds: bool = True) -> tuple[PollWakeup, PollWakeup, list[int]]:
    """The replica a webhook reached (a standby) and the replica that polls, sharing one database."""
    polls: list[int] = []
    standby = PollWakeup(
        store, holds_lease=lambda: False, poll_now=lambda: polls.append(0), clock=clocks.wall
    )
    holder = PollWakeup(
        store,
        holds_lease=lambda: holds,
        poll_now=lambda: polls.append(1),
        clock=clocks.wall,
        monotonic=clocks.monotonic,
        min_gap=0.6,
    )
    return standby, holder, polls


def test_a_request_on_a_standby_is_polled_once_by_the_holder(store: Store) -> None:
    clocks = Clocks()
    standby, holder, polls = wakeups(store, clocks)
    assert not holder.check()  # nothing asked yet
    standby.request()
    assert not standby.check()  # the standby never polls
    assert holder.check()
    assert not holder.check()  # the same request is not polled twice
    assert polls == [1]


def test_a_flood_coalesces_into_polls_at_least_the_gap_apart(store: Store) -> None:
    clocks = Clocks()
    standby, holder, polls = wakeups(store, clocks)
    for _step in range(50):  # 1,000 webhooks over 10 s, checked every 0.2 s
        for _ in range(20):
            standby.request()
        holder.check()
        clocks.now += 0.2
    assert 10 / 0.6 <= len(polls) <= 10 / 0.6 + 1
    clocks.now += 0.6
    assert holder.check()  # the last requests are not lost: the next check after the gap takes them
    assert not holder.check()


def test_without_the_lease_nothing_polls(store: Store) -> None:
    clocks = Clocks()
    standby, holder, polls = wakeups(store, clocks, holds=False)
    standby.request()
    assert not holder.check()
    assert polls == []
