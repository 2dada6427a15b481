"""`BotRuntime`: the built parts, started in order and stopped in the reverse order."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot.cards.dispatch import Dispatcher
from bot.config import Settings
from bot.coralogix.backend import CoralogixBackend
from bot.errors import (
    BotError,
    CoralogixAuthError,
    CoralogixError,
    CoralogixPermissionError,
    SlackError,
    SlackRequestError,
)
from bot.health import Readiness
from bot.listeners import Interactivity
from bot.metrics import Metrics
from bot.notify.job import PollJob
from bot.notify.publisher import CardPublisher
from bot.notify.report_job import CHECK_EVERY_SECONDS as REPORT_EVERY_SECONDS
from bot.notify.report_job import ReportJob
from bot.notify.retention import RetentionJob
from bot.notify.wakeup import CHECK_EVERY_SECONDS, PollWakeup
from bot.reminders.job import CHECK_EVERY_SECONDS as REMIND_EVERY_SECONDS
from bot.reminders.job import ReminderJob
from bot.slack.gateway import SlackGateway
from bot.store import Store
from bot.web import HttpServer

if TYPE_CHECKING:
    from bot.slack.socket_mode import SocketModeListener


log = logging.getLogger(__name__)

REJECTED_TOKEN_ERRORS = frozenset({"invalid_auth", "account_inactive", "token_revoked", "not_authed"})


class StartupError(BotError):
    """The bot must not run: Slack or Coralogix refused its credentials (the message says which)."""


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
        self._every("poll", self.job, self.settings.bot_poll_interval_seconds, first=datetime.now(UTC))
        if self.wakeup is not None:
            self._every("wakeup", self.wakeup.check, CHECK_EVERY_SECONDS)
        if self.reminders is not None:
            self._every("reminders", self.reminders, REMIND_EVERY_SECONDS)
        if self.reports is not None and self.reports.routes:
            seconds = min(REPORT_EVERY_SECONDS, self.settings.bot_poll_interval_seconds)
            self._every("reports", self.reports, seconds, first=datetime.now(UTC))
        if self.retention is not None:
            every = self.retention.every_seconds
            self._every(
                "retention",
                self.retention,
                every,
                first=datetime.now(UTC) + timedelta(seconds=min(60, every)),
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

    def _every(
        self, job_id: str, job: Callable[[], object], seconds: float, *, first: datetime | None = None
    ) -> None:
        """Run `job` every `seconds`, never two at once, missed runs folded into one; `first`: the first run
        (None: after one interval)."""
        when = {} if first is None else {"next_run_time": first}  # APScheduler reads None as "paused"
        self.scheduler.add_job(
            job, "interval", seconds=seconds, id=job_id, max_instances=1, coalesce=True, **when
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
