"""Modal submissions: the connect form closes at once; the key is checked and stored afterwards.

The outcome is told in the channel where `connect` was typed (through the command's response_url, kept
in the modal's private_metadata). The key itself is never logged, echoed or kept in plain text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App

from bot.listeners.deps import Interactivity
from bot.listeners.pending import PendingAction
from bot.listeners.replies import Reply
from bot.slack.ids import BlockId, CallbackId, InputId

log = logging.getLogger(__name__)


def register(app: App, deps: Interactivity) -> None:
    @app.view(CallbackId.CONNECT.value)
    def on_connect(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user = str((body.get("user") or {}).get("id") or "")
        view = body.get("view") or {}
        raw_key = submitted_key(view)
        reply = _reply_for(deps, user, view)
        pending = PendingAction.decode(_metadata(view).get("pending"))
        deps.work.submit(lambda: _connect(deps, user, raw_key, reply, pending), on_error=reply.error)


def submitted_key(view: dict[str, Any]) -> str:
    """The API key typed into the connect form ("" when the form came without it)."""
    values = ((view.get("state") or {}).get("values") or {}).get(BlockId.API_KEY.value) or {}
    element = values.get(InputId.API_KEY.value) or {}
    return str(element.get("value") or "")


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _reply_for(deps: Interactivity, user: str, view: dict[str, Any]) -> Reply:
    metadata = _metadata(view)
    channel = metadata.get("channel")
    response_url = metadata.get("response_url")
    return Reply(
        deps.gateway,
        user,
        response_url=str(response_url) if response_url else None,
        channel=str(channel) if channel else None,
    )


def _connect(
    deps: Interactivity, user: str, raw_key: str, reply: Reply, pending: PendingAction | None = None
) -> None:
    identity = deps.service.identity(user)
    if identity.coralogix_user is None:
        reply.error(identity.reason)
        return
    deps.keys.connect(user, identity.coralogix_user, raw_key)
    reply.notice(
        f"Connected: your actions from Slack now use your personal Coralogix API key, so Coralogix "
        f"credits them to you. `{deps.command} disconnect` deletes the key."
    )
    if pending is None:
        return
    report = deps.service.act(
        user,
        pending.action,
        pending.refs,
        target=pending.target(),
        expected_status=pending.expected_status,
        origin=pending.origin,
    )
    for hook in deps.after_action:  # as after a slash command's action: the Home tab redrawn
        hook(user)
    if report.refusal:
        reply.error(report.refusal)
    else:
        reply.notice("\n".join(report.lines))
