"""One poll of Coralogix: find what changed since the last poll and hand it to the publisher.

Steady state reads incidents ordered by last state update time, newest first, and stops at the first one
older than the cursor, so an idle poll reads one page whatever the number of open incidents. A periodic
full reconciliation catches anything the cursor walk could miss.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.coralogix.backend import CoralogixBackend
from bot.domain import Incident, IncidentFilter, Ordering, SortField, Status
from bot.durations import in_words
from bot.notify.publisher import CardPublisher, PublishStats
from bot.store import Store

log = logging.getLogger(__name__)

CURSOR = "poll.last_state_update_time"
EPOCH = "poll.epoch"
RECONCILED = "poll.reconciled_at"
OPEN_STATUSES = (Status.TRIGGERED, Status.ACKNOWLEDGED)
NEWEST_UPDATES = Ordering(SortField.LAST_STATE_UPDATE, descending=True)


@dataclass
class PollResult:
    pages: int | None  # pages of the cursor walk (None on the first start, which walks no cursor)
    changed: int
    stats: PublishStats
    reconciled: bool = False
    first_start: bool = False


class Poller:
    def __init__(
        self,
        *,
        client: CoralogixBackend,
        store: Store,
        publisher: CardPublisher,
        backfill: timedelta,
        clock: Callable[[], datetime],
        page_size: int = 50,
        reconcile_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self._client = client
        self._store = store
        self._publisher = publisher
        self._backfill = backfill
        self._clock = clock
        self._page_size = page_size
        self._reconcile_every = reconcile_every

    def poll_once(self) -> PollResult:
        self._publisher.drain_outbox()
        cursor = self._store.get_cursor(CURSOR)
        epoch_text = self._store.get_cursor(EPOCH)
        if cursor is None or epoch_text is None:
            return self._first_start()
        epoch = datetime.fromisoformat(epoch_text)
        since = datetime.fromisoformat(cursor)
        changed, pages, newest = self._changed_since(since)
        # oldest change first, so cards appear in the order things happened
        stats = self._publisher.publish(changed[::-1], allow_new_since=epoch)
        if newest is not None and newest > since:
            self._store.set_cursor(CURSOR, newest.isoformat())
        result = PollResult(pages=pages, changed=len(changed), stats=stats)
        if self._reconcile_due():
            self._reconcile(epoch)
            result.reconciled = True
        return result

    def _changed_since(self, since: datetime) -> tuple[list[Incident], int, datetime | None]:
        """Incidents whose last state update is at or after `since` (ties are re-checked by fingerprint)."""
        changed: list[Incident] = []
        newest: datetime | None = None
        token: str | None = None
        pages = 0
        while True:
            page = self._client.list_incidents(
                ordering=NEWEST_UPDATES, page_size=self._page_size, page_token=token
            )
            pages += 1
            for incident in page.incidents:
                updated = incident.last_state_update_time
                if updated is None:
                    continue
                if updated < since:
                    return changed, pages, newest
                if newest is None or updated > newest:
                    newest = updated
                changed.append(incident)
            token = page.next_page_token
            if not token:
                return changed, pages, newest

    def _first_start(self) -> PollResult:
        """Bounded backfill: open incidents of the last `backfill` are posted, older ones are not."""
        now = self._clock()
        epoch = now - self._backfill
        newest_page = self._client.list_incidents(ordering=NEWEST_UPDATES, page_size=1)
        newest = newest_page.incidents[0].last_state_update_time if newest_page.incidents else None
        recent = list(
            self._client.iter_incidents(
                IncidentFilter(statuses=OPEN_STATUSES, created_after=epoch),
                Ordering(SortField.CREATED, descending=False),
                page_size=100,
            )
        )
        stats = self._publisher.publish(recent, allow_new_since=epoch)
        self._store.set_cursor(EPOCH, epoch.isoformat())
        self._store.set_cursor(CURSOR, (newest or now).isoformat())
        self._store.set_cursor(RECONCILED, now.isoformat())
        log.info(
            "first start: %d open incidents of the last %s posted or tracked",
            len(recent),
            in_words(self._backfill),
        )
        return PollResult(pages=None, changed=len(recent), stats=stats, first_start=True)

    def _reconcile_due(self) -> bool:
        last = self._store.get_cursor(RECONCILED)
        return last is None or self._clock() - datetime.fromisoformat(last) >= self._reconcile_every

    def _reconcile(self, epoch: datetime) -> None:
        """Safety net: re-read every open incident and every one we still think is open."""
        open_now = list(self._client.iter_incidents(IncidentFilter(statuses=OPEN_STATUSES), page_size=200))
        seen = {incident.id for incident in open_now}
        missing = [i for i in self._store.tracked_open_ids() if i not in seen]
        for start in range(0, len(missing), 100):
            open_now.extend(self._client.batch_get_incidents(missing[start : start + 100]).found.values())
        self._publisher.publish(open_now, allow_new_since=epoch)
        self._store.set_cursor(RECONCILED, self._clock().isoformat())
        log.info("reconciled %d incidents (%d no longer open)", len(open_now), len(missing))
