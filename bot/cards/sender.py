"""Single Slack writes for incidents: a card, an edit, a thread reply, a storm digest.

Each write records its outcome in the store; a write Slack did not take goes to the outbox as typed work
(`bot.cards.work`) instead of being dropped (the claim of a post stays, so no other replica posts it
meanwhile). Work Slack refused for good (`SlackPermanentError`) is dropped, logged and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.backoff import SLACK_WORK
from bot.cards.fingerprint import fingerprint
from bot.cards.unfurls import LiveUnfurls
from bot.cards.work import (
    PostCard,
    PostDigest,
    ThreadReply,
    UpdateCard,
    UpdateDigest,
    Work,
    dedupe_key,
    incident_of,
    to_outbox,
)
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
from bot.slack.blocks import MessagePayload, digest_message, incident_card, thread_note
from bot.slack.gateway import SlackGateway
from bot.slack.ids import DIGEST_METADATA_EVENT_TYPE, THREAD_METADATA_EVENT_TYPE
from bot.store import Store
from bot.store.rows import MessageKind, MessageRow

log = logging.getLogger(__name__)


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
        self.unfurls = LiveUnfurls(
            store=store, gateway=gateway, team_url=team_url, slack_user_of=slack_user_of
        )

    # -- rendering -------------------------------------------------------------------------------

    def card(
        self,
        incident: Incident,
        mentions: Sequence[str] = (),
        *,
        in_room: bool = False,
        folded: Sequence[str] = (),
    ) -> MessagePayload:
        """The live card; `in_room` draws it as in the incident's war room, with `folded` thread lines."""
        return incident_card(
            incident,
            team_url=self._team_url,
            slack_user_of=self._slack_user_of,
            mentions=mentions,
            now=self._clock(),
            in_room=in_room,
            folded=folded,
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
            self.defer(PostCard(incident.id, tuple(mentions), verify=not certain), channel, exc=exc)
            return False
        self.store.record_posted(incident.id, channel, ts, ts, fingerprint(incident), self._clock())
        self._metrics.incidents_posted.inc()
        return True

    def update_card(
        self,
        incident: Incident,
        message: MessageRow,
        *,
        defer: bool = True,
        folded: Sequence[str] | None = None,
    ) -> bool:
        """Redraw the card with the incident's state and its folded thread lines (`folded`, else those the
        message row keeps; see `OutboxWorker.fold`)."""
        assert message.ts is not None
        try:
            room = message.kind is MessageKind.ROOM
            lines = message.folded if folded is None else folded
            card = self.card(incident, in_room=room, folded=lines)
            self.gateway.update_message(message.channel, message.ts, card)
        except SlackError as exc:
            if not defer:
                raise
            self.defer(UpdateCard(incident.id), message.channel, exc=exc)
            return False
        self._metrics.incidents_updated.inc()
        if message.kind is MessageKind.CARD:  # the incident's links show what its channel card shows
            self.unfurls.refresh(incident)
        return True

    # -- threads ---------------------------------------------------------------------------------

    def thread(
        self,
        message: MessageRow,
        lines: Sequence[str],
        key: str,
        *,
        send: bool = True,
        broadcast: bool = False,
        blocks: Sequence[dict[str, object]] = (),
    ) -> bool:
        """Reply in the message's thread; False when the reply went to the outbox instead.

        `key` names the reply (the same key is never queued twice for a card). With `send=False` (the bot
        is shutting down) it goes to the outbox without trying Slack.
        """
        thread_ts = message.thread_ts or message.ts
        assert thread_ts is not None
        work = ThreadReply(thread_ts, tuple(lines), message.incident_id, broadcast, tuple(blocks))
        if not send:
            self.defer(work, message.channel, key=key, exc=None)
            return False
        try:
            self.send_reply(message.channel, work, marks=[dedupe_key(work, message.channel, key)])
        except SlackError as exc:
            certain = isinstance(exc, SlackRateLimitedError | SlackRequestError)  # Slack kept nothing
            self.defer(replace(work, verify=not certain), message.channel, key=key, exc=exc)
            return False
        return True

    def reply(
        self,
        incident_id: str,
        lines: Sequence[str],
        *,
        key: str,
        channel: str | None = None,
        broadcast: bool = False,
        blocks: Sequence[dict[str, object]] = (),
    ) -> int:
        """Post a thread reply under the incident's message in `channel` (None: in every channel it has
        one, card or storm digest), optionally broadcast to the channel; returns how many were sent now
        (the rest are queued in the outbox and retried). `lines` are the reply's text (a note of them,
        unless `blocks` are given); `key` names this reply, so asking twice with the same key queues it
        once.

        The one API for any part of the bot that adds to an incident's thread (reminders, actions).
        """
        sent = 0
        for message in self.store.messages_for(incident_id):
            if message.is_posted and message.ts and channel in (None, message.channel):
                sent += self.thread(message, lines, key, broadcast=broadcast, blocks=blocks)
        return sent

    def send_reply(self, channel: str, work: ThreadReply, *, marks: Sequence[str] = ()) -> str:
        """The reply itself, no outbox: raises what Slack raised. `marks` name the queued lines it carries
        (in its metadata), so `sent_marks` finds them after a crash."""
        note = thread_note(work.lines)
        blocks = [dict(b) for b in work.blocks] if work.blocks else note.blocks
        metadata = {
            "event_type": THREAD_METADATA_EVENT_TYPE,
            "event_payload": {"incident_id": work.incident_id or "", "marks": list(marks)},
        }
        reply = MessagePayload(text=note.text, blocks=blocks, metadata=metadata if marks else None)
        return self.gateway.post_message(channel, reply, thread_ts=work.thread_ts, broadcast=work.broadcast)

    def sent_marks(self, channel: str, thread_ts: str) -> set[str]:
        """The marks of every reply `send_reply` left under `thread_ts` (read from Slack)."""
        marks: set[str] = set()
        for _ts, payload in self.gateway.thread_payloads(channel, thread_ts, THREAD_METADATA_EVENT_TYPE):
            marks.update(str(mark) for mark in payload.get("marks", []))
        return marks

    # -- storm digests ---------------------------------------------------------------------------

    def post_digest(self, channel: str, incidents: Sequence[Incident], *, defer: bool = True) -> bool:
        """One message for many claimed incidents; each is recorded as a line of that digest."""
        try:
            ts = self.gateway.post_message(channel, self.digest(incidents))
        except SlackError as exc:
            if not defer:
                raise
            self.defer(PostDigest(tuple(sorted(i.id for i in incidents))), channel, exc=exc)
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
            self.defer(UpdateDigest(ts), channel, exc=exc)
            return False
        self._metrics.incidents_updated.inc()
        for incident_id in members:  # a member's links show what its line shows, as a card's do
            if incident_id in fresh:
                self.unfurls.refresh(incidents[incident_id])
        return True

    # -- the outbox ------------------------------------------------------------------------------

    def queue(self, work: Work, channel: str, *, key: str = "") -> bool:
        """Hand work to the senders (`bot.cards.dispatch`), due at once; False when it was queued already
        (an edit queued again is sent once more, with the state of the incident then)."""
        return self.store.enqueue(to_outbox(work, channel, key=key, not_before=self._clock()))

    def defer(self, work: Work, channel: str, *, key: str = "", exc: Exception | None) -> None:
        """Queue Slack work in the outbox: after the Retry-After of `exc`, the first backoff, or at once.

        Work Slack refused for good (`SlackPermanentError`) is dropped instead: logged and counted.
        """
        what = f"{type(work).__name__} in {channel} ({incident_of(work) or 'digest'})"
        if isinstance(exc, SlackPermanentError):
            log.warning("Slack %s dropped: %s", what, exc)
            self._metrics.slack_dropped.labels(reason=exc.error).inc()
            return
        if exc is None:
            delay = 0.0
        else:
            retry_after = exc.retry_after if isinstance(exc, SlackRateLimitedError) else None
            delay = SLACK_WORK.delay(0, retry_after=retry_after)
        log.warning("Slack %s deferred: %s", what, exc or "the bot is shutting down")
        self.store.enqueue(
            to_outbox(work, channel, key=key, not_before=self._clock() + timedelta(seconds=delay))
        )
