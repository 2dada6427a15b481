"""Reminders for 1,000 unacknowledged incidents across 5 routes, at Slack's pace, with no duplicate.

Every party is a process of its own: the simulated IncidentsService, the Slack sandbox (which enforces
Slack's pace: a second post to a channel within 0.9 s gets HTTP 429) and the bot (real `incident-bot run`
processes). First one bot, whose routes do not remind yet, posts a card for each incident (they began an
hour ago, so every reminder is due at once later). Then the bot is restarted with `remind` on each route,
as two replicas on PostgreSQL when the local server answers (else one on SQLite), and this process waits
until every card's thread holds its reminder.

It prints the reminders' wall time (the first reminder to the last, as Slack recorded them) against the
floor Slack's pace sets (the busiest channel's reminders, one second apart: that count - 1 s), the 429s
Slack answered, and how many reminders were posted more than once (duplicates).

    .venv/bin/python bench/reminders.py [--incidents N] [--replicas 1|2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the e2e harness lives in tests/

from bench.stand_ins import StandIn, stand_in, take_orders  # noqa: E402
from bot.sandbox.slack import SANDBOX_BOT_TOKEN  # noqa: E402
from tests.e2e.harness import SIGNING_SECRET, free_port, running_bot, write_config  # noqa: E402
from tests.pg import fresh_postgres_url, postgres_problem  # noqa: E402

APPS = ("shop", "search", "auth", "data-pipeline", "billing")
CHANNELS = ("C0PAYMENTS", "C0SEARCH", "C0AUTH", "C0DATA", "C0BILLING")
PACE_GAP = 0.9
"""Seconds below which the sandbox refuses a second post to a channel (Slack: one a second)."""
REMIND = {"after": "10m", "times": 1, "mention": ["S0ONCALL"]}


def routes(remind: bool) -> dict[str, Any]:
    return {
        "routes": [
            {"name": app, "match": {"application": app}, "channels": [channel]}
            | ({"remind": REMIND} if remind else {})
            for app, channel in zip(APPS, CHANNELS, strict=True)
        ]
    }


# ------------------------------------------------------------------------------------ the stand-ins


def serve_coralogix(port: int, orders: Connection, stop: Event) -> None:
    """The simulated IncidentsService; on order, opens `count` incidents that began an hour ago."""
    from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox

    sim = SimulatedCoralogix(seed=23)

    def open_incidents(count: int) -> int:
        began = datetime.now(UTC) - timedelta(hours=1)
        for n in range(count):
            sim.create_incident(application=APPS[n % len(APPS)], severity="error", created_at=began)
        return count

    with start_coralogix_sandbox(sim, port=port):
        take_orders(orders, stop, lambda count: open_incidents(int(count)))


def serve_slack(port: int, orders: Connection, stop: Event) -> None:
    """The Slack sandbox, enforcing the pace; on order, counts cards, reminders and refused posts."""
    from bot.sandbox.slack import SlackWorkspace, start_slack_sandbox

    workspace = SlackWorkspace.with_defaults()
    for channel in CHANNELS:
        if channel not in {"C0PAYMENTS", "C0SEARCH"}:
            workspace.add_channel(channel, channel.removeprefix("C0").lower())
    workspace.faults.enforce_channel_pacing(per_second=1 / PACE_GAP, burst=1)

    def count(_order: object) -> tuple[Any, ...]:
        cards = 0
        steps: Counter[tuple[str, str, int]] = Counter()
        times: list[float] = []
        per_channel: Counter[str] = Counter()
        for channel in CHANNELS:
            for message in workspace.messages(channel):
                if (message.metadata or {}).get("event_type") != "coralogix_incident":
                    continue
                cards += 1
                for reply in workspace.replies(channel, message.ts):
                    metadata = reply.metadata or {}
                    if metadata.get("event_type") == "coralogix_incident_reminder":
                        steps[(channel, message.ts, int(metadata["event_payload"]["step"]))] += 1
                        times.append(float(reply.ts))
                        per_channel[channel] += 1
        refused = Counter(
            "reminder" if call.params.get("thread_ts") else "card"
            for call in workspace.calls
            if call.status == 429
        )
        return cards, dict(steps), times, dict(per_channel), dict(refused)

    with start_slack_sandbox(workspace, port=port):
        take_orders(orders, stop, count)


# ------------------------------------------------------------------------------------------ the run


def bot_env(
    tmp: Path, database_url: str, coralogix_port: int, slack_port: int, *, remind: bool
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CORALOGIX_", "BOT_"))}
    return env | {
        "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "CORALOGIX_API_KEY": "cx-team-key",
        "CORALOGIX_API": "incidents",
        "CORALOGIX_GRPC_ENDPOINT": f"127.0.0.1:{coralogix_port}",
        "CORALOGIX_GRPC_INSECURE": "true",
        "BOT_CONFIG": str(write_config(tmp / f"bot-{remind}.yaml", routes(remind))),
        "BOT_DATABASE_URL": database_url,
        "BOT_POLL_INTERVAL_SECONDS": "1",
        "BOT_BACKFILL_MINUTES": "120",
        "BOT_STORM_THRESHOLD": "100000",  # a card each: the reminders are the point here
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(free_port()),
        "BOT_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }


def wait(state: StandIn, done: Any, what: str, timeout: float = 1800) -> Any:
    started = time.monotonic()
    while True:
        answer = state.ask("look")
        if done(answer):
            return answer
        if time.monotonic() - started > timeout:
            raise SystemExit(f"timed out waiting for {what}: {answer[0]} cards, {len(answer[1])} reminders")
        time.sleep(1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--logs", type=Path, default=None, help="keep the bots' logs in this directory")
    args = parser.parse_args()

    replicas = args.replicas
    with (
        stand_in(serve_coralogix) as coralogix,
        stand_in(serve_slack) as state,
        tempfile.TemporaryDirectory() as tmp,
        ExitStack() as stack,
    ):
        if postgres_problem() is None:
            database_url = stack.enter_context(fresh_postgres_url())
            where = "PostgreSQL"
        else:
            database_url, replicas, where = f"sqlite:///{Path(tmp) / 'bot.db'}", 1, "SQLite"
        coralogix.ask(args.incidents)
        env = bot_env(Path(tmp), database_url, coralogix.port, state.port, remind=False)
        cards_started = time.monotonic()
        with running_bot(env, Path(tmp) / "cards.log"):
            wait(state, lambda answer: answer[0] >= args.incidents, "every card")
        cards_took = time.monotonic() - cards_started
        bots = [
            stack.enter_context(
                running_bot(
                    bot_env(Path(tmp), database_url, coralogix.port, state.port, remind=True),
                    Path(tmp) / f"reminders-{n}.log",
                )
            )
            for n in range(replicas)
        ]
        load_before = os.getloadavg()[0]
        cards, steps, times, per_channel, refused = wait(
            state, lambda answer: len(answer[1]) >= answer[0], "a reminder under every card"
        )
        # a moment more, in case a replica posts a step twice late
        time.sleep(3)
        cards, steps, times, per_channel, refused = wait(state, lambda answer: True, "the final count")
        load_after = os.getloadavg()[0]
        for bot in bots:
            bot.stop()
        if args.logs is not None:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in Path(tmp).glob("*.log"):
                (args.logs / log.name).write_text(log.read_text())

    duplicates = sum(count - 1 for count in steps.values() if count > 1)
    busiest = max(per_channel.values())
    wall = max(times) - min(times)
    print(
        f"{args.incidents} unacknowledged incidents across {len(APPS)} routes, one card each, every party in "
        f"its own process; {replicas} replica(s) on {where}; load average {load_before:.2f} before, "
        f"{load_after:.2f} after ({os.cpu_count()} cores)"
    )
    print(f"cards first: {cards} in {cards_took:.1f} s (by one bot whose routes do not remind)")
    print(f"reminders per channel: {per_channel}; 429s Slack answered over the whole run: {refused}")
    print(
        f"reminders: {sum(steps.values())} for {cards} cards; duplicates: {duplicates}; "
        f"wall time first to last {wall:.1f} s against the floor of {busiest - 1} s "
        f"({busiest} in the busiest channel, one a second)"
    )
    return 1 if duplicates else 0


if __name__ == "__main__":
    raise SystemExit(main())
