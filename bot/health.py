"""Readiness: has the database answered, and has Coralogix answered recently?"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Readiness:
    """Tracks the last success and failure of each dependency; `/readyz` reads it."""

    def __init__(self, *, coralogix_window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = coralogix_window
        self._clock = clock
        self._lock = threading.Lock()
        self._coralogix_ok_at: float | None = None
        self._coralogix_error: str | None = "no call to Coralogix has succeeded yet"

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
        return problems
