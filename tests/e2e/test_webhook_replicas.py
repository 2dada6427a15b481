"""A webhook that reaches the standby replica: the lease holder polls at once (two replicas, PostgreSQL)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import pytest

from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.store import Store
from tests.e2e.harness import BotProcess, bot_env, free_port, polls_done, running_bot, wait_for
from tests.pg import fresh_postgres_url, require_postgres

pytestmark = pytest.mark.postgres

SECRET = "webhook-secret-0123456789abcdef"


@pytest.fixture
def database_url() -> Iterator[str]:
    admin = require_postgres()
    with fresh_postgres_url(admin) as url:
        yield url


def _webhook(bot: BotProcess, body: bytes, secret: str = SECRET) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/coralogix/webhook",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _cards(slack: RunningSlackSandbox, incident_id: str) -> int:
    return sum(
        1
        for m in slack.workspace.messages("C0INCIDENTS")
        if (m.metadata or {}).get("event_payload", {}).get("incident_id") == incident_id
    )


def _replica_of(bot: BotProcess) -> str:
    for line in bot.log().splitlines():
        if "running as replica" in line:
            return line.split("running as replica ")[1].split(";")[0]
    raise AssertionError("the bot did not say which replica it is")


def test_a_webhook_to_the_standby_puts_the_card_in_the_channel_long_before_the_next_poll(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    extra = {
        "BOT_WEBHOOK_SECRET": SECRET,
        "BOT_POLL_INTERVAL_SECONDS": "60",
        "BOT_DEFAULT_CHANNEL": "C0INCIDENTS",
    }
    with ExitStack() as stack:
        bots = [
            stack.enter_context(
                running_bot(
                    bot_env(coralogix, slack, database_url, config_path=None, port=free_port(), extra=extra),
                    tmp_path / f"bot{n}.log",
                )
            )
            for n in range(2)
        ]
        store = stack.enter_context(closing(Store.from_url(database_url)))
        holder = wait_for(lambda: store.lease_holder("poller"), 15, "one replica to take the lease")
        wait_for(lambda: any(polls_done(b) >= 1 for b in bots), 15, "the first poll")
        standby = next(b for b in bots if _replica_of(b) != holder)
        poller = next(b for b in bots if _replica_of(b) == holder)
        polls_before = polls_done(poller)

        forged = coralogix.sim.create_incident(severity="error", name="forged hint")
        assert _webhook(standby, b'{"incident_id": "x"}', secret="wrong") == 401
        assert _webhook(standby, b"\x00not json at all", secret="wrong") == 401
        assert (
            polls_done(poller) == polls_before and _cards(slack, forged) == 0
        )  # a forged call polls nothing

        # Malformed bodies are hints that say nothing: accepted, and the poll reads Coralogix as always.
        assert _webhook(standby, b"{not json") == 202
        wait_for(lambda: _cards(slack, forged) == 1, 10, "the card, on the holder, within seconds")

        incidents = [coralogix.sim.create_incident(severity="error", name=f"pushed {n}") for n in range(3)]
        for _ in range(30):  # a burst of webhooks for them
            assert _webhook(standby, b'{"alert_id": "a1"}') == 202
        wait_for(lambda: all(_cards(slack, i) == 1 for i in incidents), 10, "every card, once")
        assert polls_done(standby) == 0  # the standby never polled: the holder did, for the webhook
        assert polls_done(poller) - polls_before <= 30 / 2  # the burst coalesced into fewer polls
