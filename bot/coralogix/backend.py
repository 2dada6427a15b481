"""One interface over Coralogix's two APIs (Incidents, Cases), and finding out which one an account answers.

Both `IncidentsClient` and `CasesClient` satisfy `CoralogixBackend` (mypy checks it in
tests/coralogix/test_backend.py). `detect_api` is what `CORALOGIX_API=auto` uses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, Protocol, runtime_checkable

import grpc

from bot.coralogix.calls import ApiKey, CallObserver
from bot.coralogix.cases_client import CasesClient
from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient, TimedEvents
from bot.domain import (
    AggregationGroup,
    BatchResult,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    IncidentPage,
    Ordering,
)
from bot.errors import CoralogixError

ApiName = Literal["incidents", "cases"]
API_NAMES: Final[tuple[ApiName, ...]] = ("incidents", "cases")

SERVICE_NAMES: Final[dict[ApiName, str]] = {
    "incidents": "IncidentsService",
    "cases": "CasesService",
}
READ_PERMISSIONS: Final[dict[ApiName, str]] = {"incidents": "incidents:read", "cases": "case:Read"}

# A probe answered with one of these: that API is not this account's (or not for this key).
_NOT_THIS_API: Final = frozenset({"UNIMPLEMENTED", "NOT_FOUND", "PERMISSION_DENIED", "UNAUTHENTICATED"})


@runtime_checkable
class CoralogixBackend(Protocol):
    """What the poller and the actions need from Coralogix, whichever API the account speaks.

    Every method takes `api_key` (None: the team key). The five writes take `actor`, the Coralogix
    user (e-mail) of the person acting: Cases sends it where its request has the field (AcknowledgeCase);
    Incidents ignores it (Coralogix credits the key's owner).
    """

    @property
    def api(self) -> ApiName: ...

    def list_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        page_token: str | None = None,
        api_key: ApiKey | None = None,
    ) -> IncidentPage: ...

    def iter_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        api_key: ApiKey | None = None,
    ) -> Iterator[Incident]: ...

    def get_incident(self, incident_id: str, *, api_key: ApiKey | None = None) -> Incident: ...

    def batch_get_incidents(self, ids: Sequence[str], *, api_key: ApiKey | None = None) -> BatchResult: ...

    def get_incident_events(
        self, incident_id: str, *, api_key: ApiKey | None = None
    ) -> list[IncidentEvent]: ...

    def list_aggregations(
        self,
        filter: IncidentFilter | None = None,
        group_by: GroupField | None = None,
        *,
        api_key: ApiKey | None = None,
    ) -> list[AggregationGroup]: ...

    def assign(
        self,
        incident_ids: Sequence[str],
        assignee: str,
        *,
        api_key: ApiKey | None = None,
        actor: str | None = None,
    ) -> list[Incident]: ...

    def unassign(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]: ...

    def acknowledge(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]: ...

    def resolve(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]: ...

    def close(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]: ...

    def close_channel(self) -> None: ...


@runtime_checkable
class TimedEventSource(Protocol):
    """A backend that reads many incidents' events with their times in one paged scan.

    Incidents' ListIncidentEvents (GetIncidentEvents has no time); None when the API has no such read
    (Cases events carry their times already). Not part of `CoralogixBackend`: only reports need it.
    """

    def list_timed_events(
        self, start: datetime, end: datetime | None = None, *, api_key: ApiKey | None = None
    ) -> TimedEvents | None: ...


@runtime_checkable
class AlertCounter(Protocol):
    """A backend that counts incidents per alert and application on the server.

    Incidents' ListIncidentAggregations grouped by alert name, incident name and application (see
    `IncidentsClient.incidents_per_alert`); None when the API cannot (Cases' filter values count one
    field at a time) or the groups did not fit the pages read. Not part of `CoralogixBackend`: only
    reports need it.
    """

    def incidents_per_alert(
        self, filter: IncidentFilter, *, api_key: ApiKey | None = None
    ) -> list[AggregationGroup] | None: ...


def make_backend(
    api: ApiName,
    channel: grpc.Channel,
    api_key: ApiKey,
    *,
    timeout: float = 10.0,
    read_retries: int = 3,
    observer: CallObserver | None = None,
) -> CoralogixBackend:
    """The client of `api` on `channel` (which it then owns: `close_channel` closes it)."""
    if api == "cases":
        return CasesClient(channel, api_key, timeout=timeout, read_retries=read_retries, observer=observer)
    if api == "incidents":
        return IncidentsClient(
            channel, api_key, timeout=timeout, read_retries=read_retries, observer=observer
        )
    raise ValueError(f"unknown Coralogix API {api!r}; use one of {', '.join(API_NAMES)}")


def connect_backend(
    api: ApiName,
    endpoint: str,
    api_key: ApiKey,
    *,
    insecure: bool = False,
    timeout: float = 10.0,
    observer: CallObserver | None = None,
) -> CoralogixBackend:
    """`make_backend` on a new channel to `endpoint`."""
    return make_backend(
        api, open_channel(endpoint, insecure=insecure), api_key, timeout=timeout, observer=observer
    )


@dataclass(frozen=True, slots=True)
class Probe:
    """How one API answered the detection read: "OK" (with whether it holds anything) or a code."""

    code: str
    has_data: bool = False
    error: str = ""

    @property
    def answered(self) -> bool:
        return self.code == "OK"


@dataclass(frozen=True, slots=True)
class ApiDetection:
    """Which API the account answers (None: neither, or it could not be told), and why, in one sentence."""

    api: ApiName | None
    reason: str
    probes: dict[ApiName, Probe]


def detect_api(channel: grpc.Channel, api_key: ApiKey, *, timeout: float = 5.0) -> ApiDetection:
    """One cheap read on each API (a one-item list) with the team key, and the choice it implies.

    - one answers and the other refuses (UNIMPLEMENTED, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED):
      the one that answers;
    - both answer: Cases if it holds cases or Incidents holds nothing (new accounts use Cases),
      else Incidents;
    - the other failed otherwise (unreachable, internal error): None, since it cannot be told yet;
    - neither answers: None, with what each said.

    The channel is left open (the caller owns it).
    """
    probes: dict[ApiName, Probe] = {
        "incidents": _probe(IncidentsClient(channel, api_key, timeout=timeout, read_retries=1)),
        "cases": _probe(CasesClient(channel, api_key, timeout=timeout, read_retries=1)),
    }
    incidents, cases = probes["incidents"], probes["cases"]
    said = "; ".join(f"{SERVICE_NAMES[api]}: {_said(probe)}" for api, probe in probes.items())
    if incidents.answered and cases.answered:
        if cases.has_data or not incidents.has_data:
            why = "it holds cases" if cases.has_data else "neither holds anything (new accounts use Cases)"
            return ApiDetection("cases", f"the account answers both APIs; using Cases: {why}", probes)
        why = "it holds incidents, Cases none"
        return ApiDetection("incidents", f"the account answers both APIs; using Incidents: {why}", probes)
    pairs: tuple[tuple[ApiName, ApiName], ...] = (("incidents", "cases"), ("cases", "incidents"))
    for api, other in pairs:
        if not probes[api].answered:
            continue
        if probes[other].code in _NOT_THIS_API:
            return ApiDetection(api, f"the account answers {SERVICE_NAMES[api]} only ({said})", probes)
        return ApiDetection(
            None,
            f"cannot tell which API the account uses: {said}; try again, or set CORALOGIX_API",
            probes,
        )
    codes = {incidents.code, cases.code}
    if codes == {"UNAUTHENTICATED"}:
        reason = f"Coralogix rejected the API key on both APIs ({said})"
    elif codes & {"UNAVAILABLE", "DEADLINE_EXCEEDED"}:
        reason = f"Coralogix did not answer ({said}); check CORALOGIX_REGION / CORALOGIX_GRPC_ENDPOINT"
    else:
        reason = (
            f"the account answers neither IncidentsService nor CasesService ({said}); the key needs "
            f"{READ_PERMISSIONS['incidents']} (Incidents) or {READ_PERMISSIONS['cases']} (Cases)"
        )
    return ApiDetection(None, reason, probes)


def _probe(client: IncidentsClient | CasesClient) -> Probe:
    try:
        page = client.list_incidents(page_size=1)
    except CoralogixError as exc:
        return Probe(code=exc.code or "UNKNOWN", error=str(exc))
    return Probe(code="OK", has_data=bool(page.incidents) or bool(page.total_size))


def _said(probe: Probe) -> str:
    if probe.answered:
        return "answers" + ("" if probe.has_data else " (empty)")
    return f"{probe.code} ({probe.error})" if probe.error else probe.code
