"""What `translate` makes of a failed call's status; the client tests cover it over a real socket."""

import grpc
import pytest

from bot.coralogix.errors import required_permission, translate
from bot.errors import CoralogixRequestError, CoralogixUnavailableError, IncidentNotFoundError


class StatusError(grpc.RpcError):
    """A failed call as grpcio reports it: an RpcError that is also a Call with code and details."""

    def __init__(self, code, details):
        super().__init__(details)
        self._code = code
        self._details = details

    def code(self):
        return self._code

    def details(self):
        return self._details


def test_secrets_never_reach_the_message():
    exc = StatusError(grpc.StatusCode.INVALID_ARGUMENT, "bad header: Bearer cx-secret-42 is malformed")
    error = translate(exc, "ListIncidents", [], secrets=["cx-secret-42"])
    assert isinstance(error, CoralogixRequestError)
    assert "cx-secret-42" not in str(error)
    assert str(error) == "Coralogix could not list incidents: bad header: Bearer *** is malformed"


def test_unavailable_detail_is_one_bounded_line_without_secrets():
    detail = "failed to connect\n  key=cx-secret-42 " + "x" * 1000
    error = translate(
        StatusError(grpc.StatusCode.UNAVAILABLE, detail), "GetIncident", ["i"], secrets=["cx-secret-42"]
    )
    assert isinstance(error, CoralogixUnavailableError)
    message = str(error)
    assert "\n" not in message
    assert "cx-secret-42" not in message
    assert message.startswith("Coralogix is unreachable (failed to connect key=*** xxx")
    assert len(message) < 400


def test_not_found_prefers_the_longest_named_id():
    exc = StatusError(grpc.StatusCode.NOT_FOUND, "incident abc-12 not found")
    error = translate(exc, "AcknowledgeIncidents", ["abc-1", "abc-12", "zzz"])
    assert isinstance(error, IncidentNotFoundError)
    assert error.incident_id == "abc-12"


def test_not_found_without_ids_is_a_request_error():
    error = translate(StatusError(grpc.StatusCode.NOT_FOUND, "no such page"), "ListIncidents", [])
    assert type(error) is CoralogixRequestError
    assert str(error) == "Coralogix could not list incidents: no such page"


def test_rate_limit_says_to_try_later():
    error = translate(StatusError(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota"), "ResolveIncidents", ["i"])
    assert str(error) == "Coralogix could not resolve: quota; try again later"


def test_no_detail_falls_back_to_the_code():
    error = translate(StatusError(grpc.StatusCode.INTERNAL, ""), "CloseIncidents", ["i"])
    assert str(error) == "Coralogix could not close: INTERNAL"
    assert (error.rpc, error.code) == ("CloseIncidents", "INTERNAL")


@pytest.mark.parametrize(
    ("rpc", "permission"),
    [
        ("ListIncidents", "incidents:read"),
        ("GetIncident", "incidents:read"),
        ("BatchGetIncident", "incidents:read"),
        ("GetIncidentEvents", "incidents:read"),
        ("ListIncidentAggregations", "incidents:read"),
        ("AcknowledgeIncidents", "incidents:acknowledge"),
        ("AssignIncidents", "incidents:assign"),
        ("UnassignIncidents", "incidents:assign"),
        ("ResolveIncidents", "incidents:close"),
        ("CloseIncidents", "incidents:close"),
    ],
)
def test_permission_of_each_rpc(rpc, permission):
    assert required_permission(rpc) == permission
