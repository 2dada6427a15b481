"""The one retry policy of the bot: exponential backoff with jitter, capped, within a total deadline.

Every place that waits before trying again uses it: Coralogix reads (`coralogix/calls.py`), the poll
after a failed poll (`notify/job.py`), the reminders' read of new incidents after a failed one
(`reminders/discovery.py`), Slack work sent to the outbox (`cards/sender.py`) and retried from it
(`cards/outbox.py`). A leaf: it imports nothing of the bot.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Wait `base * 2**attempt` seconds (at most `cap`) before attempt `attempt + 1`, jittered to between
    half and all of it; give up once `deadline` seconds have passed since the first attempt (None: never).

    A server's own answer (Slack's Retry-After) wins over the computed wait: it is what the server asked.
    """

    base: float
    cap: float
    deadline: float | None = None
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < self.base:
            raise ValueError("backoff needs 0 <= base <= cap")
        if self.deadline is not None and self.deadline < 0:
            raise ValueError("a backoff deadline must not be negative")

    def ceiling(self, attempt: int) -> float:
        """The wait before retry number `attempt + 1` without jitter (attempt 0: the first retry)."""
        return min(self.cap, self.base * 2.0 ** min(max(attempt, 0), 62))

    def delay(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before the next try; `attempt` counts the failures so far, from 0."""
        if retry_after is not None and retry_after >= 0:
            return retry_after
        ceiling = self.ceiling(attempt)
        if not self.jitter:
            return ceiling
        return ceiling * (0.5 + rand() / 2)

    def gives_up(self, elapsed: float, next_delay: float = 0.0) -> bool:
        """Whether a retry `next_delay` seconds from now would start after the total deadline."""
        return self.deadline is not None and elapsed + next_delay > self.deadline


CORALOGIX_READS = Backoff(base=0.2, cap=2.0, deadline=30.0)
"""A Coralogix read that met UNAVAILABLE: fast retries, a few seconds at most in all."""
POLLS = Backoff(base=1.0, cap=300.0)
"""The next poll after failed ones: base is the poll interval (see `PollJob`); polling never gives up."""
REMINDER_DISCOVERY = Backoff(base=1.0, cap=300.0)
"""The reminders' next read of new incidents after Coralogix failed: from a second up to five minutes."""
SLACK_WORK = Backoff(base=2.0, cap=300.0, deadline=24 * 3600.0)
"""Slack work in the outbox: a card or a thread line a day late helps nobody, so it is dropped then."""
