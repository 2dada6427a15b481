"""`build_runtime`: every part built from the settings and wired together."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.cards import CardRefresher, CardSender, OutboxWorker, Routes
from bot.cards.dispatch import Dispatcher
from bot.config import Settings
from bot.coralogix.endpoint import resolve_endpoint
from bot.errors import (
    SettingsError,
)
from bot.health import Readiness
from bot.listeners import register_listeners
from bot.metrics import Metrics
from bot.notify.directory import SlackUserDirectory
from bot.notify.job import PollJob, lease_ttl
from bot.notify.poller import Poller
from bot.notify.publisher import CardPublisher
from bot.notify.report_answers import ReportAnswers
from bot.notify.report_job import ReportJob
from bot.notify.report_reader import ReportReader
from bot.notify.retention import RetentionJob
from bot.notify.wakeup import PollWakeup
from bot.runtime.clocks import clock_from, new_replica_id, utcnow
from bot.runtime.interactivity import build_interactivity, build_reminders, coralogix_backend
from bot.runtime.lifecycle import BotRuntime
from bot.slack.app import build_bolt_app
from bot.slack.gateway import SlackGateway, build_web_client
from bot.slack.request_guard import SlackRequestGuard
from bot.store import Store
from bot.web import MAX_BODY_BYTES, CoralogixWebhook, HttpServer, build_wsgi_app


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
