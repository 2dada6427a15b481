"""Push from Coralogix: a webhook sent to the standby replica, and the card it brings.

Every party is a process of its own: the simulated IncidentsService, the Slack sandbox and two replicas of
the bot (real `incident-bot run`, sharing a fresh PostgreSQL database, `BOT_POLL_INTERVAL_SECONDS=60`, so
a regular poll never brings a card within the measured time). This process plays Coralogix's webhook.

1. Latency: 50 times, one new incident is created in the stand-in and one webhook is sent to the replica
   that does NOT poll; measured from just before the webhook is sent to the moment the Slack sandbox
   accepted the card's `chat.postMessage` (both clocks are this machine's wall clock). Goal: p95 <= 1 s.
2. Coalescing: 1,000 webhooks in 10 s (100 a second, to the standby): how many polls the replicas ran
   meanwhile (their poll-duration histograms' counts). Goal: <= 20.

    .venv/bin/python bench/webhook.py [--incidents 50] [--flood 1000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack, closing
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the e2e harness lives in tests/

from bench.stand_ins import stand_in, take_orders  # noqa: E402
from bot.sandbox.slack import SANDBOX_BOT_TOKEN  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.e2e.harness import SIGNING_SECRET, BotProcess, free_port, polls_done, running_bot, wait_for  # noqa: E402
from tests.pg import fresh_postgres_url, require_postgres  # noqa: E402

SECRET = "bench-webhook-secret-0123456789abcdef"
CHANNEL = "C0INCIDENTS"


def serve_coralogix(port: int, orders: Connection, stop: Event) -> None:
    """The simulated IncidentsService; on order (a name), creates one incident and answers its id."""
    from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox

    sim = SimulatedCoralogix(seed=5)
    with start_coralogix_sandbox(sim, port=port):
        take_orders(orders, stop, lambda name: sim.create_incident(severity="error", name=name), every=0.05)


def serve_slack(port: int, orders: Connection, stop: Event) -> None:
    """The Slack sandbox; on order (an incident id), answers when its card was accepted, or None."""
    from bot.sandbox.slack import SlackWorkspace, start_slack_sandbox

    workspace = SlackWorkspace.with_defaults()

    def accepted(wanted: str) -> float | None:
        posted = [
            call.at
            for call in workspace.calls
            if call.method == "chat.postMessage" and call.ok and incident_of(call.params) == wanted
        ]
        return min(posted) if posted else None

    with start_slack_sandbox(workspace, port=port):
        take_orders(orders, stop, accepted, every=0.05)


def incident_of(params: dict[str, Any]) -> str | None:
    metadata = params.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    found = (metadata.get("event_payload") or {}).get("incident_id")
    return found if isinstance(found, str) else None


def webhook(bot: BotProcess, body: bytes = b'{"alert_id": "bench"}') -> int:
    connection = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/coralogix/webhook",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {SECRET}"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def replica_of(bot: BotProcess) -> str:
    for line in bot.log().splitlines():
        if "running as replica" in line:
            return line.split("running as replica ")[1].split(";")[0]
    raise AssertionError("the bot did not say which replica it is")


def bot_settings(coralogix_port: int, slack_port: int, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CORALOGIX_", "BOT_"))}
    return env | {
        "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "CORALOGIX_API_KEY": "cx-team-key",
        "CORALOGIX_API": "incidents",
        "CORALOGIX_GRPC_ENDPOINT": f"127.0.0.1:{coralogix_port}",
        "CORALOGIX_GRPC_INSECURE": "true",
        "BOT_DATABASE_URL": database_url,
        "BOT_DEFAULT_CHANNEL": CHANNEL,
        "BOT_POLL_INTERVAL_SECONDS": "60",
        "BOT_WEBHOOK_SECRET": SECRET,
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(free_port()),
        "BOT_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--flood", type=int, default=1000)
    args = parser.parse_args()

    latencies: list[float] = []
    with ExitStack() as stack:
        coralogix = stack.enter_context(stand_in(serve_coralogix))
        slack = stack.enter_context(stand_in(serve_slack))
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(fresh_postgres_url(require_postgres()))
        bots = [
            stack.enter_context(
                running_bot(bot_settings(coralogix.port, slack.port, url), Path(tmp) / f"bot{n}.log")
            )
            for n in range(2)
        ]
        store = stack.enter_context(closing(Store.from_url(url)))
        holder = wait_for(lambda: store.lease_holder("poller"), 30, "one replica to take the lease")
        wait_for(lambda: any(polls_done(b) >= 1 for b in bots), 30, "the first poll")
        standby = next(b for b in bots if replica_of(b) != holder)
        load_before = os.getloadavg()[0]

        for n in range(args.incidents):
            incident_id = coralogix.ask(f"pushed {n}")
            sent = time.time()
            assert webhook(standby) == 202

            def posted_at(wanted: str = incident_id) -> float | None:
                answer: float | None = slack.ask(wanted)
                return answer

            latencies.append(wait_for(posted_at, 30, f"the card of {incident_id}", interval=0.01) - sent)
            time.sleep(0.7)  # let the webhook-asked polls' minimum gap pass: each webhook measured alone

        polls_before = sum(polls_done(b) for b in bots)
        started = time.monotonic()
        for n in range(args.flood):
            due = started + n * 10.0 / args.flood
            time.sleep(max(0.0, due - time.monotonic()))
            assert webhook(standby) == 202
        flood_seconds = time.monotonic() - started
        time.sleep(1.0)  # the last queued poll
        flood_polls = sum(polls_done(b) for b in bots) - polls_before
        load_after = os.getloadavg()[0]

    print(
        "two replicas on PostgreSQL, BOT_POLL_INTERVAL_SECONDS=60, every party in its own process; "
        f"load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} cores)"
    )
    print(
        f"webhook to the standby -> card posted, {len(latencies)} incidents: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms (goal: p95 <= 1000 ms)"
    )
    print(f"{args.flood} webhooks in {flood_seconds:.1f} s -> {flood_polls} polls (goal: <= 20)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
