"""Single Slack writes for incidents: a card, an edit, a thread reply, a storm digest.

Each write records its outcome in the store; a write Slack did not take goes to the outbox instead of
being dropped (the claim of a post stays, so no other replica posts it meanwhile).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.coralogix.backend import CoralogixBackend
from bot.domain import Incident
from bot.errors import (
    CoralogixError,
    SlackError,
    SlackPermanentError,
    SlackRateLimitedError,
    SlackRequestError,
)
from bot.metrics import Metrics
from bot.notify.changes import fingerprint
from bot.slack.blocks import MessagePayload, digest_message, incident_card, thread_note
from bot.slack.gateway import SlackGateway
from bot.slack.ids import DIGEST_METADATA_EVENT_TYPE
from bot.store import Store
from bot.store.rows import MessageKind, MessageRow, NewOutboxItem, OutboxKind

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 2.0


class CardSender:
    def __init__(
        self,
        *,
        store: Store,
        gateway: SlackGateway,
        client: CoralogixBackend,
        team_url: str | None,
        slack_user_of: Callable[[str], str | None],
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.client = client
        self._team_url = team_url
        self._slack_user_of = slack_user_of
        self._metrics = metrics
        self._clock = clock

    # -- rendering -------------------------------------------------------------------------------

    def card(self, incident: Incident, mentions: Sequence[str] = ()) -> MessagePayload:
        return incident_card(
            incident,
            team_url=self._team_url,
            slack_user_of=self._slack_user_of,
            mentions=mentions,
            now=self._clock(),
        )

    def digest(self, incidents: Sequence[Incident]) -> MessagePayload:
        payload = digest_message(incidents, title="Incident storm", team_url=self._team_url)
        metadata = {
            "event_type": DIGEST_METADATA_EVENT_TYPE,
            "event_payload": {"incident_ids": sorted(i.id for i in incidents)},
        }
        return MessagePayload(text=payload.text, blocks=payload.blocks, metadata=metadata)

    # -- cards -----------------------------------------------------------------------------------

    def post_card(
        self, incident: Incident, channel: str, mentions: Sequence[str], *, defer: bool = True
    ) -> bool:
        """Post the card of a claimed (incident, channel) and record it; False when deferred."""
        try:
            ts = self.gateway.post_message(channel, self.card(incident, mentions))
        except SlackError as exc:
            if not defer:
                raise
            # 429 and outright refusals mean Slack kept nothing; anything else may have been posted.
            certain = isinstance(exc, SlackRateLimitedError | SlackRequestError)
            self.defer(
                kind=OutboxKind.POST,
                channel=channel,
                incident_id=incident.id,
                payload={"mentions": list(mentions), "verify": not certain},
                dedupe_key=f"post:{incident.id}:{channel}",
                exc=exc,
            )
            return False
        self.store.record_posted(incident.id, channel, ts, ts, fingerprint(incident), self._clock())
        self._metrics.incidents_posted.inc()
        return True

    def update_card(self, incident: Incident, message: MessageRow, *, defer: bool = True) -> bool:
        assert message.ts is not None
        try:
            self.gateway.update_message(message.channel, message.ts, self.card(incident))
        except SlackError as exc:
            if not defer:
                raise
            self.defer(
                kind=OutboxKind.UPDATE,
                channel=message.channel,
                incident_id=incident.id,
                payload={},
                dedupe_key=f"update:{incident.id}:{message.channel}",
                exc=exc,
            )
            return False
        self._metrics.incidents_updated.inc()
        return True

    def thread(self, message: MessageRow, lines: Sequence[str], key: str, *, send: bool = True) -> bool:
        """Reply in the message's thread; False when the reply went to the outbox instead.

        With `send=False` (the bot is shutting down) it goes to the outbox without trying Slack.
        """
        thread_ts = message.thread_ts or message.ts
        assert thread_ts is not None
        error: Exception | None = None
        if send:
            try:
                self.gateway.post_message(message.channel, thread_note(lines), thread_ts=thread_ts)
            except SlackError as exc:
                error = exc
            else:
                return True
        self.defer(
            kind=OutboxKind.THREAD,
            channel=message.channel,
            incident_id=message.incident_id,
            payload={"lines": list(lines), "thread_ts": thread_ts},
            dedupe_key=f"thread:{message.incident_id}:{message.channel}:{key}",
            exc=error,
        )
        return False

    # -- storm digests ---------------------------------------------------------------------------

    def post_digest(self, channel: str, incidents: Sequence[Incident], *, defer: bool = True) -> bool:
        """One message for many claimed incidents; each is recorded as a line of that digest."""
        try:
            ts = self.gateway.post_message(channel, self.digest(incidents))
        except SlackError as exc:
            if not defer:
                raise
            ids = sorted(i.id for i in incidents)
            self.defer(
                kind=OutboxKind.POST,
                channel=channel,
                incident_id=None,
                payload={"digest": ids},
                dedupe_key=f"digest:{channel}:{ids[0]}",
                exc=exc,
            )
            return False
        now = self._clock()
        for incident in incidents:
            self.store.record_posted(
                incident.id, channel, ts, ts, fingerprint(incident), now, kind=MessageKind.DIGEST
            )
        self._metrics.incidents_posted.inc(len(incidents))
        return True

    def update_digest(self, channel: str, ts: str, fresh: dict[str, Incident], *, defer: bool = True) -> bool:
        """Redraw a digest with its members' current state (`fresh` saves re-reading some of them)."""
        members = [m.incident_id for m in self.store.messages_at(channel, ts)]
        missing = [i for i in members if i not in fresh]
        incidents = dict(fresh)
        try:
            for start in range(0, len(missing), 100):
                incidents.update(self.client.batch_get_incidents(missing[start : start + 100]).found)
            self.gateway.update_message(
                channel, ts, self.digest([incidents[i] for i in members if i in incidents])
            )
        except (SlackError, CoralogixError) as exc:
            if not defer:
                raise
            self.defer(
                kind=OutboxKind.UPDATE,
                channel=channel,
                incident_id=None,
                payload={"digest_ts": ts},
                dedupe_key=f"digest-update:{channel}:{ts}",
                exc=exc,
            )
            return False
        self._metrics.incidents_updated.inc()
        return True

    # -- the outbox ------------------------------------------------------------------------------

    def defer(
        self,
        *,
        kind: OutboxKind,
        channel: str,
        incident_id: str | None,
        payload: dict[str, object],
        dedupe_key: str,
        exc: Exception | None,
    ) -> None:
        """Queue Slack work in the outbox: after the Retry-After of `exc`, a short wait, or at once.

        Work Slack refused for good (`SlackPermanentError`) is dropped instead: logged and counted.
        """
        if isinstance(exc, SlackPermanentError):
            log.warning("Slack %s in %s dropped (%s): %s", kind.value, channel, incident_id or "digest", exc)
            self._metrics.slack_dropped.labels(reason=exc.error).inc()
            return
        if exc is None:
            delay = 0.0
        elif isinstance(exc, SlackRateLimitedError):
            delay = exc.retry_after
        else:
            delay = FIRST_RETRY_SECONDS
        why = exc or "the bot is shutting down"
        log.warning("Slack %s in %s deferred (%s): %s", kind.value, channel, incident_id or "digest", why)
        self.store.enqueue(
            NewOutboxItem(
                kind=kind,
                channel=channel,
                payload=payload,
                dedupe_key=dedupe_key,
                incident_id=incident_id,
                not_before=self._clock() + timedelta(seconds=delay),
            )
        )
