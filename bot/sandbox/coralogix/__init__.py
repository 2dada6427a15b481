"""A simulated Coralogix IncidentsService: a real gRPC server on our generated protos, for tests and demos.

sim = SimulatedCoralogix(seed=1)
sim.generate(20)
with start_coralogix_sandbox(sim) as running:
    ...  # connect to running.address with "authorization: Bearer cx-team-key"
"""

from bot.sandbox.coralogix.accounts import ALL_PERMISSIONS, DEFAULT_API_KEYS, ApiKey
from bot.sandbox.coralogix.errors import IncidentNotFound, InvalidRequest, InvalidTransition, SandboxError
from bot.sandbox.coralogix.faults import FaultInjector
from bot.sandbox.coralogix.server import RunningCoralogixSandbox, serve_forever, start_coralogix_sandbox
from bot.sandbox.coralogix.servicer import IncidentsServicer
from bot.sandbox.coralogix.simulator import RecordedCall, SimulatedCoralogix

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_API_KEYS",
    "ApiKey",
    "FaultInjector",
    "IncidentNotFound",
    "IncidentsServicer",
    "InvalidRequest",
    "InvalidTransition",
    "RecordedCall",
    "RunningCoralogixSandbox",
    "SandboxError",
    "SimulatedCoralogix",
    "serve_forever",
    "start_coralogix_sandbox",
]
