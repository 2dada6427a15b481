"""What the cards tests share: a client of the simulated Coralogix, a SQLite store, and a replica's senders
(card sender, outbox worker, gateway) wired to the Slack sandbox over its socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.cards import CardSender, OutboxWorker, Routes
from bot.coralogix.client import IncidentsClient, connect
from bot.metrics import Metrics
from bot.routing_file import RoutingConfig
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox
from bot.slack.gateway import SlackGateway, build_web_client
from bot.store import Store


@pytest.fixture
def client(coralogix: RunningCoralogixSandbox) -> Iterator[IncidentsClient]:
    client = connect(coralogix.address, "cx-team-key", insecure=True)
    yield client
    client.close_channel()


@dataclass
class Replica:
    sender: CardSender
    outbox: OutboxWorker
    gateway: SlackGateway
    metrics: Metrics


def replica(
    name: str,
    store: Store,
    client: IncidentsClient,
    slack: RunningSlackSandbox,
    routes: dict[str, object] | None = None,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Replica:
    """One replica's senders; the gateway's own pacing is off (the tests' Slack sandbox may pace)."""
    metrics = Metrics()
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
    config = RoutingConfig.model_validate(routes or {"routes": []})
    outbox = OutboxWorker(sender=sender, routes=Routes(config), metrics=metrics, replica_id=name, clock=now)
    return Replica(sender, outbox, gateway, metrics)
