"""The cost of one poll with 10,000 open incidents: idle, and with 20 new plus 20 changed incidents.

The sandboxes (simulated IncidentsService or, with `--api cases`, CasesService; Slack) run in this
process; the bot's poller runs in a fresh child process (spawned, so its peak RSS is the bot's own),
reached over real sockets. Slack pacing is off (pace 0) so the wall time is the bot's work, not Slack's
one-message-per-second rule.

Prints, per poll: wall time, gRPC calls, bytes received from Coralogix, Slack calls; then the child's peak
RSS with every incident tracked. Goals: an idle poll reads at most one page; the 40-change poll takes at
most 200 ms; peak RSS at most 150 MB.

    .venv/bin/python bench/poll.py [--incidents N] [--api incidents|cases]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

import grpc

API_KEY = "cx-team-key"
ROUNDS = 7
CHANNELS = ["C0PAYMENTS", "C0SEARCH", "C0PLATFORM", "C0INCIDENTS"]


class ByteCounter(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """A gRPC client interceptor counting calls and response bytes."""

    def __init__(self) -> None:
        self.calls = 0
        self.bytes = 0

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        outcome = continuation(details, request)
        self.calls += 1
        self.bytes += outcome.result().ByteSize()
        return outcome


def worker(conn: Connection, coralogix_address: str, slack_url: str, db_url: str, api: str) -> None:
    """The bot side: client, store, publisher and poller, driven by commands from the parent."""
    from bot.config import RoutingConfig
    from bot.coralogix.backend import make_backend
    from bot.coralogix.channel import open_channel
    from bot.metrics import Metrics
    from bot.notify.poller import Poller
    from bot.notify.publisher import CardPublisher
    from bot.slack.gateway import SlackGateway, build_web_client
    from bot.store import Store

    counter = ByteCounter()
    channel = grpc.intercept_channel(open_channel(coralogix_address, insecure=True), counter)
    # Any: the poller and publisher are typed for IncidentsClient until they take a CoralogixBackend
    client: Any = make_backend("cases" if api == "cases" else "incidents", channel, API_KEY)
    store = Store.from_url(db_url)
    store.create_schema()
    metrics = Metrics()
    gateway = SlackGateway(build_web_client("xoxb-sandbox-token", slack_url), metrics, pace_seconds=0)
    routing = RoutingConfig.model_validate(
        {
            "routes": [
                {
                    "name": "payments",
                    "match": {"application": ["payments", "shop"]},
                    "channels": ["C0PAYMENTS"],
                },
                {"name": "search", "match": {"application": "search"}, "channels": ["C0SEARCH"]},
                {"name": "critical", "match": {"severity": "critical"}, "channels": ["C0PLATFORM"]},
            ]
        }
    )

    def clock() -> datetime:
        return datetime.now(UTC)

    publisher = CardPublisher(
        store=store,
        gateway=gateway,
        client=client,
        routing=routing,
        default_channel="C0INCIDENTS",
        team_url=None,
        slack_user_of=lambda _user: None,
        metrics=metrics,
        replica_id="bench",
        clock=clock,
        storm_threshold=100,  # 20 at once is no storm here: every incident gets its own card
    )
    poller = Poller(
        client=client,
        store=store,
        publisher=publisher,
        backfill=timedelta(minutes=60),
        clock=clock,
        reconcile_every=timedelta(hours=1),
    )
    while True:
        command = conn.recv()
        if command == "stop":
            conn.send(None)
            return
        calls, received = counter.calls, counter.bytes
        slack_before = sum(s.get() for s in _samples(metrics, "incidentbot_slack_calls_total"))
        started = time.perf_counter()
        cpu_started = time.process_time()
        if command == "reconcile":
            poller._reconcile(datetime.now(UTC) - timedelta(minutes=60))
            result = None
        else:
            result = poller.poll_once()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        slack_after = sum(s.get() for s in _samples(metrics, "incidentbot_slack_calls_total"))
        conn.send(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "grpc_calls": counter.calls - calls,
                "bytes": counter.bytes - received,
                "slack_calls": int(slack_after - slack_before),
                "pages": result.pages if result else None,
                "changed": result.changed if result else None,
                "tracked": len(store.tracked_open_ids()),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )


class _Sample:
    def __init__(self, value: float) -> None:
        self._value = value

    def get(self) -> float:
        return self._value


def _samples(metrics: Any, name: str) -> list[_Sample]:
    return [
        _Sample(sample.value)
        for family in metrics.registry.collect()
        for sample in family.samples
        if sample.name == name
    ]


def main() -> None:  # noqa: PLR0915 - one scenario, told in order
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--api", choices=["incidents", "cases"], default="incidents")
    args = parser.parse_args()

    from bot.sandbox.coralogix import (
        SimulatedCases,
        SimulatedCoralogix,
        start_cases_sandbox,
        start_coralogix_sandbox,
    )
    from bot.sandbox.slack import SlackWorkspace, start_slack_sandbox

    sim: SimulatedCoralogix | SimulatedCases
    old = datetime.now(UTC) - timedelta(days=2)
    coralogix: Any
    if args.api == "cases":
        sim = SimulatedCases(seed=7)
        sim.generate(args.incidents, created_at=old)  # older than the backfill: tracked, not posted
        coralogix = start_cases_sandbox(sim)
    else:
        sim = SimulatedCoralogix(seed=7)
        sim.generate(args.incidents, created_at=old)
        coralogix = start_coralogix_sandbox(sim)
    print(f"API: {args.api}, {args.incidents} open")
    slack = start_slack_sandbox(SlackWorkspace.with_defaults())
    tmp = tempfile.TemporaryDirectory()
    db_url = f"sqlite:///{tmp.name}/bench.db"

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=worker, args=(child, coralogix.address, slack.api_url, db_url, args.api))
    process.start()

    def run(command: str) -> dict[str, Any]:
        parent.send(command)
        while not parent.poll(1.0):
            if not process.is_alive():
                raise SystemExit("the bot worker died")
        answer: dict[str, Any] = parent.recv()
        return answer

    try:
        run("poll")  # first start: cursor and backfill (nothing recent to post)
        setup = run("reconcile")  # every open incident tracked, as after a day of running
        print(f"setup: {setup['tracked']} incidents tracked in {setup['seconds']:.2f} s")
        idle = min((run("poll") for _ in range(5)), key=lambda r: r["seconds"])
        _print("idle poll (best of 5)", idle)
        busy_runs = []
        for _ in range(ROUNDS):
            # 20 incidents that already have cards change, and 20 new ones arrive
            recent = [sim.create_incident(severity="error", application="payments") for _ in range(20)]
            run("poll")
            for incident_id in recent:
                sim.acknowledge(incident_id, by="alice@example.com")
            for _ in range(20):
                sim.create_incident(severity="critical", application="shop")
            busy_runs.append(run("poll"))
        busy_runs.sort(key=lambda r: r["seconds"])
        busy = busy_runs[len(busy_runs) // 2]
        _print(f"20 new + 20 changed (median of {ROUNDS})", busy)
        final = run("poll")
        print()
        print(f"incidents tracked: {final['tracked']} (all open incidents in Coralogix)")
        print(f"bot process peak RSS: {final['peak_rss_mb']:.0f} MB (goal <= 150 MB)")
        print(f"idle poll pages: {idle['pages']} (goal <= 1)")
        times = ", ".join(f"{r['seconds'] * 1000:.0f}" for r in busy_runs)
        print(
            f"40-change poll: median {busy['seconds'] * 1000:.0f} ms, all runs [{times}] ms (goal <= 200 ms)"
        )
        run("stop")
    finally:
        process.join(timeout=10)
        coralogix.stop()
        slack.stop()
        tmp.cleanup()


def _print(title: str, result: dict[str, Any]) -> None:
    print(
        f"{title:30s} {result['seconds'] * 1000:6.1f} ms (bot CPU {result['cpu_seconds'] * 1000:5.1f} ms)  "
        f"pages {result['pages']}  "
        f"gRPC calls {result['grpc_calls']:3d}  bytes {result['bytes']:8d}  "
        f"Slack calls {result['slack_calls']}"
    )


if __name__ == "__main__":
    main()
