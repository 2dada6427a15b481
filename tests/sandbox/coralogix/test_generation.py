"""Seeded generation, churn, and many clients at once."""

from __future__ import annotations

import random
import threading
from collections import Counter

from bot.coralogix.pb import incident_event_pb2, incident_status_pb2
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import SimulatedCoralogix
from bot.sandbox.coralogix.churn import churn_step
from bot.sandbox.coralogix.generator import APPLICATIONS, TEMPLATES

from .support import ALICE, BOB, TEAM, ManualClock, svs


def _snapshot(sim: SimulatedCoralogix) -> list[tuple]:
    return [
        (
            i.id.value,
            i.name.value,
            i.severity,
            i.status,
            dict(i.display_labels),
            dict(i.contextual_labels),
            [(m.key.value, m.value.value) for m in i.meta_labels],
            i.created_at.ToNanoseconds(),
        )
        for i in (sim.incident(incident_id) for incident_id in sim.incident_ids())
    ]


def test_same_seed_same_incidents() -> None:
    first = SimulatedCoralogix(seed=42, clock=ManualClock())
    second = SimulatedCoralogix(seed=42, clock=ManualClock())
    first.generate(30, lifecycle=True)
    second.generate(30, lifecycle=True)
    assert _snapshot(first) == _snapshot(second)
    other = SimulatedCoralogix(seed=43, clock=ManualClock())
    other.generate(30, lifecycle=True)
    assert _snapshot(other) != _snapshot(first)


def test_generated_incidents_look_real() -> None:
    sim = SimulatedCoralogix(seed=1, clock=ManualClock())
    ids = sim.generate(200)
    incidents = [sim.incident(i) for i in ids]
    alert_names = {t.name for t in TEMPLATES}
    assert {i.contextual_labels["alert_name"] for i in incidents} <= alert_names
    assert {i.display_labels["coralogix.metadata.applicationName"] for i in incidents} == set(APPLICATIONS)
    assert all({"team", "env", "region"} <= {m.key.value for m in i.meta_labels} for i in incidents)
    assert all(i.description.value for i in incidents)
    assert all(
        i.status == incident_status_pb2.INCIDENT_STATUS_TRIGGERED for i in incidents
    )  # no lifecycle asked
    severities = Counter(i.severity for i in incidents)
    assert severities.most_common(2)[0][0] in {2, 3}  # warning or error leads
    nameless = [i for i in incidents if not i.HasField("name")]
    assert nameless and len(nameless) < 40  # a few, like the sample in the API docs
    assert all(i.contextual_labels["alert_name"] for i in nameless)


def test_lifecycle_mix_has_people_in_the_history() -> None:
    sim = SimulatedCoralogix(seed=2, clock=ManualClock())
    ids = sim.generate(100, lifecycle=True)
    statuses = Counter(sim.incident(i).status for i in ids)
    assert len(statuses) == 3
    assert any(sim.incident(i).HasField("closed_at") for i in ids)
    people = {
        e.administrative_event.user_id.value
        for i in ids
        for e in sim.events(i)
        if e.originator_type == incident_event_pb2.ORIGINATOR_TYPE_ADMINISTRATIVE
    }
    assert people == {"alice@example.com", "bob@example.com"}


def test_churn_steps_are_valid_changes() -> None:
    clock = ManualClock()
    sim = SimulatedCoralogix(seed=3, clock=clock)
    sim.generate(10, lifecycle=True)
    rng = random.Random(9)
    before = sum(len(sim.events(i)) for i in sim.incident_ids())
    outcomes = []
    for _ in range(200):
        clock.advance(seconds=5)
        outcomes.append(churn_step(sim, rng).split()[0])
    after = sum(len(sim.events(i)) for i in sim.incident_ids())
    assert after > before + 150
    assert len(sim.incident_ids()) > 10
    assert {"open", "acknowledge", "clear", "refire"} <= set(outcomes)


def test_concurrent_clients_keep_histories_consistent(sim: SimulatedCoralogix, stub) -> None:
    ids = sim.generate(40)
    errors: list[BaseException] = []

    def work(metadata, chunk: list[str]) -> None:
        try:
            for incident_id in chunk:
                stub.AcknowledgeIncidents(
                    pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)), metadata=metadata
                )
                stub.ListIncidents(pb.ListIncidentsRequest(), metadata=TEAM)
                stub.ResolveIncidents(
                    pb.ResolveIncidentsRequest(incident_ids=svs(incident_id)), metadata=metadata
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(ALICE if n % 2 else BOB, ids[n::8])) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    stamps = []
    for incident_id in ids:
        incident = sim.incident(incident_id)
        assert incident.status == incident_status_pb2.INCIDENT_STATUS_RESOLVED
        assert len(sim.events(incident_id)) == 3
        stamps.append(incident.last_state_update_time.ToNanoseconds())
    assert len(set(stamps)) == len(stamps)  # one clock tick, yet every change got its own stamp
