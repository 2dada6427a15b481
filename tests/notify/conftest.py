"""A poller world on either Coralogix API: the simulated service, the Slack sandbox, a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cards import CardSender, Routes
from bot.coralogix.backend import ApiName, CoralogixBackend, make_backend
from bot.coralogix.channel import open_channel
from bot.metrics import Metrics
from bot.notify.poller import Poller
from bot.notify.publisher import CardPublisher
from bot.notify.sweep import OPEN_NOW
from bot.routing_file import RoutingConfig
from bot.sandbox.coralogix import (
    SimulatedCases,
    SimulatedCoralogix,
    start_cases_sandbox,
    start_coralogix_sandbox,
)
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox
from bot.slack.gateway import SlackGateway, build_web_client
from bot.store import Store
from tests.notify.recording import RecordingBackend, Ticks

OLD = datetime.now(UTC) - timedelta(days=2)  # older than the backfill: tracked, never posted


@dataclass
class World:
    api: ApiName
    sim: SimulatedCoralogix | SimulatedCases
    client: CoralogixBackend
    db_url: str
    slack: RunningSlackSandbox

    def store(self) -> Store:
        """A Store of its own on the world's database, as a replica (or a restarted bot) has."""
        store = Store.from_url(self.db_url)
        store.create_schema()
        return store

    def poller(
        self,
        store: Store,
        backend: RecordingBackend,
        **options: Any,
    ) -> Poller:
        metrics = Metrics()
        web_client = build_web_client(SANDBOX_BOT_TOKEN, self.slack.api_url)
        gateway = SlackGateway(web_client, metrics, pace_seconds=0)
        clock = lambda: datetime.now(UTC)  # noqa: E731
        replica = f"replica-{id(store)}"
        # no route and no default channel: nothing is posted, every incident is only tracked
        routes = Routes(RoutingConfig.model_validate({"routes": []}))
        sender = CardSender(
            store=store,
            gateway=gateway,
            client=backend,
            team_url=None,
            slack_user_of=lambda _user: None,
            metrics=metrics,
            clock=clock,
        )
        publisher = CardPublisher(
            store=store,
            sender=sender,
            client=backend,
            routes=routes,
            slack_user_of=lambda _user: None,
            metrics=metrics,
            replica_id=replica,
            clock=clock,
        )
        options.setdefault("backfill", timedelta(minutes=60))
        return Poller(
            client=backend,
            store=store,
            publisher=publisher,
            clock=lambda: datetime.now(UTC),
            ticks=backend.ticks,
            **options,
        )

    def backend(self, ticks: Ticks | None = None, **options: Any) -> RecordingBackend:
        return RecordingBackend(self.client, ticks, **options)

    def open_ids(self) -> set[str]:
        """What Coralogix calls open now (read straight from the service, not through the poller)."""
        return {incident.id for incident in self.client.iter_incidents(OPEN_NOW)}


@pytest.fixture(params=["incidents", "cases"])
def world(request: pytest.FixtureRequest, slack: RunningSlackSandbox, tmp_path: Path) -> Iterator[World]:
    api: ApiName = request.param
    sim: SimulatedCoralogix | SimulatedCases
    if api == "cases":
        sim = SimulatedCases(seed=5)
        running: Any = start_cases_sandbox(sim)
    else:
        sim = SimulatedCoralogix(seed=5)
        running = start_coralogix_sandbox(sim)
    client = make_backend(api, open_channel(running.address, insecure=True), "cx-team-key")
    yield World(api, sim, client, f"sqlite:///{tmp_path / 'bot.db'}", slack)
    client.close_channel()
    running.stop()
