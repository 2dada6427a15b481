"""Slack events taken once across replicas (SQLite and PostgreSQL), given back on failure, pruned a day on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.store import Store

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_an_event_is_taken_once(store: Store) -> None:
    assert store.take_event("Ev1", now=T0) is True
    assert store.take_event("Ev1", now=T0 + timedelta(minutes=1)) is False  # Slack's retry
    assert store.take_event("Ev2", now=T0) is True


def test_a_given_back_event_is_taken_again(store: Store) -> None:
    assert store.take_event("Ev1", now=T0)
    store.give_back_event("Ev1")
    assert store.take_event("Ev1", now=T0) is True


def test_racing_takers_get_exactly_one_win(store: Store) -> None:
    start = threading.Barrier(8)
    wins: list[bool] = []
    lock = threading.Lock()

    def take() -> None:
        start.wait()
        won = store.take_event("EvRace", now=T0)
        with lock:
            wins.append(won)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_events_are_forgotten_a_day_later(store: Store) -> None:
    store.take_event("EvOld", now=T0)
    store.take_event("EvNew", now=T0 + timedelta(hours=23))
    pruned = store.prune_older_than(T0 - timedelta(days=30), T0 + timedelta(days=1, minutes=1))
    assert pruned.slack_events == 1
    assert store.take_event("EvOld", now=T0 + timedelta(days=2)) is True
    assert store.take_event("EvNew", now=T0 + timedelta(days=2)) is False
