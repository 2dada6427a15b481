"""The runtime's clocks and the replica's name."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def clock_from(start: datetime | None) -> Callable[[], datetime]:
    """The real clock, or one that starts at `start` and runs at normal speed (BOT_CLOCK_START)."""
    if start is None:
        return utcnow
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def new_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
