"""Action claims on SQLite and PostgreSQL: one holder at a time, a hold after done, release when not done."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.store import Store

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
LIFE = timedelta(seconds=30)


def test_one_holder_and_who_beat_you(store: Store) -> None:
    assert store.claim_action("i1", "ack", "U0A", lifetime=LIFE, now=T0) is None
    rival = store.claim_action("i1", "ack", "U0B", lifetime=LIFE, now=T0)
    assert rival is not None and (rival.slack_user_id, rival.state) == ("U0A", "acting")
    assert store.claim_action("i1", "resolve", "U0B", lifetime=LIFE, now=T0) is None  # another intent
    assert store.claim_action("i2", "ack", "U0B", lifetime=LIFE, now=T0) is None


def test_done_is_held_briefly_and_not_done_is_released(store: Store) -> None:
    store.claim_action("i1", "ack", "U0A", lifetime=LIFE, now=T0)
    store.finish_action("i1", "ack", "U0A", done=True, hold=timedelta(seconds=10), now=T0)
    held = store.claim_action("i1", "ack", "U0B", lifetime=LIFE, now=T0 + timedelta(seconds=5))
    assert held is not None and held.state == "done"
    assert store.claim_action("i1", "ack", "U0B", lifetime=LIFE, now=T0 + timedelta(seconds=11)) is None
    store.finish_action("i1", "ack", "U0B", done=False, hold=timedelta(seconds=10), now=T0)
    assert store.claim_action("i1", "ack", "U0C", lifetime=LIFE, now=T0 + timedelta(seconds=12)) is None


def test_an_expired_claim_of_a_crashed_writer_is_taken_over(store: Store) -> None:
    store.claim_action("i1", "ack", "U0A", lifetime=LIFE, now=T0)
    assert store.claim_action("i1", "ack", "U0B", lifetime=LIFE, now=T0 + LIFE) is None
    assert store.prune_action_claims(now=T0 + 2 * LIFE) == 1


def test_racing_claimers_get_exactly_one_win(store: Store) -> None:
    start = threading.Barrier(8)
    wins: list[str] = []

    def claim(user: str) -> None:
        start.wait()
        if store.claim_action("race", "ack", user, lifetime=LIFE) is None:
            wins.append(user)

    threads = [threading.Thread(target=claim, args=(f"U{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(wins) == 1
