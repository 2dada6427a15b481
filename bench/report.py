"""A 7-day shift report over 10,000 incidents with 50,000 events, and a second one within the hour.

The simulated service (Cases by default, whose events carry their times; `--api incidents` for
IncidentsService) runs in a process of its own, filled with `--incidents` incidents spread over the 7
days before "now", each worked on so it has five events on average. This process is the bot's side: the
report's reader (`bot.notify.report_reader.ReportReader`) on a fresh SQLite store, then the Block Kit
message. Printed: wall time, Coralogix calls and the bytes of their messages (protobuf payloads, requests
and answers, without gRPC framing), this process's peak RSS; then the same after a quarter of an hour in
which 1 % of the incidents changed, whose events alone are read again (the cache's promise: at most 10 %
of the first report's calls).

    .venv/bin/python bench/report.py [--api cases|incidents] [--incidents N]

Goal: the first report in at most 5 s and 200 MB; the second at most 10 % of the first's calls.

On IncidentsService it then prints the floor of a cold report: one GetIncidentEvents per listed incident
(the contract has no batch read of events, and ListIncidentEvents' items name no incident), over the same
channel and as many threads as the reader uses, answers parsed and dropped; nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import random
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from bot.notify.report_reader import EVENT_READERS as READERS  # noqa: E402

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
API_KEY = "cx-team-key"
PEOPLE = ("alice@example.com", "bob@example.com", "carol@example.com")


# ------------------------------------------------------------------------------------ the stand-in


def serve(api: str, incidents: int, ready: Any, commands: Any) -> None:
    """The simulated account with `incidents` incidents over the 7 days before NOW, until told to stop."""
    from bot.sandbox.coralogix import (
        SimulatedCases,
        SimulatedCoralogix,
        start_cases_sandbox,
        start_coralogix_sandbox,
    )

    clock = {"now": NOW - timedelta(days=7)}
    sim: Any = (SimulatedCases if api == "cases" else SimulatedCoralogix)(seed=1, clock=lambda: clock["now"])
    rng = random.Random(7)
    # every incident's story, then all of them told in time order (the simulator stamps events in order)
    plan: list[tuple[datetime, int, int, str]] = []
    for n in range(incidents):
        at = NOW - timedelta(seconds=rng.uniform(60, 7 * 86_400 - 3_600))
        plan.append((at, n, 0, "create"))
        steps = (
            ["assign", "acknowledge", "resolve", "close"]
            if rng.random() < 0.5
            else ["acknowledge", "resolve", "close"]
        )
        if rng.random() < 0.1:  # re-triggered after it was resolved, then resolved again
            steps[3:3] = ["retrigger", "resolve"]
        keep = len(steps) if rng.random() < 0.85 else rng.randrange(len(steps))  # some still open
        for seq, step in enumerate(steps[:keep], start=1):
            at += timedelta(minutes=rng.uniform(1, 40))
            if at < NOW:  # what would happen after now has not happened yet
                plan.append((at, n, seq, step))
    plan.sort()
    ids: dict[int, str] = {}
    for at, n, _seq, step in plan:
        clock["now"] = at
        person = PEOPLE[n % len(PEOPLE)]
        if step == "create":
            ids[n] = sim.create_incident(
                name=f"alert {rng.randrange(40)}",
                application=rng.choice(("shop", "search", "payments", "auth")),
                severity=rng.choice(("critical", "error", "warning", "info")),
                created_at=at,
            )
        elif step == "assign":
            sim.assign(ids[n], person, person)
        elif step == "retrigger":
            sim.retrigger(ids[n])
        else:
            getattr(sim, step)(ids[n], person)
    events = sum(len(sim.events(incident)) for incident in ids.values())
    clock["now"] = NOW
    running = (start_cases_sandbox if api == "cases" else start_coralogix_sandbox)(sim, max_workers=32)
    ready.put((running.address, events))
    while True:
        command = commands.get()
        if command == "stop":
            running.stop()
            return
        # "change N": N incidents change (a re-trigger and an acknowledge), a quarter of an hour later
        clock["now"] = NOW + timedelta(minutes=15)
        changed = 0
        for incident in rng.sample(sorted(ids.values()), int(command.split()[1])):
            sim.retrigger(incident)
            sim.acknowledge(incident, PEOPLE[0])
            changed += 1
        ready.put(changed)


# ------------------------------------------------------------------------------- the bot's side


class Counting(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Counts every call and the bytes of its request and answer (protobuf payloads)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.bytes = 0
        self._lock = threading.Lock()

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        started = time.perf_counter()
        answer = continuation(details, request)
        size = request.ByteSize()
        with contextlib.suppress(grpc.RpcError):
            size += answer.result().ByteSize()
        method = details.method.rsplit("/", 1)[-1]
        with self._lock:
            self.calls[method] += 1
            self.seconds[method] += time.perf_counter() - started
            self.bytes += size
        return answer


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_report(reader: Any, counting: Counting, label: str, now: datetime) -> int:
    from bot.notify.report_reader import ReadCounts
    from bot.reports.schedule import Period
    from bot.slack.blocks.report import report_message

    counting.calls.clear()
    counting.seconds.clear()
    counting.bytes = 0
    counts = ReadCounts()
    started, cpu = time.perf_counter(), time.process_time()
    report = reader.report(None, Period(now - timedelta(days=7), now), counts=counts)
    payload = report_message(report)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    calls = sum(counting.calls.values())
    print(f"{label}:")
    print(
        f"  wall {wall:.2f} s (this process's CPU {cpu:.2f} s); Coralogix calls {calls} "
        f"({dict(counting.calls)}); {counting.bytes / 1e6:.1f} MB"
    )
    waited = ", ".join(f"{method} {seconds:.2f} s" for method, seconds in counting.seconds.items())
    print(f"  time spent in calls (summed over the 16 readers): {waited}")
    print(
        f"  incidents listed {counts.listed}, events read for {counts.event_reads}, from the cache "
        f"{counts.cached}, failed {counts.failed}; peak RSS of this process {peak_rss_mb():.0f} MB"
    )
    print(f"  -> {payload.text}")
    mtta, mttr = report.responses.mtta, report.responses.mttr
    print(
        f"  MTTA {mtta.mean} over {mtta.count} (never {mtta.never}, unknown {mtta.unknown}); MTTR {mttr.mean}"
    )
    return calls


def incident_ids(database: Path) -> list[str]:
    """The incidents the first report read (its cached response times name them)."""
    import sqlite3

    with sqlite3.connect(database) as conn:
        return [row[0] for row in conn.execute("SELECT DISTINCT incident_id FROM response_times")]


def events_floor(channel: Any, ids: list[str]) -> float:
    """Seconds for one GetIncidentEvents per id over `READERS` threads, nothing else done."""
    from concurrent.futures import ThreadPoolExecutor

    from google.protobuf import wrappers_pb2

    from bot.coralogix.pb import incidents_service_pb2 as svc
    from bot.coralogix.pb import incidents_service_pb2_grpc

    stub = incidents_service_pb2_grpc.IncidentsServiceStub(channel)
    metadata = (("authorization", f"Bearer {API_KEY}"),)

    def read(incident_id: str) -> None:
        request = svc.GetIncidentEventsRequest(incident_id=wrappers_pb2.StringValue(value=incident_id))
        stub.GetIncidentEvents(request, metadata=metadata, timeout=60)

    started = time.perf_counter()
    with ThreadPoolExecutor(READERS) as pool:
        list(pool.map(read, ids))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("cases", "incidents"), default="cases")
    parser.add_argument("--incidents", type=int, default=10_000)
    args = parser.parse_args()

    spawn = mp.get_context("spawn")
    ready, commands = spawn.Queue(), spawn.Queue()
    service = spawn.Process(target=serve, args=(args.api, args.incidents, ready, commands))
    service.start()
    try:
        address, events = ready.get(timeout=600)
        print(f"{args.api}: {args.incidents} incidents with {events} events over 7 days, served at {address}")

        from bot.coralogix.backend import make_backend
        from bot.coralogix.channel import open_channel
        from bot.notify.report_reader import ReportReader
        from bot.store import Store

        counting = Counting()
        channel = grpc.intercept_channel(open_channel(address, insecure=True), counting)
        client = make_backend(args.api, channel, API_KEY)
        with tempfile.TemporaryDirectory() as workdir:
            store = Store.from_url(f"sqlite:///{Path(workdir) / 'bench.db'}")
            store.create_schema()
            clock = {"now": NOW}
            reader = ReportReader(client=client, store=store, clock=lambda: clock["now"])
            first = one_report(reader, counting, "first report (empty cache)", NOW)
            commands.put(f"change {args.incidents // 100}")
            changed = ready.get(timeout=120)
            clock["now"] = NOW + timedelta(minutes=15)
            second = one_report(
                reader, counting, f"second report, 15 min later ({changed} incidents changed)", clock["now"]
            )
            print(f"second / first Coralogix calls: {second}/{first} = {second / first:.1%} (goal <= 10%)")
            if args.api == "incidents":
                ids = incident_ids(Path(workdir) / "bench.db")
                floor = events_floor(channel, ids)
                print(
                    f"floor: {len(ids)} GetIncidentEvents over {READERS} threads, nothing else: {floor:.2f} s"
                )
            reader.close()
            store.close()
        client.close_channel()
    finally:
        commands.put("stop")
        service.join(timeout=30)
        if service.is_alive():
            service.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
