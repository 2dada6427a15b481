"""A per-person pace for slash commands and clicks, so no one person can make the bot call in bulk.

A token bucket per Slack user, kept in memory for the users seen lately (bounded): each replica paces
what it is sent, which is enough to keep one person from crowding out the poller's reads or others.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

BURST = 20
PER_MINUTE = 30
MAX_TRACKED_USERS = 10_000


class PerUserPace:
    def __init__(
        self,
        *,
        burst: int = BURST,
        per_minute: int = PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = MAX_TRACKED_USERS,
    ) -> None:
        self._burst = float(burst)
        self._per_second = per_minute / 60.0
        self._clock = clock
        self._max_users = max_users
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, user: str) -> float:
        """0 when `user` may go on now (a token is spent); else the seconds until they may."""
        now = self._clock()
        with self._lock:
            tokens, seen = self._buckets.pop(user, (self._burst, now))
            tokens = min(self._burst, tokens + (now - seen) * self._per_second)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self._per_second
            self._buckets[user] = (tokens, now)
            while len(self._buckets) > self._max_users:
                self._buckets.popitem(last=False)
            return wait

    def refusal(self, user: str) -> str | None:
        """The sentence for someone going too fast, or None (and a token spent) when they may go on."""
        wait = self.take(user)
        if wait <= 0:
            return None
        return (
            f"You are going faster than the bot allows ({PER_MINUTE} commands or clicks a minute); "
            f"nothing was done. Try again in {math.ceil(wait)} s."
        )
