"""The senders: a fixed number of workers drain the outbox continuously, channel by channel.

A poll only records what Slack must show (the outbox is the one queue) and ends; these workers send it,
on the replica holding the poller lease only. Channels with due work are served round-robin, one worker
per channel at a time, so no channel waits for another and none starves. Within a channel the most urgent
work goes first: card and digest updates (chat.update, not paced by Slack's posting limit; coalesced, so a
card is redrawn once with its latest state), then new cards of critical and error incidents, then other
new cards and digests, then thread replies (the replies waiting for one card go as one). A new message
goes only when the channel's pace allows it (`SlackGateway.post_ready_in`); a 429 holds the channel for
its Retry-After. Thread lines of a closed incident that have waited `FOLD_AFTER` go on its card instead
(`OutboxWorker.fold`): when the pace cannot carry a channel's load, what is over does not queue for ever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from bot.cards.outbox import OutboxWorker
from bot.cards.work import EDITS, THREADS
from bot.metrics import Metrics
from bot.slack.gateway import SlackGateway
from bot.store import Store

log = logging.getLogger(__name__)

WORKERS = 4
IDLE_WAIT = 0.2
"""Seconds a worker with nothing to do waits before looking again (or less, when woken)."""
LOOK_EVERY = 0.1
"""The workers together read which channels have due work at most this often (unless woken)."""
FOLD_AFTER = timedelta(seconds=15)
"""How long a closed incident's thread lines wait for the channel's pace before they go on its card."""
COUNT_EVERY = 1.0
"""The queue's depth per channel (a metric, /readyz) is counted at most this often."""


class Dispatcher:
    def __init__(
        self,
        *,
        outbox: OutboxWorker,
        store: Store,
        gateway: SlackGateway,
        metrics: Metrics,
        may_send: Callable[[], bool],
        workers: int = WORKERS,
        fold_after: timedelta = FOLD_AFTER,
    ) -> None:
        self._outbox = outbox
        self._store = store
        self._gateway = gateway
        self._metrics = metrics
        self._may_send = may_send
        self._workers = workers
        self._fold_after = fold_after
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self._turns: deque[str] = deque()  # channels with due work, in round-robin order
        self._due: dict[str, int] = {}  # channel -> most urgent due priority, as last read
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._depth: dict[str, int] = {}
        self._looked_at = float("-inf")
        self._counted_at = float("-inf")
        self._news = threading.Event()  # work was queued since the workers last looked

    def start(self) -> None:
        for n in range(self._workers):
            thread = threading.Thread(target=self._run, name=f"sender-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """New work was queued: look at once."""
        self._news.set()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the sends in flight; what is queued stays in the outbox for the next lease holder."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def depth(self) -> dict[str, int]:
        """Queued items per channel, as last counted (the metric and /readyz's detail)."""
        with self._lock:
            return dict(self._depth)

    # -- the workers -----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                channel = self._next_channel() if self._may_send() else None
            except Exception:
                log.exception("the senders could not read the outbox")
                channel = None
            if channel is None:
                self._wake.wait(IDLE_WAIT)
                self._wake.clear()
                continue
            try:
                self._serve(channel)
            except Exception:
                log.exception("sending to %s failed unexpectedly", channel)
            finally:
                with self._lock:
                    self._busy.discard(channel)

    def _next_channel(self) -> str | None:
        """The next channel in turn that has due work it may send now, marked busy; None if there is none."""
        with self._lock:
            if not self._turns:
                self._refresh()
            for _ in range(len(self._turns)):
                channel = self._turns.popleft()
                priority = self._due.get(channel)
                if priority is None or channel in self._busy:
                    continue
                if priority > EDITS and self._gateway.post_ready_in(channel) > 0:
                    self._turns.append(channel)  # its pace says wait: its turn comes round again
                    continue
                self._busy.add(channel)
                return channel
            self._refresh()  # everything in turn was busy or pacing: look again later
            return None

    def _refresh(self) -> None:
        """Re-read which channels have due work (under the lock), and now and then the queue's depth."""
        now = time.monotonic()
        if now - self._looked_at < LOOK_EVERY and not self._news.is_set():
            return  # another worker just looked
        self._news.clear()
        self._looked_at = now
        self._due = self._store.due_channels()
        self._turns = deque(channel for channel in self._due if channel not in self._busy)
        if now - self._counted_at < COUNT_EVERY:
            return
        self._counted_at = now
        depth = self._store.depth_by_channel()
        for channel in set(self._depth) - set(depth):
            self._metrics.outbox_depth.labels(channel=channel).set(0)
        for channel, count in depth.items():
            self._metrics.outbox_depth.labels(channel=channel).set(count)
        self._depth = depth
        self._metrics.outbox_pending.set(sum(depth.values()))

    def _serve(self, channel: str) -> None:
        """One turn of a channel: every due edit and fold, then one new message (its most urgent due work)."""
        self._outbox.process(self._outbox.claim(channel, EDITS))
        self._outbox.fold(self._outbox.claim_closed_waiting(channel, self._fold_after))
        for priority in range(EDITS + 1, THREADS + 1):
            if self._gateway.post_ready_in(channel) > 0:
                return
            items = self._outbox.claim(channel, priority, limit=1)
            if not items:
                continue
            if priority == THREADS and items[0].incident_id is not None:
                # every reply waiting for that card goes with it, as one
                items += self._outbox.claim(channel, THREADS, incident_id=items[0].incident_id)
            self._outbox.process(items)
            return
