"""Thread replies after an action, posted off the click's path.

Slack takes about one message per second per channel, so a reply may have to wait its turn; the card
update must not wait with it. Replies therefore go to a small pool of their own, and a reply Slack does
not take goes to the outbox like the poller's (retried with backoff). So do replies still queued when
the bot shuts down: `close()` makes them skip Slack and go straight to the outbox.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from datetime import datetime, timedelta

from bot.errors import SlackError, SlackRateLimitedError
from bot.slack.blocks import thread_note
from bot.slack.gateway import SlackGateway
from bot.store import NewOutboxItem, OutboxKind, Store

log = logging.getLogger(__name__)


class ThreadNotes:
    def __init__(
        self, store: Store, gateway: SlackGateway, executor: Executor, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._gateway = gateway
        self._executor = executor
        self._clock = clock
        self._closing = threading.Event()

    def post(self, incident_id: str, lines: Sequence[str]) -> Future[int]:
        """Queue `lines` as a reply in every thread of the incident; the future tells how many were sent."""
        return self._executor.submit(self._post_now, incident_id, list(lines))

    def close(self) -> None:
        """From now on, replies not yet sent go to the outbox (for whichever replica polls next)."""
        self._closing.set()

    def _post_now(self, incident_id: str, lines: list[str]) -> int:
        sent = 0
        try:
            for message in self._store.messages_for(incident_id):
                if not message.is_posted or not message.ts:
                    continue
                thread_ts = message.thread_ts or message.ts
                if self._closing.is_set():
                    self._defer(
                        incident_id, message.channel, thread_ts, lines, "the bot is shutting down", 0.0
                    )
                    continue
                try:
                    self._gateway.post_message(message.channel, thread_note(lines), thread_ts=thread_ts)
                    sent += 1
                except SlackError as exc:
                    delay = exc.retry_after if isinstance(exc, SlackRateLimitedError) else 2.0
                    self._defer(incident_id, message.channel, thread_ts, lines, str(exc), delay)
        except Exception:
            log.exception("thread replies for %s failed", incident_id)
        return sent

    def _defer(  # noqa: PLR0917 - one private call shape
        self, incident_id: str, channel: str, thread_ts: str, lines: list[str], why: str, delay: float
    ) -> None:
        log.warning("thread reply for %s in %s deferred: %s", incident_id, channel, why)
        self._store.enqueue(
            NewOutboxItem(
                kind=OutboxKind.THREAD,
                channel=channel,
                payload={"lines": lines, "thread_ts": thread_ts},
                dedupe_key=f"thread:{incident_id}:{channel}:action:{uuid.uuid4().hex}",
                incident_id=incident_id,
                not_before=self._clock() + timedelta(seconds=delay),
            )
        )
