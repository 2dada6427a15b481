"""Scheduled shift reports: on the replica holding the poller lease, each route's report once per run.

Every minute the lease holder looks at each route with `report:`; the newest run at or before now is owed
unless the route's schedule was first seen after it. Each of the route's channels is claimed in the
database before posting (`store/reports.py`), so two replicas, or a restart within the minute, post it
once. A run found more than five minutes after its time (the bot was down) is posted then, once, marked
late; runs missed before the newest are not posted (one late report says what the period held).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.errors import BotError, SlackError, SlackPermanentError
from bot.notify.report_reader import ReportReader
from bot.reports.schedule import Period, is_late, latest_run, period_of_run
from bot.routing_file import Route, RoutingConfig
from bot.slack.blocks import SlackUserOf, nobody
from bot.slack.blocks.report import REPORT_EVENT_TYPE, report_message
from bot.slack.gateway import SlackGateway
from bot.store import Store

log = logging.getLogger(__name__)

POLLER_LEASE = "poller"
STALE_CLAIM = timedelta(minutes=5)
"""A claim not posted after this long is a dead replica's: the channel is searched for the report."""
CHECK_EVERY_SECONDS = 30
"""At most; the runtime checks at every poll interval when that is shorter."""


class ReportJob:
    def __init__(
        self,
        *,
        reader: ReportReader,
        store: Store,
        gateway: SlackGateway,
        routing: RoutingConfig,
        replica_id: str,
        clock: Callable[[], datetime],
        slack_user_of: SlackUserOf = nobody,
        keep_days: int = 30,
    ) -> None:
        self._reader = reader
        self._store = store
        self._gateway = gateway
        self._routing = routing
        self._replica = replica_id
        self._clock = clock
        self._slack_user_of = slack_user_of
        self._keep = timedelta(days=keep_days)
        self._pruned_at: datetime | None = None
        self._seen: set[tuple[str, datetime]] = set()  # runs found claimed, said once in the log

    @property
    def routes(self) -> list[Route]:
        return [route for route in self._routing.routes if route.report is not None]

    def __call__(self) -> int:
        """One round; returns how many reports were posted. Never raises (APScheduler)."""
        routes = self.routes
        if not routes:
            return 0
        try:
            if self._store.lease_holder(POLLER_LEASE) != self._replica:
                return 0
        except BotError as exc:
            log.warning("shift reports skipped: %s", exc)
            return 0
        posted = 0
        try:
            self._reader.warm()
            self._prune()
        except BotError as exc:
            log.warning("could not bring the response-time cache up to date: %s", exc)
        for route in routes:
            try:
                posted += self.run_route(route)
            except BotError as exc:
                log.warning("shift report of route %s failed for now: %s", route.name, exc)
            except Exception:
                log.exception("shift report of route %s failed unexpectedly", route.name)
        return posted

    def _prune(self) -> None:
        """Hourly: forget cached response times and report runs older than BOT_RETENTION_DAYS."""
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < timedelta(hours=1):
            return
        self._pruned_at = now
        pruned = self._store.prune_responses(now - self._keep)
        if pruned:
            log.info("pruned %d cached response times and report runs", pruned)

    def run_route(self, route: Route, now: datetime | None = None) -> int:
        """Post the route's owed run to each channel not yet claimed; returns how many posts were made."""
        schedule = route.report
        if schedule is None:
            return 0
        now = now or self._clock()
        armed = self._store.arm_schedule(route.name, now)
        run = latest_run(schedule, now)
        if run is None or run < armed:
            return 0
        late = is_late(run, now)
        self._repair(route, run, now)
        claimed = [
            channel
            for channel in route.channels
            if self._store.claim_report_run(route.name, channel, run, self._replica, now, late=late)
        ]
        if not claimed:
            if (route.name, run) not in self._seen:
                self._seen.add((route.name, run))
                log.info(
                    "shift report of %s for %s: already posted or being posted", route.name, run.isoformat()
                )
            return 0
        try:
            report = self._reader.report(route, period_of_run(schedule, run), run=run, late=late)
        except BotError:
            for channel in claimed:
                self._store.release_report_run(route.name, channel, run, self._replica)
            raise
        payload = report_message(report, slack_user_of=self._slack_user_of)
        posted = 0
        for channel in claimed:
            try:
                ts = self._gateway.post_message(channel, payload)
            except SlackPermanentError as exc:
                log.warning(
                    "shift report of %s not posted to %s, and will not be: %s", route.name, channel, exc
                )
                continue
            except SlackError as exc:
                log.warning("shift report of %s not posted to %s yet: %s", route.name, channel, exc)
                self._store.release_report_run(route.name, channel, run, self._replica)
                continue
            self._store.mark_report_posted(route.name, channel, run, ts, self._clock())
            posted += 1
            log.info("shift report of %s posted to %s%s", route.name, channel, " (late)" if late else "")
        return posted

    def _repair(self, route: Route, run: datetime, now: datetime) -> None:
        """A replica that died between claiming a channel's report and recording it left a claim: if the
        report is in the channel (its message metadata), record it; else free the claim to post it now."""
        for stale in self._store.stale_report_runs(route.name, run, now - STALE_CLAIM):
            ts = self._gateway.find_message_by_event(
                stale.channel, REPORT_EVENT_TYPE, {"route": route.name, "run": run.isoformat()}
            )
            if ts is not None:
                self._store.mark_report_posted(route.name, stale.channel, run, ts, now)
                log.info(
                    "shift report of %s in %s was posted before a crash; recorded", route.name, stale.channel
                )
            else:
                self._store.release_stale_report_run(route.name, stale.channel, run, now - STALE_CLAIM)
                log.info(
                    "shift report of %s for %s was claimed but never posted; posting it",
                    route.name,
                    stale.channel,
                )

    def post_now(self, route_name: str, since: timedelta = timedelta(hours=24)) -> str:
        """Post the route's report of the last `since` to its channels now, outside the schedule (the
        demo's button); says what was done. `ValueError` for a route that does not exist."""
        route = next((route for route in self._routing.routes if route.name == route_name), None)
        if route is None:
            raise ValueError(f"there is no route called {route_name!r}")
        now = self._clock()
        report = self._reader.report(route, Period(now - since, now))
        payload = report_message(report, slack_user_of=self._slack_user_of)
        for channel in route.channels:
            self._gateway.post_message(channel, payload)
        return f"Posted the shift report of {route.name} to {len(route.channels)} channel(s): {payload.text}"
