"""Failures and slowness to inject into the simulated service, checked before every rpc is handled."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc


@dataclass(slots=True)
class _FailRule:
    code: grpc.StatusCode
    remaining: int
    rpc: str | None
    skip: int = 0


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do with one call: wait `delay` seconds, then fail with `code` (None: handle it)."""

    delay: float = 0.0
    code: grpc.StatusCode | None = None
    details: str = ""
    late_answer: float = 0.0
    """Seconds to wait after handling the call before answering (the change is already made)."""


class FaultInjector:
    """Thread-safe set of fault rules; `decide(rpc)` consumes them one call at a time."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._unavailable_calls = 0
        self._unavailable_until = 0.0
        self._fail_rules: list[_FailRule] = []
        self._delays: dict[str | None, float] = {}
        self._late_answers: dict[str | None, float] = {}

    def unavailable_for_calls(self, n: int) -> None:
        """The next `n` calls (of any rpc) answer UNAVAILABLE."""
        with self._lock:
            self._unavailable_calls = max(0, n)

    def unavailable_for_seconds(self, seconds: float) -> None:
        """Every call answers UNAVAILABLE for the next `seconds` (wall time, not the simulator clock)."""
        with self._lock:
            self._unavailable_until = self._monotonic() + seconds

    def fail_next(self, code: grpc.StatusCode, n: int = 1, rpc: str | None = None, *, skip: int = 0) -> None:
        """The next `n` calls (of `rpc`, or of any rpc) fail with `code`, after `skip` that succeed."""
        if code == grpc.StatusCode.OK:
            raise ValueError("fail_next needs an error code, not OK")
        if n <= 0:
            return
        with self._lock:
            self._fail_rules.append(_FailRule(code=code, remaining=n, rpc=rpc, skip=skip))

    def slow(self, seconds: float, rpc: str | None = None) -> None:
        """Every answer (of `rpc`, or of every rpc) waits `seconds` first; 0 removes the delay."""
        with self._lock:
            if seconds > 0:
                self._delays[rpc] = seconds
            else:
                self._delays.pop(rpc, None)

    def answer_late(self, seconds: float, rpc: str | None = None) -> None:
        """Calls (of `rpc`, or of every rpc) are carried out at once but answered `seconds` later."""
        with self._lock:
            if seconds > 0:
                self._late_answers[rpc] = seconds
            else:
                self._late_answers.pop(rpc, None)

    def clear(self) -> None:
        with self._lock:
            self._late_answers.clear()
            self._unavailable_calls = 0
            self._unavailable_until = 0.0
            self._fail_rules.clear()
            self._delays.clear()

    def decide(self, rpc: str) -> FaultDecision:
        """Consume the rules that apply to this call of `rpc` and say what to do with it."""
        with self._lock:
            delay = self._delays.get(rpc, self._delays.get(None, 0.0))
            late = self._late_answers.get(rpc, self._late_answers.get(None, 0.0))
            if self._unavailable_calls > 0:
                self._unavailable_calls -= 1
                return FaultDecision(delay, grpc.StatusCode.UNAVAILABLE, "simulated outage")
            if self._monotonic() < self._unavailable_until:
                return FaultDecision(delay, grpc.StatusCode.UNAVAILABLE, "simulated outage")
            for rule in self._fail_rules:
                if rule.rpc is None or rule.rpc == rpc:
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._fail_rules.remove(rule)
                    return FaultDecision(delay, rule.code, f"simulated {rule.code.name} fault")
            return FaultDecision(delay, late_answer=late)
