"""The benches' stand-ins (the simulated Coralogix service, the Slack sandbox), each in a process of its own.

A stand-in is a function `serve(port, orders, stop, *args)` run in a spawned process: it listens on
`port`, says it is ready with a first message on `orders` (a pipe), answers orders on it and returns once
`stop` is set. `stand_in` runs one for the length of a `with` block; `take_orders` is the loop inside.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any

from tests.e2e.harness import free_port

SPAWN = mp.get_context("spawn")
"""Stand-ins start clean (no state forked from the bench); queues passed to them come from here too."""


@dataclass(frozen=True)
class StandIn:
    """A running stand-in as the bench sees it: its port, its pipe and what it said when ready."""

    name: str
    port: int
    orders: Connection
    process: BaseProcess
    greeting: Any

    def answer(self) -> Any:
        """The stand-in's next message; a stand-in that died says so instead of hanging the bench."""
        while not self.orders.poll(1.0):
            if not self.process.is_alive():
                raise SystemExit(f"the stand-in {self.name} died ({self.process.exitcode})")
        return self.orders.recv()

    def ask(self, order: object) -> Any:
        """Sends one order and returns its answer."""
        self.orders.send(order)
        return self.answer()


@contextmanager
def stand_in(serve: Callable[..., None], *args: object, ready_within: float = 300.0) -> Iterator[StandIn]:
    """Runs `serve(port, orders, stop, *args)` in a process of its own until the block ends."""
    stop = SPAWN.Event()
    port = free_port()
    orders, their_end = SPAWN.Pipe()
    process = SPAWN.Process(target=serve, args=(port, their_end, stop, *args), name=serve.__name__)
    process.start()
    try:
        deadline = time.monotonic() + ready_within
        while not orders.poll(1.0):
            if not process.is_alive() or time.monotonic() > deadline:
                raise SystemExit(f"the stand-in {serve.__name__} did not start")
        yield StandIn(serve.__name__, port, orders, process, orders.recv())
    finally:
        stop.set()
        process.join(10)


def take_orders(
    orders: Connection,
    stop: Event,
    answer: Callable[[Any], Any] | None = None,
    *,
    greeting: object = "ready",
    every: float = 0.1,
) -> None:
    """In the stand-in: says it is ready, then answers each order with `answer(order)` until `stop` is set
    (with no `answer`, only waits for `stop`). `every` is how often it looks at `stop`."""
    orders.send(greeting)
    if answer is None:
        stop.wait()
        return
    while not stop.is_set():
        if orders.poll(every):
            orders.send(answer(orders.recv()))
