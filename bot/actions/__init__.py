"""Acting on Coralogix incidents for Slack users: who, whether they may, which key, the call, results."""

from bot.actions.model import (
    ActionReport,
    AssignTarget,
    CardOrigin,
    CoralogixUserTarget,
    IncidentOutcome,
    Me,
    OutcomeKind,
    SlackUserTarget,
)
from bot.actions.queries import IncidentDetails, IncidentListPage, IncidentQueries
from bot.actions.references import Found, IncidentFinder, Lookup, Missing
from bot.actions.service import ActionService, Caller, incident_label
from bot.actions.threads import ThreadNotes

__all__ = [
    "ActionReport",
    "ActionService",
    "AssignTarget",
    "Caller",
    "CardOrigin",
    "CoralogixUserTarget",
    "Found",
    "IncidentDetails",
    "IncidentFinder",
    "IncidentListPage",
    "IncidentOutcome",
    "IncidentQueries",
    "Lookup",
    "Me",
    "Missing",
    "OutcomeKind",
    "SlackUserTarget",
    "ThreadNotes",
    "incident_label",
]
