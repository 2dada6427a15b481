"""Poll now, on whichever replica holds the lease: what Coralogix's webhook asks for.

The webhook may reach any replica. It records the request in the database; every replica looks at that
record every `CHECK_EVERY_SECONDS`, and the one that polls runs its poll then (not inside the webhook's
request). The body of the webhook is a hint only: the poll reads Coralogix as it always does, so a forged
or replayed hint costs at most one extra poll.

A flood coalesces: requests that arrive while a poll runs are answered by one poll after it, and
webhook-asked polls start at least `MIN_GAP_SECONDS` apart, so 1,000 webhooks in 10 s make at most 17
polls, while a lone webhook is served within about `CHECK_EVERY_SECONDS` plus one poll.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from bot.errors import BotError
from bot.store import Store

log = logging.getLogger(__name__)

POLL_REQUEST = "poll-requested"
CHECK_EVERY_SECONDS = 0.2
MIN_GAP_SECONDS = 0.6


class PollWakeup:
    def __init__(
        self,
        store: Store,
        *,
        holds_lease: Callable[[], bool],
        poll_now: Callable[[], None],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        min_gap: float = MIN_GAP_SECONDS,
    ) -> None:
        self._store = store
        self._holds_lease = holds_lease
        self._poll_now = poll_now
        self._clock = clock
        self._monotonic = monotonic
        self._min_gap = min_gap
        self._answered: str | None = None
        self._last_poll: float | None = None

    def request(self) -> None:
        """Ask for a poll (from the webhook); the replica that polls runs it within a second."""
        self._store.set_cursor(POLL_REQUEST, self._clock().isoformat())

    def check(self) -> bool:
        """Run a requested poll if this replica polls and the request is new; True when it did."""
        if not self._holds_lease():
            return False
        try:
            asked = self._store.get_cursor(POLL_REQUEST)
        except BotError as exc:
            log.warning("could not read poll requests: %s", exc)
            return False
        if asked is None or asked == self._answered:
            return False
        now = self._monotonic()
        if self._last_poll is not None and now - self._last_poll < self._min_gap:
            return False  # a later check takes it: the request stays recorded
        self._answered = asked
        self._last_poll = now
        self._poll_now()
        return True
