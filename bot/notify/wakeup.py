"""Poll now, on whichever replica holds the lease: what Coralogix's webhook asks for.

The webhook may reach any replica. It records the request in the database; every replica looks at that
record once a second, and the one that polls runs its poll then (not inside the webhook's request). The
body of the webhook is a hint only: the poll reads Coralogix as it always does, so a forged or replayed
hint costs at most one extra poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.errors import BotError
from bot.store import Store

log = logging.getLogger(__name__)

POLL_REQUEST = "poll-requested"


class PollWakeup:
    def __init__(
        self,
        store: Store,
        *,
        holds_lease: Callable[[], bool],
        poll_now: Callable[[], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._holds_lease = holds_lease
        self._poll_now = poll_now
        self._clock = clock
        self._answered: str | None = None

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
        self._answered = asked
        self._poll_now()
        return True
