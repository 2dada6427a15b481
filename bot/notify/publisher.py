"""Turns fresh incidents into Slack: a card once per channel, edits in place, who-did-what in the thread.

The database decides: a post is claimed before it is sent and recorded after, so replicas never double a
message. A poll first decides everything, then sends: each channel's new messages in order, channels side
by side, so one channel's pacing never holds up another. More than `storm_threshold` new incidents for one
channel in one poll become a single digest there (critical incidents still get their own cards).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.cards.fingerprint import fingerprint
from bot.cards.lanes import MAX_PARALLEL, run_lanes
from bot.cards.outbox import OutboxWorker
from bot.cards.refresh import snapshot_of
from bot.cards.routing import Delivery, Routes
from bot.cards.sender import CardSender
from bot.coralogix.backend import CoralogixBackend
from bot.domain import Assignment, Incident, IncidentEvent, Severity, Status
from bot.errors import CoralogixError
from bot.metrics import Metrics
from bot.notify.changes import describe_changes
from bot.store import Store
from bot.store.rows import MessageKind, MessageRow, Snapshot

log = logging.getLogger(__name__)


Task = Callable[[], str | None]
"""One Slack write; returns "posted", "updated", "deferred" or None (nothing to count)."""


@dataclass
class PublishStats:
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
        outbox: OutboxWorker,
        client: CoralogixBackend,
        routes: Routes,
        slack_user_of: Callable[[str], str | None],
        metrics: Metrics,
        replica_id: str,
        clock: Callable[[], datetime],
        storm_threshold: int = 10,
    ) -> None:
        self._store = store
        self.sender = sender
        self._outbox = outbox
        self._client = client
        self._routes = routes
        self._slack_user_of = slack_user_of
        self._metrics = metrics
        self._replica = replica_id
        self._clock = clock
        self._storm_threshold = storm_threshold

    def drain_outbox(self, limit: int = 100) -> int:
        return self._outbox.drain(limit)

    def repair_claims(self, older_than: timedelta) -> int:
        return self._outbox.repair_claims(older_than)

    # -- the poller's entry point ----------------------------------------------------------------

    def publish(self, incidents: Sequence[Incident], *, allow_new_since: datetime | None) -> PublishStats:
        """Bring Slack in line with `incidents` (fresh from Coralogix)."""
        stats = PublishStats()
        if not incidents:
            return stats
        plan = self._plan(incidents, allow_new_since, stats)
        lanes: dict[str, list[Task]] = defaultdict(list)
        self._schedule_posts(plan.posts, lanes, stats)
        self._schedule_changes(plan, lanes)
        for outcome in run_lanes(lanes):
            if outcome == "posted":
                stats.posted += 1
            elif outcome == "updated":
                stats.updated += 1
            elif outcome == "deferred":
                stats.deferred += 1
        if plan.snapshots:
            self._store.upsert_snapshots(list(plan.snapshots.values()))
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

    def _schedule_posts(
        self, posts: Sequence[_Post], lanes: dict[str, list[Task]], stats: PublishStats
    ) -> None:
        if not posts:
            return
        # claimed before sending: only the replica whose claim created the row posts
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
                log.info("storm in %s: %d incidents in one digest", channel, len(grouped))
                lanes[channel].append(self._digest_task(channel, grouped))
            lanes[channel].extend(self._post_task(p) for p in singles)

    def _schedule_changes(self, plan: _Plan, lanes: dict[str, list[Task]]) -> None:
        digests: dict[tuple[str, str], dict[str, Incident]] = defaultdict(dict)
        for change, events in self._with_new_events(plan.changes):
            incident = change.incident
            plan.snapshots[incident.id] = replace(plan.snapshots[incident.id], seen_event_count=events[1])
            lines = describe_changes(
                snapshot_old_incident(change.snapshot), incident, events[0], slack_user_of=self._slack_user_of
            )
            for message in change.messages:
                assert message.ts is not None
                if message.kind is MessageKind.DIGEST:
                    digests[(message.channel, message.ts)][incident.id] = incident
                    continue
                # an edit is not a new message: unpaced and unordered, so each gets a lane of its own
                if change.card_changed:
                    lanes[f"{message.channel}/{message.ts}"].append(self._update_task(incident, message))
                if lines:  # thread replies keep their own order, beside the channel's new cards
                    key = f"events:{events[1]}"
                    lanes[f"{message.channel}/threads"].append(self._thread_task(message, lines, key))
        for (channel, ts), fresh in digests.items():
            lanes[f"{channel}/{ts}"].append(self._digest_update_task(channel, ts, fresh))

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
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(changes))) as pool:
            return list(zip(changes, pool.map(fetch, changes), strict=True))

    def _post_task(self, post: _Post) -> Task:
        def task() -> str:
            sent = self.sender.post_card(post.incident, post.delivery.channel, post.delivery.mentions)
            return "posted" if sent else "deferred"

        return task

    def _digest_task(self, channel: str, incidents: Sequence[Incident]) -> Task:
        def task() -> str:
            return "posted" if self.sender.post_digest(channel, incidents) else "deferred"

        return task

    def _update_task(self, incident: Incident, message: MessageRow) -> Task:
        return lambda: "updated" if self.sender.update_card(incident, message) else "deferred"

    def _digest_update_task(self, channel: str, ts: str, fresh: dict[str, Incident]) -> Task:
        return lambda: "updated" if self.sender.update_digest(channel, ts, fresh) else "deferred"

    def _thread_task(self, message: MessageRow, lines: Sequence[str], key: str) -> Task:
        def task() -> None:
            self.sender.thread(message, lines, key)

        return task
