"""The one retry policy: exponential, jittered between half and all, capped, within a total deadline."""

from __future__ import annotations

import pytest

from bot.backoff import CORALOGIX_READS, POLLS, SLACK_WORK, Backoff


def test_waits_double_up_to_the_cap_jittered_between_half_and_all() -> None:
    policy = Backoff(base=2.0, cap=60.0)
    assert [policy.delay(n, rand=lambda: 1.0) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]
    assert [policy.delay(n, rand=lambda: 0.0) for n in range(3)] == [1, 2, 4]
    assert policy.delay(10_000, rand=lambda: 1.0) == 60  # no overflow however many failures


def test_without_jitter_the_wait_is_the_ceiling() -> None:
    assert Backoff(base=1.0, cap=5.0, jitter=False).delay(2) == 4


def test_a_servers_retry_after_wins() -> None:
    assert SLACK_WORK.delay(3, retry_after=42) == 42
    assert SLACK_WORK.delay(3, retry_after=0) == 0


def test_the_total_deadline_stops_retries() -> None:
    policy = Backoff(base=1.0, cap=10.0, deadline=30.0)
    assert not policy.gives_up(elapsed=25.0, next_delay=4.0)
    assert policy.gives_up(elapsed=25.0, next_delay=6.0)
    assert not POLLS.gives_up(elapsed=1e9)  # polling never gives up
    assert SLACK_WORK.gives_up(elapsed=24 * 3600 + 1)
    assert CORALOGIX_READS.deadline is not None


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError, match="base <= cap"):
        Backoff(base=5.0, cap=1.0)
    with pytest.raises(ValueError, match="negative"):
        Backoff(base=1.0, cap=2.0, deadline=-1)
