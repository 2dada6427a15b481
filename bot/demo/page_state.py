"""What the page shows one person: the workspace as they would see it in Slack, and the Coralogix side."""

from __future__ import annotations

import hashlib
import json

from bot.demo.client import SimulatedSlackClient
from bot.demo.coralogix_side import SEVERITIES, IncidentFeed
from bot.demo.payloads import JsonObject
from bot.sandbox.coralogix.generator import APPLICATIONS
from bot.sandbox.slack.render import view_json
from bot.sandbox.slack.state import workspace_state


def page_state(client: SimulatedSlackClient, feed: IncidentFeed, user_id: str) -> JsonObject:
    """Channels with messages and threads; only this person's ephemerals, direct messages and modals.

    `version` changes whenever anything else does, so the page can skip redrawing an unchanged state.
    """
    workspace = client.workspace
    shared = workspace_state(workspace)
    own_dm = "D" + user_id[1:]
    channels = [c for c in shared["channels"] if not c["is_im"] or c["id"] == own_dm]
    home = workspace.homes.current(user_id)
    views = [
        {"id": view.id, "view": view_json(workspace, view), "errors": client.view_errors(view.id)}
        for view in client.open_views(user_id)
    ]
    state: JsonObject = {
        "me": user_id,
        "team_id": shared["team_id"],
        "bot_user_id": shared["bot_user_id"],
        "slash_command": client.slash_command,
        "unfurl_domains": list(client.unfurl_domains),
        "users": [
            {
                "id": user["id"],
                "name": user["name"],
                "real_name": user["real_name"] or user["name"],
                "is_bot": user["is_bot"],
            }
            for user in shared["users"]
        ],
        "channels": channels,
        "ephemerals": [e for e in shared["ephemerals"] if e["user"] == user_id],
        "views": views,
        "home": view_json(workspace, home) if home is not None else None,
        "coralogix": {
            "summary": feed.summary(),
            "activity": [activity.as_json() for activity in feed.activity()],
            "severities": list(SEVERITIES),
            "applications": list(APPLICATIONS),
        },
    }
    state["version"] = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    return state
