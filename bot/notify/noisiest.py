"""A report's five noisiest alerts as Coralogix counts them (ListIncidentAggregations), where it can.

Coralogix counts the incidents created in the period that the route's match keeps, grouped by alert and
application. The report counts the listed incidents itself instead (`noisiest_alerts`, over those that
started in the period) when Coralogix cannot:

- on Cases: its filter values count one field at a time, never alert and application together;
- for a route matching on `alert_name`: the bot takes an incident's alert name from its `alert_name`
  label, else from its name, and a filter on the label would miss the second;
- for a route matching on `labels`: the bot looks a key up in the display, then the contextual, then
  the meta labels, the first found deciding, which no filter can say;
- when the count failed, or its groups did not fit the pages the client reads.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.coralogix.backend import AlertCounter, CoralogixBackend
from bot.domain import IncidentFilter
from bot.reports.schedule import Period
from bot.reports.shift import NoisyAlert, noisiest_from_groups
from bot.routing_file import Route

log = logging.getLogger(__name__)

_MICROSECOND = timedelta(microseconds=1)


def route_filter(route: Route | None, period: Period) -> IncidentFilter | None:
    """The incidents created in `period` that the route takes (None: every one), as Coralogix's filter;
    None when the filter cannot say what the route's match does."""
    start, end = period.start, period.end - _MICROSECOND  # the filter's creation range includes its end
    if route is None:
        return IncidentFilter(created_after=start, created_before=end)
    match = route.match
    if match.alert_name is not None or match.labels is not None:
        return None
    return IncidentFilter(
        severities=tuple(match.severity or ()),
        applications=tuple(match.application or ()),
        subsystems=tuple(match.subsystem or ()),
        muted=bool(match.muted),
        created_after=start,
        created_before=end,
    )


def counted_noisiest(
    client: CoralogixBackend, route: Route | None, period: Period
) -> list[NoisyAlert] | None:
    """The noisiest alerts as Coralogix counts them; None when the report must count them itself."""
    flt = route_filter(route, period)
    if flt is None or not isinstance(client, AlertCounter):
        return None
    try:
        groups = client.incidents_per_alert(flt)
    except Exception as exc:  # the listed incidents can still be counted
        log.warning("could not count the incidents per alert: %s", exc)
        return None
    return noisiest_from_groups(groups) if groups is not None else None
