"""A typed client of Coralogix's IncidentsService that speaks the bot's domain objects.

Every call carries `authorization: Bearer <key>` (the team key, or the caller's own) and a deadline.
Reads are retried with exponential backoff on UNAVAILABLE only; writes are never retried, since a
write that reached the server before the connection broke must not be repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

import grpc
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message

from bot.coralogix import convert
from bot.coralogix.calls import ApiKey, CallObserver
from bot.coralogix.channel import open_channel
from bot.coralogix.client_base import ChannelClient, require_ids, walk_pages
from bot.coralogix.pb import (
    incident_event_extended_pb2,
    incident_event_query_filter_pb2,
    incident_pb2,
    incident_query_filter_pb2,
    incident_query_pb2,
    incidents_service_pb2_grpc,
)
from bot.coralogix.pb import incidents_service_pb2 as svc
from bot.domain import (
    ALERT_NAME_LABEL,
    AggregationGroup,
    BatchResult,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    IncidentPage,
    Ordering,
)
from bot.errors import CoralogixRequestError, IncidentNotFoundError

__all__ = ["ApiKey", "CallObserver", "IncidentsClient", "TimedEvents", "connect"]

_MAX_AGGREGATION_PAGES: Final = 100
EVENT_PAGE_SIZE: Final = 1000
MAX_EVENT_PAGES: Final = 50
"""ListIncidentEvents reads at most 50 pages of 1000 events per call."""


def _strings(values: Sequence[str]) -> list[wrappers_pb2.StringValue]:
    return [wrappers_pb2.StringValue(value=value) for value in values]


@dataclass(frozen=True)
class TimedEvents:
    """Events read through ListIncidentEvents, each with its time; `complete`: nothing was left unread."""

    events: tuple[IncidentEvent, ...]
    complete: bool


def _timed_event(item: incident_event_extended_pb2.IncidentEventExtended) -> IncidentEvent:
    event = convert.event_from_pb(item.incident_event)
    if not item.HasField("cx_event_timestamp"):
        return event
    return replace(event, at=convert.datetime_from_pb(item.cx_event_timestamp))


class IncidentsClient(ChannelClient):
    """The IncidentsService, one method per rpc the bot uses; errors come out as `bot.errors` types.

    Writes take `actor` (the Coralogix user acting) only to match `CoralogixBackend`: IncidentsService
    has no such field and credits the owner of the API key used.
    """

    api: Final[Literal["incidents"]] = "incidents"

    def __init__(
        self,
        channel: grpc.Channel,
        api_key: ApiKey,
        *,
        timeout: float = 10.0,
        read_retries: int = 3,
        backoff_base: float = 0.2,
        backoff_max: float = 2.0,
        observer: CallObserver | None = None,
    ) -> None:
        super().__init__(
            channel,
            api_key,
            timeout=timeout,
            read_retries=read_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            observer=observer,
        )
        self._stub = incidents_service_pb2_grpc.IncidentsServiceStub(channel)

    # ------------------------------------------------------------------------------------ reads

    def list_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        page_token: str | None = None,
        api_key: ApiKey | None = None,
    ) -> IncidentPage:
        """One page of incidents matching `filter`, in `ordering` (the server's default when None)."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        request = svc.ListIncidentsRequest(
            filter=convert.query_filter_to_pb(filter) if filter is not None else None,
            pagination=svc.PaginationRequest(
                page_size=wrappers_pb2.UInt32Value(value=page_size),
                page_token=wrappers_pb2.StringValue(value=page_token) if page_token else None,
            ),
            order_bys=[convert.order_by_to_pb(ordering)] if ordering is not None else [],
        )
        response: svc.ListIncidentsResponse = self._call("ListIncidents", request, read=True, api_key=api_key)
        pagination = response.pagination
        return IncidentPage(
            incidents=convert.incidents_from_pb(response.incidents),
            next_page_token=pagination.next_page_token.value or None,
            total_size=pagination.total_size.value if pagination.HasField("total_size") else None,
        )

    def iter_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        api_key: ApiKey | None = None,
    ) -> Iterator[Incident]:
        """Every matching incident, fetching page after page until the server gives no next token."""

        def page(token: str | None) -> IncidentPage:
            return self.list_incidents(
                filter, ordering, page_size=page_size, page_token=token, api_key=api_key
            )

        for incidents in walk_pages(page, "ListIncidents", "incidents"):
            yield from incidents

    def get_incident(self, incident_id: str, *, api_key: ApiKey | None = None) -> Incident:
        request = svc.GetIncidentRequest(id=wrappers_pb2.StringValue(value=incident_id))
        response: svc.GetIncidentResponse = self._call(
            "GetIncident", request, read=True, api_key=api_key, ids=(incident_id,)
        )
        if not response.HasField("incident"):
            raise IncidentNotFoundError(
                f"There is no incident {incident_id} in Coralogix", incident_id=incident_id, rpc="GetIncident"
            )
        return convert.incident_from_pb(response.incident)

    def batch_get_incidents(self, ids: Sequence[str], *, api_key: ApiKey | None = None) -> BatchResult:
        """The incidents with these ids, and the ids Coralogix does not know."""
        if isinstance(ids, str):
            raise TypeError("ids must be a sequence of ids, not a single string")
        if not ids:
            return BatchResult(found={}, not_found=())
        request = svc.BatchGetIncidentRequest(ids=_strings(ids))
        response: svc.BatchGetIncidentResponse = self._call(
            "BatchGetIncident", request, read=True, api_key=api_key, ids=ids
        )
        return BatchResult(
            found={key: convert.incident_from_pb(value) for key, value in response.incidents.items()},
            not_found=tuple(value.value for value in response.not_found_ids),
        )

    def get_incident_events(self, incident_id: str, *, api_key: ApiKey | None = None) -> list[IncidentEvent]:
        request = svc.GetIncidentEventsRequest(incident_id=wrappers_pb2.StringValue(value=incident_id))
        response: svc.GetIncidentEventsResponse = self._call(
            "GetIncidentEvents", request, read=True, api_key=api_key, ids=(incident_id,)
        )
        return [convert.event_from_pb(event) for event in response.incident_events]

    def list_timed_events(
        self,
        start: datetime,
        end: datetime | None = None,
        *,
        page_size: int = EVENT_PAGE_SIZE,
        max_pages: int = MAX_EVENT_PAGES,
        api_key: ApiKey | None = None,
    ) -> TimedEvents:
        """The events of every incident that happened in [start, end), oldest first, each with its time.

        ListIncidentEvents cannot be asked for one incident's events (its filter has no incident id):
        a caller reads the span its incidents' events fall in and matches them by event id (the ids
        GetIncidentEvents gives). At most `max_pages` pages are read; `complete` says whether that was all.
        """
        if page_size < 1 or max_pages < 1:
            raise ValueError("page_size and max_pages must be at least 1")
        span = incident_query_filter_pb2.TimeRange(start_time=convert.datetime_to_pb(start))
        if end is not None:
            span.end_time.CopyFrom(convert.datetime_to_pb(end))
        events: list[IncidentEvent] = []
        token: str | None = None
        seen: set[str] = set()
        for _ in range(max_pages):
            request = svc.ListIncidentEventsRequest(
                filter=incident_event_query_filter_pb2.IncidentEventQueryFilter(timestamp=span),
                pagination=svc.PaginationRequest(
                    page_size=wrappers_pb2.UInt32Value(value=page_size),
                    page_token=wrappers_pb2.StringValue(value=token) if token else None,
                ),
                order_by=svc.ListIncidentEventRequestOrderBy(
                    field=svc.INCIDENT_EVENT_ORDER_BY_FIELD_TYPE_TIMESTAMP_OR_UNSPECIFIED,
                    direction=incident_query_pb2.ORDER_BY_DIRECTION_ASC,
                ),
            )
            response: svc.ListIncidentEventsResponse = self._call(
                "ListIncidentEvents", request, read=True, api_key=api_key
            )
            events.extend(_timed_event(item) for item in response.items)
            token = response.pagination.next_page_token.value or None
            if token is None:
                return TimedEvents(events=tuple(events), complete=True)
            if token in seen:
                raise CoralogixRequestError(
                    "Coralogix could not list incident events: it returned the same page twice",
                    rpc="ListIncidentEvents",
                )
            seen.add(token)
        return TimedEvents(events=tuple(events), complete=False)

    def list_aggregations(
        self,
        filter: IncidentFilter | None = None,
        group_by: GroupField | None = None,
        *,
        api_key: ApiKey | None = None,
    ) -> list[AggregationGroup]:
        """Counts of matching incidents, one group per value of `group_by` (a single group when None).

        Coralogix cannot group by assignee: for ASSIGNEE the request has no group-by and the
        assignment counts become one group per assignee (key {"assignee": user or "unassigned"}).
        """
        group = convert.group_by_to_pb(group_by) if group_by is not None else None
        group_bys = [group] if group is not None else []
        aggregations, _ = self._aggregations(filter, group_bys, api_key, _MAX_AGGREGATION_PAGES)
        if group_by is GroupField.ASSIGNEE:
            return convert.assignee_groups_from_pb(aggregations)
        return [convert.aggregation_from_pb(aggregation) for aggregation in aggregations]

    def incidents_per_alert(
        self,
        filter: IncidentFilter,
        *,
        max_pages: int = _MAX_AGGREGATION_PAGES,
        api_key: ApiKey | None = None,
    ) -> list[AggregationGroup] | None:
        """How many matching incidents each alert opened, per application: one ListIncidentAggregations
        grouped by the `alert_name` label, the incident's name and its application (keys "alert_name",
        "name", "app"), every page; None when there were more than `max_pages`."""
        group_bys = [
            incident_query_pb2.GroupBy(contextual_label=wrappers_pb2.StringValue(value=ALERT_NAME_LABEL)),
            incident_query_pb2.GroupBy(incident_field=incident_pb2.INCIDENTS_FIELDS_NAME),
            incident_query_pb2.GroupBy(incident_field=incident_pb2.INCIDENTS_FIELDS_APPLICATION_NAME),
        ]
        aggregations, complete = self._aggregations(filter, group_bys, api_key, max_pages)
        return [convert.aggregation_from_pb(agg) for agg in aggregations] if complete else None

    def _aggregations(
        self,
        filter: IncidentFilter | None,
        group_bys: list[incident_query_pb2.GroupBy],
        api_key: ApiKey | None,
        max_pages: int,
    ) -> tuple[list[incident_pb2.IncidentAggregation], bool]:
        """Every page of ListIncidentAggregations (at most `max_pages`), and False when that was not all."""
        query = convert.query_filter_to_pb(filter) if filter is not None else None
        aggregations: list[incident_pb2.IncidentAggregation] = []
        token: str | None = None
        for _ in range(max_pages):
            request = svc.ListIncidentAggregationsRequest(
                filter=query,
                group_bys=group_bys,
                pagination=svc.PaginationRequest(page_token=wrappers_pb2.StringValue(value=token))
                if token
                else None,
            )
            response: svc.ListIncidentAggregationsResponse = self._call(
                "ListIncidentAggregations", request, read=True, api_key=api_key
            )
            aggregations.extend(response.incident_aggs)
            next_token = response.pagination.next_page_token.value or None
            if next_token is None:
                return aggregations, True
            if next_token == token:
                break
            token = next_token
        return aggregations, False

    # ----------------------------------------------------------------------------------- writes

    def assign(
        self,
        incident_ids: Sequence[str],
        assignee: str,
        *,
        api_key: ApiKey | None = None,
        actor: str | None = None,
    ) -> list[Incident]:
        """Assign to `assignee` (the user id Coralogix knows, in practice an e-mail address)."""
        ids = require_ids(incident_ids)
        if not assignee.strip():
            raise ValueError("no assignee given")
        request = svc.AssignIncidentsRequest(
            assigned_to=convert.user_details_to_pb(assignee.strip()), incident_ids=_strings(ids)
        )
        response: svc.AssignIncidentsResponse = self._call(
            "AssignIncidents", request, read=False, api_key=api_key, ids=ids
        )
        return list(convert.incidents_from_pb(response.incidents))

    def unassign(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._act("UnassignIncidents", svc.UnassignIncidentsRequest, incident_ids, api_key)

    def acknowledge(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        """Acknowledge; Coralogix credits the owner of the API key used."""
        return self._act("AcknowledgeIncidents", svc.AcknowledgeIncidentsRequest, incident_ids, api_key)

    def resolve(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._act("ResolveIncidents", svc.ResolveIncidentsRequest, incident_ids, api_key)

    def close(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._act("CloseIncidents", svc.CloseIncidentsRequest, incident_ids, api_key)

    def _act(
        self,
        rpc: str,
        request_type: Callable[..., Message],
        incident_ids: Sequence[str],
        api_key: ApiKey | None,
    ) -> list[Incident]:
        """A write that takes only incident ids (every one but assign) and answers with the incidents."""
        ids = require_ids(incident_ids)
        request = request_type(incident_ids=_strings(ids))
        response = self._call(rpc, request, read=False, api_key=api_key, ids=ids)
        return list(convert.incidents_from_pb(response.incidents))

    # ---------------------------------------------------------------------------------- plumbing

    def _stub_for(self, rpc: str) -> Any:
        return self._stub


def connect(
    endpoint: str,
    api_key: ApiKey,
    *,
    insecure: bool = False,
    timeout: float = 10.0,
    observer: CallObserver | None = None,
) -> IncidentsClient:
    """A client on a new channel to `endpoint` (see `bot.coralogix.endpoint.resolve_endpoint`)."""
    return IncidentsClient(
        open_channel(endpoint, insecure=insecure), api_key, timeout=timeout, observer=observer
    )
