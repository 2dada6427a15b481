"""An action waiting for the person's own key: carried in the connect form, done once the key is stored.

On Coralogix Incidents, acknowledging and assigning need a personal key. A click (or command) that needs
one opens the connect form at once, with what was asked in the form's private_metadata; when the key is
stored, the action is done without a second click.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.actions import AssignTarget, CardOrigin, Me, SlackUserTarget
from bot.config import Action
from bot.listeners.deps import Interactivity
from bot.slack.blocks import connect_modal

MAX_PENDING_REFS = 20


@dataclass(frozen=True)
class PendingAction:
    action: Action
    refs: tuple[str, ...]
    expected_status: str | None = None
    origin: CardOrigin | None = None
    assignee: str | None = None
    """For an assignment: the Slack user to assign to (None: the person acting)."""

    def target(self) -> AssignTarget | None:
        if self.action is not Action.ASSIGN:
            return None
        return SlackUserTarget(self.assignee) if self.assignee else Me()

    def encode(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": self.action.value, "refs": list(self.refs[:MAX_PENDING_REFS])}
        if self.expected_status:
            data["status"] = self.expected_status
        if self.origin is not None:
            data["origin"] = [self.origin.channel, self.origin.ts]
        if self.assignee:
            data["assignee"] = self.assignee
        return data

    @classmethod
    def decode(cls, data: object) -> PendingAction | None:
        """The pending action in a form's metadata; None when there is none or it is not ours."""
        if not isinstance(data, dict):
            return None
        try:
            action = Action(str(data.get("action")))
        except ValueError:
            return None
        refs = data.get("refs")
        if not isinstance(refs, list) or not refs or not all(isinstance(ref, str) for ref in refs):
            return None
        origin = data.get("origin")
        card = (
            CardOrigin(str(origin[0]), str(origin[1]))
            if isinstance(origin, list) and len(origin) == 2
            else None
        )
        status = data.get("status")
        assignee = data.get("assignee")
        return cls(
            action,
            tuple(refs[:MAX_PENDING_REFS]),
            str(status) if isinstance(status, str) else None,
            card,
            str(assignee) if isinstance(assignee, str) else None,
        )


def open_connect_for(
    deps: Interactivity,
    pending: PendingAction,
    *,
    trigger_id: str,
    channel: str | None,
    response_url: str | None,
) -> bool:
    """Open the connect form carrying `pending`; False when it cannot be (no keys, no trigger)."""
    if not deps.keys.enabled or not trigger_id:
        return False
    metadata = json.dumps(
        {"channel": channel, "response_url": response_url, "pending": pending.encode()},
        separators=(",", ":"),
    )
    deps.gateway.open_view(trigger_id, connect_modal(private_metadata=metadata, reason=_why(pending)))
    return True


def _why(pending: PendingAction) -> str:
    verb = "acknowledge" if pending.action is Action.ACK else "assign"
    return (
        f"On Coralogix Incidents, only your own API key may {verb} incidents. Paste it below and I will "
        f"{verb} what you asked as soon as it is stored."
    )
