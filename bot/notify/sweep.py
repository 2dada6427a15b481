"""The periodic reconciliation, one slice per poll: every open incident re-read, one page at a time.

It walks in two phases. OPEN reads Coralogix's open incidents oldest first, a page at a time: each page is
compared with the stored fingerprints in one query, published, marked as seen by this sweep, and dropped
before the next one is read. GONE then walks the store in id order (a keyset walk) for incidents the bot
still thinks open that OPEN did not see, and reads them back in batches: that is how a close the cursor
walk missed is found. After every page the sweep's position is written to one cursor row, so a sweep cut
short by a crash or a lost lease goes on where it stopped, on whichever replica polls next.

Its Coralogix reads run on a thread of their own (`reads.py`), one at a time: a poll waits for one only
within its share, so a slow answer delays the reconciliation, never the regular poll.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.coralogix.backend import CoralogixBackend
from bot.domain import BatchResult, IncidentFilter, Ordering, SortField, Status
from bot.errors import CoralogixRequestError
from bot.notify.pages import PageTally, publish_page
from bot.notify.publisher import CardPublisher
from bot.notify.reads import OneRead
from bot.store import Store

log = logging.getLogger(__name__)

STATE = "poll.sweep"
RECONCILED = "poll.reconciled_at"
OPEN_NOW = IncidentFilter(statuses=(Status.TRIGGERED, Status.ACKNOWLEDGED))
OLDEST_FIRST = Ordering(SortField.CREATED, descending=False)


class Phase(StrEnum):
    OPEN = "open"
    GONE = "gone"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class SweepState:
    """Where sweep `number` stands; `token` is the next OPEN page's, `after` the last id GONE checked.

    The counts (Coralogix reads, incidents read open, cards that differed, tracked incidents read back
    because the open listing lacked them) cover the whole sweep, across slices and replicas.
    """

    number: int
    phase: Phase
    token: str | None = None
    after: str | None = None
    pages: int = 0
    seen: int = 0
    changed: int = 0
    gone: int = 0

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> SweepState:
        data = json.loads(text)
        return cls(
            number=int(data["number"]),
            phase=Phase(data["phase"]),
            token=data.get("token"),
            after=data.get("after"),
            pages=int(data.get("pages", 0)),
            seen=int(data.get("seen", 0)),
            changed=int(data.get("changed", 0)),
            gone=int(data.get("gone", 0)),
        )


@dataclass
class SweepSlice:
    """What one slice did: Coralogix reads (pages and batches), and whether the sweep finished."""

    reads: int = 0
    tally: PageTally = field(default_factory=PageTally)
    finished: bool = False


class Sweep:
    def __init__(
        self,
        *,
        client: CoralogixBackend,
        store: Store,
        publisher: CardPublisher,
        clock: Callable[[], datetime],
        page_size: int = 200,
        batch_size: int = 100,
    ) -> None:
        self._client = client
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._page_size = page_size
        self._batch_size = batch_size
        self._reads = OneRead()

    def due(self, every: timedelta) -> bool:
        """A sweep is under way, or the last one finished `every` ago or more."""
        text = self._store.get_cursor(STATE)
        if text is not None and SweepState.loads(text).phase is not Phase.DONE:
            return True
        last = self._store.get_cursor(RECONCILED)
        return last is None or self._clock() - datetime.fromisoformat(last) >= every

    def run(self, allow_new_since: datetime, remaining: Callable[[], float]) -> SweepSlice:
        """Go on with the sweep under way (or start one), a page at a time while `remaining()` seconds
        of the poll's share are left, waiting for a read no longer than that.

        Each slice asks for a read, even with no time left: its answer is taken by the next slice, so a
        sweep progresses however busy the polls are.
        """
        done = SweepSlice()
        text = self._store.get_cursor(STATE)
        state = SweepState.loads(text) if text is not None else None
        starting = state is None or state.phase is Phase.DONE
        if state is None or state.phase is Phase.DONE:
            state = SweepState(number=state.number + 1 if state else 1, phase=Phase.OPEN)
        while True:
            after = self._step(state, allow_new_since, done, remaining())
            if after is None:  # the read is not in yet
                return done
            moved = after.dumps()
            if not self._store.swap_cursor(STATE, text, moved, self._clock()):
                log.warning("reconciliation %d moved on elsewhere; this replica stops", state.number)
                return done
            text, state = moved, after
            if starting:
                starting = False
                log.info("reconciliation %d started", state.number)
            if state.phase is Phase.DONE:
                done.finished = True
                log.info(
                    "reconciliation %d done: %d open incidents read, %d tracked ones no longer listed open, "
                    "%d cards out of date, %d Coralogix reads",
                    state.number,
                    state.seen,
                    state.gone,
                    state.changed,
                    state.pages,
                )
                return done
            if remaining() <= 0:
                return done

    def _step(
        self, state: SweepState, allow_new_since: datetime, done: SweepSlice, wait: float
    ) -> SweepState | None:
        if state.phase is Phase.OPEN:
            return self._open_page(state, allow_new_since, done, wait)
        return self._gone_batch(state, allow_new_since, done, wait)

    def _open_page(
        self, state: SweepState, allow_new_since: datetime, done: SweepSlice, wait: float
    ) -> SweepState | None:
        token = state.token
        try:
            page = self._reads.get(
                ("open", state.number, token),
                lambda: self._client.list_incidents(
                    OPEN_NOW, OLDEST_FIRST, page_size=self._page_size, page_token=token
                ),
                wait,
            )
        except CoralogixRequestError as exc:
            if state.token is None:
                raise
            log.warning("Coralogix refused the reconciliation's page token (%s); reading from the start", exc)
            return replace(state, token=None)
        if page is None:
            return None
        done.reads += 1
        changed = done.tally.changed
        publish_page(
            self._store, self._publisher, page.incidents, allow_new_since=allow_new_since, tally=done.tally
        )
        self._store.mark_swept([incident.id for incident in page.incidents], state.number)
        state = replace(
            state,
            pages=state.pages + 1,
            seen=state.seen + len(page.incidents),
            changed=state.changed + done.tally.changed - changed,
        )
        if page.next_page_token:
            return replace(state, token=page.next_page_token)
        return replace(state, phase=Phase.GONE, token=None)

    def _gone_batch(
        self, state: SweepState, allow_new_since: datetime, done: SweepSlice, wait: float
    ) -> SweepState | None:
        ids = self._store.unswept_open(state.number, state.after, self._batch_size)
        if not ids:
            self._store.set_cursor(RECONCILED, self._clock().isoformat())
            return replace(state, phase=Phase.DONE, after=None)

        def read() -> tuple[tuple[str, ...], BatchResult]:
            return tuple(ids), self._client.batch_get_incidents(ids)

        answer = self._reads.get(("gone", state.number, state.after), read, wait)
        if answer is None:
            return None
        asked, batch = answer  # the ids asked when the read started
        done.reads += 1
        if batch.not_found:
            log.info("reconciliation: %d tracked incidents are unknown to Coralogix", len(batch.not_found))
        found = list(batch.found.values())
        changed = done.tally.changed
        publish_page(self._store, self._publisher, found, allow_new_since=allow_new_since, tally=done.tally)
        return replace(
            state,
            after=asked[-1],
            pages=state.pages + 1,
            gone=state.gone + len(asked),
            changed=state.changed + done.tally.changed - changed,
        )
