"""The state every simulated service starts with: its lock, seeded generators, clock, keys and call log."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime

from bot.sandbox.coralogix.accounts import ApiKey
from bot.sandbox.coralogix.bookkeeping import KeysAndCalls, RecordedCall
from bot.sandbox.coralogix.stamps import IdsAndStamps, utc_now


class SimulatedAccount(KeysAndCalls, IdsAndStamps):
    """A simulated service's account: what `KeysAndCalls` and `IdsAndStamps` work on, set up once."""

    def __init__(
        self,
        *,
        seed: int,
        ids_seed: str,
        clock: Callable[[], datetime] | None,
        keys: dict[str, ApiKey],
        max_recorded_calls: int,
    ) -> None:
        self.seed = seed
        self._lock = threading.RLock()
        self._rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not secrets
        self._id_rng = random.Random(ids_seed)  # noqa: S311
        self._clock = clock or utc_now
        self._keys = keys
        self._last_stamp: datetime | None = None
        self._max_recorded_calls = max_recorded_calls
        self.calls: list[RecordedCall] = []
