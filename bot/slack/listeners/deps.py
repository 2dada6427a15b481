"""What the listeners work with, built once by the runtime and handed to each `register`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from bot.actions import ActionService, IncidentFinder, IncidentQueries, ThreadNotes
from bot.actions.authority import Authority, UserGroups
from bot.config import Settings
from bot.coralogix.backend import CoralogixBackend
from bot.identity import IdentityResolver
from bot.metrics import Metrics
from bot.notify.publisher import CardPublisher
from bot.personal_keys import PersonalKeys, key_check
from bot.slack.blocks import SlackUserOf
from bot.slack.gateway import SlackGateway
from bot.slack.listeners.pace import PerUserPace
from bot.slack.listeners.work import BackgroundWork
from bot.store import Store

THREAD_NOTE_WORKERS = 8


@dataclass(frozen=True)
class Interactivity:
    """The services behind the listeners, and the pools their work runs in."""

    service: ActionService
    queries: IncidentQueries
    keys: PersonalKeys
    gateway: SlackGateway
    publisher: CardPublisher
    slack_user_of: SlackUserOf
    work: BackgroundWork
    command: str = "/cx"
    team_url: str | None = None
    notes: ThreadNotes | None = None
    pools: tuple[ThreadPoolExecutor, ...] = field(default=())
    pace: PerUserPace = field(default_factory=PerUserPace)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        store: Store,
        client: CoralogixBackend,
        gateway: SlackGateway,
        publisher: CardPublisher,
        slack_user_of: SlackUserOf,
        metrics: Metrics,
        clock: Callable[[], datetime],
        workers: int = 8,
    ) -> Interactivity:
        command = settings.bot_slash_command
        finder = IncidentFinder(client)
        identities = IdentityResolver(settings.routing, store, gateway.user_profile)
        authority = Authority(settings.routing, UserGroups(gateway.usergroup_members))
        keys = PersonalKeys.from_secret(
            store,
            settings.bot_encryption_key,
            key_check(client),
            command=command,
        )
        notes_pool = ThreadPoolExecutor(max_workers=THREAD_NOTE_WORKERS, thread_name_prefix="thread-notes")
        notes = ThreadNotes(store, publisher.sender, notes_pool)
        service = ActionService(
            client=client,
            finder=finder,
            identities=identities,
            keys=keys,
            authority=authority,
            store=store,
            publisher=publisher,
            notes=notes,
            slack_user_of=slack_user_of,
            metrics=metrics,
            require_personal_key=settings.bot_require_personal_key,
            command=command,
            team_url=settings.coralogix_team_url,
        )
        return cls(
            service=service,
            queries=IncidentQueries(client, finder, keys),
            keys=keys,
            gateway=gateway,
            publisher=publisher,
            slack_user_of=slack_user_of,
            work=BackgroundWork(workers),
            command=command,
            team_url=settings.coralogix_team_url,
            notes=notes,
            pools=(notes_pool,),
        )

    def shutdown(self, wait: bool = True) -> None:
        """Finish the work in flight; thread replies not yet sent go to the outbox."""
        self.work.shutdown(wait=wait)
        if self.notes is not None:
            self.notes.close()
        for pool in self.pools:
            pool.shutdown(wait=wait, cancel_futures=not wait)
