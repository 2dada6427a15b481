"""A typed client of Coralogix's CasesService (and CaseEventsService) with IncidentsClient's interface.

Cases is what new Coralogix accounts use instead of Incidents. This client answers the bot in incidents
(`bot.domain.Incident`; see `cases_convert` for how a case maps), so the poller and the actions can use
either backend through `bot.coralogix.backend.CoralogixBackend`. Calls follow the same rules as
IncidentsClient (`bot.coralogix.calls`): bearer key, deadline, reads retried on UNAVAILABLE only, writes
never, failures translated into `bot.errors` types.

Where Cases differs:

- every write takes one case id: a write over several ids is one call per id; if some are done and
  others fail, `PartialWriteError` says which (if none is done, the first failure is raised as is, as
  IncidentsClient raises for a refused batch);
- AcknowledgeCase names who acts (`actor`): the `actor` keyword fills it. The contract gives Assign,
  Unassign, Resolve and Close no actor field, so for them `actor` is accepted and not sent: Coralogix
  credits the key's owner, as on Incidents;
- there is no batch get (one GetCase per id), no aggregation rpc (`list_aggregations` pages through
  ListCases and counts here) and no ordering by creation time (update time is used, and the page, or
  for `iter_incidents` the whole result, is sorted here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import grpc
from google.protobuf.message import Message

from bot.coralogix import cases_convert as convert
from bot.coralogix.calls import ApiKey, CallObserver
from bot.coralogix.cases_writes import write_each
from bot.coralogix.client_base import ChannelClient, walk_pages
from bot.coralogix.pb.cases import (
    case_events_service_pb2,
    case_events_service_pb2_grpc,
    cases_service_pb2_grpc,
)
from bot.coralogix.pb.cases import cases_service_pb2 as svc
from bot.coralogix.pb.cases import pagination_pb2 as pagination
from bot.domain import (
    AggregationGroup,
    BatchResult,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    IncidentPage,
    Ordering,
    SortField,
)
from bot.errors import IncidentNotFoundError

logger = logging.getLogger(__name__)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EVENTS_RPCS: Final = frozenset({"ListEvents"})


def _actor(actor: str | None) -> str | None:
    return actor.strip() or None if actor is not None else None


class CasesClient(ChannelClient):
    """The Cases API behind IncidentsClient's methods; errors come out as `bot.errors` types."""

    api: Final[Literal["cases"]] = "cases"

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
        aggregation_page_size: int = 500,
        max_aggregation_pages: int = 20,
    ) -> None:
        if aggregation_page_size < 1 or max_aggregation_pages < 1:
            raise ValueError("aggregation_page_size and max_aggregation_pages must be at least 1")
        super().__init__(
            channel,
            api_key,
            timeout=timeout,
            read_retries=read_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            observer=observer,
        )
        self._cases = cases_service_pb2_grpc.CasesServiceStub(channel)
        self._events = case_events_service_pb2_grpc.CaseEventsServiceStub(channel)
        self._aggregation_page_size = aggregation_page_size
        self._max_aggregation_pages = max_aggregation_pages

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
        """One page of cases matching `filter`, in `ordering` (the server's default when None).

        `total_size` is the server's count for the part of the filter CaseFilters can say; a page may
        hold fewer than `page_size` when the rest of the filter (see `cases_convert.matches`) drops some.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        response = self._list_page(filter, ordering, page_size, page_token, api_key)
        incidents = self._keep(convert.cases_from_pb(response.cases), filter)
        if ordering is not None and ordering.field is SortField.CREATED:
            incidents = tuple(
                sorted(incidents, key=convert.sort_key(ordering.field), reverse=ordering.descending)
            )
        page = response.pagination
        return IncidentPage(
            incidents=incidents,
            next_page_token=page.next_page_token or None if page.HasField("next_page_token") else None,
            total_size=page.total_size if response.HasField("pagination") else None,
        )

    def iter_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        api_key: ApiKey | None = None,
    ) -> Iterator[Incident]:
        """Every matching case, page after page; ordered by creation, all pages are read first and sorted."""
        by_creation = ordering is not None and ordering.field is SortField.CREATED
        pages = self._pages(filter, ordering, page_size, api_key)
        if not by_creation:
            for cases in pages:
                yield from cases
            return
        assert ordering is not None
        everything = [incident for cases in pages for incident in cases]
        everything.sort(key=convert.sort_key(ordering.field), reverse=ordering.descending)
        yield from everything

    def get_incident(self, incident_id: str, *, api_key: ApiKey | None = None) -> Incident:
        response: svc.GetCaseResponse = self._call(
            "GetCase", svc.GetCaseRequest(id=incident_id), read=True, api_key=api_key, ids=(incident_id,)
        )
        if not response.HasField("case"):
            raise IncidentNotFoundError(
                f"There is no case {incident_id} in Coralogix", incident_id=incident_id, rpc="GetCase"
            )
        return convert.case_from_pb(response.case)

    def batch_get_incidents(self, ids: Sequence[str], *, api_key: ApiKey | None = None) -> BatchResult:
        """The cases with these ids, and the ids Coralogix does not know (one GetCase per id)."""
        if isinstance(ids, str):
            raise TypeError("ids must be a sequence of ids, not a single string")
        found: dict[str, Incident] = {}
        not_found: list[str] = []
        for case_id in dict.fromkeys(ids):
            try:
                found[case_id] = self.get_incident(case_id, api_key=api_key)
            except IncidentNotFoundError:
                not_found.append(case_id)
        return BatchResult(found=found, not_found=tuple(not_found))

    def get_incident_events(self, incident_id: str, *, api_key: ApiKey | None = None) -> list[IncidentEvent]:
        """The case's events (comments included), oldest first."""
        request = case_events_service_pb2.ListEventsRequest(case_id=incident_id)
        response: case_events_service_pb2.ListEventsResponse = self._call(
            "ListEvents", request, read=True, api_key=api_key, ids=(incident_id,)
        )
        events = [convert.event_from_pb(event) for event in response.events]
        events.sort(key=lambda event: event.at or _EPOCH)  # stable: events with no time keep their place
        return events

    def list_aggregations(
        self,
        filter: IncidentFilter | None = None,
        group_by: GroupField | None = None,
        *,
        api_key: ApiKey | None = None,
    ) -> list[AggregationGroup]:
        """Counts of matching cases, one group per value of `group_by` (a single group when None).

        Cases has no aggregation rpc: this pages through ListCases (at most `max_aggregation_pages`
        pages of `aggregation_page_size`) and groups the cases here, so on an account with more
        matching cases than that the counts cover the most recently updated ones only (logged).
        """
        ordering = Ordering(SortField.LAST_STATE_UPDATE, descending=True)
        cases: list[Incident] = []
        token: str | None = None
        for _ in range(self._max_aggregation_pages):
            response = self._list_page(filter, ordering, self._aggregation_page_size, token, api_key)
            cases.extend(self._keep(convert.cases_from_pb(response.cases), filter))
            next_token = response.pagination.next_page_token or None
            if next_token is None or next_token == token:
                break
            token = next_token
        else:
            logger.warning(
                "counting cases stopped after %d pages (%d cases): the counts leave out older cases",
                self._max_aggregation_pages,
                len(cases),
            )
        return convert.aggregate(cases, group_by)

    # ----------------------------------------------------------------------------------- writes

    def assign(
        self,
        incident_ids: Sequence[str],
        assignee: str,
        *,
        api_key: ApiKey | None = None,
        actor: str | None = None,
    ) -> list[Incident]:
        """Assign to `assignee` (a Coralogix user id, in practice an e-mail); AssignCase has no actor."""
        if not assignee.strip():
            raise ValueError("no assignee given")
        user = convert.user_details_to_pb(assignee.strip())

        def request(case_id: str) -> svc.AssignCaseRequest:
            return svc.AssignCaseRequest(id=case_id, assignee=user)

        return self._write_each("AssignCase", incident_ids, request, api_key)

    def unassign(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._write_each(
            "UnassignCase", incident_ids, lambda case_id: svc.UnassignCaseRequest(id=case_id), api_key
        )

    def acknowledge(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        """Acknowledge as `actor` (the Coralogix user acting, sent in the request); None: the key's owner."""
        who = _actor(actor)
        user = convert.user_details_to_pb(who) if who is not None else None

        def request(case_id: str) -> svc.AcknowledgeCaseRequest:
            return svc.AcknowledgeCaseRequest(id=case_id, actor=user)

        return self._write_each("AcknowledgeCase", incident_ids, request, api_key)

    def resolve(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._write_each(
            "ResolveCase", incident_ids, lambda case_id: svc.ResolveCaseRequest(id=case_id), api_key
        )

    def close(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._write_each(
            "CloseCase", incident_ids, lambda case_id: svc.CloseCaseRequest(id=case_id), api_key
        )

    # ---------------------------------------------------------------------------------- plumbing

    def _write_each(
        self,
        rpc: str,
        incident_ids: Sequence[str],
        make_request: Callable[[str], Message],
        api_key: ApiKey | None,
    ) -> list[Incident]:
        """One call per case (see `cases_writes`)."""

        def call(rpc: str, request: Message, case_id: str) -> Any:
            return self._call(rpc, request, read=False, api_key=api_key, ids=(case_id,))

        return write_each(call, rpc, incident_ids, make_request)

    def _list_page(
        self,
        filter: IncidentFilter | None,
        ordering: Ordering | None,
        page_size: int,
        page_token: str | None,
        api_key: ApiKey | None,
    ) -> svc.ListCasesResponse:
        request = svc.ListCasesRequest(
            filters=convert.filters_to_pb(filter) if filter is not None else None,
            pagination=pagination.PaginationRequest(page_size=page_size, page_token=page_token or None),
            order_by=convert.order_by_to_pb(ordering) if ordering is not None else None,
        )
        response: svc.ListCasesResponse = self._call("ListCases", request, read=True, api_key=api_key)
        return response

    def _pages(
        self,
        filter: IncidentFilter | None,
        ordering: Ordering | None,
        page_size: int,
        api_key: ApiKey | None,
    ) -> Iterator[tuple[Incident, ...]]:
        """The matching cases of each page until the server gives no next token."""

        def page(token: str | None) -> IncidentPage:
            return self.list_incidents(
                filter, ordering, page_size=page_size, page_token=token, api_key=api_key
            )

        return walk_pages(page, "ListCases", "cases")

    @staticmethod
    def _keep(incidents: tuple[Incident, ...], filter: IncidentFilter | None) -> tuple[Incident, ...]:
        if filter is None:
            return incidents
        check = convert.matches(filter)
        return tuple(incident for incident in incidents if check(incident))

    def _stub_for(self, rpc: str) -> Any:
        return self._events if rpc in _EVENTS_RPCS else self._cases
