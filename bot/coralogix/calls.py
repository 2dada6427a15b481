"""One Coralogix rpc with the bot's rules, shared by the Incidents and the Cases clients.

Every call carries `authorization: Bearer <key>` (the team key, or the caller's own) and a deadline.
Reads are retried on UNAVAILABLE only, with the bot's one backoff policy (`bot/backoff.py`); writes are
never retried, since a write that reached the server before the connection broke must not be repeated. A
failed call becomes one of the bot's own errors (`bot.coralogix.errors.translate`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message
from pydantic import SecretStr

from bot.backoff import CORALOGIX_READS, Backoff
from bot.coralogix.errors import code_name, translate

logger = logging.getLogger(__name__)

CallObserver = Callable[[str, str, float], None]
"""Told (rpc name, status code name such as "OK" or "UNAVAILABLE", seconds) after every attempt."""

ApiKey = str | SecretStr


def reveal(api_key: ApiKey) -> str:
    """The key's text, stripped; ValueError when empty."""
    key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    key = key.strip()
    if not key:
        raise ValueError("the Coralogix API key is empty")
    return key


class RpcCaller:
    """Auth, deadline, retries, translation and observation around one unary rpc."""

    def __init__(
        self,
        api_key: ApiKey,
        *,
        timeout: float,
        read_retries: int,
        backoff_base: float,
        backoff_max: float,
        observer: CallObserver | None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if read_retries < 0:
            raise ValueError("read_retries must not be negative")
        self.team_key = reveal(api_key)
        self.timeout = timeout
        self.read_retries = read_retries
        # the bot's one retry policy, with this client's base and cap (the deadline counts from the 1st try)
        self._policy = Backoff(base=backoff_base, cap=backoff_max, deadline=CORALOGIX_READS.deadline)
        self._observer = observer

    def call(
        self,
        method: Callable[..., Any],
        rpc: str,
        request: Message,
        *,
        read: bool,
        api_key: ApiKey | None,
        ids: Sequence[str] = (),
    ) -> Any:
        """`method(request)` with auth and deadline; reads retried on UNAVAILABLE; failures translated."""
        key = self.team_key if api_key is None else reveal(api_key)
        metadata = (("authorization", f"Bearer {key}"),)
        retries_left = self.read_retries if read else 0
        attempt = 0
        first = time.monotonic()
        while True:
            started = time.perf_counter()
            try:
                response = method(request, timeout=self.timeout, metadata=metadata)
            except grpc.RpcError as exc:
                code = code_name(exc)
                self._observe(rpc, code, time.perf_counter() - started)
                delay = self._policy.delay(attempt)
                in_time = not self._policy.gives_up(time.monotonic() - first, delay)
                if code == "UNAVAILABLE" and attempt < retries_left and in_time:
                    attempt += 1
                    logger.info(
                        "Coralogix %s unavailable; retry %d of %d in %.2fs", rpc, attempt, retries_left, delay
                    )
                    time.sleep(delay)
                    continue
                raise translate(exc, rpc, ids, secrets=(key,)) from exc
            self._observe(rpc, "OK", time.perf_counter() - started)
            return response

    def _observe(self, rpc: str, code: str, seconds: float) -> None:
        if self._observer is None:
            return
        try:
            self._observer(rpc, code, seconds)
        except Exception:
            logger.exception("the call observer failed for %s", rpc)
