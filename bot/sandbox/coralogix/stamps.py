"""Ids and times of a simulated service: uuid4s from its seeded generator, stamps that never go back."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.sandbox.coralogix.model import as_utc

_MICROSECOND = timedelta(microseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


class IdsAndStamps:
    """New ids and event times of a simulated service (its __init__ sets the generator and the clock)."""

    _id_rng: random.Random
    _clock: Callable[[], datetime]
    _last_stamp: datetime | None

    def _new_id(self) -> str:
        """A uuid4 drawn from the seeded generator, so a seed gives the same ids every run."""
        return str(uuid.UUID(int=self._id_rng.getrandbits(128), version=4))

    def _next_stamp(self, at_least: datetime | None = None) -> datetime:
        """The clock, but strictly after the previous stamp (a microsecond later within one tick)."""
        stamp = as_utc(self._clock())
        if at_least is not None and stamp < at_least:
            stamp = at_least
        if self._last_stamp is not None and stamp <= self._last_stamp:
            stamp = self._last_stamp + _MICROSECOND
        self._last_stamp = stamp
        return stamp
