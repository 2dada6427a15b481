"""A storm: 1,000 incidents triggered at once across 5 channels, with Slack's pace enforced by Slack.

Every party is a process of its own: the simulated IncidentsService, the Slack sandbox and the bot (a real
`incident-bot run`). The Slack sandbox enforces Slack's pace as Slack does: a second post to a channel
within the same second (0.9 s here, for the jitter of a request's trip) is refused with HTTP 429
`ratelimited` and a Retry-After. This process triggers the storm and waits until every channel is
consistent: each incident routed to a channel is there, as its own card or as a line of that channel's
digest.

It prints the Slack calls made (and how many Slack refused for going too fast), the messages per channel,
and the seconds taken against the floor Slack's pace sets: the busiest channel's messages, one second
apart, take (messages - 1) seconds from the first to the last.

    .venv/bin/python bench/storm.py [--incidents N] [--threshold T]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the e2e harness lives in tests/

from bench.stand_ins import stand_in, take_orders  # noqa: E402
from bot.sandbox.slack import SANDBOX_BOT_TOKEN  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    SIGNING_SECRET,
    free_port,
    polls_done,
    running_bot,
    wait_for,
    write_config,
)

APPS = {"shop": "C0PAYMENTS", "payments": "C0PAYMENTS", "search": "C0SEARCH", "auth": "C0AUTH"}
CHANNELS = ("C0PAYMENTS", "C0SEARCH", "C0AUTH", "C0DATA", "C0PLATFORM")
ROUTES = {
    "routes": [
        {"name": "shop", "match": {"application": ["shop", "payments"]}, "channels": ["C0PAYMENTS"]},
        {"name": "search", "match": {"application": "search"}, "channels": ["C0SEARCH"]},
        {"name": "auth", "match": {"application": "auth"}, "channels": ["C0AUTH"]},
        {"name": "data", "match": {"application": "data-pipeline"}, "channels": ["C0DATA"]},
        {"name": "critical", "match": {"severity": "critical"}, "channels": ["C0PLATFORM"]},
    ]
}
PACE_GAP = 0.9
"""Seconds below which the sandbox refuses a second post to a channel (Slack: one a second)."""
CRITICAL = 4  # the IncidentSeverity enum's value for critical


# ------------------------------------------------------------------------------------ the stand-ins


def serve_coralogix(port: int, orders: Connection, stop: Event) -> None:
    """The simulated IncidentsService; on order, triggers the storm and says where each incident belongs."""
    from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox

    sim = SimulatedCoralogix(seed=21)

    def storm(count: int) -> tuple[set[tuple[str, str]], int]:
        apps = ("shop", "payments", "search", "auth", "data-pipeline")
        severities = ("warning", "error", "error", "info", "warning", "error", "low", "warning", "error")
        ids = [  # about one in eleven critical, spread over the applications
            sim.create_incident(
                application=apps[n % 5],
                severity="critical" if n % 11 == 0 else severities[n % len(severities)],
            )
            for n in range(count)
        ]
        pairs: set[tuple[str, str]] = set()
        for incident_id in ids:
            incident = sim.incident(incident_id)
            app = incident.display_labels.get("coralogix.metadata.applicationName", "")
            pairs.add((APPS.get(app, "C0DATA"), incident_id))
            if incident.severity == CRITICAL:
                pairs.add(("C0PLATFORM", incident_id))
        criticals = sum(1 for i in ids if sim.incident(i).severity == CRITICAL)
        return pairs, criticals

    with start_coralogix_sandbox(sim, port=port):
        take_orders(orders, stop, lambda count: storm(int(count)))


def serve_slack(port: int, orders: Connection, stop: Event) -> None:
    """The Slack sandbox, enforcing the pace; on order, says what the channels show and the calls made."""
    from bot.sandbox.slack import SlackWorkspace, start_slack_sandbox

    workspace = SlackWorkspace.with_defaults()
    workspace.add_channel("C0AUTH", "auth")
    workspace.add_channel("C0DATA", "data")
    workspace.faults.enforce_channel_pacing(per_second=1 / PACE_GAP, burst=1)

    def state(since: float) -> tuple[set[tuple[str, str]], dict[str, int], dict[str, int], int]:
        shown: set[tuple[str, str]] = set()
        for channel in CHANNELS:
            for message in workspace.messages(channel):
                metadata = message.metadata or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == "coralogix_incident":
                    shown.add((channel, payload["incident_id"]))
                elif metadata.get("event_type") == "coralogix_incident_digest":
                    shown.update((channel, i) for i in payload["incident_ids"])
        calls = [call for call in workspace.calls if call.at >= since]
        posted = Counter(
            str(call.params.get("channel")) for call in calls if call.method == "chat.postMessage" and call.ok
        )
        refused = sum(1 for call in calls if call.status == 429)
        return shown, dict(Counter(call.method for call in calls)), dict(posted), refused

    with start_slack_sandbox(workspace, port=port):
        take_orders(orders, stop, lambda since: state(float(since)))


# ------------------------------------------------------------------------------------------ the run


def bot_settings(tmp: Path, coralogix_port: int, slack_port: int, threshold: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CORALOGIX_", "BOT_"))}
    return env | {
        "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "CORALOGIX_API_KEY": "cx-team-key",
        "CORALOGIX_API": "incidents",
        "CORALOGIX_GRPC_ENDPOINT": f"127.0.0.1:{coralogix_port}",
        "CORALOGIX_GRPC_INSECURE": "true",
        "BOT_CONFIG": str(write_config(tmp / "bot.yaml", ROUTES)),
        "BOT_DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        "BOT_POLL_INTERVAL_SECONDS": "1",
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(free_port()),
        "BOT_STORM_THRESHOLD": str(threshold),
        "BOT_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--threshold", type=int, default=10)
    args = parser.parse_args()

    with (
        stand_in(serve_coralogix) as coralogix,
        stand_in(serve_slack) as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = bot_settings(Path(tmp), coralogix.port, slack.port, args.threshold)
        with running_bot(env, Path(tmp) / "bot.log") as bot:
            wait_for(lambda: polls_done(bot) >= 1, 60, "the first start (nothing to post yet)")
            load_before = os.getloadavg()[0]
            since = time.time()
            want, criticals = coralogix.ask(args.incidents)
            started = time.monotonic()
            while True:
                shown, calls, posted, refused = slack.ask(since)
                if want <= shown:
                    break
                if time.monotonic() - started > 900:
                    raise SystemExit("not consistent after 15 minutes")
                time.sleep(0.2)
            took = time.monotonic() - started
            load_after = os.getloadavg()[0]

    busiest = max(posted.values())
    floor = busiest - 1
    print(
        f"{args.incidents} incidents at once, storm threshold {args.threshold}; every party in its own "
        f"process; load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} cores)"
    )
    print(f"Slack calls: {calls} (total {sum(calls.values())}); refused for going too fast (429): {refused}")
    print(f"messages per channel: {posted}")
    print(f"critical incidents (own cards in their team channel and in C0PLATFORM): {criticals}")
    print(
        f"consistent after {took:.1f} s; floor at Slack's pace (one message a second): "
        f"{busiest} messages in the busiest channel -> {floor} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
