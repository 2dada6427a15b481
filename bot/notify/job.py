"""The scheduled poll: one replica at a time (a database lease), backing off while Coralogix is down."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from bot.errors import CoralogixError
from bot.health import Readiness
from bot.metrics import Metrics
from bot.notify.poller import Poller, PollResult
from bot.store import Store

log = logging.getLogger(__name__)

LEASE = "poller"
MAX_BACKOFF_SECONDS = 300.0


class PollJob:
    def __init__(
        self,
        *,
        poller: Poller,
        store: Store,
        readiness: Readiness,
        metrics: Metrics,
        replica_id: str,
        interval: float,
        clock: Callable[[], datetime],
        on_first_lease: Callable[[], object] | None = None,
    ) -> None:
        self._poller = poller
        self._store = store
        self._readiness = readiness
        self._metrics = metrics
        self._replica = replica_id
        self._interval = interval
        self._clock = clock
        self._on_first_lease = on_first_lease
        self._lease_ttl = max(3 * interval, 10.0)
        self._failures = 0
        self._resume_at = 0.0
        self._held = False
        self._lock = threading.Lock()
        self.last_result: PollResult | None = None

    def __call__(self) -> None:
        """Never raises: APScheduler would only log it, and the next run must happen anyway."""
        with self._lock:
            try:
                self._run()
            except Exception:
                self._metrics.poll_errors.labels(reason="bug").inc()
                log.exception("poll failed unexpectedly")

    def _run(self) -> None:
        if time.monotonic() < self._resume_at:
            return
        holder = self._store.acquire_lease(LEASE, self._replica, self._lease_ttl, self._clock())
        self._metrics.lease_held.labels(replica=self._replica).set(1 if holder else 0)
        if not holder:
            self._held = False
            return
        if not self._held:
            self._held = True
            log.info("replica %s now polls", self._replica)
            if self._on_first_lease is not None:
                self._on_first_lease()
        started = time.perf_counter()
        try:
            result = self._poller.poll_once()
        except CoralogixError as exc:
            self._failures += 1
            backoff = min(MAX_BACKOFF_SECONDS, self._interval * 2 ** min(self._failures - 1, 8))
            self._resume_at = time.monotonic() + backoff - self._interval
            self._readiness.coralogix_failed(str(exc))
            self._metrics.poll_errors.labels(reason=exc.code or "coralogix").inc()
            log.warning("poll failed (%s); next try in %.0f s", exc, backoff)
            return
        self._failures = 0
        self._resume_at = 0.0
        self._readiness.coralogix_ok()
        self._metrics.poll_seconds.observe(time.perf_counter() - started)
        self.last_result = result
        if result.stats.posted or result.stats.updated or result.stats.deferred:
            log.info(
                "poll: %d changed, %d posted, %d updated, %d deferred, %d unrouted",
                result.changed,
                result.stats.posted,
                result.stats.updated,
                result.stats.deferred,
                result.stats.unrouted,
            )

    def release(self) -> None:
        """On shutdown: let another replica take over at once."""
        with self._lock:
            if self._held:
                self._store.release_lease(LEASE, self._replica)
                self._held = False
