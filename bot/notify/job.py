"""The scheduled poll: one replica at a time (a database lease), backing off while Coralogix is down."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.backoff import POLLS
from bot.errors import CoralogixError
from bot.health import Readiness
from bot.metrics import Metrics
from bot.notify.poller import Poller, PollResult
from bot.store import Store

log = logging.getLogger(__name__)

LEASE = "poller"


def lease_ttl(interval: float) -> float:
    """How long the poller lease lasts unless renewed: three poll intervals, at least three seconds."""
    return max(3 * interval, 3.0)


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
        before_poll: Callable[[timedelta], object] | None = None,
        probe: Callable[[], object] | None = None,
    ) -> None:
        self._poller = poller
        self._store = store
        self._readiness = readiness
        self._metrics = metrics
        self._replica = replica_id
        self._interval = interval
        self._clock = clock
        self._before_poll = before_poll
        self._probe = probe
        self.lease_ttl = lease_ttl(interval)
        # the one retry policy, starting at one interval: the first retry is the next scheduled poll
        self._backoff = replace(POLLS, base=interval, cap=max(POLLS.cap, interval))
        self._failures = 0
        self._resume_at = 0.0
        self._held = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._keep_lease, name="lease-heartbeat", daemon=True)
        self.last_result: PollResult | None = None

    @property
    def holds_lease(self) -> bool:
        return self._held

    def start_heartbeat(self) -> None:
        """Renew the lease every third of its life, so a poll slowed by Slack pacing never loses it."""
        self._heartbeat.start()

    def _keep_lease(self) -> None:
        while not self._stop.wait(self.lease_ttl / 3):
            if not self._held:
                continue
            try:
                still = self._store.acquire_lease(LEASE, self._replica, self.lease_ttl, self._clock())
            except Exception as exc:  # the database is down: the next poll will find out
                log.warning("could not renew the poller lease: %s", exc)
                continue
            if not still:
                self._held = False
                log.warning("replica %s lost the poller lease", self._replica)

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
        holder = self._store.acquire_lease(LEASE, self._replica, self.lease_ttl, self._clock())
        self._metrics.lease_held.labels(replica=self._replica).set(1 if holder else 0)
        if not holder:
            self._held = False
            self._check_coralogix()
            return
        if not self._held:
            self._held = True
            log.info("replica %s now polls", self._replica)
        started = time.perf_counter()
        try:
            if self._before_poll is not None:
                self._before_poll(timedelta(seconds=self.lease_ttl))
            result = self._poller.poll_once()
        except CoralogixError as exc:
            self._failures += 1
            backoff = max(self._interval, self._backoff.delay(self._failures - 1))
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

    def _check_coralogix(self) -> None:
        """A replica that does not poll still tells /readyz whether Coralogix answers (one cheap call)."""
        if self._probe is None or self._readiness.coralogix_fresh():
            return
        try:
            self._probe()
        except CoralogixError as exc:
            self._readiness.coralogix_failed(str(exc))
        else:
            self._readiness.coralogix_ok()

    def release(self) -> None:
        """On shutdown: let another replica take over at once."""
        self._stop.set()
        with self._lock:
            if self._held:
                self._store.release_lease(LEASE, self._replica)
                self._held = False
