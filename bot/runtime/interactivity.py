"""Builds the services behind the listeners (clicks, commands, events) and the reminders' Snooze."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.actions import ActionService, IncidentFinder, IncidentQueries, ThreadNotes
from bot.actions.authority import Authority, UserGroups
from bot.actions.home import HomeQueries
from bot.actions.links import IncidentLinks
from bot.actions.rooms import WarRooms
from bot.cards import CardRefresher, CardSender
from bot.config import Settings
from bot.coralogix.auto import AutoBackend
from bot.coralogix.backend import CoralogixBackend, make_backend
from bot.coralogix.channel import open_channel
from bot.identity import IdentityResolver
from bot.listeners import Interactivity
from bot.listeners.deps import EventServices
from bot.listeners.snooze import acknowledging_authority
from bot.listeners.work import BackgroundWork
from bot.metrics import Metrics
from bot.notify.job import PollJob
from bot.personal_keys import PersonalKeys, key_check
from bot.reminders.job import ReminderJob
from bot.reminders.sending import GatewayReplies
from bot.reminders.snooze import Snoozes
from bot.runtime.clocks import new_replica_id, utcnow
from bot.slack.blocks import SlackUserOf
from bot.slack.gateway import SlackGateway
from bot.store import Store

THREAD_NOTE_WORKERS = 8


def coralogix_backend(settings: Settings, endpoint: str, metrics: Metrics | None = None) -> CoralogixBackend:
    """The client of CORALOGIX_API, or one that finds out which API the account answers (`auto`)."""
    channel = open_channel(endpoint, insecure=settings.coralogix_grpc_insecure)
    observer = metrics.observe_coralogix if metrics is not None else None
    if settings.coralogix_api == "auto":
        return AutoBackend(channel, settings.coralogix_api_key, observer=observer)
    return make_backend(settings.coralogix_api, channel, settings.coralogix_api_key, observer=observer)


def build_interactivity(
    settings: Settings,
    *,
    store: Store,
    client: CoralogixBackend,
    gateway: SlackGateway,
    sender: CardSender,
    cards: CardRefresher,
    slack_user_of: SlackUserOf,
    metrics: Metrics,
    workers: int = 8,
    replica_id: str | None = None,
) -> Interactivity:
    """The services behind the listeners: identity, authority, keys, actions, reads and their pools."""
    command = settings.bot_slash_command
    finder = IncidentFinder(client)
    identities = IdentityResolver(settings.routing, store, gateway.user_profile)
    groups = UserGroups(gateway.usergroup_members)
    authority = Authority(settings.routing, groups)
    keys = PersonalKeys.from_secret(store, settings.bot_encryption_key, key_check(client), command=command)
    notes_pool = ThreadPoolExecutor(max_workers=THREAD_NOTE_WORKERS, thread_name_prefix="thread-notes")
    notes = ThreadNotes(store, sender, notes_pool)
    service = ActionService(
        client=client,
        finder=finder,
        identities=identities,
        keys=keys,
        authority=authority,
        store=store,
        cards=cards,
        notes=notes,
        slack_user_of=slack_user_of,
        metrics=metrics,
        require_personal_key=settings.bot_require_personal_key,
        command=command,
        team_url=settings.coralogix_team_url,
    )
    rooms = WarRooms(
        store=store,
        gateway=gateway,
        sender=sender,
        finder=finder,
        identities=identities,
        authority=authority,
        groups=groups,
        routing=settings.routing,
        slack_user_of=slack_user_of,
        metrics=metrics,
        replica_id=replica_id or new_replica_id(),
        clock=utcnow,
        command=command,
    )
    return Interactivity(
        service=service,
        queries=IncidentQueries(client, finder, keys),
        keys=keys,
        gateway=gateway,
        cards=cards,
        slack_user_of=slack_user_of,
        work=BackgroundWork(workers),
        command=command,
        team_url=settings.coralogix_team_url,
        notes=notes,
        pools=(notes_pool,),
        events=EventServices(
            home=HomeQueries(client, settings.routing, authority, gateway.user_channels),
            links=IncidentLinks(client, settings.coralogix_team_url),
            ledger=store,
        ),
        rooms=rooms,
    )


def build_reminders(
    settings: Settings,
    *,
    store: Store,
    client: CoralogixBackend,
    gateway: SlackGateway,
    job: PollJob,
    replica: str,
    metrics: Metrics,
) -> tuple[ReminderJob, Snoozes]:
    """Reminders of unacknowledged incidents (posted by the lease holder) and their Snooze button."""
    replies = GatewayReplies(gateway)  # the one door reminders post through
    reminders = ReminderJob(
        store=store,
        replies=replies,
        client=client,
        routing=settings.routing,
        holds_lease=lambda: job.holds_lease,
        replica_id=replica,
        clock=utcnow,
        snooze_seconds=settings.bot_snooze_seconds,
        team_url=settings.coralogix_team_url,
        stale_after=timedelta(seconds=2 * job.lease_ttl),
        metrics=metrics,
    )
    identities = IdentityResolver(settings.routing, store, gateway.user_profile)
    authority = Authority(settings.routing, UserGroups(gateway.usergroup_members))
    snoozes = Snoozes(
        store=store,
        client=client,
        replies=replies,
        may_snooze=acknowledging_authority(identities, authority),
        clock=utcnow,
        seconds=settings.bot_snooze_seconds,
    )
    return reminders, snoozes
