"""Simulated Coralogix APIs: real gRPC servers on our generated protos, for tests and demos.

sim = SimulatedCoralogix(seed=1)          # the IncidentsService
sim.generate(20)
with start_coralogix_sandbox(sim) as running:
    ...  # connect to running.address with "authorization: Bearer cx-team-key"

cases = SimulatedCases(seed=1)            # the CasesService and CaseEventsService (new accounts)
cases.generate(20)
with start_cases_sandbox(cases) as running:
    ...

with start_no_api_sandbox() as running:   # an account that answers neither API
    ...
"""

from bot.sandbox.coralogix.accounts import (
    ALL_PERMISSIONS,
    CASE_PERMISSIONS,
    DEFAULT_API_KEYS,
    TEAM_KEYS,
    ApiKey,
)
from bot.sandbox.coralogix.bookkeeping import RecordedCall
from bot.sandbox.coralogix.cases_servicer import CaseEventsServicer, CasesServicer
from bot.sandbox.coralogix.cases_simulator import CaseNotFound, SimulatedCases
from bot.sandbox.coralogix.errors import IncidentNotFound, InvalidRequest, InvalidTransition, SandboxError
from bot.sandbox.coralogix.faults import FaultInjector
from bot.sandbox.coralogix.server import (
    RunningCasesSandbox,
    RunningCoralogixSandbox,
    RunningNoApiSandbox,
    SandboxApi,
    serve_forever,
    start_cases_sandbox,
    start_coralogix_sandbox,
    start_no_api_sandbox,
)
from bot.sandbox.coralogix.servicer import IncidentsServicer
from bot.sandbox.coralogix.simulator import SimulatedCoralogix

__all__ = [
    "ALL_PERMISSIONS",
    "CASE_PERMISSIONS",
    "DEFAULT_API_KEYS",
    "TEAM_KEYS",
    "ApiKey",
    "CaseEventsServicer",
    "CaseNotFound",
    "CasesServicer",
    "FaultInjector",
    "IncidentNotFound",
    "IncidentsServicer",
    "InvalidRequest",
    "InvalidTransition",
    "RecordedCall",
    "RunningCasesSandbox",
    "RunningCoralogixSandbox",
    "RunningNoApiSandbox",
    "SandboxApi",
    "SandboxError",
    "SimulatedCases",
    "SimulatedCoralogix",
    "serve_forever",
    "start_cases_sandbox",
    "start_coralogix_sandbox",
    "start_no_api_sandbox",
]
