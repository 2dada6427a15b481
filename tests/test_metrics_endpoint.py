"""`/metrics` and `/readyz` of the real bot process, read as an operator would, around real activity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.web import SLACK_EVENTS_PATH
from tests.e2e.harness import BotProcess, bot_env, free_port, running_bot, wait_for, write_config
from tests.e2e.slack_requests import SlackSender, block_actions
from tests.scrape import Scrape

CHANNEL = "C0INCIDENTS"
T = TypeVar("T")


def found(predicate: Callable[[], T | None], timeout: float, what: str) -> T:
    """`wait_for` for a value: the first truthy result, typed without the None."""
    value = wait_for(predicate, timeout, what)
    assert value is not None
    return value


def _env(coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, database: Path) -> dict[str, str]:
    config = write_config(database.parent / "bot.yaml", {"identity": {"email_domains": ["example.com"]}})
    return bot_env(
        coralogix,
        slack,
        f"sqlite:///{database}",
        config_path=config,
        port=free_port(),
        extra={"BOT_DEFAULT_CHANNEL": CHANNEL},
    )


def scrape(bot: BotProcess) -> Scrape:
    status, text = bot.get("/metrics")
    assert status == 200
    return Scrape.parse(text)


def _card_ts(slack: RunningSlackSandbox, incident_id: str) -> str | None:
    for message in slack.workspace.messages(CHANNEL):
        payload = (message.metadata or {}).get("event_payload") or {}
        if payload.get("incident_id") == incident_id:
            return message.ts
    return None


def _ready(bot: BotProcess) -> bool:
    return bot.get("/readyz")[0] == 200


def _not_ready_because(bot: BotProcess) -> str | None:
    status, body = bot.get("/readyz")
    return body if status == 503 else None


def test_the_counters_move_with_incidents_and_calls(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    sim = coralogix.sim
    first = sim.create_incident(name="disk full", severity="error", application="shop")
    with running_bot(_env(coralogix, slack, tmp_path / "bot.db"), tmp_path / "bot.log") as bot:
        card = found(lambda: _card_ts(slack, first), 15, "the first card")
        wait_for(lambda: scrape(bot).total("incidentbot_incidents_posted_total") >= 1, 5, "posted counted")
        before = scrape(bot)

        # the WebClient retries a 429 once by itself (each 429 is counted); Slack stays rate-limiting
        # until one also outlives that retry and reaches the bot
        slack.workspace.faults.rate_limit("chat.postMessage", seconds=60)
        second = sim.create_incident(name="checkout 5xx", severity="critical", application="shop")
        sim.acknowledge(first, by="alice@example.com")
        wait_for(
            lambda: (
                scrape(bot).total(
                    "incidentbot_slack_calls_total", method="chat.postMessage", result="ratelimited"
                )
                > 0
            ),
            15,
            "a 429 to reach the bot",
        )
        slack.workspace.faults.clear()
        second_card = found(lambda: _card_ts(slack, second), 15, "the second card, after the rate limit")
        wait_for(lambda: slack.workspace.message(CHANNEL, card).updates >= 1, 10, "the first card updated")

        click, _ = block_actions(
            slack.workspace, slack.workspace.message(CHANNEL, second_card), "incident_resolve", user="U0ALICE"
        )
        assert SlackSender(bot.url + SLACK_EVENTS_PATH).post(click).status == 200
        wait_for(lambda: sim.calls_to("ResolveIncidents"), 10, "Alice's resolve in Coralogix")

        def moved() -> Scrape | None:
            after = scrape(bot)
            done = (
                after.total("incidentbot_incidents_posted_total")
                > before.total("incidentbot_incidents_posted_total")
                and after.total("incidentbot_incidents_updated_total")
                > before.total("incidentbot_incidents_updated_total")
                and after.total("incidentbot_actions_total", action="resolve") > 0
            )
            return after if done else None

        after = found(moved, 10, "posted and updated to be counted")

    def grew(name: str, **labels: str) -> bool:
        return after.total(name, **labels) > before.total(name, **labels)

    assert grew("incidentbot_incidents_seen_total")
    assert grew("incidentbot_incidents_posted_total")
    assert grew("incidentbot_incidents_updated_total")
    assert grew("incidentbot_coralogix_calls_total", rpc="ListIncidents", code="OK")
    assert grew("incidentbot_coralogix_call_seconds_count", rpc="ListIncidents")
    assert grew("incidentbot_slack_calls_total", method="chat.postMessage", result="ok")
    assert grew("incidentbot_slack_calls_total", method="chat.update", result="ok")
    assert grew("incidentbot_slack_calls_total", method="chat.postMessage", result="ratelimited")
    assert grew("incidentbot_slack_rate_limited_total", method="chat.postMessage")
    assert grew("incidentbot_poll_seconds_count")
    assert grew("incidentbot_actions_total", action="resolve")
    assert grew("incidentbot_coralogix_calls_total", rpc="ResolveIncidents", code="OK")
    # the values themselves, where the run decides them: one more card, one resolve done, one write
    posted = "incidentbot_incidents_posted_total"
    assert after.total(posted) - before.total(posted) == 1
    assert after.total("incidentbot_actions_total", action="resolve") == 1
    assert after.total("incidentbot_actions_total", action="resolve", result="done") == 1
    assert after.total("incidentbot_coralogix_calls_total", rpc="ResolveIncidents") == 1
    assert after.total("incidentbot_slack_rate_limited_total", method="chat.postMessage") >= after.total(
        "incidentbot_slack_calls_total", method="chat.postMessage", result="ratelimited"
    )
    assert after.total("incidentbot_poller_lease_held") == 1
    assert len(after.label_values("incidentbot_poller_lease_held", "replica")) == 1


def test_readyz_reports_a_coralogix_outage_and_recovers(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    with running_bot(_env(coralogix, slack, tmp_path / "bot.db"), tmp_path / "bot.log") as bot:
        wait_for(lambda: _ready(bot), 15, "/readyz to answer 200")
        assert bot.get("/readyz") == (200, "ready\n")
        before = scrape(bot)

        coralogix.sim.faults.unavailable_for_seconds(4)
        reason = found(lambda: _not_ready_because(bot), 10, "/readyz to answer 503")
        assert reason.startswith("coralogix: ")
        assert "unreachable" in reason
        assert bot.get("/healthz")[0] == 200, "alive, only not ready"
        during = scrape(bot)
        assert during.total("incidentbot_coralogix_calls_total", rpc="ListIncidents", code="UNAVAILABLE") > (
            before.total("incidentbot_coralogix_calls_total", rpc="ListIncidents", code="UNAVAILABLE")
        )
        assert during.total("incidentbot_poll_errors_total", reason="UNAVAILABLE") > before.total(
            "incidentbot_poll_errors_total", reason="UNAVAILABLE"
        )

        wait_for(lambda: _ready(bot), 25, "/readyz to answer 200 again after the outage")


def _lease(bot: BotProcess) -> dict[str, float]:
    """This process's lease gauge by replica (empty before its first poll)."""
    found = scrape(bot)
    return {
        labels["replica"]: value
        for name, labels, value in found.samples
        if name == "incidentbot_poller_lease_held"
    }


def test_the_lease_gauge_follows_the_replica_that_polls(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    database = tmp_path / "shared.db"
    with running_bot(_env(coralogix, slack, database), tmp_path / "a.log") as first:
        wait_for(lambda: list(_lease(first).values()) == [1.0], 15, "the first replica to hold the lease")
        (first_replica,) = _lease(first)
        with running_bot(_env(coralogix, slack, database), tmp_path / "b.log") as second:
            wait_for(lambda: list(_lease(second).values()) == [0.0], 15, "the second replica to wait")
            (second_replica,) = _lease(second)
            assert second_replica != first_replica
            assert _lease(first) == {first_replica: 1.0}
            first.stop()  # a clean shutdown hands the lease over at once
            wait_for(lambda: _lease(second) == {second_replica: 1.0}, 15, "the second replica to take over")
