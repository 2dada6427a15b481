"""Reminder series and steps: each step claimed once across replicas, snoozes held, stale claims found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Severity, State, Status
from bot.store import Store
from bot.store.reminders import ReminderSeries, ReminderState
from bot.store.rows import MessageKind, Snapshot

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SEC = timedelta(seconds=1)


def _series(channel: str = "C1", ts: str = "100.1", due: datetime | None = T0) -> ReminderSeries:
    return ReminderSeries(channel, ts, "payments", {"inc-1": "Checkout 5xx"}, T0 - 60 * SEC, next_due_at=due)


def test_a_step_is_claimed_by_one_replica_only(store: Store, other_store: Store) -> None:
    assert store.add_reminder_series([_series()], T0) == 1
    assert other_store.add_reminder_series([_series()], T0) == 0  # a series per message, started once
    assert store.claim_reminder("C1", "100.1", 1, "replica-a", T0) is True
    assert other_store.claim_reminder("C1", "100.1", 1, "replica-b", T0) is False
    assert store.claim_reminder("C1", "100.1", 1, "replica-a", T0) is False  # not even twice by the winner
    assert other_store.claim_reminder("C1", "100.1", 2, "replica-b", T0) is True  # the next step is another


def test_recording_a_step_moves_the_series_on(store: Store) -> None:
    store.add_reminder_series([_series()], T0)
    store.claim_reminder("C1", "100.1", 1, "replica-a", T0)
    store.record_reminder("C1", "100.1", 1, "200.2", now=T0 + SEC, next_due_at=T0 + 30 * SEC)
    series = store.reminder_series("C1", "100.1")
    assert series is not None
    assert (series.steps_sent, series.last_sent_at, series.next_due_at) == (1, T0 + SEC, T0 + 30 * SEC)
    assert store.reminder_steps("C1", "100.1") == {1: ReminderState.POSTED}
    assert store.due_reminders(T0 + 29 * SEC) == []
    assert [s.thread_ts for s in store.due_reminders(T0 + 30 * SEC)] == ["100.1"]


def test_a_snooze_holds_the_next_step_and_says_who(store: Store) -> None:
    store.add_reminder_series([_series(due=T0)], T0)
    snoozed = store.snooze_reminders("C1", "100.1", T0 + 1800 * SEC, "U0ALICE", T0)
    assert snoozed is not None
    assert (snoozed.next_due_at, snoozed.snoozed_by, snoozed.snoozed_at) == (T0 + 1800 * SEC, "U0ALICE", T0)
    assert store.due_reminders(T0 + 1799 * SEC) == []
    # a step recorded while the snooze was being clicked does not undo it
    store.claim_reminder("C1", "100.1", 1, "replica-a", T0)
    store.record_reminder("C1", "100.1", 1, "200.2", now=T0 + SEC, next_due_at=T0 + 10 * SEC)
    series = store.reminder_series("C1", "100.1")
    assert series is not None and series.next_due_at == T0 + 1800 * SEC


def test_a_finished_series_cannot_be_snoozed_nor_is_due(store: Store) -> None:
    store.add_reminder_series([_series(due=T0)], T0)
    store.finish_reminders("C1", "100.1", T0)
    assert store.due_reminders(T0 + 3600 * SEC) == []
    assert store.snooze_reminders("C1", "100.1", T0 + 1800 * SEC, "U0ALICE", T0) is None
    assert store.snooze_reminders("C1", "nope", T0 + 1800 * SEC, "U0ALICE", T0) is None


def test_a_series_is_ended_by_one_caller_and_lists_as_running_only_once_reminded(
    store: Store, other_store: Store
) -> None:
    store.add_reminder_series([_series(ts="100.1"), _series(ts="100.2")], T0)
    assert store.reminded_and_running() == []  # nothing posted yet: no Snooze button shows anywhere
    store.claim_reminder("C1", "100.1", 1, "replica-a", T0)
    store.record_reminder("C1", "100.1", 1, "200.2", now=T0 + SEC, next_due_at=T0 + 30 * SEC)
    assert [s.thread_ts for s in other_store.reminded_and_running()] == ["100.1"]
    assert store.finish_reminders("C1", "100.1", T0 + 2 * SEC) is True
    assert other_store.finish_reminders("C1", "100.1", T0 + 2 * SEC) is False  # ended already: not twice
    assert store.reminded_and_running() == []


def test_stale_claims_are_taken_over_once(store: Store, other_store: Store) -> None:
    store.add_reminder_series([_series()], T0)
    store.claim_reminder("C1", "100.1", 1, "replica-a", T0)
    assert store.stale_reminder_claims(T0) == []
    [claim] = store.stale_reminder_claims(T0 + 60 * SEC)
    assert (claim.step, claim.claimed_by) == (1, "replica-a")
    cutoff = T0 + 60 * SEC
    assert other_store.reclaim_reminder(claim, "replica-b", cutoff, T0 + 61 * SEC) is True
    assert store.reclaim_reminder(claim, "replica-c", cutoff, T0 + 61 * SEC) is False
    assert other_store.release_reminder("C1", "100.1", 1) is True
    assert store.claim_reminder("C1", "100.1", 1, "replica-a", T0 + 62 * SEC) is True  # free to post again


def test_only_waiting_incidents_posted_messages_without_a_series_are_unreminded(store: Store) -> None:
    for incident_id, status, assignee in (
        ("inc-waiting", Status.TRIGGERED, None),
        ("inc-acked", Status.ACKNOWLEDGED, None),
        ("inc-assigned", Status.TRIGGERED, "bob@example.com"),
    ):
        store.upsert_snapshot(
            Snapshot(incident_id, status, State.TRIGGERED, Severity.ERROR, assignee=assignee)
        )
        store.record_posted(incident_id, "C1", f"ts-{incident_id}", None, None, T0)
    store.record_posted("inc-waiting", "C9", "ts-elsewhere", None, None, T0)
    store.upsert_snapshot(Snapshot("inc-d1", Status.TRIGGERED, State.TRIGGERED, Severity.ERROR))
    store.record_posted("inc-d1", "C1", "ts-digest", None, None, T0, kind=MessageKind.DIGEST)
    found = {(m.incident_id, m.ts, m.kind) for m in store.unreminded_messages(["C1"])}
    assert found == {
        ("inc-waiting", "ts-inc-waiting", MessageKind.CARD),
        ("inc-d1", "ts-digest", MessageKind.DIGEST),
    }
    store.add_reminder_series([_series("C1", "ts-inc-waiting")], T0)
    assert {m.incident_id for m in store.unreminded_messages(["C1"])} == {"inc-d1"}


def test_series_of_pruned_messages_are_forgotten(store: Store) -> None:
    store.record_posted("inc-1", "C1", "100.1", None, None, T0)
    store.add_reminder_series([_series("C1", "100.1"), _series("C1", "gone.1")], T0)
    store.claim_reminder("C1", "gone.1", 1, "replica-a", T0)
    assert store.prune_reminders() == 1
    assert store.reminder_series("C1", "gone.1") is None
    assert store.reminder_steps("C1", "gone.1") == {}
    assert store.reminder_series("C1", "100.1") is not None
