"""Blocking until SIGTERM or SIGINT, for the long-running commands."""

from __future__ import annotations

import signal
import threading
from types import FrameType


class StopSignals:
    """SIGTERM/SIGINT handlers installed at once, so a signal during start-up is not lost or fatal."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._received: list[int] = []
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self._received.append(signum)
        self._stop.set()

    @property
    def received(self) -> bool:
        return self._stop.is_set()

    def wait(self) -> int:
        """Block until a signal arrives (or has arrived); returns its number and restores the handlers."""
        try:
            while not self._stop.wait(0.5):
                pass
        finally:
            self.restore()
        return self._received[0]

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def wait_for_stop_signal() -> int:
    """Returns the number of the signal that arrived."""
    return StopSignals().wait()
