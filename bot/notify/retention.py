"""The pruning job: on the replica that holds the poller lease, forget what is past retention.

Hourly; with `BOT_RETENTION_DAYS=0` every few seconds, so a closed incident goes as soon as its card is
final and the tables stay proportional to the open incidents. Caches that are not per incident (identity
answers) and outbox items that never went out are still kept a day then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.errors import BotError
from bot.metrics import Metrics
from bot.store import Store

log = logging.getLogger(__name__)

POLLER_LEASE = "poller"
EVERY_SECONDS = 3600
EVERY_SECONDS_AT_ZERO = 5  # BOT_RETENTION_DAYS=0: a few seconds' closes per run, in small batches
FLOOR_AT_ZERO = timedelta(days=1)  # identity answers and unsent outbox items, whatever the retention


class RetentionJob:
    def __init__(
        self,
        *,
        store: Store,
        replica_id: str,
        days: int,
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._replica = replica_id
        self._keep = timedelta(days=days)
        self.every_seconds = EVERY_SECONDS if days else EVERY_SECONDS_AT_ZERO
        self._metrics = metrics
        self._clock = clock

    def __call__(self) -> int:
        """Prune once if this replica polls; returns how many rows went. Never raises (APScheduler)."""
        try:
            now = self._clock()
            if self._store.lease_holder(POLLER_LEASE, now) != self._replica:
                return 0
            others = now - max(self._keep, FLOOR_AT_ZERO)
            pruned = self._store.prune_older_than(now - self._keep, now, others_cutoff=others)
            if not self._keep and pruned.closed_incidents:
                self._store.prune_reminders()  # their messages went: hourly in the reminders job otherwise
        except BotError as exc:
            log.warning("pruning skipped: %s", exc)
            return 0
        for kind, count in (
            ("closed_incidents", pruned.closed_incidents),
            ("identities", pruned.identities),
            ("outbox_items", pruned.outbox_items),
            ("action_claims", pruned.action_claims),
            ("slack_events", pruned.slack_events),
        ):
            self._metrics.pruned.labels(kind=kind).inc(count)
        if pruned.total:
            log.info(
                "pruned %d closed incidents, %d identity answers, %d outbox items, %d action claims, "
                "%d Slack events",
                pruned.closed_incidents,
                pruned.identities,
                pruned.outbox_items,
                pruned.action_claims,
                pruned.slack_events,
            )
        return pruned.total
