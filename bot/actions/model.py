"""What an action from Slack is asked to do and what came of it, one outcome per incident."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import Action, AssignTarget, CoralogixUserTarget, Incident, Me, SlackUserTarget

__all__ = [  # the assign targets live on the domain (the slash-command parser names them too)
    "ActionReport",
    "AssignTarget",
    "CardOrigin",
    "CoralogixUserTarget",
    "IncidentOutcome",
    "Me",
    "OutcomeKind",
    "SlackUserTarget",
]


class OutcomeKind(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"
    """Nothing to do: the incident already is as asked, or cannot be changed that way (e.g. closed)."""
    STALE = "stale"
    """A button on a card older than the incident's current status: nothing was done, the card refreshed."""
    NOT_FOUND = "not_found"
    FAILED = "failed"
    REFUSED = "refused"
    """The person may not act on this incident (its route names other responders)."""
    DUPLICATE = "duplicate"
    """Someone else is doing, or has just done, the same action to the incident: no second write."""
    UNKNOWN = "unknown"
    """The write may or may not have happened (no answer in time) and a re-read could not settle it."""


@dataclass(frozen=True)
class CardOrigin:
    """The message a button was clicked on: the bot must have recorded the incident there."""

    channel: str
    ts: str


@dataclass(frozen=True)
class IncidentOutcome:
    """What happened to one incident; `message` is one line of mrkdwn for the person who asked."""

    ref: str
    kind: OutcomeKind
    message: str
    incident: Incident | None = None

    @property
    def done(self) -> bool:
        return self.kind is OutcomeKind.DONE


@dataclass(frozen=True)
class ActionReport:
    """The answer to one action: refused as a whole (`refusal`), or one outcome per incident asked for."""

    action: Action
    outcomes: tuple[IncidentOutcome, ...] = ()
    refusal: str | None = None
    needs_personal_key: bool = False
    """Refused because Coralogix takes this action only from the person's own key (Incidents)."""

    @classmethod
    def refused(cls, action: Action, why: str, *, needs_personal_key: bool = False) -> ActionReport:
        return cls(action, (), why, needs_personal_key)

    @property
    def lines(self) -> list[str]:
        return [self.refusal] if self.refusal else [outcome.message for outcome in self.outcomes]

    @property
    def problems(self) -> list[IncidentOutcome]:
        """Outcomes a clicker needs telling about (a done action speaks for itself on the card)."""
        return [outcome for outcome in self.outcomes if not outcome.done]

    def outcome_kinds(self) -> Sequence[OutcomeKind]:
        return [outcome.kind for outcome in self.outcomes]
