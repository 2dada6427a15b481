"""Injected outages, errors and slowness, seen by a real client."""

from __future__ import annotations

import grpc
import pytest

from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import FaultInjector, SimulatedCoralogix
from tests.e2e.harness import wait_for

from .support import ALICE, TEAM, sv, svs


def _list(stub, timeout: float | None = None) -> pb.ListIncidentsResponse:
    return stub.ListIncidents(pb.ListIncidentsRequest(), metadata=TEAM, timeout=timeout)


def _code(call) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


def test_unavailable_for_n_calls(sim: SimulatedCoralogix, stub) -> None:
    sim.faults.unavailable_for_calls(2)
    codes = [_code(lambda: _list(stub)) for _ in range(3)]
    assert codes == [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.OK]
    assert [c.code for c in sim.calls_to("ListIncidents")] == ["UNAVAILABLE", "UNAVAILABLE", "OK"]


def test_faults_come_before_auth(sim: SimulatedCoralogix, stub) -> None:
    sim.faults.unavailable_for_calls(1)
    code = _code(lambda: stub.ListIncidents(pb.ListIncidentsRequest()))  # no key at all
    assert code == grpc.StatusCode.UNAVAILABLE


def test_an_outage_does_not_change_anything(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    sim.faults.unavailable_for_calls(1)
    request = pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id))
    assert _code(lambda: stub.AcknowledgeIncidents(request, metadata=ALICE)) == grpc.StatusCode.UNAVAILABLE
    assert len(sim.events(incident_id)) == 1
    stub.AcknowledgeIncidents(request, metadata=ALICE)
    assert len(sim.events(incident_id)) == 2


def test_unavailable_for_seconds_then_recovers(sim: SimulatedCoralogix, stub) -> None:
    sim.faults.unavailable_for_seconds(0.3)
    assert _code(lambda: _list(stub)) == grpc.StatusCode.UNAVAILABLE
    assert _code(lambda: _list(stub)) == grpc.StatusCode.UNAVAILABLE
    # the window is measured on the monotonic clock (see the next test); here it only has to end
    wait_for(lambda: _code(lambda: _list(stub)) == grpc.StatusCode.OK, 10, "the outage to end")


def test_outage_window_follows_the_monotonic_clock() -> None:
    now = [100.0]
    faults = FaultInjector(monotonic=lambda: now[0])
    faults.unavailable_for_seconds(10)
    assert faults.decide("ListIncidents").code == grpc.StatusCode.UNAVAILABLE
    now[0] = 109.9
    assert faults.decide("GetIncident").code == grpc.StatusCode.UNAVAILABLE
    now[0] = 110.0
    assert faults.decide("GetIncident").code is None


def test_fail_next_for_one_rpc_only(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    sim.faults.fail_next(grpc.StatusCode.INTERNAL, n=2, rpc="GetIncident")
    get = lambda: stub.GetIncident(pb.GetIncidentRequest(id=sv(incident_id)), metadata=TEAM)  # noqa: E731
    assert _code(lambda: _list(stub)) == grpc.StatusCode.OK
    assert [_code(get) for _ in range(3)] == [
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.OK,
    ]


def test_fail_next_any_rpc(sim: SimulatedCoralogix, stub) -> None:
    sim.faults.fail_next(grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert _code(lambda: _list(stub)) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert sim.calls[-1].code == "RESOURCE_EXHAUSTED"
    assert _code(lambda: _list(stub)) == grpc.StatusCode.OK


def test_slow_answers_still_arrive(sim: SimulatedCoralogix, stub) -> None:
    sim.create_incident(name="x")
    sim.faults.slow(0.2)
    assert _list(stub).pagination.total_size.value == 1
    assert sim.calls[-1].code == "OK"


def test_slow_rpc_misses_a_short_deadline(sim: SimulatedCoralogix, stub) -> None:
    sim.faults.slow(1.5, rpc="ListIncidents")
    assert _code(lambda: _list(stub, timeout=0.2)) == grpc.StatusCode.DEADLINE_EXCEEDED
    other = stub.ListIncidentAggregations(pb.ListIncidentAggregationsRequest(), metadata=TEAM, timeout=5)
    assert other.incident_aggs[0].all_values_count.value == 0


def test_clear_removes_every_fault(sim: SimulatedCoralogix, stub) -> None:
    sim.faults.unavailable_for_calls(5)
    sim.faults.unavailable_for_seconds(60)
    sim.faults.fail_next(grpc.StatusCode.INTERNAL, n=5)
    sim.faults.slow(10)
    sim.faults.clear()
    assert _code(lambda: _list(stub, timeout=5)) == grpc.StatusCode.OK


def test_fail_next_refuses_ok() -> None:
    with pytest.raises(ValueError, match="OK"):
        FaultInjector().fail_next(grpc.StatusCode.OK)
