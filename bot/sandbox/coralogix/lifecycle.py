"""What people and the alert may already have done to a generated incident or case, by a seeded roll."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

SIMULATED_USERS = ("alice@example.com", "bob@example.com")


class Workable(Protocol):
    """The control API both simulators offer for one incident (or case), by its id."""

    def acknowledge(self, record_id: str, by: str, /) -> object: ...

    def assign(self, record_id: str, to: str, by: str, /) -> object: ...

    def resolve(self, record_id: str, by: str, /) -> object: ...

    def close(self, record_id: str, by: str, /) -> object: ...

    def auto_resolve(self, record_id: str, /) -> object: ...


def work_on(
    sim: Workable, record_id: str, rng: random.Random, otherwise: Callable[[str, str], object]
) -> None:
    """Leave it, acknowledge, assign, resolve, let it clear or close it; `otherwise(id, person)` the rest.

    The same seed gives the same history on either simulator (one roll, one pick of two people).
    """
    roll = rng.random()
    person, other = rng.sample(SIMULATED_USERS, 2)
    if roll < 0.45:
        return
    if roll < 0.60:
        sim.acknowledge(record_id, person)
    elif roll < 0.72:
        sim.assign(record_id, other, person)
        if rng.random() < 0.5:
            sim.acknowledge(record_id, other)
    elif roll < 0.82:
        sim.acknowledge(record_id, person)
        sim.resolve(record_id, person)
    elif roll < 0.88:
        sim.auto_resolve(record_id)
    elif roll < 0.94:
        sim.acknowledge(record_id, person)
        sim.close(record_id, person)
    else:
        otherwise(record_id, person)
