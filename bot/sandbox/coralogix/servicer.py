"""The gRPC face of the simulator: auth, permissions, faults and call recording around each rpc."""

# ruff: noqa: N802 - the rpc method names are fixed by the proto service

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import Any, ClassVar, Generic, NoReturn, Protocol, TypeVar

import grpc
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message

from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.coralogix.pb import incidents_service_pb2_grpc
from bot.sandbox.coralogix import event_list
from bot.sandbox.coralogix.accounts import ACKNOWLEDGE, ASSIGN, CLOSE, READ, ApiKey
from bot.sandbox.coralogix.bookkeeping import RecordedCall
from bot.sandbox.coralogix.errors import InvalidRequest, NotImplementedRpc, SandboxError
from bot.sandbox.coralogix.faults import FaultInjector
from bot.sandbox.coralogix.simulator import SimulatedCoralogix

logger = logging.getLogger(__name__)

Req = TypeVar("Req", bound=Message)
Resp = TypeVar("Resp", bound=Message)

RPC_PERMISSIONS: dict[str, str] = {
    "GetIncident": READ,
    "BatchGetIncident": READ,
    "ListIncidents": READ,
    "ListIncidentAggregations": READ,
    "GetFilterValues": READ,
    "GetIncidentEvents": READ,
    "GetIncidentByEventId": READ,
    "GetIncidentUsingCorrelationKey": READ,
    "ListIncidentEvents": READ,
    "ListIncidentEventsTotalCount": READ,
    "ListIncidentEventsFilterValues": READ,
    "AcknowledgeIncidents": ACKNOWLEDGE,
    "AcknowledgeIncidentByEventId": ACKNOWLEDGE,
    "AssignIncidents": ASSIGN,
    "UnassignIncidents": ASSIGN,
    "CloseIncidents": CLOSE,
    "ResolveIncidents": CLOSE,
    "ResolveIncidentByEventId": CLOSE,
}

PERSONAL_KEY_RPCS: dict[str, str] = {
    "AcknowledgeIncidents": "acknowledging",
    "AcknowledgeIncidentByEventId": "acknowledging",
    "AssignIncidents": "assigning",
}
"""What needs a personal (user-owned) key when the simulator's `personal_key_rules` is on."""


class _Refusal(Exception):  # noqa: N818 - internal control flow, never leaves this module
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def bearer_key(metadata: Iterable[tuple[str, Any]] | None) -> str | None:
    """The API key of `authorization: Bearer <key>` metadata; None when absent or not a bearer token."""
    for key, value in metadata or ():
        if key.lower() != "authorization" or not isinstance(value, str):
            continue
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


class Account(Protocol):
    """What the rpc wrapper needs of a simulator (the Incidents one and the Cases one both are)."""

    @property
    def faults(self) -> FaultInjector: ...

    def api_key(self, key: str) -> ApiKey | None: ...

    def record_call(self, call: RecordedCall) -> None: ...


Refusal = Callable[[ApiKey], str | None]
A = TypeVar("A", bound="Account")
"""A rule past the permission check: the PERMISSION_DENIED detail for this key, or None to go on."""


def serve_rpc(
    account: Account,
    rpc: str,
    request: Req,
    context: Any,
    handler: Callable[[ApiKey, Req], Resp],
    *,
    permission: str,
    refuse: Refusal | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Resp:
    """Faults first (as a network would), then the key, its permission, `refuse`, and the handler.

    Every call is recorded with its outcome; a refusal or a `SandboxError` aborts the call with its code.
    """
    api_key = bearer_key(context.invocation_metadata())
    key = account.api_key(api_key) if api_key else None
    user_id = key.user_id if key else None
    try:
        decision = account.faults.decide(rpc)
        if decision.delay > 0:
            sleep(decision.delay)
        if decision.code is not None:
            raise _Refusal(decision.code, decision.details)
        if key is None:
            raise _Refusal(grpc.StatusCode.UNAUTHENTICATED, "invalid API key")
        if not key.allows(permission):
            raise _Refusal(
                grpc.StatusCode.PERMISSION_DENIED,
                f"permission denied: the API key of {key.user_id} lacks {permission}",
            )
        refused = refuse(key) if refuse is not None else None
        if refused:
            raise _Refusal(grpc.StatusCode.PERMISSION_DENIED, refused)
        response = handler(key, request)
        if decision.late_answer > 0:  # carried out already; only the answer is late
            sleep(decision.late_answer)
    except _Refusal as refusal:
        code, details = refusal.code, refusal.details
    except SandboxError as error:
        code, details = grpc.StatusCode[error.code], str(error)
    except Exception as error:
        logger.exception("simulated Coralogix failed on %s", rpc)
        code, details = grpc.StatusCode.INTERNAL, f"simulator error: {error!r}"
    else:
        account.record_call(RecordedCall(rpc, api_key, user_id, request, "OK"))
        return response
    account.record_call(RecordedCall(rpc, api_key, user_id, request, code.name, details))
    context.abort(code, details)
    raise RuntimeError("context.abort returned")  # grpc's abort always raises


def _ids(values: Iterable[wrappers_pb2.StringValue]) -> list[str]:
    return [value.value for value in values]


def _required_id(field_name: str, message: Message) -> str:
    value = getattr(message, field_name)
    if not message.HasField(field_name) or not value.value:
        raise InvalidRequest(f"{field_name} is required")
    return str(value.value)


class AccountServicer(Generic[A]):
    """What each simulated service does around its rpcs: `serve_rpc` with the rpc's permission and rule."""

    permissions: ClassVar[Mapping[str, str]]
    """The permission each rpc needs."""

    def __init__(self, sim: A, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sim = sim
        self._sleep = sleep

    def _refusal(self, rpc: str) -> Refusal | None:
        """A rule for `rpc` beyond its permission; none unless a service has one."""
        return None

    def _serve(self, rpc: str, request: Req, context: Any, handler: Callable[[ApiKey, Req], Resp]) -> Resp:
        return serve_rpc(
            self._sim,
            rpc,
            request,
            context,
            handler,
            permission=self.permissions[rpc],
            refuse=self._refusal(rpc),
            sleep=self._sleep,
        )


class IncidentsServicer(
    AccountServicer[SimulatedCoralogix], incidents_service_pb2_grpc.IncidentsServiceServicer
):
    """Implements `com.coralogixapis.incidents.v1.IncidentsService` over a `SimulatedCoralogix`."""

    permissions = RPC_PERMISSIONS

    @cached_property
    def _stamps(self) -> event_list.StampIndex:
        return event_list.StampIndex()

    def _refusal(self, rpc: str) -> Refusal | None:
        """The personal-key rule, when the simulator's `personal_key_rules` is on."""
        action = PERSONAL_KEY_RPCS.get(rpc)
        if action is None:
            return None

        def refuse(key: ApiKey) -> str | None:
            if key.personal or not self._sim.personal_key_rules:
                return None
            return (
                f"permission denied: {action} incidents needs a personal API key; "
                f"the key of {key.user_id} is a team key"
            )

        return refuse

    # ------------------------------------------------------------ reads

    def GetIncident(self, request: pb.GetIncidentRequest, context: Any) -> pb.GetIncidentResponse:
        def handle(key: ApiKey, req: pb.GetIncidentRequest) -> pb.GetIncidentResponse:
            return pb.GetIncidentResponse(incident=self._sim.incident(_required_id("id", req)))

        return self._serve("GetIncident", request, context, handle)

    def BatchGetIncident(
        self, request: pb.BatchGetIncidentRequest, context: Any
    ) -> pb.BatchGetIncidentResponse:
        def handle(key: ApiKey, req: pb.BatchGetIncidentRequest) -> pb.BatchGetIncidentResponse:
            ids = _ids(req.ids)
            if not ids:
                raise InvalidRequest("ids must not be empty")
            found, missing = self._sim.batch_get(ids)
            response = pb.BatchGetIncidentResponse()
            for incident_id, incident in found.items():
                response.incidents[incident_id].CopyFrom(incident)
            response.not_found_ids.extend(wrappers_pb2.StringValue(value=i) for i in missing)
            return response

        return self._serve("BatchGetIncident", request, context, handle)

    def ListIncidents(self, request: pb.ListIncidentsRequest, context: Any) -> pb.ListIncidentsResponse:
        def handle(key: ApiKey, req: pb.ListIncidentsRequest) -> pb.ListIncidentsResponse:
            incidents, next_token, total = self._sim.list_page(
                req.filter,
                list(req.order_bys),
                req.pagination.page_size.value,
                req.pagination.page_token.value,
            )
            response = pb.ListIncidentsResponse(pagination=_pagination(total, next_token))
            response.incidents.extend(incidents)
            return response

        return self._serve("ListIncidents", request, context, handle)

    def ListIncidentAggregations(
        self, request: pb.ListIncidentAggregationsRequest, context: Any
    ) -> pb.ListIncidentAggregationsResponse:
        def handle(
            key: ApiKey, req: pb.ListIncidentAggregationsRequest
        ) -> pb.ListIncidentAggregationsResponse:
            groups, next_token, total = self._sim.aggregations(
                req.filter,
                list(req.group_bys),
                req.pagination.page_size.value,
                req.pagination.page_token.value,
            )
            response = pb.ListIncidentAggregationsResponse(pagination=_pagination(total, next_token))
            response.incident_aggs.extend(groups)
            return response

        return self._serve("ListIncidentAggregations", request, context, handle)

    def GetFilterValues(self, request: pb.GetFilterValuesRequest, context: Any) -> pb.GetFilterValuesResponse:
        def handle(key: ApiKey, req: pb.GetFilterValuesRequest) -> pb.GetFilterValuesResponse:
            return pb.GetFilterValuesResponse(filters_values=self._sim.filter_values(req.filter))

        return self._serve("GetFilterValues", request, context, handle)

    def GetIncidentEvents(
        self, request: pb.GetIncidentEventsRequest, context: Any
    ) -> pb.GetIncidentEventsResponse:
        def handle(key: ApiKey, req: pb.GetIncidentEventsRequest) -> pb.GetIncidentEventsResponse:
            events = self._sim.events(_required_id("incident_id", req))
            return pb.GetIncidentEventsResponse(incident_events=events)

        return self._serve("GetIncidentEvents", request, context, handle)

    def ListIncidentEvents(
        self, request: pb.ListIncidentEventsRequest, context: Any
    ) -> pb.ListIncidentEventsResponse:
        def handle(key: ApiKey, req: pb.ListIncidentEventsRequest) -> pb.ListIncidentEventsResponse:
            events = self._sim.stamped_events()
            items, total, next_token = event_list.list_events(events, req, self._stamps)
            return pb.ListIncidentEventsResponse(items=items, pagination=_pagination(total, next_token))

        return self._serve("ListIncidentEvents", request, context, handle)

    # ------------------------------------------------------------ actions (attributed to the key's owner)

    def AssignIncidents(self, request: pb.AssignIncidentsRequest, context: Any) -> pb.AssignIncidentsResponse:
        def handle(key: ApiKey, req: pb.AssignIncidentsRequest) -> pb.AssignIncidentsResponse:
            ids = _ids(req.incident_ids)
            assignee = req.assigned_to.user_id.value
            return pb.AssignIncidentsResponse(incidents=self._sim.assign_many(ids, assignee, key.user_id))

        return self._serve("AssignIncidents", request, context, handle)

    def UnassignIncidents(
        self, request: pb.UnassignIncidentsRequest, context: Any
    ) -> pb.UnassignIncidentsResponse:
        def handle(key: ApiKey, req: pb.UnassignIncidentsRequest) -> pb.UnassignIncidentsResponse:
            return pb.UnassignIncidentsResponse(
                incidents=self._sim.unassign_many(_ids(req.incident_ids), key.user_id)
            )

        return self._serve("UnassignIncidents", request, context, handle)

    def AcknowledgeIncidents(
        self, request: pb.AcknowledgeIncidentsRequest, context: Any
    ) -> pb.AcknowledgeIncidentsResponse:
        def handle(key: ApiKey, req: pb.AcknowledgeIncidentsRequest) -> pb.AcknowledgeIncidentsResponse:
            return pb.AcknowledgeIncidentsResponse(
                incidents=self._sim.acknowledge_many(_ids(req.incident_ids), key.user_id)
            )

        return self._serve("AcknowledgeIncidents", request, context, handle)

    def CloseIncidents(self, request: pb.CloseIncidentsRequest, context: Any) -> pb.CloseIncidentsResponse:
        def handle(key: ApiKey, req: pb.CloseIncidentsRequest) -> pb.CloseIncidentsResponse:
            return pb.CloseIncidentsResponse(
                incidents=self._sim.close_many(_ids(req.incident_ids), key.user_id)
            )

        return self._serve("CloseIncidents", request, context, handle)

    def ResolveIncidents(
        self, request: pb.ResolveIncidentsRequest, context: Any
    ) -> pb.ResolveIncidentsResponse:
        def handle(key: ApiKey, req: pb.ResolveIncidentsRequest) -> pb.ResolveIncidentsResponse:
            return pb.ResolveIncidentsResponse(
                incidents=self._sim.resolve_many(_ids(req.incident_ids), key.user_id)
            )

        return self._serve("ResolveIncidents", request, context, handle)

    # ------------------------------------------------------------ not simulated

    def _unimplemented(self, rpc: str, request: Message, context: Any) -> NoReturn:
        def handle(key: ApiKey, req: Message) -> NoReturn:
            raise NotImplementedRpc(f"{rpc} is not implemented by the simulated Coralogix service")

        self._serve(rpc, request, context, handle)
        raise RuntimeError("unreachable: the handler always refuses")

    def GetIncidentByEventId(
        self, request: pb.GetIncidentByEventIdRequest, context: Any
    ) -> pb.GetIncidentByEventIdResponse:
        self._unimplemented("GetIncidentByEventId", request, context)

    def AcknowledgeIncidentByEventId(
        self, request: pb.AcknowledgeIncidentByEventIdRequest, context: Any
    ) -> pb.AcknowledgeIncidentByEventIdResponse:
        self._unimplemented("AcknowledgeIncidentByEventId", request, context)

    def ResolveIncidentByEventId(
        self, request: pb.ResolveIncidentByEventIdRequest, context: Any
    ) -> pb.ResolveIncidentByEventIdResponse:
        self._unimplemented("ResolveIncidentByEventId", request, context)

    def GetIncidentUsingCorrelationKey(
        self, request: pb.GetIncidentUsingCorrelationKeyRequest, context: Any
    ) -> pb.GetIncidentUsingCorrelationKeyResponse:
        self._unimplemented("GetIncidentUsingCorrelationKey", request, context)

    def ListIncidentEventsTotalCount(
        self, request: pb.ListIncidentEventsTotalCountRequest, context: Any
    ) -> pb.ListIncidentEventsTotalCountResponse:
        self._unimplemented("ListIncidentEventsTotalCount", request, context)

    def ListIncidentEventsFilterValues(
        self, request: pb.ListIncidentEventsFilterValuesRequest, context: Any
    ) -> pb.ListIncidentEventsFilterValuesResponse:
        self._unimplemented("ListIncidentEventsFilterValues", request, context)


def _pagination(total: int, next_token: str | None) -> pb.PaginationResponse:
    """`next_page_token` is left unset on the last page."""
    pagination = pb.PaginationResponse(total_size=wrappers_pb2.UInt32Value(value=total))
    if next_token:
        pagination.next_page_token.value = next_token
    return pagination
