"""Why the simulator refuses a request; the servicer turns each into its gRPC status."""

from __future__ import annotations


class SandboxError(Exception):
    """Base of the simulator's refusals; `code` is the gRPC status name it maps to."""

    code = "UNKNOWN"


class IncidentNotFound(SandboxError, LookupError):  # noqa: N818 - reads as the status it stands for
    code = "NOT_FOUND"

    def __init__(self, incident_id: str) -> None:
        super().__init__(f"incident {incident_id} not found")
        self.incident_id = incident_id


class InvalidTransition(SandboxError, ValueError):  # noqa: N818
    """The incident is not in a status where that action makes sense (e.g. acknowledging a closed one)."""

    code = "FAILED_PRECONDITION"


class InvalidRequest(SandboxError, ValueError):  # noqa: N818
    code = "INVALID_ARGUMENT"


class NotImplementedRpc(SandboxError):  # noqa: N818
    code = "UNIMPLEMENTED"
