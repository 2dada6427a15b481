"""The per-person pace: a burst, then a steady rate, each person on their own."""

from __future__ import annotations

from bot.listeners.pace import PerUserPace


def test_a_burst_then_the_steady_rate_per_person() -> None:
    now = [0.0]
    pace = PerUserPace(burst=3, per_minute=6, clock=lambda: now[0])
    assert [pace.take("U1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pace.take("U1") == 10.0
    assert pace.take("U2") == 0.0  # someone else is not slowed down
    refusal = pace.refusal("U1")
    assert refusal is not None and "Try again in 10 s" in refusal
    now[0] = 10.0
    assert pace.refusal("U1") is None


def test_it_remembers_a_bounded_number_of_people() -> None:
    pace = PerUserPace(burst=1, per_minute=1, clock=lambda: 0.0, max_users=2)
    for user in ("U1", "U2", "U3"):
        pace.take(user)
    assert pace.take("U1") == 0.0  # forgotten, so a fresh bucket
