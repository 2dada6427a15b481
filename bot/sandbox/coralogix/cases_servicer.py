"""The gRPC face of the Cases simulator: CasesService and CaseEventsService over a `SimulatedCases`.

Auth, faults, `case:*` permissions and call recording are the incidents servicer's (`serve_rpc`).
AcknowledgeCase credits the request's `actor` when it names one (the call says who acts); every other
write credits the key's owner, since its request has no actor field.
"""

# ruff: noqa: N802 - the rpc method names are fixed by the proto services

from __future__ import annotations

from typing import Any

from bot.coralogix.pb.cases import (
    case_events_service_pb2,
    case_events_service_pb2_grpc,
    case_pb2,
    cases_service_pb2,
    cases_service_pb2_grpc,
)
from bot.sandbox.coralogix.accounts import (
    CASE_ACKNOWLEDGE,
    CASE_ASSIGN,
    CASE_CLOSE,
    CASE_READ,
    CASE_UPDATE,
    ApiKey,
)
from bot.sandbox.coralogix.cases_simulator import SimulatedCases
from bot.sandbox.coralogix.errors import InvalidRequest
from bot.sandbox.coralogix.servicer import AccountServicer

pb = cases_service_pb2
ev = case_events_service_pb2

CASE_RPC_PERMISSIONS: dict[str, str] = {
    "GetCase": CASE_READ,
    "ListCases": CASE_READ,
    "GetFilterValues": CASE_READ,
    "UpdateCase": CASE_UPDATE,
    "SetPriorityOverride": CASE_UPDATE,
    "UnsetPriorityOverride": CASE_UPDATE,
    "AssignCase": CASE_ASSIGN,
    "UnassignCase": CASE_ASSIGN,
    "AcknowledgeCase": CASE_ACKNOWLEDGE,
    "ResolveCase": CASE_CLOSE,
    "CloseCase": CASE_CLOSE,
    "ListEvents": CASE_READ,
    "GetEvent": CASE_READ,
    "CreateComment": CASE_UPDATE,
    "UpdateComment": CASE_UPDATE,
    "DeleteComment": CASE_UPDATE,
}

_PRIORITIES = frozenset(
    value for value in case_pb2.CasePriority.values() if value != case_pb2.CASE_PRIORITY_UNSPECIFIED
)


def _required(value: str, name: str) -> str:
    if not value.strip():
        raise InvalidRequest(f"{name} is required")
    return value


class _Base(AccountServicer[SimulatedCases]):
    permissions = CASE_RPC_PERMISSIONS


class CasesServicer(_Base, cases_service_pb2_grpc.CasesServiceServicer):
    """Implements `com.coralogixapis.cases.v1.CasesService` over a `SimulatedCases`."""

    # ------------------------------------------------------------ reads

    def GetCase(self, request: pb.GetCaseRequest, context: Any) -> pb.GetCaseResponse:
        def handle(key: ApiKey, req: pb.GetCaseRequest) -> pb.GetCaseResponse:
            return pb.GetCaseResponse(case=self._sim.case(_required(req.id, "id")))

        return self._serve("GetCase", request, context, handle)

    def ListCases(self, request: pb.ListCasesRequest, context: Any) -> pb.ListCasesResponse:
        def handle(key: ApiKey, req: pb.ListCasesRequest) -> pb.ListCasesResponse:
            pagination = req.pagination
            cases, next_token, total = self._sim.list_page(
                req.filters, req.order_by, pagination.page_size, pagination.page_token, pagination.skip
            )
            response = pb.ListCasesResponse(cases=cases)
            response.pagination.total_size = total
            if next_token:
                response.pagination.next_page_token = next_token
            return response

        return self._serve("ListCases", request, context, handle)

    def GetFilterValues(self, request: pb.GetFilterValuesRequest, context: Any) -> pb.GetFilterValuesResponse:
        def handle(key: ApiKey, req: pb.GetFilterValuesRequest) -> pb.GetFilterValuesResponse:
            return self._sim.filter_values(req.filters)

        return self._serve("GetFilterValues", request, context, handle)

    # ------------------------------------------------------------ writes

    def AcknowledgeCase(self, request: pb.AcknowledgeCaseRequest, context: Any) -> pb.AcknowledgeCaseResponse:
        def handle(key: ApiKey, req: pb.AcknowledgeCaseRequest) -> pb.AcknowledgeCaseResponse:
            actor = req.actor.user_id.strip() if req.HasField("actor") else ""
            case = self._sim.acknowledge(_required(req.id, "id"), actor or key.user_id)
            return pb.AcknowledgeCaseResponse(case=case)

        return self._serve("AcknowledgeCase", request, context, handle)

    def AssignCase(self, request: pb.AssignCaseRequest, context: Any) -> pb.AssignCaseResponse:
        def handle(key: ApiKey, req: pb.AssignCaseRequest) -> pb.AssignCaseResponse:
            assignee = req.assignee.user_id.strip()
            if not assignee:
                raise InvalidRequest("assignee.user_id is required")
            return pb.AssignCaseResponse(
                case=self._sim.assign(_required(req.id, "id"), assignee, key.user_id)
            )

        return self._serve("AssignCase", request, context, handle)

    def UnassignCase(self, request: pb.UnassignCaseRequest, context: Any) -> pb.UnassignCaseResponse:
        def handle(key: ApiKey, req: pb.UnassignCaseRequest) -> pb.UnassignCaseResponse:
            return pb.UnassignCaseResponse(case=self._sim.unassign(_required(req.id, "id"), key.user_id))

        return self._serve("UnassignCase", request, context, handle)

    def ResolveCase(self, request: pb.ResolveCaseRequest, context: Any) -> pb.ResolveCaseResponse:
        def handle(key: ApiKey, req: pb.ResolveCaseRequest) -> pb.ResolveCaseResponse:
            reason = req.reason if req.HasField("reason") else None
            return pb.ResolveCaseResponse(
                case=self._sim.resolve(_required(req.id, "id"), key.user_id, reason)
            )

        return self._serve("ResolveCase", request, context, handle)

    def CloseCase(self, request: pb.CloseCaseRequest, context: Any) -> pb.CloseCaseResponse:
        def handle(key: ApiKey, req: pb.CloseCaseRequest) -> pb.CloseCaseResponse:
            reason = req.reason if req.HasField("reason") else None
            return pb.CloseCaseResponse(case=self._sim.close(_required(req.id, "id"), key.user_id, reason))

        return self._serve("CloseCase", request, context, handle)

    def UpdateCase(self, request: pb.UpdateCaseRequest, context: Any) -> pb.UpdateCaseResponse:
        def handle(key: ApiKey, req: pb.UpdateCaseRequest) -> pb.UpdateCaseResponse:
            patch = req.patch
            case = self._sim.update(
                _required(req.id, "id"),
                by=key.user_id,
                title=patch.title if patch.HasField("title") else None,
                description=patch.description if patch.HasField("description") else None,
            )
            return pb.UpdateCaseResponse(case=case)

        return self._serve("UpdateCase", request, context, handle)

    def SetPriorityOverride(
        self, request: pb.SetPriorityOverrideRequest, context: Any
    ) -> pb.SetPriorityOverrideResponse:
        def handle(key: ApiKey, req: pb.SetPriorityOverrideRequest) -> pb.SetPriorityOverrideResponse:
            if req.priority not in _PRIORITIES:
                raise InvalidRequest("priority must be one of P1..P5")
            priority = case_pb2.CasePriority.Name(req.priority)
            case = self._sim.override_priority(_required(req.id, "id"), priority, key.user_id)
            return pb.SetPriorityOverrideResponse(case=case)

        return self._serve("SetPriorityOverride", request, context, handle)

    def UnsetPriorityOverride(
        self, request: pb.UnsetPriorityOverrideRequest, context: Any
    ) -> pb.UnsetPriorityOverrideResponse:
        def handle(key: ApiKey, req: pb.UnsetPriorityOverrideRequest) -> pb.UnsetPriorityOverrideResponse:
            case = self._sim.override_priority(_required(req.id, "id"), None, key.user_id)
            return pb.UnsetPriorityOverrideResponse(case=case)

        return self._serve("UnsetPriorityOverride", request, context, handle)


class CaseEventsServicer(_Base, case_events_service_pb2_grpc.CaseEventsServiceServicer):
    """Implements `com.coralogixapis.cases.v1.CaseEventsService` over a `SimulatedCases`."""

    def ListEvents(self, request: ev.ListEventsRequest, context: Any) -> ev.ListEventsResponse:
        def handle(key: ApiKey, req: ev.ListEventsRequest) -> ev.ListEventsResponse:
            return ev.ListEventsResponse(events=self._sim.events(_required(req.case_id, "case_id")))

        return self._serve("ListEvents", request, context, handle)

    def GetEvent(self, request: ev.GetEventRequest, context: Any) -> ev.GetEventResponse:
        def handle(key: ApiKey, req: ev.GetEventRequest) -> ev.GetEventResponse:
            return ev.GetEventResponse(event=self._sim.event(_required(req.event_id, "event_id")))

        return self._serve("GetEvent", request, context, handle)

    def CreateComment(self, request: ev.CreateCommentRequest, context: Any) -> ev.CreateCommentResponse:
        def handle(key: ApiKey, req: ev.CreateCommentRequest) -> ev.CreateCommentResponse:
            event_id = self._sim.comment(_required(req.case_id, "case_id"), req.text, key.user_id)
            return ev.CreateCommentResponse(event=self._sim.event(event_id))

        return self._serve("CreateComment", request, context, handle)

    def UpdateComment(self, request: ev.UpdateCommentRequest, context: Any) -> ev.UpdateCommentResponse:
        def handle(key: ApiKey, req: ev.UpdateCommentRequest) -> ev.UpdateCommentResponse:
            event = self._sim.update_comment(_required(req.event_id, "event_id"), req.text)
            return ev.UpdateCommentResponse(event=event)

        return self._serve("UpdateComment", request, context, handle)

    def DeleteComment(self, request: ev.DeleteCommentRequest, context: Any) -> ev.DeleteCommentResponse:
        def handle(key: ApiKey, req: ev.DeleteCommentRequest) -> ev.DeleteCommentResponse:
            self._sim.delete_comment(_required(req.event_id, "event_id"))
            return ev.DeleteCommentResponse()

        return self._serve("DeleteComment", request, context, handle)
