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
from collections.abc import Sequence
from concurrent.futures import Executor, Future

from bot.cards.sender import CardSender
from bot.store import Store
from bot.store.rows import MessageRow

log = logging.getLogger(__name__)


class ThreadNotes:
    def __init__(self, store: Store, sender: CardSender, executor: Executor) -> None:
        self._store = store
        self._sender = sender
        self._executor = executor
        self._closing = threading.Event()

    def post(
        self, incident_id: str, lines: Sequence[str], messages: Sequence[MessageRow] | None = None
    ) -> Future[int]:
        """Queue `lines` as a reply in every thread of the incident; the future tells how many were sent.

        `messages` are the incident's messages when the caller has just read them (redrawing the cards);
        else they are read when the reply goes out.
        """
        known = list(messages) if messages is not None else None
        return self._executor.submit(self._post_now, incident_id, list(lines), known)

    def close(self) -> None:
        """From now on, replies not yet sent go to the outbox (for whichever replica polls next)."""
        self._closing.set()

    def _post_now(self, incident_id: str, lines: list[str], messages: list[MessageRow] | None) -> int:
        sent = 0
        key = f"action:{uuid.uuid4().hex}"
        try:
            for message in messages if messages is not None else self._store.messages_for(incident_id):
                if message.is_posted and message.ts:
                    sent += self._sender.thread(message, lines, key, send=not self._closing.is_set())
        except Exception:
            log.exception("thread replies for %s failed", incident_id)
        return sent
