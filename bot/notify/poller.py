"""One poll of Coralogix: find what changed since the last poll and hand it to the publisher.

Steady state reads incidents ordered by last state update time, newest first, and stops at the first one
older than the cursor, so an idle poll reads one page whatever the number of open incidents. A periodic
full reconciliation (`sweep.py`) catches anything the cursor walk could miss. It runs a slice per poll,
after the poll's own work, until `sweep_seconds` from the poll's start (half an interval in `incident-bot
run`); its reads run beside the poll and are waited for only that long, so the next poll starts on time
however slowly Coralogix answers them. Nothing per incident outlives a poll: the first start and the
reconciliation hold one page at a time, the cursor walk at most `hold` incidents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.coralogix.backend import CoralogixBackend
from bot.domain import Incident, IncidentFilter, Ordering, SortField, Status
from bot.durations import in_words
from bot.notify.pages import PageTally, add_stats, publish_page
from bot.notify.publisher import CardPublisher, PublishStats
from bot.notify.sweep import OLDEST_FIRST, RECONCILED, Sweep, SweepSlice
from bot.store import Store

log = logging.getLogger(__name__)

CURSOR = "poll.last_state_update_time"
EPOCH = "poll.epoch"
OPEN_STATUSES = (Status.TRIGGERED, Status.ACKNOWLEDGED)
NEWEST_UPDATES = Ordering(SortField.LAST_STATE_UPDATE, descending=True)
FIRST_START_PAGE = 100


@dataclass
class PollResult:
    pages: int | None  # pages of the cursor walk (None on the first start, which walks no cursor)
    changed: int
    stats: PublishStats
    reconciled: bool = False  # a reconciliation finished during this poll
    first_start: bool = False
    swept: int = 0  # Coralogix reads the reconciliation made during this poll


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
        sweep_seconds: float = 15.0,
        sweep_page_size: int = 200,
        hold: int = 1000,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._store = store
        self._publisher = publisher
        self._backfill = backfill
        self._clock = clock
        self._page_size = page_size
        self._reconcile_every = reconcile_every
        self._sweep_seconds = sweep_seconds
        self._hold = max(hold, page_size)
        self._ticks = ticks
        self._sweep = Sweep(
            client=client, store=store, publisher=publisher, clock=clock, page_size=sweep_page_size
        )

    def poll_once(self) -> PollResult:
        started = self._ticks()
        cursor = self._store.get_cursor(CURSOR)
        epoch_text = self._store.get_cursor(EPOCH)
        if cursor is None or epoch_text is None:
            return self._first_start()
        epoch = datetime.fromisoformat(epoch_text)
        since = datetime.fromisoformat(cursor)
        result = self._changed_since(since, epoch)
        swept = self._sweep_slice(epoch, started)
        if swept is not None:
            result.swept = swept.reads
            result.reconciled = swept.finished
        return result

    def _changed_since(self, since: datetime, epoch: datetime) -> PollResult:
        """Publish incidents whose last state update is at or after `since` (ties re-checked by fingerprint).

        Oldest change first, so cards appear in the order things happened; past `hold` incidents (a long
        outage) what was read is published at once, newest batch first, so memory stays bounded.
        """
        held: list[Incident] = []
        stats = PublishStats()
        changed = 0
        newest: datetime | None = None
        token: str | None = None
        pages = 0
        while True:
            page = self._client.list_incidents(
                ordering=NEWEST_UPDATES, page_size=self._page_size, page_token=token
            )
            pages += 1
            token = page.next_page_token
            for incident in page.incidents:
                updated = incident.last_state_update_time
                if updated is None:
                    continue
                if updated < since:
                    token = None
                    break
                if newest is None or updated > newest:
                    newest = updated
                held.append(incident)
            del page
            if len(held) >= self._hold or not token:
                changed += len(held)
                add_stats(stats, self._publisher.publish(held[::-1], allow_new_since=epoch))
                held = []
            if not token:
                break
        if newest is not None and newest > since:
            self._store.set_cursor(CURSOR, newest.isoformat())
        return PollResult(pages=pages, changed=changed, stats=stats)

    def _first_start(self) -> PollResult:
        """Bounded backfill: open incidents of the last `backfill` are posted, older ones are not."""
        now = self._clock()
        epoch = now - self._backfill
        newest_page = self._client.list_incidents(ordering=NEWEST_UPDATES, page_size=1)
        newest = newest_page.incidents[0].last_state_update_time if newest_page.incidents else None
        tally = PageTally()
        recent = IncidentFilter(statuses=OPEN_STATUSES, created_after=epoch)
        token: str | None = None
        while True:
            page = self._client.list_incidents(
                recent, OLDEST_FIRST, page_size=FIRST_START_PAGE, page_token=token
            )
            publish_page(self._store, self._publisher, page.incidents, allow_new_since=epoch, tally=tally)
            token = page.next_page_token
            del page
            if not token:
                break
        self._store.set_cursor(EPOCH, epoch.isoformat())
        self._store.set_cursor(CURSOR, (newest or now).isoformat())
        self._store.set_cursor(RECONCILED, now.isoformat())
        log.info(
            "first start: %d open incidents of the last %s posted or tracked",
            tally.seen,
            in_words(self._backfill),
        )
        return PollResult(pages=None, changed=tally.changed, stats=tally.stats, first_start=True)

    def _sweep_slice(self, epoch: datetime, started: float) -> SweepSlice | None:
        """The reconciliation's share of this poll, when one is due or under way: what is left of
        `sweep_seconds` since the poll started."""
        if not self._sweep.due(self._reconcile_every):
            return None
        return self._sweep.run(epoch, remaining=lambda: self._sweep_seconds - (self._ticks() - started))
