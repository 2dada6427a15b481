"""Generated IncidentsService messages <-> the bot's domain objects.

This is on the polling hot path, so it reads fields directly (`HasField`, attribute access) and builds
nothing it does not return.

`enums` (the enum tables both ways), `times` (Timestamp and Duration), `from_pb` (messages into domain
objects) and `to_pb` (domain objects, queries and orderings into messages). This module re-exports them.
"""

from bot.coralogix.convert.enums import (
    event_kind_from_pb,
    event_kind_to_pb,
    severity_from_pb,
    severity_to_pb,
    state_from_pb,
    state_to_pb,
    status_from_pb,
    status_to_pb,
)
from bot.coralogix.convert.from_pb import (
    UNASSIGNED,
    aggregation_from_pb,
    assignee_groups_from_pb,
    assignment_from_pb,
    event_from_pb,
    incident_from_pb,
    incidents_from_pb,
)
from bot.coralogix.convert.times import datetime_from_pb, datetime_to_pb, timedelta_from_pb, timedelta_to_pb
from bot.coralogix.convert.to_pb import (
    assignment_to_pb,
    event_to_pb,
    group_by_to_pb,
    incident_to_pb,
    order_by_to_pb,
    query_filter_to_pb,
    user_details_to_pb,
)

__all__ = [
    "UNASSIGNED",
    "aggregation_from_pb",
    "assignee_groups_from_pb",
    "assignment_from_pb",
    "assignment_to_pb",
    "datetime_from_pb",
    "datetime_to_pb",
    "event_from_pb",
    "event_kind_from_pb",
    "event_kind_to_pb",
    "event_to_pb",
    "group_by_to_pb",
    "incident_from_pb",
    "incident_to_pb",
    "incidents_from_pb",
    "order_by_to_pb",
    "query_filter_to_pb",
    "severity_from_pb",
    "severity_to_pb",
    "state_from_pb",
    "state_to_pb",
    "status_from_pb",
    "status_to_pb",
    "timedelta_from_pb",
    "timedelta_to_pb",
    "user_details_to_pb",
]
