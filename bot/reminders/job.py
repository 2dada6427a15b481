"""The reminder job: on the replica holding the poller lease, post every due reminder step exactly once.

Each tick: repair steps a crash left claimed, start the series of new cards (`discovery`), end the series
whose incidents stopped waiting (`stopping`), then post the due steps, each channel's in order and
channels side by side (the gateway paces every channel for all posts alike). Right before a step is
claimed the incident's latest stored state is read: an incident acknowledged, assigned, resolved or
closed (from Slack or from Coralogix) ends its series instead.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.coralogix.backend import CoralogixBackend
from bot.domain import Status
from bot.errors import SlackError, SlackPermanentError, SlackRateLimitedError, SlackRequestError
from bot.metrics import Metrics
from bot.reminders.discovery import Discovery
from bot.reminders.schedule import Cadence, next_due
from bot.reminders.sending import ThreadReplies, find_reminder
from bot.reminders.stopping import redraw_stopped, stop_reason
from bot.routing_file import Route, RoutingConfig
from bot.slack.blocks.reminder import reminder_message
from bot.store import Store
from bot.store.reminders import ReminderClaim, ReminderSeries
from bot.store.rows import Snapshot

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
MAX_PARALLEL_CHANNELS = 8
PRUNE_EVERY = timedelta(hours=1)


def is_waiting(snapshot: Snapshot | None) -> bool:
    """Still calls for a reminder: triggered, nobody assigned, not closed (as the bot last stored it)."""
    return (
        snapshot is not None
        and snapshot.status is Status.TRIGGERED
        and snapshot.assignee is None
        and not snapshot.closed
    )


class ReminderJob:
    def __init__(
        self,
        *,
        store: Store,
        replies: ThreadReplies,
        client: CoralogixBackend,
        routing: RoutingConfig,
        holds_lease: Callable[[], bool],
        replica_id: str,
        clock: Callable[[], datetime],
        snooze_seconds: int = 1800,
        team_url: str | None = None,
        stale_after: timedelta = timedelta(minutes=2),
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._replies = replies
        self._routes: Mapping[str, Route] = {route.name: route for route in routing.routes}
        self._holds_lease = holds_lease
        self._replica = replica_id
        self._clock = clock
        self._snooze_seconds = snooze_seconds
        self._team_url = team_url
        self._stale_after = stale_after
        self._metrics = metrics
        self._discovery = Discovery(store=store, client=client, routing=routing, clock=clock)
        self._active = any(route.remind for route in routing.routes)
        self._lock = threading.Lock()
        self._pruned_at: datetime | None = None

    def __call__(self) -> None:
        """Never raises: the scheduler would only log it, and the next tick must happen anyway."""
        if not self._active:
            return
        with self._lock:
            try:
                self.run_once()
            except Exception:
                log.exception("reminders: a tick failed unexpectedly")

    def run_once(self) -> int:
        """One tick; returns how many reminders were posted."""
        if not self._holds_lease():
            return 0
        self._repair()
        self._prune()
        self._discovery.run()
        self._stop_answered()
        due = self._store.due_reminders(self._clock())
        if not due:
            return 0
        lanes: dict[str, list[ReminderSeries]] = defaultdict(list)
        for series in due:
            lanes[series.channel].append(series)
        return sum(_run_lanes(lanes, self._remind))

    def _stop_answered(self) -> None:
        """End the series with reminders in Slack whose incidents all stopped waiting, and redraw those
        reminders without their Snooze button (once: only the caller that ended a series redraws it)."""
        running = self._store.reminded_and_running()
        if not running:
            return
        snapshots = self._store.get_snapshots(sorted({i for series in running for i in series.incidents}))
        for series in running:
            states = [snapshots.get(i) for i in series.incidents]
            if not any(is_waiting(state) for state in states):
                self._end(series, states, self._clock())

    def _end(self, series: ReminderSeries, states: Sequence[Snapshot | None] | None, now: datetime) -> None:
        """Finish the series; the caller that did redraws what it posted, when `states` say why."""
        if not self._store.finish_reminders(series.channel, series.thread_ts, now):
            return  # ended already (by another replica, or an earlier tick)
        self._count("stopped")
        if states is not None and series.steps_sent > 0:
            redraw_stopped(self._replies, series, stop_reason(states), team_url=self._team_url)

    # -- one step --------------------------------------------------------------------------------

    def _remind(self, series: ReminderSeries) -> bool:
        """Post the due step of `series` unless its incidents stopped waiting; True when posted."""
        if not self._holds_lease():
            return False
        fresh = self._store.reminder_series(series.channel, series.thread_ts)
        now = self._clock()
        if fresh is None or fresh.next_due_at is None or fresh.next_due_at > now:
            return False  # finished or snoozed meanwhile
        route = self._routes.get(fresh.route or "")
        snapshots = self._store.get_snapshots(list(fresh.incidents))
        waiting = [i for i in fresh.incidents if is_waiting(snapshots.get(i))]
        if not waiting:
            self._end(fresh, [snapshots.get(i) for i in fresh.incidents], now)
            return False
        if route is None or route.remind is None:
            self._end(fresh, None, now)  # the route changed: its reminders keep their words
            return False
        cadence = Cadence.of(route.remind)
        step = fresh.steps_sent + 1
        if step > cadence.times:
            self._store.finish_reminders(fresh.channel, fresh.thread_ts, now)
            return False
        if not self._store.claim_reminder(fresh.channel, fresh.thread_ts, step, self._replica, now):
            return False  # another replica (or an earlier run) has this step
        return self._send(fresh, route, cadence, step, waiting)

    def _send(
        self, series: ReminderSeries, route: Route, cadence: Cadence, step: int, waiting: Sequence[str]
    ) -> bool:
        assert route.remind is not None
        channel, thread_ts = series.channel, series.thread_ts
        payload = reminder_message(
            thread_ts=thread_ts,
            step=step,
            times=cadence.times,
            waited=self._clock() - series.created_at,
            incidents=[(i, series.incidents[i]) for i in waiting],
            mentions=route.remind.mention,
            snooze_seconds=self._snooze_seconds,
            team_url=self._team_url,
            digest=len(series.incidents) > 1,
        )
        try:
            ts = self._replies.post_reply(channel, thread_ts, payload, broadcast=True)
        except SlackPermanentError as exc:
            log.warning("reminders: Slack refused step %d in %s for good: %s", step, channel, exc)
            self._store.drop_reminder(channel, thread_ts, step, self._clock())
            return False
        except (SlackRateLimitedError, SlackRequestError) as exc:
            log.warning("reminders: step %d in %s not taken (%s); tried again next tick", step, channel, exc)
            self._store.release_reminder(channel, thread_ts, step)
            return False
        except SlackError as exc:
            # Slack may have kept it: the claim stays, and the repair looks in the thread before posting
            log.warning("reminders: step %d in %s may not have been posted (%s)", step, channel, exc)
            return False
        self._record(series, cadence, step, ts)
        return True

    def _record(self, series: ReminderSeries, cadence: Cadence, step: int, ts: str) -> None:
        now = self._clock()
        due = next_due(cadence, series.created_at, step, now, series.snoozed_until)
        self._store.record_reminder(series.channel, series.thread_ts, step, ts, now=now, next_due_at=due)
        self._count("posted")
        log.info(
            "reminder %d of %d posted in %s under %s", step, cadence.times, series.channel, series.thread_ts
        )

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.reminders.labels(outcome=outcome).inc()

    def _prune(self) -> None:
        """Hourly: series of messages retention pruned (closed incidents) go too."""
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        pruned = self._store.prune_reminders()
        if pruned:
            log.info("reminders: forgot %d series whose messages were pruned", pruned)

    # -- a crash mid-send ------------------------------------------------------------------------

    def _repair(self) -> None:
        """Steps claimed and never recorded: recorded if Slack has them, else freed to be posted again.

        Runs at the start of a tick, when no step of this replica is in flight; a claim is stale after
        `stale_after` (longer than a lease), so another replica's post in flight is left alone.
        """
        now = self._clock()
        cutoff = now - self._stale_after
        for claim in self._store.stale_reminder_claims(cutoff):
            if not self._store.reclaim_reminder(claim, self._replica, cutoff, now):
                continue
            self._repair_one(claim)

    def _repair_one(self, claim: ReminderClaim) -> None:
        try:
            ts = find_reminder(self._replies, claim.channel, claim.thread_ts, claim.step)
        except SlackError as exc:
            log.warning(
                "reminders: could not read the thread %s in %s: %s", claim.thread_ts, claim.channel, exc
            )
            return  # still claimed (by us now): tried again once stale
        if ts is None:
            self._store.release_reminder(claim.channel, claim.thread_ts, claim.step)
            log.info(
                "reminders: step %d in %s never reached Slack; it will be posted", claim.step, claim.channel
            )
            return
        series = self._store.reminder_series(claim.channel, claim.thread_ts)
        route = self._routes.get(series.route or "") if series is not None else None
        if series is None or route is None or route.remind is None:
            self._store.record_reminder(
                claim.channel, claim.thread_ts, claim.step, ts, now=self._clock(), next_due_at=None
            )
            return
        self._record(series, Cadence.of(route.remind), claim.step, ts)
        log.info("reminders: step %d in %s had reached Slack; recorded", claim.step, claim.channel)


def _run_lanes(
    lanes: Mapping[str, Sequence[ReminderSeries]], remind: Callable[[ReminderSeries], bool]
) -> list[bool]:
    """Each channel's steps in order, channels side by side."""

    def run(items: Sequence[ReminderSeries]) -> list[bool]:
        return [remind(item) for item in items]

    if len(lanes) == 1:
        return run(next(iter(lanes.values())))
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_CHANNELS, len(lanes))) as pool:
        return [done for results in pool.map(run, lanes.values()) for done in results]
