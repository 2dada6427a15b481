"""Where the Socket Mode connection's ups and downs go: readiness (`/readyz`) and metrics."""

from __future__ import annotations

import threading

from bot.health import Readiness
from bot.metrics import Metrics


class LinkState:
    """A `LinkObserver` (bot/slack/socket_mode.py) that feeds readiness and the Socket Mode metrics."""

    def __init__(self, readiness: Readiness, metrics: Metrics) -> None:
        self._readiness = readiness
        self._metrics = metrics
        self._lock = threading.Lock()
        self._opened = 0
        self._up = False
        readiness.expect_socket_mode()
        metrics.socket_mode_connected.set(0)

    def connected(self) -> None:
        with self._lock:
            self._opened += 1
            self._up = True
            reconnect = self._opened > 1
        if reconnect:
            self._metrics.socket_mode_reconnects.inc()
        self._metrics.socket_mode_connected.set(1)
        self._readiness.socket_mode_up()

    def disconnected(self, reason: str) -> None:
        """A drop, or one more failed try while down (the reason is updated, the drop counted once)."""
        with self._lock:
            was_up, self._up = self._up, False
        if was_up:
            self._metrics.socket_mode_disconnects.inc()
        self._metrics.socket_mode_connected.set(0)
        self._readiness.socket_mode_down(reason)
