"""Running a simulated Coralogix API on a real socket: in-process for tests, or until a signal.

One server answers one API, as one Coralogix account does: the IncidentsService
(`start_coralogix_sandbox`), the CasesService with its CaseEventsService (`start_cases_sandbox`), or
neither (`start_no_api_sandbox`: every rpc is UNIMPLEMENTED, an account that answers neither API).
"""

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
from typing import Any, Literal, Self, TextIO

import grpc

from bot.coralogix.pb import incidents_service_pb2_grpc
from bot.coralogix.pb.cases import case_events_service_pb2_grpc, cases_service_pb2_grpc
from bot.sandbox.coralogix.accounts import CASE_PERMISSIONS, CASE_READ, describe_keys
from bot.sandbox.coralogix.cases_servicer import CaseEventsServicer, CasesServicer
from bot.sandbox.coralogix.cases_simulator import SimulatedCases
from bot.sandbox.coralogix.churn import cases_churn_step, churn_step
from bot.sandbox.coralogix.servicer import IncidentsServicer
from bot.sandbox.coralogix.simulator import SimulatedCoralogix

SandboxApi = Literal["incidents", "cases"]

logger = logging.getLogger(__name__)

_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


class _Listening:
    """Where a running server listens, and stopping it; a context manager that stops it on exit."""

    host: str
    port: int
    server: Any

    @property
    def address(self) -> str:
        """Where a client connects: `127.0.0.1:PORT` (also when listening on every interface)."""
        return _join("127.0.0.1" if self.host in _ANY_ADDRESS else self.host, self.port)

    def stop(self, grace: float | None = 0.5) -> None:
        """Stop listening; calls in flight get `grace` seconds to finish. Safe to call twice."""
        self.server.stop(grace).wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass
class RunningCoralogixSandbox(_Listening):
    """A listening IncidentsService around `sim`."""

    sim: SimulatedCoralogix
    host: str
    port: int
    server: Any = field(repr=False)


@dataclass
class RunningCasesSandbox(_Listening):
    """A listening CasesService and CaseEventsService around `sim`."""

    sim: SimulatedCases
    host: str
    port: int
    server: Any = field(repr=False)


@dataclass
class RunningNoApiSandbox(_Listening):
    """A listening gRPC server that serves no Coralogix API: every rpc answers UNIMPLEMENTED."""

    host: str
    port: int
    server: Any = field(repr=False)


def _listen(
    register: Callable[[grpc.Server], None], host: str, port: int, max_workers: int
) -> tuple[grpc.Server, int]:
    """A started plaintext server with the services `register` adds; (server, bound port)."""
    executor = futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="coralogix-sandbox")
    # SO_REUSEPORT would let a second sandbox silently share a fixed port with the first
    server = grpc.server(executor, options=[("grpc.so_reuseport", 0)])
    register(server)
    try:
        bound = server.add_insecure_port(_join(host, port))
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {_join(host, port)}: {exc}") from exc
    if not bound:
        raise OSError(f"cannot listen on {_join(host, port)}")
    server.start()
    return server, bound


def start_coralogix_sandbox(
    sim: SimulatedCoralogix | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    max_workers: int = 16,
) -> RunningCoralogixSandbox:
    """Serve `sim` (a fresh one when None) as the IncidentsService, plaintext gRPC; returns once listening.

    `port=0` picks a free port (read it back from `.port`). Raises OSError when the port is taken.
    """
    sim = sim if sim is not None else SimulatedCoralogix()
    servicer = IncidentsServicer(sim)

    def register(server: grpc.Server) -> None:
        incidents_service_pb2_grpc.add_IncidentsServiceServicer_to_server(servicer, server)

    server, bound = _listen(register, host, port, max_workers)
    return RunningCoralogixSandbox(sim=sim, host=host, port=bound, server=server)


def start_cases_sandbox(
    sim: SimulatedCases | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    max_workers: int = 16,
) -> RunningCasesSandbox:
    """Serve `sim` (a fresh one when None) as CasesService and CaseEventsService, like
    `start_coralogix_sandbox`; the IncidentsService is not served (UNIMPLEMENTED), as on a Cases account."""
    sim = sim if sim is not None else SimulatedCases()
    cases, events = CasesServicer(sim), CaseEventsServicer(sim)

    def register(server: grpc.Server) -> None:
        cases_service_pb2_grpc.add_CasesServiceServicer_to_server(cases, server)
        case_events_service_pb2_grpc.add_CaseEventsServiceServicer_to_server(events, server)

    server, bound = _listen(register, host, port, max_workers)
    return RunningCasesSandbox(sim=sim, host=host, port=bound, server=server)


def start_no_api_sandbox(*, host: str = "127.0.0.1", port: int = 0) -> RunningNoApiSandbox:
    """A gRPC server answering neither API: a stand-in for an account with neither Incidents nor Cases."""
    server, bound = _listen(lambda server: None, host, port, max_workers=2)
    return RunningNoApiSandbox(host=host, port=bound, server=server)


def banner(running: RunningCoralogixSandbox | RunningCasesSandbox) -> str:
    if isinstance(running, RunningCasesSandbox):
        keys = describe_keys(running.sim.api_keys(), known=CASE_PERMISSIONS, read=CASE_READ)
        services = "CasesService and CaseEventsService"
    else:
        keys = describe_keys(running.sim.api_keys())
        services = "IncidentsService"
    return f"Simulated Coralogix {services} listening on {running.address} (plaintext gRPC); API keys: {keys}"


def serve_forever(
    port: int,
    seed: int,
    *,
    api: SandboxApi = "incidents",
    incidents: int = 25,
    churn_seconds: float | None = None,
    out: TextIO = sys.stdout,
    host: str = "127.0.0.1",
    stop: threading.Event | None = None,
) -> int:
    """`incident-bot sandbox coralogix`: serve `incidents` seeded incidents (or cases, with
    `api="cases"`) until SIGINT/SIGTERM.

    Prints one line saying where it listens and which API keys work. With `churn_seconds`, something
    happens every that many seconds (new incidents, alerts clearing and firing again, people acting).
    `stop` ends it too (signals can only be caught on the main thread). Returns the exit code.
    """
    stop = stop or threading.Event()
    step: Callable[[random.Random], str]
    if api == "cases":
        cases_sim = SimulatedCases(seed=seed)
        cases_sim.generate(incidents, lifecycle=True)

        def start() -> RunningCoralogixSandbox | RunningCasesSandbox:
            return start_cases_sandbox(cases_sim, host=host, port=port)

        step = lambda rng: cases_churn_step(cases_sim, rng)  # noqa: E731
    else:
        sim = SimulatedCoralogix(seed=seed)
        sim.generate(incidents, lifecycle=True)

        def start() -> RunningCoralogixSandbox | RunningCasesSandbox:
            return start_coralogix_sandbox(sim, host=host, port=port)

        step = lambda rng: churn_step(sim, rng)  # noqa: E731
    restore_signals = _stop_on_signals(stop)
    try:
        try:
            running = start()
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 1
        with running:
            print(banner(running), file=out, flush=True)
            churner = _start_churn(step, seed, churn_seconds, stop) if churn_seconds else None
            while not stop.wait(0.5):
                pass
            if churner is not None:
                churner.join()
    finally:
        restore_signals()
    return 0


def _start_churn(
    step: Callable[[random.Random], str], seed: int, every: float, stop: threading.Event
) -> threading.Thread:
    rng = random.Random(f"churn:{seed}")  # noqa: S311 - reproducible churn, not secrets

    def run() -> None:
        while not stop.wait(every):
            logger.info("sandbox churn: %s", step(rng))

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
