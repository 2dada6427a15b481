"""Running Slack writes in lanes: each lane in order, lanes side by side (one per channel, usually)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

MAX_PARALLEL = 8

T = TypeVar("T")


def run_lanes(lanes: Mapping[str, Sequence[Callable[[], T]]]) -> list[T]:
    """Runs every lane's tasks in order, up to MAX_PARALLEL lanes at once; returns all the results."""
    if not lanes:
        return []

    def run(tasks: Sequence[Callable[[], T]]) -> list[T]:
        return [task() for task in tasks]

    if len(lanes) == 1:
        return run(next(iter(lanes.values())))
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(lanes))) as pool:
        return [result for results in pool.map(run, lanes.values()) for result in results]
