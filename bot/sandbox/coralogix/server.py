"""Running the simulated IncidentsService on a real socket: in-process for tests, or until a signal."""

from __future__ import annotations

import logging
import random
import signal
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TextIO

import grpc

from bot.coralogix.pb import incidents_service_pb2_grpc
from bot.sandbox.coralogix.accounts import describe_keys
from bot.sandbox.coralogix.churn import churn_step
from bot.sandbox.coralogix.servicer import IncidentsServicer
from bot.sandbox.coralogix.simulator import SimulatedCoralogix

logger = logging.getLogger(__name__)

_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


@dataclass
class RunningCoralogixSandbox:
    """A listening server around `sim`; a context manager that stops it on exit."""

    sim: SimulatedCoralogix
    host: str
    port: int
    server: Any = field(repr=False)

    @property
    def address(self) -> str:
        """Where a client connects: `127.0.0.1:PORT` (also when listening on every interface)."""
        return _join("127.0.0.1" if self.host in _ANY_ADDRESS else self.host, self.port)

    def stop(self, grace: float | None = 0.5) -> None:
        """Stop listening; calls in flight get `grace` seconds to finish. Safe to call twice."""
        self.server.stop(grace).wait()

    def __enter__(self) -> RunningCoralogixSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_coralogix_sandbox(
    sim: SimulatedCoralogix | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    max_workers: int = 16,
) -> RunningCoralogixSandbox:
    """Serve `sim` (a fresh one when None) over plaintext gRPC; returns once listening.

    `port=0` picks a free port (read it back from `.port`). Raises OSError when the port is taken.
    """
    sim = sim if sim is not None else SimulatedCoralogix()
    executor = futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="coralogix-sandbox")
    # SO_REUSEPORT would let a second sandbox silently share a fixed port with the first
    server = grpc.server(executor, options=[("grpc.so_reuseport", 0)])
    incidents_service_pb2_grpc.add_IncidentsServiceServicer_to_server(IncidentsServicer(sim), server)
    try:
        bound = server.add_insecure_port(_join(host, port))
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {_join(host, port)}: {exc}") from exc
    if not bound:
        raise OSError(f"cannot listen on {_join(host, port)}")
    server.start()
    return RunningCoralogixSandbox(sim=sim, host=host, port=bound, server=server)


def banner(running: RunningCoralogixSandbox) -> str:
    keys = describe_keys(running.sim.api_keys())
    return (
        f"Simulated Coralogix IncidentsService listening on {running.address} (plaintext gRPC); "
        f"API keys: {keys}"
    )


def serve_forever(
    port: int,
    seed: int,
    *,
    incidents: int = 25,
    churn_seconds: float | None = None,
    out: TextIO = sys.stdout,
    host: str = "127.0.0.1",
    stop: threading.Event | None = None,
) -> int:
    """`incident-bot sandbox coralogix`: serve `incidents` seeded incidents until SIGINT/SIGTERM.

    Prints one line saying where it listens and which API keys work. With `churn_seconds`, something
    happens every that many seconds (new incidents, alerts clearing and firing again, people acting).
    `stop` ends it too (signals can only be caught on the main thread). Returns the exit code.
    """
    stop = stop or threading.Event()
    sim = SimulatedCoralogix(seed=seed)
    sim.generate(incidents, lifecycle=True)
    restore_signals = _stop_on_signals(stop)
    try:
        try:
            running = start_coralogix_sandbox(sim, host=host, port=port)
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 1
        with running:
            print(banner(running), file=out, flush=True)
            churner = _start_churn(sim, seed, churn_seconds, stop) if churn_seconds else None
            while not stop.wait(0.5):
                pass
            if churner is not None:
                churner.join()
    finally:
        restore_signals()
    return 0


def _start_churn(sim: SimulatedCoralogix, seed: int, every: float, stop: threading.Event) -> threading.Thread:
    rng = random.Random(f"churn:{seed}")  # noqa: S311 - reproducible churn, not secrets

    def run() -> None:
        while not stop.wait(every):
            logger.info("sandbox churn: %s", churn_step(sim, rng))

    thread = threading.Thread(target=run, name="coralogix-sandbox-churn", daemon=True)
    thread.start()
    return thread


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT/SIGTERM set `stop` (main thread only); returns how to put the old handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore
