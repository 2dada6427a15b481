"""A storm: 1,000 incidents triggered at once across 5 channels, with Slack's real pace (1 message/s/channel).

Runs the whole bot (`build_runtime`, as `incident-bot run` does) against the simulated IncidentsService and
the Slack sandbox, triggers the storm, and waits until every channel is consistent: each incident routed
to a channel is there, as its own card or as a line of that channel's digest. Prints the Slack calls made,
the messages per channel, and the seconds taken against the floor Slack's pace sets (the busiest channel's
message count, in seconds).

    .venv/bin/python bench/storm.py [--incidents N] [--threshold T]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from bot.config import load_settings
from bot.logs import configure_logging
from bot.runtime import build_runtime
from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, SlackWorkspace, start_slack_sandbox

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


def expected(sim: SimulatedCoralogix, ids: list[str]) -> set[tuple[str, str]]:
    pairs = set()
    for incident_id in ids:
        incident = sim.incident(incident_id)
        app = incident.display_labels.get("coralogix.metadata.applicationName", "")
        pairs.add((APPS.get(app, "C0DATA"), incident_id))
        if incident.severity == 4:
            pairs.add(("C0PLATFORM", incident_id))
    return pairs


def shown(workspace: SlackWorkspace) -> set[tuple[str, str]]:
    pairs = set()
    for channel in CHANNELS:
        for message in workspace.messages(channel):
            metadata = message.metadata or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == "coralogix_incident":
                pairs.add((channel, payload["incident_id"]))
            elif metadata.get("event_type") == "coralogix_incident_digest":
                pairs.update((channel, i) for i in payload["incident_ids"])
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--threshold", type=int, default=10)
    args = parser.parse_args()
    configure_logging("console", [], level=logging.WARNING)

    sim = SimulatedCoralogix(seed=21)
    coralogix = start_coralogix_sandbox(sim)
    workspace = SlackWorkspace.with_defaults()
    workspace.add_channel("C0AUTH", "auth")
    workspace.add_channel("C0DATA", "data")
    slack = start_slack_sandbox(workspace)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bot.yaml"
        config.write_text(yaml.safe_dump(ROUTES))
        settings = load_settings(
            config,
            env={
                "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
                "SLACK_SIGNING_SECRET": "bench-signing-secret",
                "SLACK_API_URL": slack.api_url,
                "CORALOGIX_API_KEY": "cx-team-key",
                "CORALOGIX_GRPC_ENDPOINT": coralogix.address,
                "CORALOGIX_GRPC_INSECURE": "true",
                "BOT_DATABASE_URL": f"sqlite:///{tmp}/bot.db",
                "BOT_POLL_INTERVAL_SECONDS": "1",
                "BOT_HTTP_HOST": "127.0.0.1",
                "BOT_HTTP_PORT": "3999",
                "BOT_STORM_THRESHOLD": str(args.threshold),
            },
        )
        runtime = build_runtime(settings)
        runtime.start()
        try:
            time.sleep(2)  # first start done: nothing to post yet
            calls_before = len(workspace.calls)
            apps = ("shop", "payments", "search", "auth", "data-pipeline")
            severities = ("warning", "error", "error", "info", "warning", "error", "low", "warning", "error")
            ids = [  # about one in eleven critical, spread over the applications
                sim.create_incident(
                    application=apps[n % 5],
                    severity="critical" if n % 11 == 0 else severities[n % len(severities)],
                )
                for n in range(args.incidents)
            ]
            started = time.monotonic()
            want = expected(sim, ids)
            while not want <= shown(workspace):
                time.sleep(0.2)
                if time.monotonic() - started > 900:
                    raise SystemExit("not consistent after 15 minutes")
            took = time.monotonic() - started
        finally:
            runtime.stop()
        calls = Counter(call.method for call in workspace.calls[calls_before:])
        per_channel = {c: len(workspace.messages(c)) for c in CHANNELS}
        floor = max(per_channel.values())
        print(f"{args.incidents} incidents at once, storm threshold {args.threshold}")
        print(f"Slack calls: {dict(calls)} (total {sum(calls.values())})")
        print(f"messages per channel: {per_channel}")
        criticals = sum(1 for i in ids if sim.incident(i).severity == 4)
        print(f"critical incidents (own cards in their team channel and in C0PLATFORM): {criticals}")
        print(f"consistent after {took:.1f} s; floor at 1 message/s/channel: {floor} s")
    coralogix.stop()
    slack.stop()


if __name__ == "__main__":
    main()
