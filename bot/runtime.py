"""The composition root of `incident-bot run`: builds every part from the settings and wires them.

Nothing here runs at import; `BotRuntime.start()` starts the HTTP server (or Socket Mode) and the poller.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot.actions import ActionService, IncidentFinder, IncidentQueries, ThreadNotes
from bot.actions.authority import Authority, UserGroups
from bot.actions.home import HomeQueries
from bot.actions.links import IncidentLinks
from bot.actions.rooms import WarRooms
from bot.cards import CardRefresher, CardSender, OutboxWorker, Routes
from bot.cards.dispatch import Dispatcher
from bot.config import Settings
from bot.coralogix.auto import AutoBackend
from bot.coralogix.backend import CoralogixBackend, make_backend
from bot.coralogix.channel import open_channel
from bot.coralogix.endpoint import resolve_endpoint
from bot.errors import (
    BotError,
    CoralogixAuthError,
    CoralogixError,
    CoralogixPermissionError,
    SettingsError,
    SlackError,
    SlackRequestError,
)
from bot.health import Readiness
from bot.identity import IdentityResolver
from bot.listeners import Interactivity, register_listeners
from bot.listeners.deps import EventServices
from bot.listeners.snooze import acknowledging_authority
from bot.listeners.work import BackgroundWork
from bot.metrics import Metrics
from bot.notify.directory import SlackUserDirectory
from bot.notify.job import PollJob, lease_ttl
from bot.notify.poller import Poller
from bot.notify.publisher import CardPublisher
from bot.notify.report_answers import ReportAnswers
from bot.notify.report_job import CHECK_EVERY_SECONDS as REPORT_EVERY_SECONDS
from bot.notify.report_job import ReportJob
from bot.notify.report_reader import ReportReader
from bot.notify.retention import RetentionJob
from bot.notify.wakeup import CHECK_EVERY_SECONDS, PollWakeup
from bot.personal_keys import PersonalKeys, key_check
from bot.reminders.job import CHECK_EVERY_SECONDS as REMIND_EVERY_SECONDS
from bot.reminders.job import ReminderJob
from bot.reminders.sending import GatewayReplies
from bot.reminders.snooze import Snoozes
from bot.slack.app import build_bolt_app
from bot.slack.blocks import SlackUserOf
from bot.slack.gateway import SlackGateway, build_web_client
from bot.slack.request_guard import SlackRequestGuard
from bot.store import Store
from bot.web import MAX_BODY_BYTES, CoralogixWebhook, HttpServer, build_wsgi_app

if TYPE_CHECKING:
    from bot.slack.socket_mode import SocketModeListener

log = logging.getLogger(__name__)

THREAD_NOTE_WORKERS = 8
REJECTED_TOKEN_ERRORS = frozenset({"invalid_auth", "account_inactive", "token_revoked", "not_authed"})


class StartupError(BotError):
    """The bot must not run: Slack or Coralogix refused its credentials (the message says which)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def clock_from(start: datetime | None) -> Callable[[], datetime]:
    """The real clock, or one that starts at `start` and runs at normal speed (BOT_CLOCK_START)."""
    if start is None:
        return utcnow
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def new_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class BotRuntime:
    settings: Settings
    store: Store
    client: CoralogixBackend
    gateway: SlackGateway
    publisher: CardPublisher
    job: PollJob
    metrics: Metrics
    readiness: Readiness
    replica_id: str
    http: HttpServer
    bolt_app: Any
    interactivity: Interactivity | None = None
    retention: RetentionJob | None = None
    reports: ReportJob | None = None
    reminders: ReminderJob | None = None
    wakeup: PollWakeup | None = None
    dispatcher: Dispatcher | None = None
    scheduler: BackgroundScheduler = field(init=False)
    _socket_mode: SocketModeListener | None = None
    _stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.scheduler = BackgroundScheduler(timezone="UTC")

    def start(self) -> None:
        """Check the credentials, then listen and poll; raises `StartupError` when they are refused."""
        self.store.create_schema()
        self.verify_credentials()
        self.http.start()
        if self.settings.slack_app_token is not None:
            self._start_socket_mode(self.settings.slack_app_token.get_secret_value())
        self.scheduler.add_job(
            self.job,
            "interval",
            seconds=self.settings.bot_poll_interval_seconds,
            id="poll",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        if self.wakeup is not None:
            self.scheduler.add_job(
                self.wakeup.check,
                "interval",
                seconds=CHECK_EVERY_SECONDS,
                id="wakeup",
                max_instances=1,
                coalesce=True,
            )
        if self.reminders is not None:
            self.scheduler.add_job(
                self.reminders,
                "interval",
                seconds=REMIND_EVERY_SECONDS,
                id="reminders",
                max_instances=1,
                coalesce=True,
            )
        if self.reports is not None and self.reports.routes:
            self.scheduler.add_job(
                self.reports,
                "interval",
                seconds=min(REPORT_EVERY_SECONDS, self.settings.bot_poll_interval_seconds),
                id="reports",
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )
        if self.retention is not None:
            self.scheduler.add_job(
                self.retention,
                "interval",
                seconds=self.retention.every_seconds,
                id="retention",
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC) + timedelta(seconds=min(60, self.retention.every_seconds)),
            )
        self.scheduler.start()
        self.job.start_heartbeat()
        if self.dispatcher is not None:
            self.dispatcher.start()  # sends while this replica holds the poller lease
        log.info(
            "incident-bot running as replica %s; HTTP on port %d; polling every %d s",
            self.replica_id,
            self.http.port,
            self.settings.bot_poll_interval_seconds,
        )

    def _start_socket_mode(self, app_token: str) -> None:
        """Open the Socket Mode connection; a refused app token is a `StartupError`, an outage only warns
        (the client keeps trying, and `/readyz` says so)."""
        from bot.slack.link_state import LinkState
        from bot.slack.socket_mode import SocketModeRefusedError, build_socket_mode

        self._socket_mode = build_socket_mode(
            self.bolt_app, app_token, self.settings.slack_api_url, LinkState(self.readiness, self.metrics)
        )
        try:
            self._socket_mode.connect()
        except SocketModeRefusedError as exc:
            raise StartupError(
                f"Slack refused SLACK_APP_TOKEN ({exc.error}) for Socket Mode; check the app-level token "
                "and its connections:write scope; nothing was started"
            ) from None

    def verify_credentials(self) -> None:
        """Refuse to run on credentials Slack or Coralogix rejected; an outage only warns (polls retry)."""
        try:
            self.gateway.auth_test()
        except SlackRequestError as exc:
            if exc.error in REJECTED_TOKEN_ERRORS:
                raise StartupError(
                    f"Slack rejected SLACK_BOT_TOKEN ({exc.error}); nothing was started"
                ) from None
            log.warning("Slack auth.test failed at start-up (%s); carrying on", exc)
        except SlackError as exc:
            log.warning("Slack is unreachable at start-up (%s); carrying on, calls will be retried", exc)
        try:
            self.client.list_incidents(page_size=1)
        except (CoralogixAuthError, CoralogixPermissionError) as exc:
            raise StartupError(f"Coralogix refused CORALOGIX_API_KEY: {exc}; nothing was started") from None
        except CoralogixError as exc:
            log.warning("Coralogix is unreachable at start-up (%s); carrying on, polls will retry", exc)
        else:
            log.info("Coralogix API in use: %s", self.client.api)

    def stop(self) -> None:
        """Stop accepting work, finish what is in flight, release the lease, close connections."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.http.stop()  # no new requests; the ones in hand finish
        if self._socket_mode is not None:
            self._socket_mode.close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # the poll in flight finishes
        if self.interactivity is not None:
            self.interactivity.shutdown()  # clicks and commands in flight finish
        if self.dispatcher is not None:
            self.dispatcher.stop()  # sends in flight finish; the queue waits in the outbox
        self.job.release()
        self.client.close_channel()
        self.store.close()
        log.info("incident-bot stopped")


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


def build_runtime(
    settings: Settings,
    *,
    replica_id: str | None = None,
    pace_seconds: float = 1.0,
    reconcile_every: timedelta = timedelta(minutes=10),
) -> BotRuntime:
    replica = replica_id or new_replica_id()
    metrics = Metrics()
    readiness = Readiness(coralogix_window=max(3 * settings.bot_poll_interval_seconds, 60))
    store = Store.from_url(settings.bot_database_url)
    endpoint = resolve_endpoint(
        settings.coralogix_region, settings.coralogix_domain, settings.coralogix_grpc_endpoint
    )
    client = coralogix_backend(settings, endpoint, metrics)
    web_client = build_web_client(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        on_rate_limited=lambda method: metrics.slack_rate_limited.labels(method=method).inc(),
    )
    gateway = SlackGateway(web_client, metrics, pace_seconds=pace_seconds)
    routing = settings.routing
    directory = SlackUserDirectory(
        {user.slack: user.coralogix for user in routing.users},
        gateway.lookup_user_by_email,
    )
    routes = Routes(routing, settings.bot_default_channel)
    sender = CardSender(
        store=store,
        gateway=gateway,
        client=client,
        team_url=settings.coralogix_team_url,
        slack_user_of=directory.slack_user_of,
        metrics=metrics,
        clock=utcnow,
    )
    outbox = OutboxWorker(
        sender=sender,
        routes=routes,
        metrics=metrics,
        replica_id=replica,
        clock=utcnow,
        lock_seconds=lease_ttl(settings.bot_poll_interval_seconds),
    )
    cards = CardRefresher(store=store, client=client, sender=sender, routes=routes)
    dispatcher = Dispatcher(
        outbox=outbox,
        store=store,
        gateway=gateway,
        metrics=metrics,
        may_send=lambda: job.holds_lease,  # only the lease holder sends
    )
    publisher = CardPublisher(
        store=store,
        sender=sender,
        client=client,
        routes=routes,
        slack_user_of=directory.slack_user_of,
        metrics=metrics,
        replica_id=replica,
        clock=utcnow,
        storm_threshold=settings.bot_storm_threshold,
        on_queued=dispatcher.wake,
    )
    poller = Poller(
        client=client,
        store=store,
        publisher=publisher,
        backfill=timedelta(minutes=settings.bot_backfill_minutes),
        clock=utcnow,
        reconcile_every=reconcile_every,
        # the reconciliation's share of a poll ends within half an interval: the next poll starts on time
        sweep_seconds=settings.bot_poll_interval_seconds / 2,
    )
    job = PollJob(
        poller=poller,
        store=store,
        readiness=readiness,
        metrics=metrics,
        replica_id=replica,
        interval=float(settings.bot_poll_interval_seconds),
        clock=utcnow,
        before_poll=outbox.repair_claims,
        probe=lambda: client.list_incidents(page_size=1),
    )
    bolt_app = build_bolt_app(settings, web_client)
    interactivity = build_interactivity(
        settings,
        store=store,
        client=client,
        gateway=gateway,
        sender=sender,
        cards=cards,
        slack_user_of=directory.slack_user_of,
        metrics=metrics,
        replica_id=replica,
    )
    reminders, snoozes = build_reminders(
        settings, store=store, client=client, gateway=gateway, job=job, replica=replica, metrics=metrics
    )
    interactivity = replace(interactivity, snoozes=snoozes)
    report_clock = clock_from(settings.bot_clock_start)
    report_reader = ReportReader(client=client, store=store, clock=report_clock)
    report_answers = ReportAnswers(
        reader=report_reader, routing=routing, clock=report_clock, slack_user_of=directory.slack_user_of
    )
    interactivity = replace(interactivity, reports=report_answers)
    register_listeners(bolt_app, interactivity)
    slack_handler = None
    if settings.slack_app_token is None:
        from slack_bolt.adapter.wsgi import SlackRequestHandler

        # the signature is checked on the raw bytes before Bolt parses anything (Bolt checks it again)
        if settings.slack_signing_secret is None:  # config.py requires it in HTTP mode
            raise SettingsError(["SLACK_SIGNING_SECRET: required in HTTP mode"])
        slack_handler = SlackRequestGuard(
            SlackRequestHandler(bolt_app),
            settings.slack_signing_secret.get_secret_value(),
            max_body=MAX_BODY_BYTES,
        )
    wakeup = PollWakeup(store, holds_lease=lambda: job.holds_lease, poll_now=job, clock=utcnow)
    secret = settings.bot_webhook_secret
    wsgi = build_wsgi_app(
        webhook=CoralogixWebhook(secret.get_secret_value(), wakeup.request) if secret else None,
        slack_handler=slack_handler,
        readiness_problems=lambda: readiness.problems(store.ping),
        metrics=metrics.render,
        readiness_notes=lambda: (
            [
                f"Slack: cannot post to {channel} ({error}); invite the bot or fix the route"
                for channel, error in sorted(gateway.channel_problems().items())
            ]
            + [
                f"Slack: {count} messages waiting to be sent to {channel}"
                for channel, count in sorted(dispatcher.depth().items())
                if count
            ]
        ),
    )
    http = HttpServer(wsgi, settings.bot_http_host, settings.bot_http_port)
    return BotRuntime(
        dispatcher=dispatcher,
        wakeup=wakeup,
        settings=settings,
        store=store,
        client=client,
        gateway=gateway,
        publisher=publisher,
        job=job,
        metrics=metrics,
        readiness=readiness,
        replica_id=replica,
        http=http,
        bolt_app=bolt_app,
        interactivity=interactivity,
        reminders=reminders,
        reports=ReportJob(
            reader=report_reader,
            store=store,
            gateway=gateway,
            routing=routing,
            replica_id=replica,
            clock=report_clock,
            slack_user_of=directory.slack_user_of,
            keep_days=max(settings.bot_retention_days, 1),  # report runs say what was posted: a day at 0
        ),
        retention=RetentionJob(
            store=store,
            replica_id=replica,
            days=settings.bot_retention_days,
            metrics=metrics,
            clock=utcnow,
        ),
    )
