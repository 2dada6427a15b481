"""Trouble on demand for the Slack sandbox: rate limits, 5xx, Slack error codes, slowness, channel pacing."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.slack.models import JsonObject

ANY_METHOD = "*"
PACED_METHOD = "chat.postMessage"


@dataclass(frozen=True)
class FaultResponse:
    """What the server answers instead of running the method."""

    status: int
    body: JsonObject
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        error = self.body.get("error")
        return str(error) if error is not None else None


@dataclass(frozen=True)
class FaultOutcome:
    """The delay to sleep first, then either a canned response or None to run the method."""

    delay: float = 0.0
    response: FaultResponse | None = None


@dataclass
class _Rule:
    method: str
    response: FaultResponse
    calls_left: int | None
    until: float | None

    def matches(self, method: str) -> bool:
        return self.method in {method, ANY_METHOD}

    def expired(self, now: float) -> bool:
        return (self.calls_left is not None and self.calls_left <= 0) or (
            self.until is not None and now >= self.until
        )


@dataclass
class _Bucket:
    tokens: float
    refilled_at: float


class SlackFaults:
    """Rules consulted before every Web API call; a method of "*" matches every method."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._slow: dict[str | None, float] = {}
        self._pacing: tuple[float, int] | None = None
        self._buckets: dict[str, _Bucket] = {}

    def rate_limit(
        self, method: str, *, calls: int | None = None, seconds: float | None = None, retry_after: int = 1
    ) -> None:
        """Answer HTTP 429 + Retry-After for the next `calls` calls and/or `seconds` (one call if neither)."""
        if calls is None and seconds is None:
            calls = 1
        response = FaultResponse(
            status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": str(retry_after)}
        )
        self._add(method, response, calls=calls, seconds=seconds)

    def fail(self, method: str, *, status: int = 500, calls: int = 1) -> None:
        """Answer an HTTP server error for the next `calls` calls."""
        self._add(
            method, FaultResponse(status=status, body={"ok": False, "error": "fatal_error"}), calls=calls
        )

    def error(self, method: str, error: str, *, calls: int = 1) -> None:
        """Answer HTTP 200 `{"ok": false, "error": error}` for the next `calls` calls."""
        self._add(method, FaultResponse(status=200, body={"ok": False, "error": error}), calls=calls)

    def slow(self, seconds: float, method: str | None = None) -> None:
        """Delay every call (or every call to `method`) by `seconds` until cleared."""
        with self._lock:
            self._slow[method] = seconds

    def enforce_channel_pacing(self, per_second: float = 1.0, burst: int = 3) -> None:
        """Make chat.postMessage answer 429 when a channel gets more than Slack's posting pace."""
        with self._lock:
            self._pacing = (per_second, burst)
            self._buckets.clear()

    def clear(self) -> None:
        """Back to a healthy Slack: no rules, no slowness, no pacing."""
        with self._lock:
            self._rules.clear()
            self._slow.clear()
            self._pacing = None
            self._buckets.clear()

    def decide(self, method: str, channel: str | None = None) -> FaultOutcome:
        """Consume the first active rule for this call; the caller sleeps `delay` outside any lock."""
        with self._lock:
            now = self._clock()
            self._rules = [rule for rule in self._rules if not rule.expired(now)]
            delay = self._slow.get(method, self._slow.get(None, 0.0))
            for rule in self._rules:
                if rule.matches(method):
                    if rule.calls_left is not None:
                        rule.calls_left -= 1
                    return FaultOutcome(delay=delay, response=rule.response)
            if method == PACED_METHOD and channel and self._pacing is not None:
                return FaultOutcome(delay=delay, response=self._pace(channel, now, *self._pacing))
            return FaultOutcome(delay=delay)

    def _pace(self, channel: str, now: float, per_second: float, burst: int) -> FaultResponse | None:
        bucket = self._buckets.setdefault(channel, _Bucket(tokens=float(burst), refilled_at=now))
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.refilled_at) * per_second)
        bucket.refilled_at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        wait = max(1, math.ceil((1.0 - bucket.tokens) / per_second))
        return FaultResponse(
            status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": str(wait)}
        )

    def _add(
        self, method: str, response: FaultResponse, *, calls: int | None, seconds: float | None = None
    ) -> None:
        with self._lock:
            until = self._clock() + seconds if seconds is not None else None
            self._rules.append(_Rule(method=method, response=response, calls_left=calls, until=until))
