"""What both simulated services keep besides their records: the keys they accept, the calls they got."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import ClassVar

from google.protobuf.message import Message

from bot.sandbox.coralogix.accounts import ApiKey, make_key


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One rpc the service received, whatever its outcome (`code` is "OK" or the gRPC status name)."""

    rpc: str
    api_key: str | None
    user_id: str | None
    request: Message
    code: str
    details: str = ""


class KeysAndCalls:
    """Keys and recorded calls of a simulated service, under the service's lock (set up by its __init__)."""

    known_permissions: ClassVar[frozenset[str]]
    """The permissions a key of this service can have; a key added with None gets them all."""

    _lock: threading.RLock
    _keys: dict[str, ApiKey]
    _max_recorded_calls: int
    calls: list[RecordedCall]

    def add_api_key(
        self, key: str, user_id: str, permissions: Collection[str] | None = None, *, personal: bool = True
    ) -> None:
        """Register (or replace) a key; permissions None means all of `known_permissions`; `personal`
        False makes it a team key."""
        api_key = make_key(user_id, permissions, known=self.known_permissions, personal=personal)
        with self._lock:
            self._keys[key] = api_key

    def api_key(self, key: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key)

    def api_keys(self) -> dict[str, ApiKey]:
        with self._lock:
            return dict(self._keys)

    def record_call(self, call: RecordedCall) -> None:
        """Keep `call`; past `_max_recorded_calls` the older half is dropped."""
        with self._lock:
            self.calls.append(call)
            if len(self.calls) > self._max_recorded_calls:
                del self.calls[: len(self.calls) - self._max_recorded_calls // 2]

    def calls_to(self, rpc: str) -> list[RecordedCall]:
        with self._lock:
            return [call for call in self.calls if call.rpc == rpc]
