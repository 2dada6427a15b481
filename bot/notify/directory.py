"""Coralogix user -> Slack user, for mentions on cards and in threads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from bot.errors import SlackError

log = logging.getLogger(__name__)

LookupByEmail = Callable[[str], str | None]


class SlackUserDirectory:
    """Explicit `users:` mappings first, then Slack's users.lookupByEmail, cached in memory for `ttl`.

    The cache is only an optimisation: any replica can rebuild it, so it holds no state a request needs.
    """

    def __init__(
        self,
        explicit: Mapping[str, str],
        lookup_by_email: LookupByEmail | None,
        *,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._explicit = {coralogix.lower(): slack for slack, coralogix in explicit.items()}
        self._lookup = lookup_by_email
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def slack_user_of(self, coralogix_user: str) -> str | None:
        key = coralogix_user.lower()
        if key in self._explicit:
            return self._explicit[key]
        if self._lookup is None or "@" not in key:
            return None
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        try:
            found = self._lookup(coralogix_user)
        except SlackError as exc:
            log.warning("could not look up a Slack user by e-mail: %s", exc)
            return cached[0] if cached else None
        with self._lock:
            self._cache[key] = (found, now)
        return found
