"""Turns fresh incidents into Slack cards: post once per channel, update in place, tell the thread.

The database decides: a post is claimed before it is sent and recorded after, so replicas never double a
message; anything Slack did not take goes to the outbox and is retried with backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import RoutingConfig
from bot.coralogix.client import IncidentsClient
from bot.domain import Assignment, Incident, IncidentEvent, Status
from bot.errors import CoralogixError, SlackError, SlackRateLimitedError, SlackRequestError
from bot.metrics import Metrics
from bot.notify.changes import describe_changes, fingerprint
from bot.notify.routing import Delivery, channels_for
from bot.slack.blocks import MessagePayload, incident_card, thread_note
from bot.slack.gateway import SlackGateway
from bot.store import Store
from bot.store.rows import MessageRow, NewOutboxItem, OutboxItem, OutboxKind, Snapshot

log = logging.getLogger(__name__)

STALE_CLAIM_AFTER = timedelta(minutes=2)
MAX_BACKOFF_SECONDS = 300.0


@dataclass
class PublishStats:
    seen: int = 0
    new: int = 0
    changed: int = 0
    posted: int = 0
    updated: int = 0
    deferred: int = 0
    unrouted: int = 0


def snapshot_old_incident(snapshot: Snapshot) -> Incident:
    """The incident as the bot last knew it, enough for describing what changed."""
    return Incident(
        id=snapshot.incident_id,
        status=snapshot.status,
        state=snapshot.state,
        severity=snapshot.severity,
        is_muted=snapshot.muted,
        closed_at=snapshot.last_state_update_time if snapshot.closed else None,
        assignments=(Assignment(snapshot.assignee),) if snapshot.assignee else (),
    )


def is_postable(incident: Incident) -> bool:
    """Only live incidents get a new card; resolved or closed ones just get their existing cards updated."""
    return incident.is_open and incident.status in (Status.TRIGGERED, Status.ACKNOWLEDGED, Status.UNSPECIFIED)


class CardPublisher:
    def __init__(
        self,
        *,
        store: Store,
        gateway: SlackGateway,
        client: IncidentsClient,
        routing: RoutingConfig,
        default_channel: str | None,
        team_url: str | None,
        slack_user_of: Callable[[str], str | None],
        metrics: Metrics,
        replica_id: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._gateway = gateway
        self._client = client
        self._routing = routing
        self._default_channel = default_channel
        self._team_url = team_url
        self._slack_user_of = slack_user_of
        self._metrics = metrics
        self._replica = replica_id
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

    # -- the poller's entry point ----------------------------------------------------------------

    def publish(self, incidents: Sequence[Incident], *, allow_new_since: datetime | None) -> PublishStats:
        """Bring Slack in line with `incidents` (fresh from Coralogix)."""
        stats = PublishStats()
        if not incidents:
            return stats
        ids = [incident.id for incident in incidents]
        snapshots = self._store.get_snapshots(ids)
        messages = self._store.messages_for_incidents(ids)
        fresh: list[Snapshot] = []
        for incident in incidents:
            stats.seen += 1
            self._metrics.incidents_seen.inc()
            snapshot = snapshots.get(incident.id)
            existing = {m.channel: m for m in messages.get(incident.id, [])}
            print_ = fingerprint(incident)
            event_count = snapshot.seen_event_count if snapshot else 0
            deliveries = channels_for(incident, self._routing, self._default_channel)
            if snapshot is None:
                stats.new += 1
                created = incident.created_at
                fresh_enough = allow_new_since is None or created is None or created >= allow_new_since
                if is_postable(incident) and fresh_enough:
                    if not deliveries and not incident.is_muted:
                        stats.unrouted += 1
                        self._metrics.incidents_unrouted.inc()
                    for delivery in deliveries:
                        self._post(incident, delivery, print_, stats)
            elif print_ != snapshot.fingerprint:
                stats.changed += 1
                posted = [m for m in existing.values() if m.is_posted]
                if posted:
                    event_count = self._update_everywhere(incident, snapshot, posted, print_, stats)
                if is_postable(incident):
                    for delivery in deliveries:
                        if delivery.channel not in existing:
                            self._post(incident, delivery, print_, stats)
            fresh.append(
                Snapshot(
                    incident_id=incident.id,
                    status=incident.status,
                    state=incident.state,
                    severity=incident.severity,
                    assignee=incident.assignee,
                    muted=incident.is_muted,
                    closed=incident.is_closed,
                    last_state_update_time=incident.last_state_update_time,
                    fingerprint=print_,
                    seen_event_count=event_count,
                    channels=tuple(d.channel for d in deliveries),
                )
            )
        self._store.upsert_snapshots(fresh)
        return stats

    def refresh(self, incident: Incident, lines: Sequence[str]) -> None:
        """After an action from Slack: update every card of the incident and add `lines` to each thread.

        The snapshot moves on too, so the next poll does not describe the same change again.
        """
        snapshot = self._store.get_snapshot(incident.id)
        print_ = fingerprint(incident)
        event_count = snapshot.seen_event_count if snapshot else 0
        try:
            event_count = len(self._client.get_incident_events(incident.id))
        except CoralogixError as exc:
            log.warning("could not read the events of %s: %s", incident.id, exc)
        for message in self._store.messages_for(incident.id):
            if message.is_posted and message.ts:
                self._update(incident, message, print_)
                if lines:
                    self._thread(message, lines, f"action:{event_count}")
        base = snapshot or Snapshot(
            incident_id=incident.id, status=incident.status, state=incident.state, severity=incident.severity
        )
        self._store.upsert_snapshot(
            replace(
                base,
                status=incident.status,
                state=incident.state,
                severity=incident.severity,
                assignee=incident.assignee,
                muted=incident.is_muted,
                closed=incident.is_closed,
                last_state_update_time=incident.last_state_update_time,
                fingerprint=print_,
                seen_event_count=event_count,
                updated_at=None,
            )
        )

    # -- posting, updating, threads --------------------------------------------------------------

    def _update_everywhere(
        self,
        incident: Incident,
        snapshot: Snapshot,
        posted: Sequence[MessageRow],
        print_: str,
        stats: PublishStats,
    ) -> int:
        events: list[IncidentEvent] = []
        event_count = snapshot.seen_event_count
        try:
            events = self._client.get_incident_events(incident.id)
        except CoralogixError as exc:
            log.warning("could not read the events of %s: %s", incident.id, exc)
        new_events = events[snapshot.seen_event_count :] if events else []
        if events:
            event_count = len(events)
        lines = describe_changes(
            snapshot_old_incident(snapshot), incident, new_events, slack_user_of=self._slack_user_of
        )
        for message in posted:
            if self._update(incident, message, print_):
                stats.updated += 1
            else:
                stats.deferred += 1
            if lines:
                self._thread(message, lines, f"events:{event_count}")
        return event_count

    def _post(self, incident: Incident, delivery: Delivery, print_: str, stats: PublishStats) -> None:
        if not self._store.claim_message(incident.id, delivery.channel, self._replica, self._clock()):
            return  # posted (or being posted) already, by us or another replica
        if self._send_post(incident, delivery.channel, delivery.mentions, print_):
            stats.posted += 1
        else:
            stats.deferred += 1

    def _send_post(self, incident: Incident, channel: str, mentions: Sequence[str], print_: str) -> bool:
        """Post the card of a claimed (incident, channel); on failure the claim stays, the outbox retries."""
        try:
            ts = self._gateway.post_message(channel, self.card(incident, mentions))
        except SlackError as exc:
            # 429 and outright refusals mean Slack kept nothing; anything else may have been posted.
            certain = isinstance(exc, SlackRateLimitedError | SlackRequestError)
            self._defer(
                kind=OutboxKind.POST,
                channel=channel,
                incident_id=incident.id,
                payload={"mentions": list(mentions), "verify": not certain},
                dedupe_key=f"post:{incident.id}:{channel}",
                exc=exc,
            )
            return False
        self._store.record_posted(incident.id, channel, ts, ts, print_, self._clock())
        self._metrics.incidents_posted.inc()
        return True

    def _update(self, incident: Incident, message: MessageRow, print_: str) -> bool:
        assert message.ts is not None
        try:
            self._gateway.update_message(message.channel, message.ts, self.card(incident))
        except SlackError as exc:
            self._defer(
                kind=OutboxKind.UPDATE,
                channel=message.channel,
                incident_id=incident.id,
                payload={},
                dedupe_key=f"update:{incident.id}:{message.channel}",
                exc=exc,
            )
            return False
        self._store.set_message_fingerprint(incident.id, message.channel, print_, self._clock())
        self._metrics.incidents_updated.inc()
        return True

    def _thread(self, message: MessageRow, lines: Sequence[str], key: str) -> None:
        thread_ts = message.thread_ts or message.ts
        assert thread_ts is not None
        try:
            self._gateway.post_message(message.channel, thread_note(lines), thread_ts=thread_ts)
        except SlackError as exc:
            self._defer(
                kind=OutboxKind.THREAD,
                channel=message.channel,
                incident_id=message.incident_id,
                payload={"lines": list(lines), "thread_ts": thread_ts},
                dedupe_key=f"thread:{message.incident_id}:{message.channel}:{key}",
                exc=exc,
            )

    def _defer(
        self,
        *,
        kind: OutboxKind,
        channel: str,
        incident_id: str,
        payload: dict[str, object],
        dedupe_key: str,
        exc: SlackError,
    ) -> None:
        delay = exc.retry_after if isinstance(exc, SlackRateLimitedError) else 2.0
        log.warning("Slack %s for %s in %s deferred: %s", kind.value, incident_id, channel, exc)
        self._store.enqueue(
            NewOutboxItem(
                kind=kind,
                channel=channel,
                payload=payload,
                dedupe_key=dedupe_key,
                incident_id=incident_id,
                not_before=self._clock() + timedelta(seconds=delay),
            )
        )

    # -- retries and repairs ---------------------------------------------------------------------

    def drain_outbox(self, limit: int = 100) -> int:
        """Retry due Slack work with fresh incident state; returns how many items were done."""
        items = self._store.due_items(self._clock(), limit)
        if not items:
            return 0
        wanted = sorted({i.incident_id for i in items if i.incident_id and i.kind is not OutboxKind.THREAD})
        incidents: dict[str, Incident] = {}
        if wanted:
            try:
                incidents = dict(self._client.batch_get_incidents(wanted).found)
            except CoralogixError as exc:
                for item in items:
                    self._reschedule(item, f"Coralogix: {exc}")
                return 0
        done = 0
        for item in items:
            try:
                self._retry(item, incidents)
            except SlackError as exc:
                self._reschedule(item, str(exc), exc)
                continue
            self._store.complete(item.id)
            done += 1
        return done

    def _retry(self, item: OutboxItem, incidents: dict[str, Incident]) -> None:
        incident = incidents.get(item.incident_id or "")
        if item.kind is OutboxKind.THREAD:
            lines = [str(line) for line in item.payload.get("lines", [])]
            self._gateway.post_message(
                item.channel, thread_note(lines), thread_ts=str(item.payload["thread_ts"])
            )
            return
        if incident is None:
            return  # the incident is gone from Coralogix: nothing left to show
        message = self._store.message(incident.id, item.channel)
        print_ = fingerprint(incident)
        if item.kind is OutboxKind.UPDATE:
            if message is not None and message.ts:
                self._gateway.update_message(item.channel, message.ts, self.card(incident))
                self._store.set_message_fingerprint(incident.id, item.channel, print_, self._clock())
                self._metrics.incidents_updated.inc()
            return
        # POST: the claim is ours; first make sure an earlier attempt did not land after all
        if message is not None and message.is_posted:
            return
        if item.payload.get("verify"):
            found = self._gateway.find_message_by_metadata(item.channel, incident.id)
            if found:
                self._store.record_posted(incident.id, item.channel, found, found, None, self._clock())
                return
        mentions = [str(m) for m in item.payload.get("mentions", [])]
        ts = self._gateway.post_message(item.channel, self.card(incident, mentions))
        self._store.record_posted(incident.id, item.channel, ts, ts, print_, self._clock())
        self._metrics.incidents_posted.inc()

    def _reschedule(self, item: OutboxItem, error: str, exc: SlackError | None = None) -> None:
        if isinstance(exc, SlackRateLimitedError):
            delay = exc.retry_after
        else:
            delay = min(MAX_BACKOFF_SECONDS, 2.0 ** min(item.attempts, 9))
        self._store.reschedule(item.id, self._clock() + timedelta(seconds=delay), error)

    def repair_claims(self) -> int:
        """Claims left by a replica that died between claiming and recording: find the message or post it."""
        now = self._clock()
        stale = self._store.stale_claims(now - STALE_CLAIM_AFTER)
        repaired = 0
        for row in stale:
            if not self._store.reclaim_stale(
                row.incident_id, row.channel, self._replica, now - STALE_CLAIM_AFTER, now
            ):
                continue
            self._store.enqueue(
                NewOutboxItem(
                    kind=OutboxKind.POST,
                    channel=row.channel,
                    payload={"mentions": [], "verify": True},
                    dedupe_key=f"post:{row.incident_id}:{row.channel}",
                    incident_id=row.incident_id,
                )
            )
            repaired += 1
        return repaired


def chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
