"""Readiness: has the database answered, has Coralogix answered recently, and (in Socket Mode) is the
connection to Slack up?"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

SOCKET_MODE_GRACE_SECONDS = 5.0
"""A Socket Mode connection down this long makes the bot unready (a refresh or a blip is shorter)."""


class Readiness:
    """Tracks the last success and failure of each dependency; `/readyz` reads it."""

    def __init__(
        self,
        *,
        coralogix_window: float,
        socket_mode_grace: float = SOCKET_MODE_GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = coralogix_window
        self._grace = socket_mode_grace
        self._clock = clock
        self._lock = threading.Lock()
        self._coralogix_ok_at: float | None = None
        self._coralogix_error: str | None = "no call to Coralogix has succeeded yet"
        self._socket_mode = False
        self._link_down_since: float | None = None
        self._link_reason = ""

    def expect_socket_mode(self) -> None:
        """From now on the Socket Mode connection counts; it is down until it first connects."""
        with self._lock:
            self._socket_mode = True
            self._link_down_since = self._clock()
            self._link_reason = "not connected yet"

    def socket_mode_up(self) -> None:
        with self._lock:
            self._link_down_since = None
            self._link_reason = ""

    def socket_mode_down(self, reason: str) -> None:
        with self._lock:
            if self._link_down_since is None:
                self._link_down_since = self._clock()
            self._link_reason = reason

    def coralogix_ok(self) -> None:
        with self._lock:
            self._coralogix_ok_at = self._clock()
            self._coralogix_error = None

    def coralogix_failed(self, reason: str) -> None:
        with self._lock:
            self._coralogix_error = reason

    def coralogix_fresh(self) -> bool:
        with self._lock:
            at = self._coralogix_ok_at
        return at is not None and self._clock() - at <= self._window

    def problems(self, database_ping: Callable[[], None]) -> list[str]:
        """Why the bot is not ready; empty when it is."""
        problems: list[str] = []
        try:
            database_ping()
        except Exception as exc:  # any driver error means "not ready"
            problems.append(f"database: {type(exc).__name__}: {exc}")
        with self._lock:
            at, error = self._coralogix_ok_at, self._coralogix_error
        now = self._clock()
        if error is not None:
            problems.append(f"coralogix: {error}")
        elif at is None or now - at > self._window:
            problems.append(f"coralogix: no successful call in the last {self._window:.0f} s")
        link = self._link_problem(now)
        if link is not None:
            problems.append(link)
        return problems

    def _link_problem(self, now: float) -> str | None:
        with self._lock:
            enabled, since, reason = self._socket_mode, self._link_down_since, self._link_reason
        if not enabled or since is None or now - since <= self._grace:
            return None
        return f"slack: the Socket Mode connection is down for {now - since:.0f} s ({reason}); reconnecting"
