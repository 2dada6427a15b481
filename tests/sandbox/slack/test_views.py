"""views.open / views.push / views.update through the real slack_sdk WebClient."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackWorkspace


def _modal(title: str, **extra: Any) -> dict[str, Any]:
    body = {"type": "section", "text": {"type": "mrkdwn", "text": f"{title} body"}}
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [body], **extra}


def test_views_open_returns_a_view_with_an_id(client: WebClient, workspace: SlackWorkspace) -> None:
    trigger = workspace.new_trigger_id()

    view = client.views_open(trigger_id=trigger, view=_modal("Incident", callback_id="details"))["view"]

    assert view["id"].startswith("V")
    assert view["root_view_id"] == view["id"]
    assert (view["callback_id"], view["title"]["text"]) == ("details", "Incident")
    assert view["hash"]
    [opened] = workspace.views()
    assert (opened.method, opened.id, opened.trigger_id) == ("views.open", view["id"], trigger)


def test_push_then_update_by_id_and_by_external_id(client: WebClient, workspace: SlackWorkspace) -> None:
    root = client.views_open(trigger_id="t1", view=_modal("Root", external_id="root-1"))["view"]
    pushed = client.views_push(trigger_id="t2", view=_modal("Pushed"))["view"]
    updated = client.views_update(view_id=pushed["id"], hash=pushed["hash"], view=_modal("Pushed v2"))["view"]
    by_external = client.views_update(external_id="root-1", view=_modal("Root v2", external_id="root-1"))[
        "view"
    ]

    assert (pushed["root_view_id"], pushed["previous_view_id"]) == (root["id"], root["id"])
    assert (updated["id"], updated["title"]["text"]) == (pushed["id"], "Pushed v2")
    assert updated["hash"] != pushed["hash"]
    assert by_external["id"] == root["id"]
    assert [v.method for v in workspace.views()] == [
        "views.open",
        "views.push",
        "views.update",
        "views.update",
    ]


def test_update_with_a_stale_hash_is_hash_conflict(client: WebClient) -> None:
    view = client.views_open(trigger_id="t", view=_modal("One"))["view"]
    client.views_update(view_id=view["id"], view=_modal("Two"))

    with pytest.raises(SlackApiError) as exc:
        client.views_update(view_id=view["id"], hash=view["hash"], view=_modal("Three"))

    assert exc.value.response["error"] == "hash_conflict"


def test_update_of_an_unknown_view_is_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.views_update(view_id="V404", view=_modal("x"))

    assert exc.value.response["error"] == "not_found"


@pytest.mark.parametrize(
    "view",
    [
        _modal("A title longer than 24 chars"),
        {"type": "modal", "blocks": []},
        {"type": "dialog", "title": {"type": "plain_text", "text": "x"}, "blocks": []},
        {**_modal("x"), "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "y"}}] * 101},
    ],
)
def test_broken_views_are_invalid_arguments(client: WebClient, workspace: SlackWorkspace, view: Any) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="t", view=view)

    assert exc.value.response["error"] == "invalid_arguments"
    assert exc.value.response["response_metadata"]["messages"]
    assert workspace.views() == []


def test_views_open_needs_a_trigger_id(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("views.open", json={"view": _modal("x")})

    assert exc.value.response["error"] == "invalid_arguments"
