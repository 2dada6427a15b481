"""One simulated Coralogix account behind either API, so one test body runs on Incidents and on Cases.

`start_stand_in(api, seed)` serves an account that answers IncidentsService (`"incidents"`) or
CasesService (`"cases"`), as a real account answers one of them. Its `.sim` is an `Account`: the
simulator itself (both simulators share their control API: `create_incident`, `acknowledge`, `resolve`,
`add_api_key`, ...) plus what differs, said once here:

- rpcs are named by their Incidents names: on Cases, `calls_to("ResolveIncidents")` are the ResolveCase
  calls and `faults.slow(2, rpc="GetIncidentEvents")` slows ListEvents (`CASES_RPC`);
- a write over several ids is one call on Incidents and one call per id on Cases (`batches`);
- what a request says (who is assigned, which applications a list asks for, its page size) and what an
  incident is (its severity, its application) are read by the same methods on both.

`tests/e2e/conftest.py` parametrises every e2e test that uses the `coralogix` fixture over both APIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import grpc
from google.protobuf.message import Message

from bot.coralogix.pb import incident_severity_pb2
from bot.coralogix.pb.cases import case_pb2
from bot.domain import APPLICATION_LABEL
from bot.sandbox.coralogix import (
    RecordedCall,
    RunningCasesSandbox,
    RunningCoralogixSandbox,
    SimulatedCases,
    SimulatedCoralogix,
    start_cases_sandbox,
    start_coralogix_sandbox,
)
from bot.sandbox.coralogix.faults import FaultInjector

Api = Literal["incidents", "cases"]
APIS: tuple[Api, ...] = ("incidents", "cases")

CASES_RPC = {
    "AcknowledgeIncidents": "AcknowledgeCase",
    "ResolveIncidents": "ResolveCase",
    "CloseIncidents": "CloseCase",
    "AssignIncidents": "AssignCase",
    "UnassignIncidents": "UnassignCase",
    "ListIncidents": "ListCases",
    "ListIncidentAggregations": "ListCases",  # Cases has no aggregation rpc: the bot pages and counts
    "GetIncident": "GetCase",
    "BatchGetIncident": "GetCase",
    "GetIncidentEvents": "ListEvents",
}
"""What each IncidentsService rpc the bot calls is called on CasesService (one case per write)."""

WHOAMI_SAYS = {
    "incidents": "uses Incidents: acknowledging and assigning need your own key",
    "cases": "uses Cases: acknowledging names you as the actor",
}
"""What `/cx whoami` says of the API the account speaks."""

_INCIDENT_SEVERITY = {
    value: name.removeprefix("INCIDENT_SEVERITY_").lower()
    for name, value in incident_severity_pb2.IncidentSeverity.items()
}
_CASE_SEVERITY = {  # the bot's reading of a priority (bot/coralogix/cases_convert.py)
    case_pb2.CASE_PRIORITY_P1: "critical",
    case_pb2.CASE_PRIORITY_P2: "error",
    case_pb2.CASE_PRIORITY_P3: "warning",
    case_pb2.CASE_PRIORITY_P4: "info",
    case_pb2.CASE_PRIORITY_P5: "low",
}


def ids_of(request: Message) -> list[str]:
    """The incident or case ids a request names (Incidents: `incident_ids`; Cases: one `id`)."""
    if hasattr(request, "incident_ids"):
        return [value.value for value in request.incident_ids]
    if isinstance(getattr(request, "id", None), str):
        return [request.id]  # type: ignore[attr-defined]
    return []


class Faults:
    """The simulator's fault injector, taking rpcs by their Incidents names."""

    def __init__(self, injector: FaultInjector, rpc: Any) -> None:
        self._injector = injector
        self._rpc = rpc

    def fail_next(self, code: grpc.StatusCode, n: int = 1, rpc: str | None = None, *, skip: int = 0) -> None:
        self._injector.fail_next(code, n, self._rpc(rpc), skip=skip)

    def slow(self, seconds: float, rpc: str | None = None) -> None:
        self._injector.slow(seconds, self._rpc(rpc))

    def answer_late(self, seconds: float, rpc: str | None = None) -> None:
        self._injector.answer_late(seconds, self._rpc(rpc))

    def unavailable_for_calls(self, n: int) -> None:
        self._injector.unavailable_for_calls(n)

    def unavailable_for_seconds(self, seconds: float) -> None:
        self._injector.unavailable_for_seconds(seconds)

    def clear(self) -> None:
        self._injector.clear()


class Account:
    """A simulated account on either API, seen the same way by a test (see the module's docstring)."""

    def __init__(self, sim: SimulatedCoralogix | SimulatedCases) -> None:
        self.raw = sim
        self.api: Api = "cases" if isinstance(sim, SimulatedCases) else "incidents"
        self.faults = Faults(sim.faults, self.rpc)

    def __getattr__(self, name: str) -> Any:
        """The control API both simulators share (create_incident, acknowledge, add_api_key, ...)."""
        return getattr(self.raw, name)

    # -- rpcs and calls -------------------------------------------------------------------------------

    def rpc(self, incidents_rpc: str | None) -> Any:
        """The rpc of this account's API that does what `incidents_rpc` does on Incidents."""
        if incidents_rpc is None or self.api == "incidents":
            return incidents_rpc
        return CASES_RPC.get(incidents_rpc, incidents_rpc)

    @property
    def calls(self) -> list[RecordedCall]:
        return list(self.raw.calls)

    def calls_to(self, incidents_rpc: str) -> list[RecordedCall]:
        return self.raw.calls_to(self.rpc(incidents_rpc))

    def batches(self, ids: Sequence[str]) -> list[list[str]]:
        """The ids of the calls that write `ids` in one go: one call on Incidents, one per id on Cases."""
        return [list(ids)] if self.api == "incidents" else [[incident_id] for incident_id in ids]

    # -- what a request says ----------------------------------------------------------------------------

    @staticmethod
    def assignee(request: Message) -> str:
        """Whom an assign request assigns (AssignIncidents' `assigned_to`, AssignCase's `assignee`)."""
        if hasattr(request, "assigned_to"):
            return str(request.assigned_to.user_id.value)
        return str(request.assignee.user_id)  # type: ignore[attr-defined]

    @staticmethod
    def listed_applications(request: Message) -> list[str]:
        """The applications a list request filters on."""
        if hasattr(request, "filter"):  # ListIncidentsRequest
            return [value.value for value in request.filter.application_name]
        groups: Any = request.filters.groupings  # type: ignore[attr-defined]  # ListCasesRequest
        return [value for group in groups if group.key == APPLICATION_LABEL for value in group.values]

    @staticmethod
    def id_search(request: Message) -> str | None:
        """The id prefix a list request searches for (`/cx ack 1a2b3c4d`), None when it searches none."""
        if hasattr(request, "filter"):  # ListIncidentsRequest
            flt: Any = request.filter
            return str(flt.search_query.query.value) if flt.HasField("search_query") else None
        return str(request.filters.text_search) or None  # type: ignore[attr-defined]

    @staticmethod
    def page_size(request: Message) -> int:
        size: Any = request.pagination.page_size  # type: ignore[attr-defined]
        return int(size if isinstance(size, int) else size.value)

    # -- what an incident is ----------------------------------------------------------------------------

    def severity(self, incident_id: str) -> str:
        """ "critical", "error", ... (on Cases, what the case's priority means to the bot)."""
        if isinstance(self.raw, SimulatedCases):
            case = self.raw.case(incident_id)
            return _CASE_SEVERITY[case.priority or case.priority_details.system]
        return _INCIDENT_SEVERITY[self.raw.incident(incident_id).severity]

    def application(self, incident_id: str) -> str:
        if isinstance(self.raw, SimulatedCases):
            groupings = self.raw.case(incident_id).groupings
            return {kv.key: kv.value for kv in groupings}.get(APPLICATION_LABEL, "")
        return str(self.raw.incident(incident_id).display_labels.get(APPLICATION_LABEL, ""))


@dataclass
class StandIn:
    """A running stand-in of a Coralogix account on one API: where it listens, and its `Account`."""

    running: RunningCoralogixSandbox | RunningCasesSandbox
    sim: Account

    @property
    def api(self) -> Api:
        return self.sim.api

    @property
    def address(self) -> str:
        return self.running.address

    def stop(self) -> None:
        self.running.stop()


def start_stand_in(api: Api, seed: int) -> StandIn:
    """Serve a fresh simulated account on `api`, on a free port."""
    running: RunningCoralogixSandbox | RunningCasesSandbox = (
        start_cases_sandbox(SimulatedCases(seed=seed))
        if api == "cases"
        else start_coralogix_sandbox(SimulatedCoralogix(seed=seed))
    )
    return StandIn(running, Account(running.sim))
