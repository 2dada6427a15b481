"""Turns fresh incidents into Slack: a card once per channel, edits in place, who-did-what in the thread.

The database decides: a post is claimed before it is queued and recorded once sent, so replicas never
double a message. A poll decides everything and records it in the outbox, then ends: the senders
(`bot.cards.dispatch`) send it, channel by channel, so no poll and no channel waits for Slack. More than
`storm_threshold` new incidents for one channel in one poll become a single digest there (critical
incidents still get their own cards).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.cards.fingerprint import fingerprint
from bot.cards.lanes import MAX_PARALLEL
from bot.cards.refresh import snapshot_of
from bot.cards.routing import Delivery, Routes
from bot.cards.sender import CardSender
from bot.cards.work import PostCard, PostDigest, ThreadReply, UpdateCard, UpdateDigest, Work
from bot.coralogix.backend import CoralogixBackend
from bot.domain import Assignment, Incident, IncidentEvent, Severity, Status
from bot.errors import CoralogixError
from bot.metrics import Metrics
from bot.notify.changes import describe_changes
from bot.store import Store
from bot.store.rows import MessageKind, MessageRow, Snapshot

log = logging.getLogger(__name__)


_Queued = tuple[Work, str, str]
"""Work for the outbox, the channel it goes to, and the key that names a thread reply."""
URGENT = frozenset({Severity.CRITICAL, Severity.ERROR})
"""Incidents whose new cards go before a channel's other waiting work."""


@dataclass
class PublishStats:
    """What a publish found; `posted` and `updated` count messages queued for the senders."""

    seen: int = 0
    new: int = 0
    changed: int = 0
    posted: int = 0
    updated: int = 0
    deferred: int = 0
    unrouted: int = 0
    digests: int = 0


@dataclass(frozen=True)
class _Post:
    incident: Incident
    delivery: Delivery


@dataclass(frozen=True)
class _Change:
    incident: Incident
    snapshot: Snapshot
    messages: list[MessageRow]
    card_changed: bool = True
    """False when only events came (a comment on a case): thread lines, no card update."""


@dataclass
class _Plan:
    posts: list[_Post] = field(default_factory=list)
    changes: list[_Change] = field(default_factory=list)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)


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
    """Decides what Slack needs from a poll's incidents; `sender` and `outbox` (the cards layer) send it."""

    def __init__(
        self,
        *,
        store: Store,
        sender: CardSender,
        client: CoralogixBackend,
        routes: Routes,
        slack_user_of: Callable[[str], str | None],
        metrics: Metrics,
        replica_id: str,
        clock: Callable[[], datetime],
        storm_threshold: int = 10,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self.sender = sender
        self._client = client
        self._routes = routes
        self._slack_user_of = slack_user_of
        self._metrics = metrics
        self._replica = replica_id
        self._clock = clock
        self._storm_threshold = storm_threshold
        self._on_queued = on_queued  # wakes the senders
        # kept for the publisher's life: a pool per poll would start and end threads every second, and
        # each new thread may take another malloc arena, which glibc then keeps resident
        self._event_reads = ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="incident-events")

    # -- the poller's entry point ----------------------------------------------------------------

    def publish(self, incidents: Sequence[Incident], *, allow_new_since: datetime | None) -> PublishStats:
        """Record in the outbox what Slack must show for `incidents` (fresh from Coralogix), and return:
        the senders (`bot.cards.dispatch`) send it, so a poll never waits for Slack."""
        stats = PublishStats()
        if not incidents:
            return stats
        plan = self._plan(incidents, allow_new_since, stats)
        work: list[_Queued] = []
        self._schedule_posts(plan.posts, work, stats)
        self._schedule_changes(plan, work, stats)
        for item, channel, key in work:
            self.sender.queue(item, channel, key=key)
        if plan.snapshots:
            self._store.upsert_snapshots(list(plan.snapshots.values()))
        if work:
            self._on_queued()
        return stats

    def _plan(
        self, incidents: Sequence[Incident], allow_new_since: datetime | None, stats: PublishStats
    ) -> _Plan:
        """What each incident needs, from the database alone."""
        ids = [incident.id for incident in incidents]
        snapshots = self._store.get_snapshots(ids)
        messages = self._store.messages_for_incidents(ids)
        plan = _Plan()
        for incident in incidents:
            stats.seen += 1
            self._metrics.incidents_seen.inc()
            snapshot = snapshots.get(incident.id)
            print_ = fingerprint(incident)
            same_card = snapshot is not None and print_ == snapshot.fingerprint
            if same_card and (
                incident.last_state_update_time is None
                or snapshot is None
                or snapshot.last_state_update_time == incident.last_state_update_time
            ):
                continue  # nothing a card shows has changed, nor has anything happened to it
            existing = {m.channel: m for m in messages.get(incident.id, [])}
            deliveries = self._routes.deliveries(incident)
            if snapshot is None:
                stats.new += 1
                created = incident.created_at
                fresh_enough = allow_new_since is None or created is None or created >= allow_new_since
                if is_postable(incident) and fresh_enough:
                    if not deliveries and not incident.is_muted:
                        stats.unrouted += 1
                        self._metrics.incidents_unrouted.inc()
                    plan.posts.extend(_Post(incident, delivery) for delivery in deliveries)
            else:
                stats.changed += 1
                posted = [m for m in existing.values() if m.is_posted and m.ts]
                if posted:
                    plan.changes.append(_Change(incident, snapshot, posted, card_changed=not same_card))
                if is_postable(incident):
                    plan.posts.extend(_Post(incident, d) for d in deliveries if d.channel not in existing)
            event_count = snapshot.seen_event_count if snapshot else 0
            channels = [d.channel for d in deliveries]
            plan.snapshots[incident.id] = snapshot_of(incident, event_count, channels, print_)
        return plan

    def _schedule_posts(self, posts: Sequence[_Post], work: list[_Queued], stats: PublishStats) -> None:
        if not posts:
            return
        # claimed before queueing: only the replica whose claim created the row posts
        won = self._store.claim_messages(
            [(p.incident.id, p.delivery.channel) for p in posts], self._replica, self._clock()
        )
        by_channel: dict[str, list[_Post]] = defaultdict(list)
        for post in posts:
            if (post.incident.id, post.delivery.channel) in won:
                by_channel[post.delivery.channel].append(post)
        for channel, channel_posts in by_channel.items():
            storm = self._storm_threshold > 0 and len(channel_posts) > self._storm_threshold
            singles = [p for p in channel_posts if not storm or p.incident.severity is Severity.CRITICAL]
            grouped = [
                p.incident for p in channel_posts if storm and p.incident.severity is not Severity.CRITICAL
            ]
            if grouped:
                stats.digests += 1
                stats.posted += len(grouped)
                log.info("storm in %s: %d incidents in one digest", channel, len(grouped))
                work.append((PostDigest(tuple(sorted(i.id for i in grouped))), channel, ""))
            for post in singles:
                stats.posted += 1
                urgent = post.incident.severity in URGENT
                work.append((PostCard(post.incident.id, post.delivery.mentions, urgent=urgent), channel, ""))

    def _schedule_changes(self, plan: _Plan, work: list[_Queued], stats: PublishStats) -> None:
        digests: set[tuple[str, str]] = set()
        for change, events in self._with_new_events(plan.changes):
            incident = change.incident
            plan.snapshots[incident.id] = replace(plan.snapshots[incident.id], seen_event_count=events[1])
            lines = describe_changes(
                snapshot_old_incident(change.snapshot), incident, events[0], slack_user_of=self._slack_user_of
            )
            for message in change.messages:
                assert message.ts is not None
                if message.kind is MessageKind.DIGEST:
                    digests.add((message.channel, message.ts))
                    continue
                if change.card_changed:  # coalesced in the outbox: the card is redrawn once, as it is then
                    stats.updated += 1
                    work.append((UpdateCard(incident.id), message.channel, ""))
                if lines:
                    thread_ts = message.thread_ts or message.ts
                    reply = ThreadReply(thread_ts, tuple(lines), incident.id)
                    work.append((reply, message.channel, f"events:{events[1]}"))
        for channel, ts in sorted(digests):
            stats.updated += 1
            work.append((UpdateDigest(ts), channel, ""))

    def _with_new_events(
        self, changes: Sequence[_Change]
    ) -> list[tuple[_Change, tuple[tuple[IncidentEvent, ...], int]]]:
        """The events each changed incident gained since the bot last looked (fetched concurrently)."""

        def fetch(change: _Change) -> tuple[tuple[IncidentEvent, ...], int]:
            seen = change.snapshot.seen_event_count
            try:
                events = self._client.get_incident_events(change.incident.id)
            except CoralogixError as exc:
                log.warning("could not read the events of %s: %s", change.incident.id, exc)
                return (), seen
            return tuple(events[seen:]), len(events)

        if not changes:
            return []
        return list(zip(changes, self._event_reads.map(fetch, changes), strict=True))
