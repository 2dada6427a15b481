"""ListIncidentEvents semantics: every incident's events with their stamps, filtered, ordered and paged.

The wire's `IncidentEventQueryFilter` has no incident id: a caller narrows by the events' `timestamp`
range and tells incidents apart by event id. Only that range is simulated; any other filter field is
refused (INVALID_ARGUMENT) rather than ignored. Events are ordered by their time (the only order field),
ascending unless DESC is asked for. Page tokens are keyset tokens (the time of the last event served;
stamps are distinct), so a page boundary stays put when events are added.
"""

from __future__ import annotations

import threading
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import datetime

from bot.coralogix.pb import incident_event_extended_pb2 as ext_pb
from bot.coralogix.pb import incident_event_pb2, incident_event_query_filter_pb2, incident_query_pb2
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import query
from bot.sandbox.coralogix.errors import InvalidRequest
from bot.sandbox.coralogix.model import from_timestamp, timestamp, to_micros

StampedEvent = tuple[datetime, str, incident_event_pb2.IncidentEvent]
"""(when, incident id, event), as `SimulatedCoralogix.stamped_events` gives them."""

_SIMULATED_FILTERS = frozenset({"timestamp"})


def _check_filter(flt: incident_event_query_filter_pb2.IncidentEventQueryFilter) -> None:
    used = {descriptor.name for descriptor, _ in flt.ListFields()}
    unsupported = sorted(used - _SIMULATED_FILTERS)
    if unsupported:
        raise InvalidRequest(
            f"ListIncidentEvents filter field(s) {', '.join(unsupported)} are not simulated (only timestamp)"
        )


def _bounds(
    flt: incident_event_query_filter_pb2.IncidentEventQueryFilter, keys: list[int]
) -> tuple[int, int]:
    """The slice of `keys` (stamps in microseconds, ascending) inside the filter's time range."""
    low, high = 0, len(keys)
    if flt.HasField("timestamp"):
        bound = flt.timestamp
        if bound.HasField("start_time"):
            low = bisect_left(keys, to_micros(from_timestamp(bound.start_time)))
        if bound.HasField("end_time"):
            high = max(low, bisect_left(keys, to_micros(from_timestamp(bound.end_time))))
    return low, high


class StampIndex:
    """The stamps (microseconds) of the simulator's append-only event log, extended as the log grows.

    A real service keeps its events indexed by time; working every stamp out again for each page made a
    scan of the whole log cost the square of its length.
    """

    def __init__(self) -> None:
        self._keys: list[int] = []
        self._lock = threading.Lock()

    def keys(self, events: Sequence[StampedEvent]) -> list[int]:
        """The stamps of `events` (the log as it is now), in its order."""
        with self._lock:
            known = self._keys
            if len(known) > len(events):
                known.clear()  # not the log it was built from
            known.extend(to_micros(at) for at, _, _ in events[len(known) :])
            return known[:]


def list_events(
    events: Sequence[StampedEvent], request: pb.ListIncidentEventsRequest, stamps: StampIndex
) -> tuple[list[ext_pb.IncidentEventExtended], int, str | None]:
    """One page of the matching events, how many match in all, and the next page's token (None: last).

    `events` are in stamp order, every stamp distinct (the simulator's stamps only go forward).
    """
    flt = request.filter
    _check_filter(flt)
    descending = request.order_by.direction == incident_query_pb2.ORDER_BY_DIRECTION_DESC
    blob = (
        flt.SerializeToString(deterministic=True)
        + b"|"
        + request.order_by.SerializeToString(deterministic=True)
    )
    signature = f"{zlib.crc32(blob):08x}"
    keys = stamps.keys(events)
    low, high = _bounds(flt, keys)
    total = high - low
    token = request.pagination.page_token.value
    if token:
        after = query.decode_token(signature, token)
        if not isinstance(after, int):
            raise InvalidRequest("invalid page_token")
        if descending:
            high = max(low, min(high, bisect_left(keys, after)))
        else:
            low = min(high, max(low, bisect_right(keys, after)))
    size = query.page_size_of(request.pagination.page_size.value)
    if descending:
        chosen = list(events[max(low, high - size) : high])[::-1]
    else:
        chosen = list(events[low : min(high, low + size)])
    remaining = high - low - len(chosen)
    next_token = query.encode_token(signature, to_micros(chosen[-1][0])) if remaining > 0 and chosen else None
    items = []
    for at, _, event in chosen:
        copy = incident_event_pb2.IncidentEvent()
        copy.CopyFrom(event)
        items.append(ext_pb.IncidentEventExtended(incident_event=copy, cx_event_timestamp=timestamp(at)))
    return items, total, next_token
