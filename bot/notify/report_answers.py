"""`/cx report [route] [since=24h|7d]` and `/cx stats mtta|mttr`: the same reader and builders as the
scheduled report, for the period that ends now."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from bot.domain import Incident
from bot.errors import BotError
from bot.notify.report_reader import ReportReader
from bot.reports.response_times import (
    GroupKeys,
    by_application,
    by_assignee,
    by_severity,
    summarize_by,
)
from bot.reports.schedule import Period
from bot.routing_file import Route, RoutingConfig, matching_routes
from bot.slack.blocks import SlackUserOf, nobody
from bot.slack.blocks.report import report_message, response_stats_message
from bot.slack.payload import MessagePayload

NO_ROUTE = "(no route)"


class UnknownRouteError(BotError):
    """`/cx report NAME` where no route has that name; the message lists the ones there are."""


class ReportAnswers:
    def __init__(
        self,
        *,
        reader: ReportReader,
        routing: RoutingConfig,
        clock: Callable[[], datetime],
        slack_user_of: SlackUserOf = nobody,
    ) -> None:
        self._reader = reader
        self._routing = routing
        self._clock = clock
        self._slack_user_of = slack_user_of

    def route(self, name: str | None) -> Route | None:
        """The route called `name` (case-insensitive); None for None; `UnknownRouteError` otherwise."""
        if name is None:
            return None
        for route in self._routing.routes:
            if route.name.lower() == name.lower():
                return route
        known = ", ".join(f"`{route.name}`" for route in self._routing.routes) or "none are configured"
        raise UnknownRouteError(f"There is no route called `{name}`. Routes: {known}.")

    def report(self, route_name: str | None, since: timedelta) -> MessagePayload:
        """The report of the route (every incident when None) over the last `since`."""
        route = self.route(route_name)
        now = self._clock()
        report = self._reader.report(route, Period(now - since, now))
        return report_message(report, slack_user_of=self._slack_user_of)

    def stats(self, measure: str, by: str, since: timedelta) -> MessagePayload:
        """MTTA or MTTR of the incidents that started in the last `since`, one line per group."""
        now = self._clock()
        period = Period(now - since, now)
        incidents = [
            incident
            for incident in self._reader.incidents_for(period.start - timedelta(days=1))
            if incident.created_at is None or incident.created_at < period.end
        ]
        times = self._reader.response_times(incidents)
        started = [
            incident
            for incident in incidents
            if (known := times.get(incident.id)) is not None and known.started_at in period
        ]
        groups = summarize_by(started, times, self._keys(by))
        return response_stats_message(measure, groups, by=by, since=since)

    def _keys(self, by: str) -> GroupKeys:
        if by == "route":
            return self._routes_of
        return {"severity": by_severity, "app": by_application, "assignee": by_assignee}[by]

    def _routes_of(self, incident: Incident) -> Iterable[str]:
        return [route.name for route in matching_routes(incident, self._routing)] or [NO_ROUTE]
