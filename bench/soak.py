"""Soak: does the bot hold a day of churn in constant resources, with `BOT_RETENTION_DAYS=0`?

Every party is a process of its own: the simulated IncidentsService with its churn (1-2 new incidents a
second and 2-3 changes a second: acknowledgements, assignments, clears, severity changes, mutes and
closes; the oldest open incidents are closed once more than `--open` are open), the Slack sandbox
(enforcing Slack's pace of one post a second per channel) and the bot (a real `incident-bot run` on
SQLite, polling every second, routing three applications to three channels). Every 10 s it writes a row
to a CSV: the p95 poll duration of the last 10 s (from /metrics' histogram), the bot's RSS, every table's
row count, the open incidents, the outbox depth and the error lines in the log so far. At the end it
prints the p95 poll duration over the run, the RSS slope over the last three quarters (MB/h, least
squares), the largest ratio of table rows to open incidents and the error lines.

Goals (issue 15): p95 poll <= 1 s, RSS slope <= 2 MB/h, rows <= 3x open incidents, no error in the log.

    .venv/bin/python bench/soak.py [--minutes N] [--csv PATH] [--open N] [--new LO HI] [--changes LO HI]
                                   [--trace-memory PATH] [--env NAME=VALUE ...]

`--trace-memory PATH` runs the bot under tracemalloc (slower: not for the headline figures) and writes to
PATH, every five minutes, the 25 source lines whose live allocations grew most since the third minute.

At the issue's load each channel needs about 1.3 new messages a second (a card or a thread line per
change) where Slack allows one: the outbox grows, and a closed incident whose last lines still wait keeps
its rows. `--new 0 1 --changes 1 2` is a load Slack can carry, to tell the bot's growth from Slack's pace.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the e2e harness lives in tests/

from bench.head_of_line import PACE_GAP, bot_settings  # noqa: E402
from bench.stand_ins import StandIn, stand_in, take_orders  # noqa: E402
from bot.metrics import LATENCY_BUCKETS  # noqa: E402
from tests.e2e.harness import BotProcess, polls_done, running_bot, wait_for, write_config  # noqa: E402
from tests.scrape import Scrape  # noqa: E402

APPS = {"shop": "C0PAYMENTS", "search": "C0SEARCH", "general": "C0INCIDENTS"}  # channels the sandbox has
ROUTES = {
    "routes": [
        {"name": app, "match": {"application": app}, "channels": [channel]} for app, channel in APPS.items()
    ]
}
PEOPLE = ("alice@example.com", "bob@example.com", "carol@example.com")
SAMPLE_EVERY = 10.0

TRACER = """
import os, threading, time, tracemalloc

def _trace(path):
    tracemalloc.start(1)
    time.sleep(180)
    base = tracemalloc.take_snapshot()
    started = time.monotonic()
    while True:
        time.sleep(300)
        top = tracemalloc.take_snapshot().compare_to(base, "lineno")[:25]
        with open(path, "a") as out:
            minutes = (time.monotonic() - started) / 60 + 3
            traced = tracemalloc.get_traced_memory()[0] / 2**20
            out.write(f"--- {minutes:.0f} min: traced {traced:.1f} MiB\\n")
            out.writelines(f"{stat}\\n" for stat in top)

if os.environ.get("SOAK_TRACE_MEMORY"):
    threading.Thread(target=_trace, args=(os.environ["SOAK_TRACE_MEMORY"],), daemon=True).start()
"""
"""Loaded by the bot's interpreter (sitecustomize) when `--trace-memory` is given."""


@dataclass(frozen=True)
class Churn:
    """The load: the oldest open incidents close beyond `open_target`; `new`, `changes`: a second, from-to."""

    open_target: int
    new: tuple[int, int]
    changes: tuple[int, int]


def serve_coralogix(port: int, orders: Connection, stop: Any, churn: Churn) -> None:
    """The simulated IncidentsService, churning every second until `stop`; answers how many are open."""
    from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox
    from bot.sandbox.coralogix.errors import SandboxError

    sim = SimulatedCoralogix(seed=15)
    rng = random.Random(15)
    open_ids: list[str] = []  # oldest first
    started = False
    with start_coralogix_sandbox(sim, port=port):
        orders.send("ready")
        next_tick = time.monotonic()
        while not stop.is_set():
            if orders.poll(max(0.0, next_tick - time.monotonic())):
                order = orders.recv()
                if order == "start":
                    started = True
                    next_tick = time.monotonic()
                elif order == "open":
                    orders.send(len(open_ids))
                continue
            next_tick += 1.0
            if not started:
                continue
            for _ in range(rng.randint(*churn.new)):
                app = rng.choice(tuple(APPS))
                severity = rng.choices(("warning", "error", "critical"), weights=(6, 3, 1))[0]
                open_ids.append(sim.create_incident(application=app, severity=severity))
            for _ in range(rng.randint(*churn.changes)):
                if not open_ids:
                    break
                try:
                    if len(open_ids) > churn.open_target:
                        sim.close(open_ids.pop(0), rng.choice(PEOPLE))
                        continue
                    target = rng.choice(open_ids)
                    action = rng.choice(("acknowledge", "assign", "clear", "severity", "mute", "close"))
                    if action == "acknowledge":
                        sim.acknowledge(target, rng.choice(PEOPLE))
                    elif action == "assign":
                        person = rng.choice(PEOPLE)
                        sim.assign(target, person, person)
                    elif action == "clear":
                        sim.auto_resolve(target)
                    elif action == "severity":
                        sim.set_severity(target, rng.choice(("warning", "error", "critical")))
                    elif action == "mute":
                        sim.set_muted(target, not sim.incident(target).is_muted.value, by=rng.choice(PEOPLE))
                    else:
                        sim.close(target, rng.choice(PEOPLE))
                        open_ids.remove(target)
                except SandboxError:
                    pass  # e.g. a resolved incident cannot be acknowledged: the change is skipped


def serve_slack(port: int, orders: Connection, stop: Any) -> None:
    """The Slack sandbox enforcing Slack's pace, until `stop`."""
    from bot.sandbox.slack import SlackWorkspace, start_slack_sandbox

    workspace = SlackWorkspace.with_defaults()
    workspace.faults.enforce_channel_pacing(per_second=1 / PACE_GAP, burst=1)
    with start_slack_sandbox(workspace, port=port):
        take_orders(orders, stop)


def quantile(buckets: list[tuple[float, float]], share: float) -> float:
    """Prometheus' histogram_quantile: `buckets` are (upper bound, cumulative count), +Inf last."""
    total = buckets[-1][1]
    if total <= 0:
        return 0.0
    rank = share * total
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower


def poll_buckets(scrape: Scrape) -> list[tuple[float, float]]:
    bounds = [*LATENCY_BUCKETS, float("inf")]
    return [
        (
            bound,
            scrape.total(
                "incidentbot_poll_seconds_bucket", le="+Inf" if bound == float("inf") else str(bound)
            ),
        )
        for bound in bounds
    ]


def rss_mb(bot: BotProcess) -> float:
    for line in Path(f"/proc/{bot.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def table_rows(database: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def error_lines(log: Path) -> list[str]:
    return [
        line
        for line in log.read_text(errors="replace").splitlines()
        if '"level": "error"' in line or '"level": "critical"' in line or "Traceback" in line
    ]


def slope_mb_per_hour(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of (seconds, MB), in MB per hour."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600 if var else 0.0


def sample_once(bot: BotProcess, cx: StandIn, database: Path, log: Path) -> dict[str, Any]:
    """One row of the CSV (the p95 of the window is filled in by the caller)."""
    scrape = Scrape.parse(bot.get("/metrics")[1])
    rows = table_rows(database)
    return {
        "buckets": poll_buckets(scrape),
        "rss_mb": round(rss_mb(bot), 1),
        "open": cx.ask("open"),
        "rows": sum(rows.values()),
        "outbox": rows.get("outbox", 0),
        "errors": len(error_lines(log)),
    } | {f"t_{name}": count for name, count in sorted(rows.items())}


def run(bot: BotProcess, cx: StandIn, tmp: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Churn for `args.minutes`, a CSV row every 10 s; returns the rows."""
    columns = ["elapsed_s", "polls", "poll_p95_s", "rss_mb", "open", "rows", "outbox", "errors"]
    samples: list[dict[str, Any]] = []
    wait_for(lambda: polls_done(bot) >= 1, 60, "the first poll")
    cx.orders.send("start")  # answered by the churn, not in words
    started = time.monotonic()
    previous = poll_buckets(Scrape.parse(bot.get("/metrics")[1]))
    writer: Any = None
    next_sample = started + SAMPLE_EVERY
    with args.csv.open("w", newline="") as out:
        while (now := time.monotonic()) - started < args.minutes * 60:
            time.sleep(max(0.0, next_sample - now))
            next_sample += SAMPLE_EVERY
            sample = sample_once(bot, cx, tmp / "bot.db", tmp / "bot.log")
            buckets = sample.pop("buckets")
            window = [(b, c - p) for (b, c), (_, p) in zip(buckets, previous, strict=True)]
            previous = buckets
            sample["elapsed_s"] = round(time.monotonic() - started, 1)
            sample["polls"] = int(buckets[-1][1])
            sample["poll_p95_s"] = round(quantile(window, 0.95), 3)
            if writer is None:
                tables = sorted(k for k in sample if k.startswith("t_"))
                writer = csv.DictWriter(out, [*columns, *tables], extrasaction="ignore")
                writer.writeheader()
            writer.writerow(sample)
            out.flush()
            samples.append(sample)
            print(
                f"{sample['elapsed_s']:7.0f} s  polls {sample['polls']:5d}  "
                f"p95 poll {sample['poll_p95_s']:.3f} s  RSS {sample['rss_mb']:6.1f} MB  "
                f"open {sample['open']:4d}  rows {sample['rows']:5d}  outbox {sample['outbox']:4d}  "
                f"errors {sample['errors']}",
                flush=True,
            )
    return samples


def summarise(samples: list[dict[str, Any]], final: Scrape, errors: list[str], csv_path: Path) -> None:
    if not samples:
        print("no samples")
        return
    quarter = samples[len(samples) // 4 :]
    slope = slope_mb_per_hour([(s["elapsed_s"], s["rss_mb"]) for s in quarter])
    ratios = [s["rows"] / max(1, s["open"]) for s in samples]
    worst = max(range(len(samples)), key=lambda i: ratios[i])
    late = ratios[len(samples) // 4 :]
    print(
        f"\nsoak: {samples[-1]['elapsed_s'] / 60:.1f} minutes, {samples[-1]['polls']} polls, "
        f"{len(samples)} samples in {csv_path}"
    )
    print(
        f"p95 poll duration over the run: {quantile(poll_buckets(final), 0.95):.3f} s (goal <= 1 s); "
        f"worst 10 s window: {max(s['poll_p95_s'] for s in samples):.3f} s"
    )
    print(
        f"RSS: {samples[0]['rss_mb']:.1f} MB at the first sample, {samples[-1]['rss_mb']:.1f} MB at the end, "
        f"max {max(s['rss_mb'] for s in samples):.1f} MB; slope over the last 3/4: {slope:+.2f} MB/h "
        "(goal <= 2 MB/h)"
    )
    s = samples[worst]
    print(
        f"rows / open incidents: max {ratios[worst]:.2f} ({s['rows']} rows, {s['open']} open at "
        f"{s['elapsed_s']:.0f} s), max over the last 3/4 {max(late):.2f}, at the end {ratios[-1]:.2f} "
        "(goal <= 3); max outbox depth "
        f"{max(x['outbox'] for x in samples)}"
    )
    tables = sorted(k for k in samples[-1] if k.startswith("t_"))
    print("rows at the end: " + ", ".join(f"{t[2:]} {samples[-1][t]}" for t in tables))
    print(
        "Slack work: "
        + ", ".join(
            f"{label} {final.total(name):.0f}"
            for label, name in (
                ("cards posted", "incidentbot_incidents_posted_total"),
                ("redrawn", "incidentbot_incidents_updated_total"),
                ("thread lines put on closed cards", "incidentbot_thread_lines_folded_total"),
                ("dropped (goal 0)", "incidentbot_slack_dropped_total"),
            )
        )
    )
    print(f"error lines in the log: {len(errors)}")
    for line in errors[:10]:
        print("  " + line[:300])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--csv", type=Path, default=Path("soak.csv"))
    parser.add_argument("--open", type=int, default=150, help="open incidents beyond which the oldest close")
    parser.add_argument("--new", type=int, nargs=2, default=(1, 2), help="new incidents a second, from-to")
    parser.add_argument("--changes", type=int, nargs=2, default=(2, 3), help="changes a second, from-to")
    parser.add_argument("--trace-memory", type=Path, help="run the bot under tracemalloc, top growth here")
    parser.add_argument("--env", nargs="*", default=[], help="NAME=VALUE more for the bot's environment")
    args = parser.parse_args()
    print(f"load: {args.new} new incidents and {args.changes} changes a second (from, to)")
    with (
        stand_in(serve_coralogix, Churn(args.open, tuple(args.new), tuple(args.changes))) as cx,
        stand_in(serve_slack) as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = bot_settings(Path(tmp), cx.port, slack.port) | {
            "BOT_CONFIG": str(write_config(Path(tmp) / "bot.yaml", ROUTES)),
            "BOT_RETENTION_DAYS": "0",
            "BOT_STORM_THRESHOLD": "10",
        }
        env |= dict(item.split("=", 1) for item in args.env)
        if args.trace_memory:
            (Path(tmp) / "site").mkdir()
            (Path(tmp) / "site" / "sitecustomize.py").write_text(TRACER)
            path = [str(Path(tmp) / "site"), env.get("PYTHONPATH", "")]
            env |= {"PYTHONPATH": os.pathsep.join(p for p in path if p)}
            env |= {"SOAK_TRACE_MEMORY": str(args.trace_memory.resolve())}
        log = Path(tmp) / "bot.log"
        with running_bot(env, log) as bot:
            samples = run(bot, cx, Path(tmp), args)
            final = Scrape.parse(bot.get("/metrics")[1])
            errors = error_lines(log)
    summarise(samples, final, errors, args.csv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
