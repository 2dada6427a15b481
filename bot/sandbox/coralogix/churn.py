"""Background life for a long-running sandbox: alerts fire, clear and fire again; people act in the UI.

`churn_step` changes the incidents simulator, `cases_churn_step` the Cases one.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from bot.coralogix.pb import incident_pb2
from bot.coralogix.pb.cases.case_pb2 import Case
from bot.sandbox.coralogix.cases_model import CaseState, CaseStatus
from bot.sandbox.coralogix.cases_simulator import SimulatedCases
from bot.sandbox.coralogix.errors import SandboxError
from bot.sandbox.coralogix.lifecycle import SIMULATED_USERS
from bot.sandbox.coralogix.model import State, Status
from bot.sandbox.coralogix.simulator import SimulatedCoralogix

Incident = incident_pb2.Incident
Wanted = Callable[[Incident], bool]


def _is_open(incident: Incident) -> bool:
    return not incident.HasField("closed_at")


def _triggered(incident: Incident) -> bool:
    return _is_open(incident) and incident.status == Status.INCIDENT_STATUS_TRIGGERED


def _firing(incident: Incident) -> bool:
    return _is_open(incident) and incident.state == State.INCIDENT_STATE_TRIGGERED


def _cleared(incident: Incident) -> bool:
    return _is_open(incident) and incident.state == State.INCIDENT_STATE_RESOLVED


def _resolved(incident: Incident) -> bool:
    return _is_open(incident) and incident.status == Status.INCIDENT_STATUS_RESOLVED


def churn_step(sim: SimulatedCoralogix, rng: random.Random) -> str:
    """Make one random change, as Coralogix or a person in its UI would; returns what happened."""
    action = rng.choices(
        ["open", "acknowledge", "assign", "clear", "refire", "close", "severity", "mute"],
        weights=[35, 15, 10, 15, 10, 5, 5, 5],
    )[0]
    person = rng.choice(SIMULATED_USERS)
    incidents = [sim.incident(incident_id) for incident_id in sim.incident_ids()]

    def pick(wanted: Wanted) -> str | None:
        candidates = [incident.id.value for incident in incidents if wanted(incident)]
        return rng.choice(candidates) if candidates else None

    target: str | None = None
    try:
        if action == "acknowledge" and (target := pick(_triggered)):
            sim.acknowledge(target, person)
        elif action == "assign" and (target := pick(_is_open)):
            sim.assign(target, person, person)
        elif action == "clear" and (target := pick(_firing)):
            sim.auto_resolve(target)
        elif action == "refire" and (target := pick(_cleared)):
            sim.retrigger(target)
        elif action == "close" and (target := pick(_resolved)):
            sim.close(target, person)
        elif action == "severity" and (target := pick(_is_open)):
            sim.set_severity(target, rng.choice(["warning", "error", "critical"]))
        elif action == "mute" and (target := pick(_is_open)):
            sim.set_muted(target, not sim.incident(target).is_muted.value, by=person)
        else:
            action, target = "open", sim.create_incident(severity=None)
    except SandboxError as refused:  # someone (the bot) changed it in between
        return f"{action} {target} refused: {refused}"
    return f"{action} {target}"


def _acknowledgeable(case: Case) -> bool:
    return case.status == CaseStatus.CASE_STATUS_OPEN and case.state != CaseState.CASE_STATE_RESOLVED


def cases_churn_step(sim: SimulatedCases, rng: random.Random) -> str:
    """`churn_step` for the Cases simulator: cases open, clear, fire again; people act and comment."""
    action = rng.choices(
        ["open", "acknowledge", "assign", "clear", "refire", "close", "priority", "comment"],
        weights=[35, 15, 10, 15, 10, 5, 5, 5],
    )[0]
    person = rng.choice(SIMULATED_USERS)
    cases = [sim.case(case_id) for case_id in sim.case_ids()]
    open_ = [case for case in cases if case.status != CaseStatus.CASE_STATUS_CLOSED]

    def pick(wanted: Callable[[Case], bool]) -> str | None:
        candidates = [case.id for case in open_ if wanted(case)]
        return rng.choice(candidates) if candidates else None

    target: str | None = None
    try:
        if action == "acknowledge" and (target := pick(_acknowledgeable)):
            sim.acknowledge(target, person)
        elif action == "assign" and (target := pick(lambda c: True)):
            sim.assign(target, person, person)
        elif action == "clear" and (target := pick(lambda c: c.state != CaseState.CASE_STATE_RESOLVED)):
            sim.auto_resolve(target)
        elif action == "refire" and (target := pick(lambda c: c.state == CaseState.CASE_STATE_RESOLVED)):
            sim.retrigger(target)
        elif action == "close" and (target := pick(lambda c: c.state == CaseState.CASE_STATE_RESOLVED)):
            sim.close(target, person)
        elif action == "priority" and (target := pick(lambda c: True)):
            sim.set_priority(target, rng.choice(["P1", "P2", "P3"]))
        elif action == "comment" and (target := pick(lambda c: True)):
            words = rng.choice(["Looking into it.", "Rolled back.", "Still seeing errors."])
            sim.comment(target, words, person)
        else:
            action, target = "open", sim.create_case(severity=None)
    except SandboxError as refused:
        return f"{action} {target} refused: {refused}"
    return f"{action} {target}"
