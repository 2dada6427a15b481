"""No secret reaches the bot's log: the real process, distinctive secrets, failures on every side.

The bot runs against both sandboxes with a Slack token, a signing secret, a Coralogix key and an
encryption key that appear nowhere else; it posts and updates cards through Slack 429s and 500s, lives
through a Coralogix outage, answers signed and forged Slack requests, and shuts down. Then its whole
output (stdout and stderr) must hold none of the secrets, nor any base64 form of them.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.fernet import Fernet

from bot.logs import REDACTED
from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import RunningSlackSandbox, SlackWorkspace, start_slack_sandbox
from bot.sandbox.slack.workspace import DEFAULT_CHANNELS, DEFAULT_USERS
from bot.slack import blocks
from bot.slack.ids import BlockId, CallbackId, InputId
from bot.web import SLACK_EVENTS_PATH
from tests.e2e.harness import BotProcess, bot_env, free_port, running_bot, wait_for, write_config
from tests.e2e.slack_requests import SlackSender, block_actions, slash_command, view_submission
from tests.scrape import Scrape

MARKER = "LEAKCHECK"
"""In the middle of every secret: a fragment of one in the log shows up even when cut short."""
CHANNEL = "C0INCIDENTS"
T = TypeVar("T")
ROUTES = {
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
}


def found(predicate: Callable[[], T | None], timeout: float, what: str) -> T:
    """`wait_for` for a value: the first truthy result, typed without the None."""
    value = wait_for(predicate, timeout, what)
    assert value is not None
    return value


@dataclass(frozen=True)
class Secrets:
    slack_bot_token: str
    slack_signing_secret: str
    coralogix_api_key: str
    bot_encryption_key: str
    personal_key: str

    @classmethod
    def fresh(cls) -> Secrets:
        return cls(
            slack_bot_token=f"xoxb-{MARKER}-{secrets.token_hex(16)}",
            slack_signing_secret=f"{MARKER}{secrets.token_hex(16)}",
            coralogix_api_key=f"cx-{MARKER}-{secrets.token_hex(20)}",
            bot_encryption_key=Fernet.generate_key().decode(),
            personal_key=f"cxup_{MARKER}_{secrets.token_hex(16)}",
        )

    def values(self) -> list[str]:
        return [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.coralogix_api_key,
            self.bot_encryption_key,
        ]


def base64_forms(secret: str) -> set[str]:
    """Substrings that any base64 (standard or URL-safe) of a text containing `secret` must contain.

    The secret can start at any of three offsets within base64's 3-byte groups; for each, the whole groups
    that follow encode to a fixed string, whatever surrounds the secret.
    """
    raw = secret.encode()
    forms: set[str] = set()
    for offset in range(3):
        whole = raw[offset:]
        whole = whole[: len(whole) - len(whole) % 3]
        if len(whole) >= 12:
            forms.add(base64.b64encode(whole).decode())
            forms.add(base64.urlsafe_b64encode(whole).decode())
    return forms


def test_base64_forms_are_found_wherever_the_secret_sits() -> None:
    secret = "xoxb-LEAKCHECK-0123456789abcdef"
    for prefix in ("", "a", "ab", "Authorization: Bearer "):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(f"{prefix}{secret}!".encode()).decode()
            assert any(form in encoded for form in base64_forms(secret)), (prefix, encode)
    assert not any(
        form in base64.b64encode(b"nothing secret here at all").decode() for form in base64_forms(secret)
    )


@pytest.fixture
def leaky() -> Secrets:
    return Secrets.fresh()


@pytest.fixture
def coralogix(leaky: Secrets) -> Iterator[RunningCoralogixSandbox]:
    sim = SimulatedCoralogix(seed=21)
    sim.add_api_key(leaky.coralogix_api_key, "oncall-bot@example.com")
    running = start_coralogix_sandbox(sim)
    yield running
    running.stop()


@pytest.fixture
def slack(leaky: Secrets) -> Iterator[RunningSlackSandbox]:
    workspace = SlackWorkspace(bot_token=leaky.slack_bot_token)
    for channel_id, name in DEFAULT_CHANNELS:
        workspace.add_channel(channel_id, name)
    for user_id, name, email, real_name in DEFAULT_USERS:
        workspace.add_user(user_id, name, email, real_name)
    running = start_slack_sandbox(workspace)
    yield running
    running.stop()


def _card_ts(slack: RunningSlackSandbox, incident_id: str) -> str | None:
    for message in slack.workspace.messages(CHANNEL):
        if ((message.metadata or {}).get("event_payload") or {}).get("incident_id") == incident_id:
            return message.ts
    return None


def _slack_failures_seen(bot: BotProcess) -> bool:
    metrics = Scrape.parse(bot.get("/metrics")[1])
    return (
        metrics.total("incidentbot_slack_calls_total", result="ratelimited") > 0
        and metrics.total("incidentbot_slack_calls_total", result="server_error") > 0
    )


def _connect_personal_key(
    sender: SlackSender, slack: RunningSlackSandbox, coralogix: RunningCoralogixSandbox, personal_key: str
) -> None:
    """Alice types `/cx connect` and pastes her own key into the modal the bot opens."""
    workspace = slack.workspace
    coralogix.sim.add_api_key(personal_key, "alice@example.com")
    body, _, _ = slash_command(workspace, "connect", user="U0ALICE", channel=CHANNEL)
    assert sender.post(body).status == 200
    modal = found(
        lambda: next((v for v in workspace.views() if v.view.get("callback_id") == CallbackId.CONNECT), None),
        10,
        "the connect modal",
    )
    typed: dict[str, Any] = {
        BlockId.API_KEY: {InputId.API_KEY: {"type": "plain_text_input", "value": personal_key}}
    }
    assert sender.post(view_submission(modal.view, modal.id, user="U0ALICE", values=typed)).status == 200
    wait_for(
        lambda: any(call.api_key == personal_key for call in coralogix.sim.calls),
        10,
        "the personal key to be tried against Coralogix",
    )


def _drive(
    bot: BotProcess,
    coralogix: RunningCoralogixSandbox,
    slack: RunningSlackSandbox,
    leaky: Secrets,
) -> None:
    """Cards through Slack failures, a Coralogix outage, a personal key, a click, forged requests."""
    sim, workspace = coralogix.sim, slack.workspace
    sender = SlackSender(bot.url + SLACK_EVENTS_PATH, leaky.slack_signing_secret)
    first = sim.create_incident(name="disk full", severity="error", application="shop")
    card = found(lambda: _card_ts(slack, first), 15, "the first card")

    # Slack keeps failing until the bot has met a 429 and a 500 (the WebClient retries each once itself)
    workspace.faults.rate_limit("chat.postMessage", seconds=60)
    workspace.faults.fail("chat.update", status=500, calls=1000)
    workspace.faults.error("users.lookupByEmail", "invalid_auth")
    second = sim.create_incident(name="checkout 5xx", severity="critical", application="shop")
    sim.acknowledge(first, by="alice@example.com")
    wait_for(lambda: _slack_failures_seen(bot), 15, "a 429 and a 500 to reach the bot")
    workspace.faults.clear()
    second_card = found(lambda: _card_ts(slack, second), 15, "the second card, after a 429")
    wait_for(lambda: workspace.message(CHANNEL, card).updates >= 1, 15, "the update, after a 500")

    sim.faults.unavailable_for_seconds(4)  # longer than the client's own retries of a read
    wait_for(lambda: bot.get("/readyz")[0] == 503, 10, "the outage to show in /readyz")
    wait_for(lambda: bot.get("/readyz")[0] == 200, 25, "the bot to recover from the outage")

    _connect_personal_key(sender, slack, coralogix, leaky.personal_key)
    click, _ = block_actions(
        workspace, workspace.message(CHANNEL, second_card), "incident_ack", user="U0ALICE"
    )
    assert sender.post(click).status == 200
    wait_for(
        lambda: any(c.rpc == "AcknowledgeIncidents" and c.api_key == leaky.personal_key for c in sim.calls),
        10,
        "Alice's click to act with her personal key",
    )

    help_command, _, _ = slash_command(workspace, "help", user="U0ALICE", channel=CHANNEL)
    assert sender.post(help_command).status == 200
    assert sender.post(help_command, signed_with="forged-secret").status == 401

    assert Scrape.parse(bot.get("/metrics")[1]).total("incidentbot_poll_errors_total") > 0


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_no_secret_in_any_log_line(
    log_format: str,
    leaky: Secrets,
    coralogix: RunningCoralogixSandbox,
    slack: RunningSlackSandbox,
    tmp_path: Path,
) -> None:
    env = bot_env(
        coralogix,
        slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        config_path=write_config(tmp_path / "bot.yaml", ROUTES),
        port=free_port(),
        extra={
            "SLACK_BOT_TOKEN": leaky.slack_bot_token,
            "SLACK_SIGNING_SECRET": leaky.slack_signing_secret,
            "CORALOGIX_API_KEY": leaky.coralogix_api_key,
            "BOT_ENCRYPTION_KEY": leaky.bot_encryption_key,
            "BOT_DEFAULT_CHANNEL": CHANNEL,
            "BOT_LOG_FORMAT": log_format,
        },
    )
    log_path = tmp_path / "bot.log"
    with running_bot(env, log_path) as bot:
        _drive(bot, coralogix, slack, leaky)
        assert bot.stop() == 0

    log = log_path.read_text()
    assert "running as replica" in log
    assert "incident-bot stopped" in log
    assert MARKER not in log
    for secret in leaky.values():
        assert secret not in log
        leaked = [form for form in base64_forms(secret) if form in log]
        assert not leaked, f"a base64 form of a secret is in the log: {leaked}"
    if log_format == "json":
        for line in log.splitlines():
            assert isinstance(json.loads(line), dict), line


def test_a_refused_request_does_not_log_the_personal_key_it_carries(
    leaky: Secrets, coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    """A genuine submission that arrives late (clock skew, a slow proxy) is refused, never logged."""
    env = bot_env(
        coralogix,
        slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        config_path=None,
        port=free_port(),
        extra={
            "SLACK_BOT_TOKEN": leaky.slack_bot_token,
            "SLACK_SIGNING_SECRET": leaky.slack_signing_secret,
            "CORALOGIX_API_KEY": leaky.coralogix_api_key,
            "BOT_ENCRYPTION_KEY": leaky.bot_encryption_key,
        },
    )
    log_path = tmp_path / "bot.log"
    typed: dict[str, Any] = {
        BlockId.API_KEY: {InputId.API_KEY: {"type": "plain_text_input", "value": leaky.personal_key}}
    }
    late = view_submission(blocks.connect_modal(), "V0CONNECT", user="U0ALICE", values=typed)
    with running_bot(env, log_path) as bot:
        sender = SlackSender(bot.url + SLACK_EVENTS_PATH, leaky.slack_signing_secret)
        assert sender.post(late, timestamp=str(int(time.time()) - 6 * 60)).status == 401
        bot.stop()
    assert "running as replica" in log_path.read_text()
    assert leaky.personal_key not in log_path.read_text()


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_the_running_bot_masks_the_secrets_it_was_given_wherever_they_come_from(
    log_format: str,
    leaky: Secrets,
    coralogix: RunningCoralogixSandbox,
    slack: RunningSlackSandbox,
    tmp_path: Path,
) -> None:
    """Slack answers a post with an error that echoes every secret of the bot (as a misbehaving API or
    proxy might): the bot logs the refusal, and the redactor of the running process, which was handed the
    secrets at start-up, masks each of them. Without them, this log line would carry all four."""
    env = bot_env(
        coralogix,
        slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        config_path=None,
        port=free_port(),
        extra={
            "SLACK_BOT_TOKEN": leaky.slack_bot_token,
            "SLACK_SIGNING_SECRET": leaky.slack_signing_secret,
            "CORALOGIX_API_KEY": leaky.coralogix_api_key,
            "BOT_ENCRYPTION_KEY": leaky.bot_encryption_key,
            "BOT_DEFAULT_CHANNEL": CHANNEL,
            "BOT_LOG_FORMAT": log_format,
        },
    )
    echo = "invalid_request_echo " + " ".join(leaky.values())
    slack.workspace.faults.error("chat.postMessage", echo)
    log_path = tmp_path / "bot.log"
    with running_bot(env, log_path) as bot:
        coralogix.sim.create_incident(name="disk full", severity="error", application="shop")
        wait_for(lambda: "invalid_request_echo" in bot.log(), 20, "the bot to log Slack's refusal")
        bot.stop()

    refusal = next(line for line in log_path.read_text().splitlines() if "invalid_request_echo" in line)
    assert refusal.count(REDACTED) == len(leaky.values()), refusal
    assert MARKER not in refusal
    for secret in leaky.values():
        assert secret not in refusal
