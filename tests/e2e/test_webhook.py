"""`POST /coralogix/webhook`: the right secret makes the polling replica poll now; else 401 or 404."""

from __future__ import annotations

import http.client
from pathlib import Path

from bot.notify.wakeup import POLL_REQUEST
from bot.sandbox.slack import RunningSlackSandbox
from bot.store import Store
from tests.e2e.harness import BotProcess, bot_env, free_port, polls_done, running_bot, wait_for
from tests.e2e.stand_in import StandIn

SECRET = "webhook-secret-0123456789abcdef"


def _post(bot: BotProcess, authorization: str | None, body: bytes = b'{"alert": "hint"}') -> int:
    connection = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    try:
        connection.request("POST", "/coralogix/webhook", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _has_card(slack: RunningSlackSandbox, incident_id: str) -> bool:
    return any(
        (m.metadata or {}).get("event_payload", {}).get("incident_id") == incident_id
        for m in slack.workspace.messages("C0INCIDENTS")
    )


def test_the_webhook_polls_now_and_refuses_a_wrong_secret(
    coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    env = bot_env(coralogix, slack, f"sqlite:///{tmp_path / 'bot.db'}", config_path=None, port=free_port())
    env.update(
        {
            "BOT_WEBHOOK_SECRET": SECRET,
            "BOT_POLL_INTERVAL_SECONDS": "3600",
            "BOT_DEFAULT_CHANNEL": "C0INCIDENTS",
        }
    )
    with running_bot(env, tmp_path / "bot.log") as bot:
        wait_for(lambda: polls_done(bot) == 1, 15, "the first poll")
        incident = coralogix.sim.create_incident(severity="error")

        assert _post(bot, None) == 401
        assert _post(bot, f"Bearer {SECRET}x") == 401
        assert _post(bot, SECRET) == 401
        store = Store.from_url(env["BOT_DATABASE_URL"])
        try:
            assert store.get_cursor(POLL_REQUEST) is None  # refused hints ask for no poll
        finally:
            store.close()

        assert _post(bot, f"Bearer {SECRET}") == 202
        wait_for(lambda: _has_card(slack, incident), 10, "the card, long before the hourly poll")
        assert SECRET not in bot.log()


def test_without_a_secret_the_webhook_is_not_there(
    coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    env = bot_env(coralogix, slack, f"sqlite:///{tmp_path / 'bot.db'}", config_path=None, port=free_port())
    with running_bot(env, tmp_path / "bot.log") as bot:
        assert _post(bot, f"Bearer {SECRET}") == 404
