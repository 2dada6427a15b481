"""The senders are fair: a channel with a long backlog does not hold up the channels with a little work.

A real Dispatcher (one worker, so the order it serves channels in is the order Slack sees), a real outbox
on SQLite and a real gateway to the Slack sandbox over its socket; the gateway's own pacing is off, so the
order is the round-robin's alone, not Slack's pace.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cards import CardSender, OutboxWorker, Routes
from bot.cards.dispatch import Dispatcher
from bot.cards.work import PostCard
from bot.coralogix.client import IncidentsClient, connect
from bot.metrics import Metrics
from bot.routing_file import RoutingConfig
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox
from bot.slack.gateway import SlackGateway, build_web_client
from bot.store import Store
from tests.e2e.harness import wait_for

BUSY, QUIET, QUIETER = "C0INCIDENTS", "C0PAYMENTS", "C0SEARCH"  # the busy one sorts first
APPS = {BUSY: "shop", QUIET: "search", QUIETER: "billing"}
BACKLOG = 12


@pytest.fixture
def client(coralogix: RunningCoralogixSandbox) -> Iterator[IncidentsClient]:
    client = connect(coralogix.address, "cx-team-key", insecure=True)
    yield client
    client.close_channel()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.db'}")
    store.create_schema()
    yield store
    store.close()


def _posts(slack: RunningSlackSandbox) -> list[str]:
    """The channel of each card Slack accepted, in the order it accepted them."""
    return [
        str(call.params.get("channel"))
        for call in slack.workspace.calls_to("chat.postMessage")
        if call.ok and not call.params.get("thread_ts")
    ]


def test_the_quiet_channels_are_served_before_the_busy_ones_backlog_drains(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    metrics = Metrics()
    now = lambda: datetime.now(UTC)  # noqa: E731
    gateway = SlackGateway(build_web_client(SANDBOX_BOT_TOKEN, slack.api_url), metrics, pace_seconds=0)
    sender = CardSender(
        store=store,
        gateway=gateway,
        client=client,
        team_url=None,
        slack_user_of=lambda _user: None,
        metrics=metrics,
        clock=now,
    )
    routes = Routes(
        RoutingConfig.model_validate(
            {
                "routes": [
                    {"name": app, "match": {"application": app}, "channels": [channel]}
                    for channel, app in APPS.items()
                ]
            }
        )
    )
    outbox = OutboxWorker(sender=sender, routes=routes, metrics=metrics, replica_id="r1", clock=now)
    counts = {BUSY: BACKLOG, QUIET: 1, QUIETER: 1}
    for channel, count in counts.items():  # the busy channel's backlog is queued first, oldest
        ids = [
            coralogix.sim.create_incident(severity="warning", application=APPS[channel]) for _ in range(count)
        ]
        store.claim_messages([(i, channel) for i in ids], "r1", now())
        for incident_id in ids:
            sender.queue(PostCard(incident_id), channel)

    dispatcher = Dispatcher(
        outbox=outbox, store=store, gateway=gateway, metrics=metrics, may_send=lambda: True, workers=1
    )
    dispatcher.start()
    try:
        wait_for(lambda: len(_posts(slack)) >= sum(counts.values()), 60, "every card")
    finally:
        dispatcher.stop()

    order = _posts(slack)
    assert order.count(BUSY) == BACKLOG
    for quiet in (QUIET, QUIETER):  # one turn each: served within the first round, not after the backlog
        assert order.index(quiet) < len(counts), f"{quiet} waited for {BUSY}'s backlog: {order}"
