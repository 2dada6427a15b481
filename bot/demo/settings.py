"""The bot's settings for the demo: the sandboxes' addresses, a temporary database and a routing file."""

from __future__ import annotations

from pathlib import Path

import yaml
from cryptography.fernet import Fernet

from bot.config import Settings, load_settings
from bot.sandbox.slack import DEFAULT_CHANNEL_ID, SANDBOX_BOT_TOKEN

DEMO_SIGNING_SECRET = "demo-signing-secret-0f1e2d3c4b5a6978"  # noqa: S105 - the demo's own, not a secret
DEMO_TEAM_URL = "https://acme.coralogix.invalid"
DEMO_WEBHOOK_SECRET = "demo-webhook-secret-9a8b7c6d5e4f3021"  # noqa: S105 - the demo's own, not a secret
"""A Coralogix team URL that leads nowhere (`.invalid`): cards link there, and its incident links pasted in
a channel unfurl (the demo's unfurl domain is its host)."""
DEMO_API_KEY = "cx-team-key"
"""The simulated account's team key (see `bot.sandbox.coralogix.accounts`)."""

DEMO_ROUTING: dict[str, object] = {
    "routes": [
        {
            "name": "payments",
            "match": {"application": ["payments", "shop"]},
            "channels": ["C0PAYMENTS"],
            "responders": ["S0ONCALL", "U0LEAD"],
            # unacknowledged a minute after they began: a reminder in the thread, shown in the channel too
            "remind": {"after": "1m", "every": "10m", "times": 3, "mention": ["S0ONCALL"]},
            "report": {"at": "09:00", "tz": "UTC", "days": ["mon", "tue", "wed", "thu", "fri"]},
        },
        {
            "name": "search",
            "match": {"application": ["search"]},
            "channels": ["C0SEARCH"],
            "responders": ["U0BOB", "U0CAROL", "S0LEADS"],
        },
        {"name": "criticals", "match": {"severity": ["critical"]}, "channels": ["C0PLATFORM"]},
    ],
    "users": [
        {"slack": "U0ALICE", "coralogix": "alice@example.com"},
        {"slack": "U0BOB", "coralogix": "bob@example.com"},
    ],
    "identity": {"email_domains": ["example.com"]},
    "permissions": {"close": ["S0LEADS"]},
}
"""A least-privilege set-up: e-mails map only on example.com (never the guest), each team's incidents
are acted on by its responders, and only the leads group may close."""
DEMO_CONNECTED_KEYS = (
    ("U0ALICE", "alice@example.com", "cx-alice-key"),
    ("U0BOB", "bob@example.com", "cx-bob-key"),
)
"""Personal keys the demo connects at start: on Incidents, acknowledging and assigning need one."""
DEMO_SPARE_KEY = ("U0CAROL", "carol@example.com", "cx-carol-key")
"""Carol has none: her Acknowledge opens the connect form, where this key can be pasted."""
BACKFILL_MINUTES = 24 * 60
"""The demo's incidents started up to six hours ago; all the open ones get a card at start."""


def write_routing_file(directory: Path) -> Path:
    path = directory / "routing.yaml"
    path.write_text(yaml.safe_dump(DEMO_ROUTING, sort_keys=False), encoding="utf-8")
    return path


def demo_environment(
    *,
    coralogix_address: str,
    slack_api_url: str,
    database_path: Path,
    bot_port: int,
    poll_interval_seconds: int = 2,
    encryption_key: str | None = None,
    app_token: str | None = None,
) -> dict[str, str]:
    """The environment the demo's bot runs with (no variable of the real environment is read); with
    `app_token`, Socket Mode."""
    socket_mode = {"SLACK_APP_TOKEN": app_token} if app_token else {}
    return socket_mode | {
        "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": DEMO_SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "CORALOGIX_API_KEY": DEMO_API_KEY,
        "CORALOGIX_GRPC_ENDPOINT": coralogix_address,
        "CORALOGIX_GRPC_INSECURE": "true",
        "BOT_DATABASE_URL": f"sqlite:///{database_path}",
        "BOT_POLL_INTERVAL_SECONDS": str(poll_interval_seconds),
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(bot_port),
        "BOT_DEFAULT_CHANNEL": DEFAULT_CHANNEL_ID,
        "BOT_ENCRYPTION_KEY": encryption_key or Fernet.generate_key().decode(),
        "BOT_BACKFILL_MINUTES": str(BACKFILL_MINUTES),
        "CORALOGIX_TEAM_URL": DEMO_TEAM_URL,
        "BOT_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
    }


def demo_settings(
    directory: Path,
    *,
    coralogix_address: str,
    slack_api_url: str,
    bot_port: int,
    poll_interval_seconds: int = 2,
    app_token: str | None = None,
) -> Settings:
    """Settings through the loader `incident-bot run` uses; database and routing file go in `directory`."""
    env = demo_environment(
        coralogix_address=coralogix_address,
        slack_api_url=slack_api_url,
        database_path=directory / "demo.db",
        bot_port=bot_port,
        poll_interval_seconds=poll_interval_seconds,
        app_token=app_token,
    )
    return load_settings(write_routing_file(directory), env=env)
