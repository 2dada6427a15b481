"""What an action means for an incident, in rules and words: pure functions, no I/O."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.config import Action
from bot.domain import Incident, Status
from bot.slack.blocks import fit

PAST = {
    Action.ACK: "acknowledged",
    Action.RESOLVE: "resolved",
    Action.CLOSE: "closed",
    Action.ASSIGN: "assigned",
    Action.UNASSIGN: "unassigned",
}
DOING = {
    Action.ACK: "acknowledging",
    Action.RESOLVE: "resolving",
    Action.CLOSE: "closing",
    Action.ASSIGN: "assigning",
    Action.UNASSIGN: "unassigning",
}
TITLE_IN_LINE = 80


@dataclass(frozen=True)
class Assignee:
    """Whom an assignment is to: the Coralogix user, and how people are shown them."""

    coralogix_user: str
    shown: str


def incident_label(incident: Incident) -> str:
    """`1a2b3c4d` checkout 5xx — how an incident starts a result line."""
    title = incident.title.strip()
    head = f"`{fit(incident.id[:8], 40, code=True)}`"
    return f"{head} {fit(title, TITLE_IN_LINE)}" if title and title != incident.id else head


def intent(action: Action, assignee: Assignee | None) -> str:
    """What one claim stands for: the action, and for an assignment whom to (another person is another
    intent, so assigning to Bob and then to Carol both go through)."""
    if action is Action.ASSIGN and assignee is not None:
        whom = hashlib.sha256(assignee.coralogix_user.lower().encode()).hexdigest()[:24]
        return f"assign:{whom}"  # fits the claim's 32-character action column
    return action.value


def took_effect(action: Action, incident: Incident, assignee: Assignee | None) -> bool:
    """Whether the incident, read back, shows `action` done."""
    if action is Action.CLOSE:
        return incident.is_closed
    if action is Action.RESOLVE:
        return incident.status is Status.RESOLVED or incident.is_closed
    if action is Action.ACK:
        return incident.status is Status.ACKNOWLEDGED
    if action is Action.UNASSIGN:
        return incident.assignee is None
    current = incident.assignee
    return assignee is not None and current is not None and current.lower() == assignee.coralogix_user.lower()


def status_phrase(incident: Incident) -> str:
    if incident.is_closed:
        return "closed"
    return incident.status.value if incident.status is not Status.UNSPECIFIED else "in an unknown status"


def nothing_to_do(action: Action, incident: Incident, assignee: Assignee | None) -> str | None:
    """Why the action would change nothing (a short phrase after the incident's label), else None."""
    if incident.is_closed:
        return (
            "is already closed." if action is Action.CLOSE else "is closed; nothing more can be done to it."
        )
    status = incident.status
    if action is Action.ACK and status is Status.ACKNOWLEDGED:
        return "is already acknowledged."
    if action is Action.ACK and status is Status.RESOLVED:
        return "is resolved; there is nothing to acknowledge."
    if action is Action.RESOLVE and status is Status.RESOLVED:
        return "is already resolved."
    if action is Action.ASSIGN and assignee is not None:
        current = incident.assignee
        if current is not None and current.lower() == assignee.coralogix_user.lower():
            return f"is already assigned to {assignee.shown}."
    if action is Action.UNASSIGN and incident.assignee is None:
        return "is not assigned to anyone."
    return None
