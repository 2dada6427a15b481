"""gRPC failures -> the bot's own exceptions, each with a sentence a person can act on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import grpc

from bot.domain import Incident
from bot.errors import (
    CoralogixAuthError,
    CoralogixError,
    CoralogixPermissionError,
    CoralogixRequestError,
    CoralogixUnavailableError,
    IncidentNotFoundError,
)

READ_PERMISSION = "incidents:read"
CASE_READ_PERMISSION = "case:Read"

_WRITE_VERBS = ("Acknowledge", "Assign", "Unassign", "Resolve", "Close")

# rpc -> (the permission it needs, what it does, as in "Coralogix could not <do it>").
_RPCS: dict[str, tuple[str, str]] = {
    "GetIncident": (READ_PERMISSION, "get the incident"),
    "BatchGetIncident": (READ_PERMISSION, "get the incidents"),
    "ListIncidents": (READ_PERMISSION, "list incidents"),
    "ListIncidentAggregations": (READ_PERMISSION, "count incidents"),
    "GetIncidentEvents": (READ_PERMISSION, "get the incident's events"),
    "ListIncidentEvents": (READ_PERMISSION, "list incident events"),
    "GetFilterValues": (READ_PERMISSION, "get the filter values"),
    "AcknowledgeIncidents": ("incidents:acknowledge", "acknowledge"),
    "AssignIncidents": ("incidents:assign", "assign"),
    "UnassignIncidents": ("incidents:assign", "unassign"),
    "ResolveIncidents": ("incidents:close", "resolve"),
    "CloseIncidents": ("incidents:close", "close"),
    # Cases (CasesService and CaseEventsService; one case id per write)
    "GetCase": (CASE_READ_PERMISSION, "get the case"),
    "ListCases": (CASE_READ_PERMISSION, "list cases"),
    "ListEvents": (CASE_READ_PERMISSION, "get the case's events"),
    "AcknowledgeCase": ("case:Acknowledge", "acknowledge"),
    "AssignCase": ("case:Assign", "assign"),
    "UnassignCase": ("case:Assign", "unassign"),
    "ResolveCase": ("case:Close", "resolve"),
    "CloseCase": ("case:Close", "close"),
}
_CASE_RPCS = frozenset({"GetCase", "ListCases", "ListEvents"} | {f"{w}Case" for w in _WRITE_VERBS})

_MAX_DETAIL = 300
_REDACTED = "***"


def required_permission(rpc: str) -> str:
    """The Coralogix permission an rpc needs ("" for an rpc this client does not call)."""
    return _RPCS.get(rpc, ("", ""))[0]


def translate(
    exc: grpc.RpcError, rpc: str, incident_ids: Sequence[str], *, secrets: Sequence[str] = ()
) -> CoralogixError:
    """The bot exception for a failed call; raise it `from exc`. `secrets` are scrubbed from details."""
    code = _code(exc)
    code_name = code.name if code is not None else "UNKNOWN"
    detail = _detail(exc, secrets)
    if code is grpc.StatusCode.UNAUTHENTICATED:
        return CoralogixAuthError("Coralogix rejected the API key", rpc=rpc, code=code_name)
    if code is grpc.StatusCode.PERMISSION_DENIED:
        permission = required_permission(rpc)
        what = f"the {permission} permission" if permission else f"a permission {rpc} needs"
        return CoralogixPermissionError(
            f"The Coralogix API key lacks {what}", permission=permission, rpc=rpc, code=code_name
        )
    if code is grpc.StatusCode.NOT_FOUND and incident_ids:
        incident_id = _named_id(detail, incident_ids)
        noun = "case" if rpc in _CASE_RPCS else "incident"
        return IncidentNotFoundError(
            f"There is no {noun} {incident_id} in Coralogix",
            incident_id=incident_id,
            rpc=rpc,
            code=code_name,
        )
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return CoralogixUnavailableError(
            "Coralogix is unreachable (it did not answer in time)", rpc=rpc, code=code_name
        )
    if code is grpc.StatusCode.UNAVAILABLE:
        return CoralogixUnavailableError(
            f"Coralogix is unreachable ({detail or 'service unavailable'})", rpc=rpc, code=code_name
        )
    action = _RPCS.get(rpc, ("", rpc))[1]
    hint = "; try again later" if code is grpc.StatusCode.RESOURCE_EXHAUSTED else ""
    return CoralogixRequestError(
        f"Coralogix could not {action}: {detail or code_name}{hint}", rpc=rpc, code=code_name
    )


class PartialWriteError(CoralogixRequestError):
    """A write over several ids of which some were done and some failed (Cases: one call per id).

    `results` has every id asked for, shaped as the action service's per-id results: the updated
    incident, None (done, but the answer did not carry it) or the error it failed with. Ids not tried
    because an earlier call failed for a reason that holds for all (key, permission, outage) carry
    that error. A CoralogixRequestError, so code that retries a failed batch id by id still works;
    reading `results` instead saves repeating the writes that were done.
    """

    def __init__(
        self,
        message: str,
        *,
        results: Mapping[str, Incident | CoralogixError | None],
        rpc: str = "",
        code: str = "",
    ) -> None:
        super().__init__(message, rpc=rpc, code=code)
        self.results = dict(results)

    @property
    def failed(self) -> dict[str, CoralogixError]:
        return {key: value for key, value in self.results.items() if isinstance(value, CoralogixError)}


def code_name(exc: grpc.RpcError) -> str:
    """The status code name of a failed call, e.g. "UNAVAILABLE"."""
    code = _code(exc)
    return code.name if code is not None else "UNKNOWN"


def _code(exc: grpc.RpcError) -> grpc.StatusCode | None:
    code = getattr(exc, "code", None)
    return code() if callable(code) else None


def _detail(exc: grpc.RpcError, secrets: Sequence[str]) -> str:
    """The server's detail, one line, bounded, with any secret replaced."""
    details = getattr(exc, "details", None)
    text = details() if callable(details) else None
    if not isinstance(text, str):
        return ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    text = " ".join(text.split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    return text


def _named_id(detail: str, incident_ids: Sequence[str]) -> str:
    """The requested id the server's message names (the longest, if one contains another), else the first."""
    named = [incident_id for incident_id in incident_ids if incident_id and incident_id in detail]
    return max(named, key=len) if named else incident_ids[0]
