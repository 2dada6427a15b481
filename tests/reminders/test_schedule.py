"""The reminder schedule: step 1 `after` creation, then `every` after the last one sent, `times` in all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.reminders.schedule import Cadence, next_due
from bot.routing_file import Reminder

CREATED = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _cadence(**remind: object) -> Cadence:
    return Cadence.of(Reminder.model_validate(remind))


def test_the_first_step_is_due_after_creation() -> None:
    cadence = _cadence(after="10m", every="30m", times=3)
    assert next_due(cadence, CREATED, 0) == CREATED + 10 * MIN


def test_later_steps_follow_the_last_one_sent_not_the_clock_of_creation() -> None:
    cadence = _cadence(after="10m", every="30m", times=3)
    sent_late = CREATED + 17 * MIN  # Slack's pace held the first one back
    assert next_due(cadence, CREATED, 1, sent_late) == sent_late + 30 * MIN
    assert next_due(cadence, CREATED, 2, sent_late + 30 * MIN) == sent_late + 60 * MIN


def test_no_step_after_times() -> None:
    cadence = _cadence(after="10m", every="30m", times=3)
    assert next_due(cadence, CREATED, 3, CREATED + 70 * MIN) is None
    assert next_due(_cadence(after="10m"), CREATED, 1, CREATED + 10 * MIN) is None  # times defaults to 1


def test_without_every_the_steps_repeat_after() -> None:
    cadence = _cadence(after="10m", times=2)
    assert next_due(cadence, CREATED, 1, CREATED + 10 * MIN) == CREATED + 20 * MIN


@pytest.mark.parametrize("steps_sent", [0, 1])
def test_a_snooze_holds_the_next_step_until_it_ends(steps_sent: int) -> None:
    cadence = _cadence(after="10m", every="30m", times=3)
    last = CREATED + 10 * MIN if steps_sent else None
    due = next_due(cadence, CREATED, steps_sent, last)
    assert due is not None
    later = due + 5 * MIN
    assert next_due(cadence, CREATED, steps_sent, last, snoozed_until=later) == later
    # a snooze that ended before the step was due changes nothing
    assert next_due(cadence, CREATED, steps_sent, last, snoozed_until=due - MIN) == due


def test_durations_in_seconds_for_short_test_schedules() -> None:
    cadence = _cadence(after="2s", every="3s", times=2)
    assert next_due(cadence, CREATED, 0) == CREATED + timedelta(seconds=2)
