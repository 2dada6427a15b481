"""Blocking until SIGTERM or SIGINT, for the long-running commands."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def wait_for_stop_signal() -> int:
    """Returns the number of the signal that arrived."""
    stop = threading.Event()
    received: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return received[0]
