"""Slack's pace, enforced by the Slack sandbox: one message per second per channel.

The sandbox answers a second chat.postMessage to a channel within the same second with HTTP 429
`ratelimited` (and a Retry-After), as Slack does. The bot paces its posts per channel, so it is never
refused; without its pacer, a burst of cards for one channel meets the 429s (it would get its messages out
in the end, through Slack's Retry-After and the outbox, but Slack would have refused it first).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox, SlackWorkspace, start_slack_sandbox
from tests.e2e.harness import bot_env, free_port, running_bot, wait_for
from tests.e2e.stand_in import Api, StandIn, start_stand_in
from tests.scrape import Scrape

CHANNEL = "C0INCIDENTS"
PACE_GAP = 0.9
"""The sandbox refuses a second post to a channel less than this many seconds after the last one: Slack's
one per second, less what a request's trip may add to the gap between the bot's posts."""


def enforce_slack_pace(workspace: SlackWorkspace) -> None:
    workspace.faults.enforce_channel_pacing(per_second=1 / PACE_GAP, burst=1)


@pytest.fixture
def paced_slack() -> Iterator[RunningSlackSandbox]:
    workspace = SlackWorkspace.with_defaults()
    enforce_slack_pace(workspace)
    running = start_slack_sandbox(workspace)
    yield running
    running.stop()


@pytest.fixture
def coralogix(coralogix_api: Api) -> Iterator[StandIn]:
    running = start_stand_in(coralogix_api, seed=29)
    yield running
    running.stop()


def test_the_sandbox_refuses_a_second_post_in_the_same_second(paced_slack: RunningSlackSandbox) -> None:
    client = WebClient(token=SANDBOX_BOT_TOKEN, base_url=paced_slack.api_url)
    client.retry_handlers = []  # see Slack's own answer, not slack_sdk's retry of it

    client.chat_postMessage(channel=CHANNEL, text="first")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=CHANNEL, text="second, in the same second")
    client.chat_postMessage(channel="C0PAYMENTS", text="another channel has a pace of its own")

    assert refused.value.response.status_code == 429
    assert refused.value.response["error"] == "ratelimited"
    assert int(refused.value.response.headers["Retry-After"]) >= 1
    assert [m.text for m in paced_slack.workspace.messages(CHANNEL)] == ["first"]


def test_the_bot_keeps_slacks_pace_so_slack_never_refuses_it(
    coralogix: StandIn, paced_slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    """Four new incidents for one channel, then changes to two of them: four cards and their thread lines
    go to the same channel, none of them refused."""
    sim, workspace = coralogix.sim, paced_slack.workspace
    incidents = [sim.create_incident(name=f"paced {n}", severity="error") for n in range(4)]
    env = bot_env(
        coralogix,
        paced_slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        config_path=None,
        port=free_port(),
        extra={"BOT_DEFAULT_CHANNEL": CHANNEL},
    )

    def cards() -> dict[str, str]:
        return {
            (m.metadata or {}).get("event_payload", {}).get("incident_id", ""): m.ts
            for m in workspace.messages(CHANNEL)
        }

    with running_bot(env, tmp_path / "bot.log") as bot:
        wait_for(lambda: set(incidents) <= set(cards()), 30, "the four cards")
        posted = cards()
        for incident in incidents[:2]:
            sim.acknowledge(incident, by="alice@example.com")
        wait_for(
            lambda: all(workspace.replies(CHANNEL, posted[i]) for i in incidents[:2]),
            30,
            "a thread line under both acknowledged cards",
        )
        rate_limited = Scrape.parse(bot.get("/metrics")[1]).total(
            "incidentbot_slack_calls_total", result="ratelimited"
        )

    refused = [call for call in workspace.calls_to("chat.postMessage") if call.status == 429]
    assert refused == [], f"Slack refused {len(refused)} posts for going faster than its pace"
    assert rate_limited == 0
    assert len(workspace.messages(CHANNEL)) == len(incidents)  # each card once
