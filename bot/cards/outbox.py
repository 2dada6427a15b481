"""Slack work that failed once: retried from the outbox with backoff, and posts a crash left half-done."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

from bot.domain import Incident
from bot.errors import CoralogixError, SlackError, SlackPermanentError, SlackRateLimitedError
from bot.metrics import Metrics
from bot.notify.lanes import run_lanes
from bot.notify.sender import CardSender
from bot.slack.blocks import thread_note
from bot.store.rows import MessageKind, NewOutboxItem, OutboxItem, OutboxKind

log = logging.getLogger(__name__)

STALE_CLAIM_AFTER = timedelta(minutes=2)
MAX_BACKOFF_SECONDS = 300.0
MAX_ITEM_AGE = timedelta(hours=24)
"""Slack work older than this is dropped: a card or thread line a day late helps nobody."""
VERIFY_MARGIN = timedelta(minutes=5)  # clocks of Slack and the database need not agree to the second


class OutboxWorker:
    def __init__(
        self,
        *,
        sender: CardSender,
        metrics: Metrics,
        replica_id: str,
        clock: Callable[[], datetime],
        lock_seconds: float = 30.0,
        mentions_for: Callable[[Incident, str], Sequence[str]] = lambda _incident, _channel: (),
    ) -> None:
        self._sender = sender
        self._store = sender.store
        self._metrics = metrics
        self._replica = replica_id
        self._clock = clock
        # items a drain takes stay hidden this long: a poller that dies mid-drain frees them soon
        self._lock_seconds = lock_seconds
        self._mentions_for = mentions_for  # a repaired post is still the channel's first: it mentions

    def drain(self, limit: int = 100) -> int:
        """Retry due Slack work with fresh incident state; returns how many items were done."""
        items = self._store.due_items(self._clock(), limit, lock_seconds=self._lock_seconds)
        if not items:
            self._metrics.outbox_pending.set(self._store.pending_count())
            return 0
        wanted = sorted(
            {i.incident_id for i in items if i.incident_id and i.kind is not OutboxKind.THREAD}
            | {str(member) for i in items for member in i.payload.get("digest", [])}
        )
        incidents: dict[str, Incident] = {}
        try:
            for start in range(0, len(wanted), 100):
                incidents.update(self._sender.client.batch_get_incidents(wanted[start : start + 100]).found)
        except CoralogixError as exc:
            for item in items:
                self._reschedule(item, f"Coralogix: {exc}")
            return 0
        lanes: dict[str, list[Callable[[], bool]]] = defaultdict(list)
        for item in items:
            lanes[item.channel].append(partial(self._attempt, item, incidents))
        done = sum(run_lanes(lanes))
        self._metrics.outbox_pending.set(self._store.pending_count())
        return done

    def _attempt(self, item: OutboxItem, incidents: dict[str, Incident]) -> bool:
        if self._clock() - item.created_at > MAX_ITEM_AGE:
            self._drop(item, "expired", f"older than {MAX_ITEM_AGE}")
            return False
        try:
            self._retry(item, incidents)
        except SlackPermanentError as exc:
            self._drop(item, exc.error, str(exc))
            return False
        except (SlackError, CoralogixError) as exc:
            self._reschedule(item, str(exc), exc)
            return False
        self._store.complete(item.id)
        return True

    def _drop(self, item: OutboxItem, reason: str, why: str) -> None:
        """Give up on work that can never succeed (or no longer matters): one log line, one count."""
        log.warning(
            "outbox: dropped %s in %s for %s after %d attempts: %s",
            item.kind.value,
            item.channel,
            item.incident_id or "a digest",
            item.attempts,
            why,
        )
        self._metrics.slack_dropped.labels(reason=reason).inc()
        self._store.complete(item.id)

    def _retry(self, item: OutboxItem, incidents: dict[str, Incident]) -> None:
        sender, payload = self._sender, item.payload
        if item.kind is OutboxKind.THREAD:
            lines = [str(line) for line in payload.get("lines", [])]
            sender.gateway.post_message(item.channel, thread_note(lines), thread_ts=str(payload["thread_ts"]))
            return
        if "digest" in payload:
            members = [incidents[str(i)] for i in payload["digest"] if str(i) in incidents]
            if members:
                sender.post_digest(item.channel, members, defer=False)
            return
        if "digest_ts" in payload:
            sender.update_digest(item.channel, str(payload["digest_ts"]), incidents, defer=False)
            return
        incident = incidents.get(item.incident_id or "")
        if incident is None:
            return  # gone from Coralogix: nothing left to show
        message = self._store.message(incident.id, item.channel)
        if item.kind is OutboxKind.UPDATE:
            if message is not None and message.ts:
                sender.update_card(incident, message, defer=False)
            return
        # POST: the claim is ours; first make sure an earlier attempt did not land after all
        if message is not None and message.is_posted:
            return
        if payload.get("verify"):
            # an earlier attempt may have landed: look from a little before the first claim onwards
            claimed = payload.get("since")
            first_claim = datetime.fromisoformat(str(claimed)) if claimed else None
            since = (first_claim or (message.claimed_at if message else self._clock())) - VERIFY_MARGIN
            found = sender.gateway.find_message_by_metadata(
                item.channel, incident.id, oldest=f"{since.timestamp():.6f}"
            )
            if found is not None:
                kind = MessageKind.DIGEST if found.digest else MessageKind.CARD
                self._store.record_posted(
                    incident.id, item.channel, found.ts, found.ts, None, self._clock(), kind=kind
                )
                return
        mentions = [str(m) for m in payload.get("mentions", [])] or list(
            self._mentions_for(incident, item.channel)
        )
        sender.post_card(incident, item.channel, mentions, defer=False)

    def _reschedule(self, item: OutboxItem, error: str, exc: Exception | None = None) -> None:
        if isinstance(exc, SlackRateLimitedError):
            delay = exc.retry_after
        else:
            delay = min(MAX_BACKOFF_SECONDS, 2.0 ** min(item.attempts, 9))
        self._store.reschedule(item.id, self._clock() + timedelta(seconds=delay), error)

    def repair_claims(self, older_than: timedelta = STALE_CLAIM_AFTER) -> int:
        """Claims left by a replica that died between claiming and recording: find the message or post it.

        Called by the lease holder before each poll: only the holder claims posts, so a claim of another
        replica older than a lease period belongs to a poller that has died or lost its lease. The post
        is verified against the channel's history (message metadata) before anything is sent, so a post
        that did land is only recorded.
        """
        now = self._clock()
        cutoff = now - older_than
        repaired = 0
        for row in self._store.stale_claims(cutoff):
            if row.claimed_by == self._replica:
                continue  # our own claim: its post is in flight or already in the outbox
            if not self._store.reclaim_stale(row.incident_id, row.channel, self._replica, cutoff, now):
                continue
            self._store.enqueue(
                NewOutboxItem(
                    kind=OutboxKind.POST,
                    channel=row.channel,
                    payload={"mentions": [], "verify": True, "since": row.claimed_at.isoformat()},
                    dedupe_key=f"post:{row.incident_id}:{row.channel}",
                    incident_id=row.incident_id,
                )
            )
            repaired += 1
        if repaired:
            log.info("%d posts a crash left unfinished will be checked and completed", repaired)
        return repaired
