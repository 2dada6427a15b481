"""The poller at 10,000 to 100,000 open incidents, measured on the bot's whole process.

Every party runs in its own process: the simulated Coralogix (IncidentsService, or CasesService with
`--api cases`), the Slack sandbox, and the bot itself, started as `incident-bot run` (HTTP server, Bolt,
scheduler and poller; SQLite; one poll a second). The Coralogix stand-in logs every call it answers (when,
which rpc, response bytes), which tells a regular poll (newest updates first) from the reconciliation
(open incidents oldest first, then batch reads); the bot's /metrics give each poll's duration.

Per size: the reconciliation that first tracks every open incident, an idle poll, a poll with 20 new and
20 changed incidents (each in a channel of its own, so Slack's one-message-a-second pace is not what is
measured), a second full reconciliation with everything tracked, and the bot's peak RSS (VmHWM). A
reconciliation is reported with its wall time, Coralogix reads and bytes, the bot's CPU, and the longest
gap between two regular polls while it ran. Polls start on the scheduler's one-second slots: a gap of two
intervals is one slot skipped (a poll one interval late, which the pacing allows), three or more is a
poll delayed by more than one interval (which it must not).
Goals: peak RSS <= 150 MB, idle poll <= 1 page, 40-change poll median <= 200 ms, no poll delayed by
more than one interval.

    .venv/bin/python bench/poll.py [--incidents N [N ...]] [--api incidents|cases]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the e2e harness lives in tests/

from bench.stand_ins import StandIn, stand_in, take_orders  # noqa: E402

API_KEY = "cx-team-key"
INTERVAL = 1.0  # BOT_POLL_INTERVAL_SECONDS
ROUNDS = 7
APPS = [f"bench{n:02d}" for n in range(1, 41)]
CHANNELS = {app: f"C0BENCH{n:02d}" for n, app in enumerate(APPS, start=1)}
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
ASCENDING, DESCENDING = 1, 2  # the same numbers in both APIs' direction enums


# ------------------------------------------------------------------ the Coralogix stand-in process


@dataclass(frozen=True)
class Call:
    started: float  # time.monotonic(), which is system-wide on Linux: comparable across processes
    ended: float
    rpc: str
    kind: str  # "poll", "sweep", "events" or "other"
    poll_start: bool  # the first page of a regular poll
    bytes: int
    failed: bool = False


def classify(rpc: str, request: Any) -> tuple[str, bool]:
    """What a call is for, from its request alone: (kind, whether it starts a regular poll)."""
    if rpc in ("ListIncidents", "ListCases"):
        pagination = request.pagination
        if rpc == "ListIncidents":
            size, token = pagination.page_size.value, pagination.page_token.value
            direction = request.order_bys[0].direction if request.order_bys else 0
        else:
            size, token = pagination.page_size, pagination.page_token
            direction = request.order_by.direction if request.HasField("order_by") else 0
        if direction == DESCENDING and size > 1:
            return "poll", not token
        if direction == ASCENDING:
            return "sweep", False
        return "other", False
    if rpc in ("BatchGetIncident", "GetCase"):
        return "sweep", False
    if rpc in ("GetIncidentEvents", "ListEvents"):
        return "events", False
    return "other", False


class Measured:
    """A servicer in front of the sandbox's own, logging every call it answers."""

    def __init__(self, inner: object, log: list[Call]) -> None:
        self._inner = inner
        self._log = log

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not name[:1].isupper():
            return method

        def call(request: Any, context: Any) -> Any:
            started = time.monotonic()
            kind, poll_start = classify(name, request)
            try:
                response = method(request, context)
            except BaseException:  # an abort: logged as a failed call of no bytes
                self._log.append(Call(started, time.monotonic(), name, kind, poll_start, 0, failed=True))
                raise
            self._log.append(Call(started, time.monotonic(), name, kind, poll_start, response.ByteSize()))
            return response

        return call


def measured(inner: object, log: list[Call]) -> Any:
    """`Measured(inner)`, typed as the servicer it stands in for."""
    return Measured(inner, log)


def coralogix_standin(port: int, orders: Connection, stop: Event, api: str, count: int) -> None:
    """The simulated service with `count` open incidents opened two days ago (older than the backfill)."""
    from concurrent import futures

    import grpc

    from bot.coralogix.pb import incidents_service_pb2_grpc
    from bot.coralogix.pb.cases import case_events_service_pb2_grpc, cases_service_pb2_grpc
    from bot.sandbox.coralogix import (
        CaseEventsServicer,
        CasesServicer,
        IncidentsServicer,
        SimulatedCases,
        SimulatedCoralogix,
    )

    log: list[Call] = []
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    sim: Any
    if api == "cases":
        sim = SimulatedCases(seed=7)
        cases_service_pb2_grpc.add_CasesServiceServicer_to_server(measured(CasesServicer(sim), log), server)
        case_events_service_pb2_grpc.add_CaseEventsServiceServicer_to_server(
            measured(CaseEventsServicer(sim), log), server
        )
    else:
        sim = SimulatedCoralogix(seed=7)
        incidents_service_pb2_grpc.add_IncidentsServiceServicer_to_server(
            measured(IncidentsServicer(sim), log), server
        )
    sim.generate(count, created_at=datetime.now(UTC) - timedelta(days=2))
    server.add_insecure_port(f"127.0.0.1:{port}")

    def obey(order: tuple[Any, ...]) -> Any:
        command, *args = order
        if command == "create":  # (apps, severity): one new incident per app
            apps, severity = args
            return [sim.create_incident(severity=severity, application=app) for app in apps]
        if command == "ack":
            for incident_id in args[0]:
                sim.acknowledge(incident_id, "alice@example.com")
            return None
        return log[args[0] :]  # "calls": the calls logged from index args[0] on

    server.start()
    try:
        take_orders(orders, stop, obey, greeting=f"127.0.0.1:{port}")
    finally:
        server.stop(0.5).wait()


def slack_standin(port: int, orders: Connection, stop: Event) -> None:
    """The Slack sandbox with a channel for each bench application besides the default ones."""
    from bot.sandbox.slack import SlackWorkspace, start_slack_sandbox

    workspace = SlackWorkspace.with_defaults()
    for app, channel in CHANNELS.items():
        workspace.add_channel(channel, app)
    with start_slack_sandbox(workspace, port=port) as running:
        take_orders(orders, stop, greeting=running.api_url)


# ------------------------------------------------------------------ the bot's process


@dataclass
class Sample:
    polls: int
    poll_seconds: float
    seen: float
    within_interval: int  # polls that took at most one interval
    errors: int  # polls that failed


class Bot:
    """`incident-bot run` in a process of its own, read through /metrics and /proc."""

    def __init__(self, workdir: Path, coralogix: str, slack_url: str, api: str) -> None:
        from bot.store import Store

        self.db_url = f"sqlite:///{workdir / 'bot.db'}"
        self.store = Store.from_url(self.db_url)
        self.store.create_schema()
        config = workdir / "bot.yaml"
        routes = [
            {"name": app, "match": {"application": app}, "channels": [channel]}
            for app, channel in CHANNELS.items()
        ]
        config.write_text(yaml.safe_dump({"routes": routes}))
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CORALOGIX_", "BOT_"))}
        env.update(
            {
                "SLACK_BOT_TOKEN": "xoxb-sandbox-token",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack_url,
                "CORALOGIX_API_KEY": API_KEY,
                "CORALOGIX_API": api,
                "CORALOGIX_GRPC_ENDPOINT": coralogix,
                "CORALOGIX_GRPC_INSECURE": "true",
                "BOT_CONFIG": str(config),
                "BOT_DATABASE_URL": self.db_url,
                "BOT_POLL_INTERVAL_SECONDS": str(int(INTERVAL)),
                "BOT_DEFAULT_CHANNEL": "C0INCIDENTS",
                "BOT_STORM_THRESHOLD": "100",
                "BOT_HTTP_HOST": "127.0.0.1",
                "BOT_HTTP_PORT": str(self.port),
                "BOT_LOG_FORMAT": "json",
            }
        )
        self.log_path = workdir / "bot.log"
        self._log = self.log_path.open("w")
        command = [str(Path(sys.executable).with_name("incident-bot")), "run"]
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.wait(lambda: self._get("/healthz") == 200, 60, "the bot's /healthz")

    def _get(self, path: str) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return int(response.status)
        except OSError:
            return None

    def sample(self) -> Sample:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            text = response.read().decode()
        values: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return Sample(
            polls=int(values.get("incidentbot_poll_seconds_count", 0)),
            poll_seconds=values.get("incidentbot_poll_seconds_sum", 0.0),
            seen=values.get("incidentbot_incidents_seen_total", 0.0),
            within_interval=int(values.get(f'incidentbot_poll_seconds_bucket{{le="{INTERVAL}"}}', 0)),
            errors=int(sum(v for k, v in values.items() if k.startswith("incidentbot_poll_errors_total"))),
        )

    def next_poll(self, after: Sample) -> Sample:
        """The metrics once the poll after `after` has ended."""
        found: list[Sample] = []

        def ended() -> bool:
            found[:] = [self.sample()]
            return found[0].polls > after.polls

        self.wait(ended, 30, "the next poll", every=0.05)
        return found[0]

    def wait(self, done: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if self.process.poll() is not None:
                raise SystemExit(f"the bot exited ({self.process.returncode}):\n{self.log_path.read_text()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            time.sleep(every)

    def status(self, field_name: str) -> float:
        """A field of /proc/<pid>/status, in MB (VmHWM is the peak RSS)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
        raise KeyError(field_name)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        self.store.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ the scenario


@dataclass
class Sweep:
    wall: float
    reads: int
    bytes: int
    cpu: float
    polls: int
    longest_gap: float
    slowest_read: float  # the longest the stand-in took to answer one of the reconciliation's reads
    one_late: int  # polls that started one slot late (a gap of about two intervals)
    more_late: int  # polls that started two or more slots late

    def line(self) -> str:
        return (
            f"{self.wall:.1f} s, {self.reads} reads, {self.bytes / 1e6:.1f} MB, CPU {self.cpu:.1f} s, "
            f"slowest read {self.slowest_read * 1e3:.0f} ms, {self.polls} polls, "
            f"longest gap {self.longest_gap:.2f} s, {_late(self)}"
        )


@dataclass
class Figures:
    size: int
    tracked: int = 0
    first_sweep: Sweep | None = None
    steady_sweep: Sweep | None = None
    idle_pages: list[int] = field(default_factory=list)
    idle_bytes: list[int] = field(default_factory=list)
    idle_ms: list[float] = field(default_factory=list)
    busy_ms: list[float] = field(default_factory=list)
    busy_reads: list[int] = field(default_factory=list)
    busy_bytes: list[int] = field(default_factory=list)
    busy_standin_ms: list[float] = field(default_factory=list)  # the stand-in answering the cursor walk
    split_rounds: int = 0
    peak_rss: float = 0.0
    end_rss: float = 0.0
    overran: int = 0  # polls that ran longer than one interval (the bot's poll histogram), whole run
    poll_errors: int = 0
    failed_calls: int = 0  # Coralogix calls the stand-in failed, whole run


def reconcile(bot: Bot, coralogix: StandIn) -> Sweep:
    """Make a reconciliation due (as ten minutes would), and measure it until the store says it is done."""
    from bot.notify.sweep import RECONCILED, STATE, Phase, SweepState

    before = bot.store.get_cursor(STATE)
    number = SweepState.loads(before).number if before else 0
    logged = len(coralogix.ask(("calls", 0)))
    cpu = bot.cpu_seconds()
    bot.store.set_cursor(RECONCILED, "2000-01-01T00:00:00+00:00")

    def finished() -> bool:
        text = bot.store.get_cursor(STATE)
        state = SweepState.loads(text) if text else None
        return state is not None and state.number == number + 1 and state.phase is Phase.DONE

    bot.wait(finished, 3600, "the reconciliation", every=0.2)
    cpu = bot.cpu_seconds() - cpu
    bot.next_poll(bot.sample())  # one more regular poll after it, to close the window
    calls: list[Call] = coralogix.ask(("calls", logged))
    sweep = [c for c in calls if c.kind == "sweep"]
    starts = [c.started for c in calls if c.poll_start]
    first, last = sweep[0].started, sweep[-1].ended
    around = [s for s in starts if first - 2 * INTERVAL <= s <= last + 2 * INTERVAL]
    gaps = [b - a for a, b in itertools.pairwise(around)]
    return Sweep(
        wall=last - first,
        reads=len(sweep),
        bytes=sum(c.bytes for c in sweep),
        cpu=cpu,
        polls=len([s for s in starts if first <= s <= last]),
        longest_gap=max(gaps, default=0.0),
        slowest_read=max(c.ended - c.started for c in sweep),
        one_late=len([g for g in gaps if 1.5 * INTERVAL < g <= 2.5 * INTERVAL]),
        more_late=len([g for g in gaps if g > 2.5 * INTERVAL]),
    )


def polls_between(calls: list[Call]) -> list[list[Call]]:
    """The calls of each regular poll, split at each poll's first page (the last one may be partial)."""
    polls: list[list[Call]] = []
    for call in calls:
        if call.poll_start:
            polls.append([])
        if polls and call.kind in ("poll", "events"):
            polls[-1].append(call)
    return polls


def idle_polls(bot: Bot, coralogix: StandIn, figures: Figures) -> None:
    """Five polls with nothing new: their pages and bytes (stand-in) and durations (the bot's metrics)."""
    logged = len(coralogix.ask(("calls", 0)))
    sample = bot.next_poll(bot.sample())
    for _ in range(5):
        after = bot.next_poll(sample)
        figures.idle_ms.append(
            (after.poll_seconds - sample.poll_seconds) / (after.polls - sample.polls) * 1e3
        )
        sample = after
    for poll in polls_between(coralogix.ask(("calls", logged)))[:-1]:
        figures.idle_pages.append(len(poll))
        figures.idle_bytes.append(sum(c.bytes for c in poll))


def busy_polls(bot: Bot, coralogix: StandIn, figures: Figures) -> None:
    """ROUNDS polls that each find 20 new incidents and 20 changed ones, in 40 channels."""
    for _ in range(ROUNDS):
        recent = coralogix.ask(("create", APPS[:20], "error"))  # cards in 20 channels
        sample = bot.sample()
        for _ in range(3):  # posted, and two seconds for Slack's pace in those channels
            sample = bot.next_poll(sample)
        logged = len(coralogix.ask(("calls", 0)))
        coralogix.ask(("ack", recent))  # 20 changed (card edit and thread reply each)
        coralogix.ask(("create", APPS[20:], "critical"))  # 20 new, in 20 more channels
        after = bot.next_poll(sample)
        # 40, and the newest change of the previous poll, re-checked (the cursor's tie)
        if after.polls - sample.polls != 1 or after.seen - sample.seen not in (40, 41):
            figures.split_rounds += 1  # the changes straddled two polls: not counted
            continue
        figures.busy_ms.append((after.poll_seconds - sample.poll_seconds) * 1e3)
        busy = polls_between(coralogix.ask(("calls", logged)))
        figures.busy_reads.append(len(busy[0]) if busy else 0)
        figures.busy_bytes.append(sum(c.bytes for c in busy[0]) if busy else 0)
        walk = [c for c in busy[0] if c.kind == "poll"] if busy else []
        figures.busy_standin_ms.append(sum(c.ended - c.started for c in walk) * 1e3)
    print(
        f"  40-change polls: {', '.join(f'{ms:.0f}' for ms in sorted(figures.busy_ms))} ms; "
        f"the stand-in's cursor walk {', '.join(f'{ms:.0f}' for ms in figures.busy_standin_ms)} ms",
        flush=True,
    )


def measure(size: int, api: str) -> Figures:
    figures = Figures(size)
    print(f"\n{size:,} open incidents ({api}): starting the stand-ins and the bot", flush=True)
    with (
        stand_in(coralogix_standin, api, size, ready_within=3600) as coralogix,
        stand_in(slack_standin) as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        bot = Bot(Path(tmp), coralogix.greeting, slack.greeting, api)
        try:
            bot.wait(lambda: bot.sample().polls >= 2, 120, "the first start")
            figures.first_sweep = reconcile(bot, coralogix)
            figures.tracked = bot.store.count_tracked_open()
            print(f"  first reconciliation: {figures.first_sweep.line()}", flush=True)

            idle_polls(bot, coralogix, figures)
            busy_polls(bot, coralogix, figures)

            figures.steady_sweep = reconcile(bot, coralogix)
            print(f"  steady reconciliation: {figures.steady_sweep.line()}", flush=True)
            figures.peak_rss = bot.status("VmHWM")
            figures.end_rss = bot.status("VmRSS")
            last = bot.sample()
            figures.overran = last.polls - last.within_interval
            figures.poll_errors = last.errors
            figures.failed_calls = len([c for c in coralogix.ask(("calls", 0)) if c.failed])
        finally:
            bot.stop()
            kept = Path(tempfile.gettempdir()) / f"bench-poll-{api}-{size}.log"
            kept.write_bytes(bot.log_path.read_bytes())
            print(f"  the bot's log: {kept}", flush=True)
    return figures


def report(all_figures: list[Figures], api: str) -> None:
    def row(title: str, cell: Callable[[Figures], str]) -> None:
        print(f"| {title} | " + " | ".join(cell(f) for f in all_figures) + " |")

    def sweep_row(title: str, pick: Callable[[Figures], Sweep | None], cell: Callable[[Sweep], str]) -> None:
        row(title, lambda f: cell(s) if (s := pick(f)) is not None else "-")

    print(f"\nAPI: {api}; one poll a second; load average {os.getloadavg()[0]:.2f} at the end\n")
    print("| | " + " | ".join(f"{f.size:,} open" for f in all_figures) + " |")
    print("| --- |" + " --- |" * len(all_figures))
    row("incidents tracked", lambda f: f"{f.tracked:,}")
    row("peak RSS of the bot (goal <= 150 MB)", lambda f: f"{f.peak_rss:.0f} MB")
    row("RSS at the end", lambda f: f"{f.end_rss:.0f} MB")
    row("idle poll: pages (goal <= 1)", lambda f: f"{max(f.idle_pages, default=0)}")
    row(
        "idle poll: bytes, median ms", lambda f: f"{_median(f.idle_bytes):.0f} B, {_median(f.idle_ms):.0f} ms"
    )
    row("40-change poll: median (goal <= 200 ms)", lambda f: f"{_median(f.busy_ms):.0f} ms")
    row(
        "40-change poll: of which the stand-in answering the cursor walk",
        lambda f: f"{_median(f.busy_standin_ms):.0f} ms",
    )
    row(
        "40-change poll: range",
        lambda f: f"{min(f.busy_ms, default=0):.0f}-{max(f.busy_ms, default=0):.0f} ms",
    )
    row(
        "40-change poll: Coralogix reads, bytes",
        lambda f: f"{_median(f.busy_reads):.0f}, {_median(f.busy_bytes) / 1e3:.0f} kB",
    )
    row("40-change rounds split over 2 polls (dropped)", lambda f: f"{f.split_rounds} of {ROUNDS}")
    row("polls longer than one interval (whole run)", lambda f: f"{f.overran}")
    row("failed polls, failed Coralogix calls (whole run)", lambda f: f"{f.poll_errors}, {f.failed_calls}")
    for title, pick in (("first", lambda f: f.first_sweep), ("steady", lambda f: f.steady_sweep)):
        sweep_row(f"{title} reconciliation: wall", pick, lambda s: f"{s.wall:.1f} s")
        sweep_row(
            f"{title} reconciliation: reads, bytes", pick, lambda s: f"{s.reads}, {s.bytes / 1e6:.1f} MB"
        )
        sweep_row(f"{title} reconciliation: bot CPU", pick, lambda s: f"{s.cpu:.1f} s")
        sweep_row(
            f"{title} reconciliation: the stand-in's slowest answer",
            pick,
            lambda s: f"{s.slowest_read * 1e3:.0f} ms",
        )
        sweep_row(
            f"{title} reconciliation: polls, longest gap between two",
            pick,
            lambda s: f"{s.polls}, {s.longest_gap:.2f} s",
        )
        sweep_row(f"{title} reconciliation: polls late by one interval / by more", pick, _late)


def _late(sweep: Sweep) -> str:
    return f"{sweep.one_late} late by one interval / {sweep.more_late} by more"


def _median(values: list[float] | list[int]) -> float:
    return float(statistics.median(values)) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, nargs="+", default=[10_000])
    parser.add_argument("--api", choices=["incidents", "cases"], default="incidents")
    args = parser.parse_args()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report([measure(size, args.api) for size in args.incidents], args.api)


if __name__ == "__main__":
    main()
