"""The action service built as the runtime builds it, against the two sandboxes over real sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from bot.actions import ActionService, IncidentFinder, ThreadNotes
from bot.actions.authority import Authority, UserGroups
from bot.cards import CardRefresher, CardSender, Routes
from bot.config import RoutingConfig
from bot.coralogix.backend import CoralogixBackend
from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.identity import IdentityResolver
from bot.metrics import Metrics
from bot.notify.directory import SlackUserDirectory
from bot.personal_keys import PersonalKeys, key_check
from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox, SlackWorkspace, start_slack_sandbox
from bot.slack.gateway import SlackGateway, build_web_client
from bot.store import Store

TEAM_KEY = "cx-team-key"
ROUTING = {
    "routes": [{"name": "shop", "match": {"application": "shop"}, "channels": ["C0PAYMENTS", "C0PLATFORM"]}],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
    "permissions": {"close": ["U0LEAD"]},
}


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def coralogix() -> Iterator[RunningCoralogixSandbox]:
    running = start_coralogix_sandbox(SimulatedCoralogix(seed=11))
    yield running
    running.stop()


@pytest.fixture
def sim(coralogix: RunningCoralogixSandbox) -> SimulatedCoralogix:
    return coralogix.sim


@pytest.fixture
def slack() -> Iterator[RunningSlackSandbox]:
    running = start_slack_sandbox(SlackWorkspace.with_defaults())
    yield running
    running.stop()


@pytest.fixture
def workspace(slack: RunningSlackSandbox) -> SlackWorkspace:
    return slack.workspace


@pytest.fixture
def client(coralogix: RunningCoralogixSandbox) -> Iterator[IncidentsClient]:
    made = IncidentsClient(open_channel(coralogix.address, insecure=True), TEAM_KEY, timeout=5.0)
    yield made
    made.close_channel()


@pytest.fixture
def gateway(slack: RunningSlackSandbox) -> SlackGateway:
    return SlackGateway(build_web_client(SANDBOX_BOT_TOKEN, slack.api_url), Metrics(), pace_seconds=0)


@pytest.fixture
def encryption_key() -> str:
    return Fernet.generate_key().decode()


@dataclass
class Parts:
    """The service and what it was built from, for tests to look at."""

    service: ActionService
    sender: CardSender
    routes: Routes
    keys: PersonalKeys
    identities: IdentityResolver
    notes_pool: ThreadPoolExecutor
    store: Store

    def settle(self) -> None:
        """Wait for the thread replies queued so far."""
        self.notes_pool.submit(lambda: None).result(timeout=10)


Build = Callable[..., Parts]


@pytest.fixture
def build(
    store: Store, client: IncidentsClient, gateway: SlackGateway, encryption_key: str
) -> Iterator[Build]:
    pools: list[ThreadPoolExecutor] = []

    def make(
        routing: dict[str, object] | None = None,
        *,
        require_personal_key: bool = False,
        fernet_key: str | None = "default",
        client: CoralogixBackend = client,
        personal_keys: bool = True,
    ) -> Parts:
        config = RoutingConfig.model_validate(ROUTING if routing is None else routing)
        directory = SlackUserDirectory(
            {u.slack: u.coralogix for u in config.users}, gateway.lookup_user_by_email
        )
        metrics = Metrics()
        sender = CardSender(
            store=store,
            gateway=gateway,
            client=client,
            team_url=None,
            slack_user_of=directory.slack_user_of,
            metrics=metrics,
            clock=utcnow,
        )
        routes = Routes(config)
        cards = CardRefresher(store=store, client=client, sender=sender, routes=routes)
        identities = IdentityResolver(config, store, gateway.user_profile)
        key = encryption_key if fernet_key == "default" else fernet_key
        keys = PersonalKeys(store, Fernet(key) if key else None, key_check(client))
        pool = ThreadPoolExecutor(max_workers=1)
        pools.append(pool)
        service = ActionService(
            client=client,
            finder=IncidentFinder(client),
            identities=identities,
            keys=keys,
            authority=Authority(config, UserGroups(gateway.usergroup_members)),
            store=store,
            cards=cards,
            notes=ThreadNotes(store, sender, pool),
            slack_user_of=directory.slack_user_of,
            metrics=metrics,
            require_personal_key=require_personal_key,
        )
        if personal_keys and key and client.api == "incidents":
            # On Incidents, acknowledging and assigning need one's own key: Alice and Bob have theirs
            # (stored as `/cx connect` stores them, without its check call, so tests count calls as before).
            for slack_id, user, raw in (("U0ALICE", "alice", "cx-alice-key"), ("U0BOB", "bob", "cx-bob-key")):
                store.save_personal_key(slack_id, Fernet(key).encrypt(raw.encode()), f"{user}@example.com")
        return Parts(service, sender, routes, keys, identities, pool, store)

    yield make
    for pool in pools:
        pool.shutdown(wait=True)
