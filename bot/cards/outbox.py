"""Slack work that failed once: retried from the outbox with the one backoff policy, one handler per kind
of work, and posts a crash left half-done repaired from Slack's message metadata."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from bot.backoff import SLACK_WORK
from bot.cards.lanes import run_lanes
from bot.cards.routing import Routes
from bot.cards.sender import CardSender
from bot.cards.work import (
    THREADS,
    PostCard,
    PostDigest,
    ThreadReply,
    UnknownWorkError,
    UpdateCard,
    UpdateDigest,
    Work,
    from_outbox,
    mark_of,
    to_outbox,
)
from bot.domain import Incident
from bot.errors import CoralogixError, SlackError, SlackPermanentError, SlackRateLimitedError
from bot.metrics import Metrics
from bot.store.rows import MessageKind, OutboxItem

log = logging.getLogger(__name__)

STALE_CLAIM_AFTER = timedelta(minutes=2)
assert SLACK_WORK.deadline is not None
MAX_ITEM_AGE = timedelta(seconds=SLACK_WORK.deadline)
"""Slack work older than this is dropped (the policy's total deadline): a card a day late helps nobody."""
VERIFY_MARGIN = timedelta(minutes=5)  # clocks of Slack and the database need not agree to the second

Incidents = dict[str, Incident]


class OutboxWorker:
    def __init__(
        self,
        *,
        sender: CardSender,
        routes: Routes,
        metrics: Metrics,
        replica_id: str,
        clock: Callable[[], datetime],
        lock_seconds: float = 30.0,
    ) -> None:
        self._sender = sender
        self._store = sender.store
        self._routes = routes  # a repaired post is still the channel's first: it mentions
        self._metrics = metrics
        self._replica = replica_id
        self._clock = clock
        # items a drain takes stay hidden this long: a poller that dies mid-drain frees them soon
        self._lock_seconds = lock_seconds

    def drain(self, limit: int = 100) -> int:
        """Send every due item (any channel) with fresh incident state; returns how many were done."""
        items = self._store.due_items(self._clock(), limit, lock_seconds=self._lock_seconds)
        if not items:
            self._metrics.outbox_pending.set(self._store.pending_count())
            return 0
        by_channel: dict[str, list[OutboxItem]] = defaultdict(list)
        for item in items:
            by_channel[item.channel].append(item)
        lanes = {channel: [partial(self.process, batch)] for channel, batch in by_channel.items()}
        done = sum(run_lanes(lanes))
        self._metrics.outbox_pending.set(self._store.pending_count())
        return done

    def claim(
        self, channel: str, priority: int, incident_id: str | None = None, limit: int = 50
    ) -> list[OutboxItem]:
        """A channel's due items of one priority (one incident's, if given), hidden from other workers."""
        return self._store.claim_channel(
            channel,
            self._clock(),
            priority=priority,
            incident_id=incident_id,
            limit=limit,
            lock_seconds=self._lock_seconds,
        )

    def claim_closed_waiting(self, channel: str, waited: timedelta) -> list[OutboxItem]:
        """A channel's thread lines that have waited longer than `waited` for incidents now closed."""
        now = self._clock()
        return self._store.claim_closed_waiting(
            channel, now, priority=THREADS, queued_before=now - waited, lock_seconds=self._lock_seconds
        )

    def fold(self, items: list[OutboxItem]) -> int:
        """Put claimed thread lines of closed incidents on their cards (one chat.update each, which Slack's
        posting pace does not hold back) instead of replying; returns how many items were done.

        When Slack's pace cannot carry a channel's load, the lines of incidents that are over would wait
        behind the living ones for ever, and their rows with them; folded, the incident's record in Slack
        is whole and its rows can go.
        """
        lines: dict[str, list[str]] = defaultdict(list)
        folded: dict[str, list[OutboxItem]] = defaultdict(list)
        for item in items:
            try:
                work = from_outbox(item)
            except UnknownWorkError as exc:
                self._drop(item, "unknown", str(exc))
                continue
            if not isinstance(work, ThreadReply) or work.incident_id is None:
                self._reschedule(item, "not a thread line of an incident: not folded")
                continue
            lines[work.incident_id].extend(work.lines)
            folded[work.incident_id].append(item)
        if not folded:
            return 0
        try:
            incidents = self._sender.client.batch_get_incidents(sorted(folded)).found
        except CoralogixError as exc:
            for batch in folded.values():
                for item in batch:
                    self._reschedule(item, f"Coralogix: {exc}")
            return 0
        return sum(
            self._fold_one(batch, incidents.get(incident_id), lines[incident_id])
            for incident_id, batch in folded.items()
        )

    def _fold_one(self, items: list[OutboxItem], incident: Incident | None, lines: list[str]) -> int:
        channel = items[0].channel
        message = self._store.message(items[0].incident_id or "", channel)
        if incident is None or message is None or not message.ts:
            for item in items:
                self._drop(item, "no_card", "no card left to show the lines on")
            return 0
        shown = (*message.folded, *lines)  # a card folded onto before keeps those lines too
        try:
            self._sender.update_card(incident, replace(message, folded=shown), defer=False)
        except SlackPermanentError as exc:
            for item in items:
                self._drop(item, exc.error, str(exc))
            return 0
        except SlackError as exc:
            for item in items:
                self._reschedule(item, str(exc), exc)
            return 0
        self._store.complete_folded([item.id for item in items], incident.id, channel, shown, self._clock())
        self._metrics.thread_lines_folded.inc(len(lines))
        log.info("%d thread lines of closed %s put on its card in %s", len(lines), incident.id, channel)
        return len(items)

    def process(self, items: list[OutboxItem]) -> int:
        """Send claimed items of one channel, in order; thread replies waiting for the same card go as one
        reply. Returns how many items were done (sent, or found already sent)."""
        units: list[tuple[list[OutboxItem], Work]] = []
        for item in items:
            try:
                work = from_outbox(item)
            except UnknownWorkError as exc:
                self._drop(item, "unknown", str(exc))
                continue
            if self._clock() - item.created_at > MAX_ITEM_AGE:
                self._drop(item, "expired", f"older than {MAX_ITEM_AGE}")
                continue
            last = units[-1] if units else None
            if last is not None and _mergeable(last[1], work):
                assert isinstance(last[1], ThreadReply) and isinstance(work, ThreadReply)
                units[-1] = ([*last[0], item], replace(last[1], lines=last[1].lines + work.lines))
            else:
                units.append(([item], work))
        if not units:
            return 0
        try:
            incidents = self._read_incidents([work for _items, work in units])
        except CoralogixError as exc:
            for batch, _work in units:
                for item in batch:
                    self._reschedule(item, f"Coralogix: {exc}")
            return 0
        return sum(self._attempt(batch, work, incidents) for batch, work in units)

    def _read_incidents(self, works: list[Work]) -> Incidents:
        """The current state of every incident the work shows (thread replies need none)."""
        wanted: set[str] = set()
        for work in works:
            if isinstance(work, PostCard | UpdateCard):
                wanted.add(work.incident_id)
            elif isinstance(work, PostDigest):
                wanted.update(work.incident_ids)
        ordered = sorted(wanted)
        incidents: Incidents = {}
        for start in range(0, len(ordered), 100):
            incidents.update(self._sender.client.batch_get_incidents(ordered[start : start + 100]).found)
        return incidents

    def _attempt(self, items: list[OutboxItem], work: Work, incidents: Incidents) -> int:
        retried = max(item.attempts for item in items) > 1  # an earlier attempt may have landed
        landed: list[OutboxItem] = []
        try:
            if isinstance(work, ThreadReply) and (retried or work.verify):
                landed, items, work = self._landed_lines(items, work)
                if not items:
                    return self._complete(landed)
            self._handle(items[0].channel, work, incidents, retried=retried, items=items)
        except SlackPermanentError as exc:
            for item in items:
                self._drop(item, exc.error, str(exc))
            return self._complete(landed)
        except (SlackError, CoralogixError) as exc:
            for item in items:
                self._reschedule(item, str(exc), exc)
            return self._complete(landed)
        return self._complete(landed + items)

    def _complete(self, items: list[OutboxItem]) -> int:
        for item in items:
            self._store.complete(item.id, attempts=item.attempts)  # unless queued again meanwhile
        return len(items)

    def _landed_lines(
        self, items: list[OutboxItem], work: ThreadReply
    ) -> tuple[list[OutboxItem], list[OutboxItem], ThreadReply]:
        """Split a reply's items into those an earlier attempt already left in the thread (found by their
        marks in its metadata) and the rest, with the reply that says the rest alone."""
        sent = self._sender.sent_marks(items[0].channel, work.thread_ts)
        landed = [item for item in items if mark_of(item) in sent]
        if not landed:
            return [], items, work
        rest = [item for item in items if mark_of(item) not in sent]
        lines = tuple(line for item in rest for line in _lines_of(item))
        log.info("%d thread lines were sent before a crash: not sent again", len(landed))
        return landed, rest, replace(work, lines=lines)

    def _handle(
        self,
        channel: str,
        work: Work,
        incidents: Incidents,
        *,
        retried: bool = False,
        items: list[OutboxItem] | None = None,
    ) -> None:
        """One handler per kind of work; each raises what Slack or Coralogix raised. A reply carries the
        marks of the queued `items` it says (`mark_of`)."""
        match work:
            case ThreadReply():
                self._sender.send_reply(channel, work, marks=[mark_of(item) for item in items or []])
            case PostDigest():
                self._post_digest(channel, work, incidents)
            case UpdateDigest():
                self._sender.update_digest(channel, work.ts, incidents, defer=False)
            case UpdateCard():
                self._update_card(channel, work, incidents)
            case PostCard():
                self._post_card(channel, replace(work, verify=work.verify or retried), incidents)

    def _post_digest(self, channel: str, work: PostDigest, incidents: Incidents) -> None:
        members = [incidents[i] for i in work.incident_ids if i in incidents]
        if members:
            self._sender.post_digest(channel, members, defer=False)

    def _update_card(self, channel: str, work: UpdateCard, incidents: Incidents) -> None:
        incident = incidents.get(work.incident_id)
        message = self._store.message(work.incident_id, channel)
        if incident is not None and message is not None and message.ts:
            self._sender.update_card(incident, message, defer=False)

    def _post_card(self, channel: str, work: PostCard, incidents: Incidents) -> None:
        """The claim is ours; first make sure an earlier attempt did not land after all."""
        incident = incidents.get(work.incident_id)
        if incident is None:
            return  # gone from Coralogix: nothing left to show
        message = self._store.message(incident.id, channel)
        if message is not None and message.is_posted:
            return
        if work.verify:
            # an earlier attempt may have landed: look from a little before the first claim onwards
            since = (work.since or (message.claimed_at if message else self._clock())) - VERIFY_MARGIN
            found = self._sender.gateway.find_message_by_metadata(
                channel, incident.id, oldest=f"{since.timestamp():.6f}"
            )
            if found is not None:
                kind = MessageKind.DIGEST if found.digest else MessageKind.CARD
                self._store.record_posted(
                    incident.id, channel, found.ts, found.ts, None, self._clock(), kind=kind
                )
                return
        mentions = list(work.mentions) or list(self._routes.mentions(incident, channel))
        self._sender.post_card(incident, channel, mentions, defer=False)

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

    def _reschedule(self, item: OutboxItem, error: str, exc: Exception | None = None) -> None:
        retry_after = exc.retry_after if isinstance(exc, SlackRateLimitedError) else None
        delay = SLACK_WORK.delay(item.attempts, retry_after=retry_after)
        # a rate limit is Slack's pace, not a fault: logged quietly; anything else an operator should see
        log.log(
            logging.INFO if retry_after is not None else logging.WARNING,
            "outbox: %s in %s for %s failed (attempt %d), next try in %.1f s: %s",
            item.kind.value,
            item.channel,
            item.incident_id or "a digest",
            item.attempts,
            delay,
            error,
        )
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
            work = PostCard(row.incident_id, verify=True, since=row.claimed_at)
            self._store.enqueue(to_outbox(work, row.channel))
            repaired += 1
        if repaired:
            log.info("%d posts a crash left unfinished will be checked and completed", repaired)
        return repaired


def _lines_of(item: OutboxItem) -> tuple[str, ...]:
    work = from_outbox(item)
    return work.lines if isinstance(work, ThreadReply) else ()


def _mergeable(first: Work, then: Work) -> bool:
    """Thread replies for the same card, plain lines both: one reply says them all."""
    return (
        isinstance(first, ThreadReply)
        and isinstance(then, ThreadReply)
        and first.thread_ts == then.thread_ts
        and not first.blocks
        and not then.blocks
        and first.broadcast == then.broadcast
    )
