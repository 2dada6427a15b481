"""When a reminder step is due: pure arithmetic over a route's `remind` and what was sent so far.

Step 1 is due `after` the incident's creation; each later step `every` after the previous one was sent
(`after` again when `every` is not set), up to `times` steps. A snooze holds the next step until it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.routing_file import Reminder


@dataclass(frozen=True, slots=True)
class Cadence:
    after: timedelta
    every: timedelta
    times: int

    @classmethod
    def of(cls, remind: Reminder) -> Cadence:
        every = remind.every if remind.every is not None else remind.after
        return cls(timedelta(seconds=remind.after), timedelta(seconds=every), remind.times)


def next_due(
    cadence: Cadence,
    created_at: datetime,
    steps_sent: int,
    last_sent_at: datetime | None = None,
    snoozed_until: datetime | None = None,
) -> datetime | None:
    """When step `steps_sent + 1` is due, or None when every step has been sent."""
    if steps_sent >= cadence.times:
        return None
    if steps_sent == 0 or last_sent_at is None:
        due = created_at + cadence.after + cadence.every * steps_sent
    else:
        due = last_sent_at + cadence.every
    if snoozed_until is not None and snoozed_until > due:
        return snoozed_until
    return due
