"""Every failure the client translates, and its retry policy, against the simulated service."""

import grpc
import pytest
from pydantic import SecretStr

from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient, connect
from bot.domain import Status
from bot.errors import (
    CoralogixAuthError,
    CoralogixPermissionError,
    CoralogixRequestError,
    CoralogixUnavailableError,
    IncidentNotFoundError,
)
from tests.coralogix.keys import READONLY_KEY, TEAM_KEY

WRITES = [
    ("acknowledge", "AcknowledgeIncidents", "incidents:acknowledge"),
    ("assign", "AssignIncidents", "incidents:assign"),
    ("unassign", "UnassignIncidents", "incidents:assign"),
    ("resolve", "ResolveIncidents", "incidents:close"),
    ("close", "CloseIncidents", "incidents:close"),
]


def _write(client, method, ids, **kwargs):
    if method == "assign":
        return client.assign(ids, "alice@example.com", **kwargs)
    return getattr(client, method)(ids, **kwargs)


@pytest.fixture
def incident_id(sim):
    return sim.create_incident(
        name="Checkout 5xx", severity="critical", application="shop", subsystem="checkout"
    )


def test_bad_key(make_client, sim, incident_id):
    client = make_client("cx-stolen-key-123")
    with pytest.raises(CoralogixAuthError) as caught:
        client.get_incident(incident_id)
    assert str(caught.value) == "Coralogix rejected the API key"
    assert (caught.value.rpc, caught.value.code) == ("GetIncident", "UNAUTHENTICATED")
    assert isinstance(caught.value.__cause__, grpc.RpcError)
    assert "cx-stolen-key-123" not in str(caught.value)
    assert "cx-stolen-key-123" not in repr(client)
    assert len(sim.calls_to("GetIncident")) == 1


def test_bad_per_call_key_on_a_write(client, sim, incident_id):
    with pytest.raises(CoralogixAuthError):
        client.acknowledge([incident_id], api_key="cx-nobody")
    assert sim.incident(incident_id).status == 1


@pytest.mark.parametrize(("method", "rpc", "permission"), WRITES)
def test_readonly_key_on_each_write_names_the_permission(client, sim, incident_id, method, rpc, permission):
    with pytest.raises(CoralogixPermissionError) as caught:
        _write(client, method, [incident_id], api_key=READONLY_KEY)
    assert caught.value.permission == permission
    assert str(caught.value) == f"The Coralogix API key lacks the {permission} permission"
    assert (caught.value.rpc, caught.value.code) == (rpc, "PERMISSION_DENIED")
    assert sim.calls_to(rpc)[-1].code == "PERMISSION_DENIED"


def test_readonly_key_reads(client, incident_id):
    assert client.get_incident(incident_id, api_key=READONLY_KEY).id == incident_id


def test_read_permission_denied(client, sim, incident_id):
    sim.faults.fail_next(grpc.StatusCode.PERMISSION_DENIED, rpc="ListIncidents")
    with pytest.raises(CoralogixPermissionError) as caught:
        client.list_incidents()
    assert caught.value.permission == "incidents:read"
    assert str(caught.value) == "The Coralogix API key lacks the incidents:read permission"


@pytest.mark.parametrize(("method", "rpc", "_permission"), WRITES)
def test_unknown_id_on_each_write(client, sim, incident_id, method, rpc, _permission):
    with pytest.raises(IncidentNotFoundError) as caught:
        _write(client, method, [incident_id, "ghost-1"])
    assert caught.value.incident_id == "ghost-1"
    assert "no incident ghost-1" in str(caught.value)
    assert caught.value.rpc == rpc
    assert sim.incident(incident_id).status == 1


def test_not_found_without_a_named_id_blames_the_first(client, sim, incident_id):
    sim.faults.fail_next(grpc.StatusCode.NOT_FOUND, rpc="AcknowledgeIncidents")
    with pytest.raises(IncidentNotFoundError) as caught:
        client.acknowledge([incident_id, "other"])
    assert caught.value.incident_id == incident_id


def test_failed_precondition_carries_the_servers_detail(client, sim, incident_id):
    sim.close(incident_id, by="bob@example.com")
    with pytest.raises(CoralogixRequestError) as caught:
        client.acknowledge([incident_id])
    assert caught.value.code == "FAILED_PRECONDITION"
    detail = sim.calls_to("AcknowledgeIncidents")[-1].details
    assert detail
    assert str(caught.value) == f"Coralogix could not acknowledge: {detail}"


def test_invalid_argument(client, sim):
    with pytest.raises(CoralogixRequestError) as caught:
        client.list_incidents(page_token="not-a-token")
    assert caught.value.code == "INVALID_ARGUMENT"
    assert str(caught.value).startswith("Coralogix could not list incidents: ")
    assert "page_token" in str(caught.value)


def test_other_codes_are_request_errors_and_not_retried(client, sim, observed):
    sim.faults.fail_next(grpc.StatusCode.INTERNAL, rpc="ListIncidents")
    with pytest.raises(CoralogixRequestError) as caught:
        client.list_incidents()
    assert caught.value.code == "INTERNAL"
    assert [code for _, code, _ in observed] == ["INTERNAL"]


def test_read_retried_after_two_unavailable(client, sim, incident_id, observed):
    sim.faults.unavailable_for_calls(2)
    assert client.get_incident(incident_id).id == incident_id
    assert [(rpc, code) for rpc, code, _ in observed] == [
        ("GetIncident", "UNAVAILABLE"),
        ("GetIncident", "UNAVAILABLE"),
        ("GetIncident", "OK"),
    ]
    assert [call.code for call in sim.calls_to("GetIncident")] == ["UNAVAILABLE", "UNAVAILABLE", "OK"]


@pytest.mark.parametrize(
    "read",
    [
        lambda c, i: c.list_incidents(),
        lambda c, i: c.batch_get_incidents([i]),
        lambda c, i: c.get_incident_events(i),
        lambda c, i: c.list_aggregations(),
    ],
)
def test_every_read_is_retried(client, sim, incident_id, observed, read):
    sim.faults.unavailable_for_calls(1)
    read(client, incident_id)
    assert [code for _, code, _ in observed] == ["UNAVAILABLE", "OK"]


def test_read_gives_up_after_its_retries(make_client, sim, incident_id, observed):
    client = make_client(read_retries=2)
    sim.faults.unavailable_for_calls(10)
    with pytest.raises(CoralogixUnavailableError) as caught:
        client.list_incidents()
    assert str(caught.value) == "Coralogix is unreachable (simulated outage)"
    assert caught.value.code == "UNAVAILABLE"
    assert [code for _, code, _ in observed] == ["UNAVAILABLE"] * 3


@pytest.mark.parametrize(("method", "rpc", "_permission"), WRITES)
def test_write_is_never_retried(client, sim, incident_id, observed, method, rpc, _permission):
    sim.faults.unavailable_for_calls(1)
    with pytest.raises(CoralogixUnavailableError):
        _write(client, method, [incident_id])
    assert [(r, code) for r, code, _ in observed] == [(rpc, "UNAVAILABLE")]
    assert len(sim.calls_to(rpc)) == 1
    assert sim.incident(incident_id).status == 1


def test_unavailable_for_a_while(make_client, sim, incident_id):
    client = make_client(read_retries=1)
    sim.faults.unavailable_for_seconds(60)
    with pytest.raises(CoralogixUnavailableError, match=r"^Coralogix is unreachable \(.+\)$"):
        client.get_incident(incident_id)
    sim.faults.clear()
    assert client.get_incident(incident_id).status is Status.TRIGGERED


def test_deadline_exceeded(make_client, sim, incident_id, observed):
    client = make_client(timeout=0.2)
    sim.faults.slow(1.0, rpc="GetIncident")
    with pytest.raises(CoralogixUnavailableError) as caught:
        client.get_incident(incident_id)
    assert caught.value.code == "DEADLINE_EXCEEDED"
    assert str(caught.value) == "Coralogix is unreachable (it did not answer in time)"
    assert [code for _, code, _ in observed] == ["DEADLINE_EXCEEDED"]


def test_nothing_listening(unused_address):
    client = IncidentsClient(
        open_channel(unused_address, insecure=True), TEAM_KEY, timeout=2, read_retries=1, backoff_base=0.01
    )
    try:
        with pytest.raises(CoralogixUnavailableError, match=r"^Coralogix is unreachable \(.+\)$"):
            client.list_incidents()
    finally:
        client.close_channel()


def test_tls_is_used_unless_insecure(server):
    client = connect(server.address, SecretStr(TEAM_KEY), insecure=False, timeout=2)
    client_plain = connect(server.address, SecretStr(TEAM_KEY), insecure=True, timeout=2)
    try:
        with pytest.raises(CoralogixUnavailableError):
            client.list_incidents()
        assert client_plain.list_incidents().incidents == ()
    finally:
        client.close_channel()
        client_plain.close_channel()


def test_a_broken_observer_does_not_break_calls(server, incident_id):
    def observer(rpc, code, seconds):
        raise RuntimeError("metrics backend down")

    with IncidentsClient(open_channel(server.address, insecure=True), TEAM_KEY, observer=observer) as client:
        assert client.get_incident(incident_id).id == incident_id


def test_empty_key_is_refused(server):
    channel = open_channel(server.address, insecure=True)
    try:
        with pytest.raises(ValueError, match="empty"):
            IncidentsClient(channel, SecretStr("  "))
    finally:
        channel.close()
