"""Slack message timestamps ("1700000000.000100"): unique, increasing, comparable; and paging cursors."""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable
from decimal import Decimal

_TS_PATTERN = re.compile(r"^\d{1,12}(\.\d{1,6})?$")
_CURSOR_PREFIX = "next_ts:"


class TimestampClock:
    """Hands out message timestamps from a wall clock, never repeating and never going back."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last_micros = 0

    def next_ts(self) -> str:
        """The next ts; callers serialise access (the workspace lock)."""
        micros = max(int(self._clock() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        seconds, fraction = divmod(micros, 1_000_000)
        return f"{seconds}.{fraction:06d}"


def is_valid_ts(value: str) -> bool:
    return bool(_TS_PATTERN.match(value))


def ts_value(value: str) -> Decimal:
    """A ts as a number, so "1700000000.0001" and "1700000000.000100" compare equal."""
    return Decimal(value)


def encode_cursor(ts: str) -> str:
    """An opaque cursor naming the ts the next page starts at, shaped like Slack's."""
    return base64.b64encode(f"{_CURSOR_PREFIX}{ts}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> str | None:
    """The ts inside a cursor, or None when the cursor is not one of ours."""
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not text.startswith(_CURSOR_PREFIX):
        return None
    ts = text[len(_CURSOR_PREFIX) :]
    return ts if is_valid_ts(ts) else None
