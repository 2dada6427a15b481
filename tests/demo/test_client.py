"""The demo's Slack client against a real Bolt app and the Slack sandbox, all over real sockets."""

from __future__ import annotations

from typing import Any

import pytest

from bot.demo.client import COMMAND_REPLY, Click, DemoRequestError, SimulatedSlackClient
from bot.demo.forwarder import SignedForwarder
from bot.sandbox.slack import RunningSlackSandbox
from tests.demo.conftest import Received

BUTTON = {"type": "button", "action_id": "press", "text": {"type": "plain_text", "text": "Press"}}


def _post_card(slack: RunningSlackSandbox, channel: str = "C0PAYMENTS") -> str:
    blocks = [
        {"type": "actions", "block_id": "card-actions", "elements": [{**BUTTON, "value": "plain"}]},
    ]
    message = slack.workspace.post_message(
        channel,
        text="a card",
        blocks=blocks,
        metadata={"event_type": "coralogix_incident", "event_payload": {"incident_id": "i-1"}},
    )
    return message.ts


# -- slash commands ------------------------------------------------------------------------------------


def test_a_command_reaches_the_app_and_its_reply_is_shown_only_to_its_author(
    client: SimulatedSlackClient, received: Received, slack: RunningSlackSandbox
) -> None:
    outcome = client.run_command("U0ALICE", "C0PAYMENTS", "/cx   list sev=critical ")
    assert outcome.ok, outcome.error
    command = received.commands[0]
    assert (command["command"], command["text"]) == ("/cx", "list sev=critical")
    assert (command["user_id"], command["user_name"], command["channel_id"]) == (
        "U0ALICE",
        "alice",
        "C0PAYMENTS",
    )
    assert command["response_url"].startswith(slack.base_url + "/response/")
    [reply] = slack.workspace.ephemerals("U0ALICE")
    assert (reply.channel, reply.text, reply.via) == (
        "C0PAYMENTS",
        "you said list sev=critical",
        COMMAND_REPLY,
    )
    assert slack.workspace.ephemerals("U0BOB") == []
    assert slack.workspace.messages("C0PAYMENTS") == []


def test_a_reply_through_the_response_url_can_go_to_the_channel(
    client: SimulatedSlackClient, slack: RunningSlackSandbox
) -> None:
    assert client.run_command("U0BOB", "C0SEARCH", "/cx public").ok
    [message] = slack.workspace.messages("C0SEARCH")
    assert message.text == "said in the channel"
    assert slack.workspace.ephemerals() == []


def test_an_empty_answer_shows_nothing(client: SimulatedSlackClient, slack: RunningSlackSandbox) -> None:
    assert client.run_command("U0ALICE", "C0SEARCH", "/cx quiet").ok
    assert slack.workspace.ephemerals() == []


def test_another_command_never_reaches_the_app(client: SimulatedSlackClient, received: Received) -> None:
    outcome = client.run_command("U0ALICE", "C0PAYMENTS", "/giphy cats")
    assert not outcome.ok
    assert outcome.error is not None and "/giphy is not a valid command" in outcome.error
    assert received.commands == []


def test_plain_text_and_unknown_people_or_channels_are_refused(client: SimulatedSlackClient) -> None:
    with pytest.raises(DemoRequestError):
        client.run_command("U0ALICE", "C0PAYMENTS", "hello there")
    with pytest.raises(DemoRequestError):
        client.run_command("U0NOBODY", "C0PAYMENTS", "/cx help")
    with pytest.raises(DemoRequestError):
        client.run_command("U0BOT", "C0PAYMENTS", "/cx help")
    with pytest.raises(DemoRequestError):
        client.run_command("U0ALICE", "C0NOWHERE", "/cx help")


def test_a_wrong_signing_secret_is_refused_by_bolt(
    slack: RunningSlackSandbox, app_url: str, received: Received
) -> None:
    impostor = SimulatedSlackClient(
        slack.workspace, SignedForwarder(app_url, "not-the-secret"), slash_command="/cx"
    )
    outcome = impostor.run_command("U0ALICE", "C0PAYMENTS", "/cx list")
    assert not outcome.ok
    assert outcome.error == '/cx failed with the error "http_status_401"'
    assert received.commands == []


# -- buttons and menus -----------------------------------------------------------------------------------


def test_a_button_on_a_message_sends_block_actions_with_the_message(
    client: SimulatedSlackClient, received: Received, slack: RunningSlackSandbox
) -> None:
    ts = _post_card(slack)
    element = {**BUTTON, "value": "plain"}
    assert client.click(
        "U0BOB", Click(element=element, block_id="card-actions", channel="C0PAYMENTS", message_ts=ts)
    ).ok
    body = received.actions[0]
    assert body["type"] == "block_actions"
    assert body["user"]["id"] == "U0BOB"
    assert body["channel"] == {"id": "C0PAYMENTS", "name": "payments"}
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0PAYMENTS",
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == ts
    assert body["message"]["metadata"]["event_payload"] == {"incident_id": "i-1"}
    assert body["actions"][0]["value"] == "plain"
    assert body["actions"][0]["block_id"] == "card-actions"


def test_the_response_url_of_a_click_can_replace_the_message(
    client: SimulatedSlackClient, slack: RunningSlackSandbox
) -> None:
    ts = _post_card(slack)
    element = {**BUTTON, "value": "replace"}
    assert client.click(
        "U0ALICE", Click(element=element, block_id="card-actions", channel="C0PAYMENTS", message_ts=ts)
    ).ok
    assert slack.workspace.message("C0PAYMENTS", ts).text == "replaced by the app"


def test_a_user_picked_in_a_menu_reaches_the_app(
    client: SimulatedSlackClient, received: Received, slack: RunningSlackSandbox
) -> None:
    ts = _post_card(slack)
    element = {"type": "users_select", "action_id": "pick", "selected_user": "U0CAROL"}
    assert client.click(
        "U0ALICE", Click(element=element, block_id="b", channel="C0PAYMENTS", message_ts=ts)
    ).ok
    assert received.actions[0]["actions"][0]["selected_user"] == "U0CAROL"


def test_a_click_on_an_ephemeral_message_has_no_message_but_a_response_url(
    client: SimulatedSlackClient, received: Received, slack: RunningSlackSandbox
) -> None:
    ephemeral = slack.workspace.post_ephemeral(channel="C0SEARCH", user="U0ALICE", text="only you", blocks=[])
    element = {**BUTTON, "value": "plain"}
    assert client.click("U0ALICE", Click(element=element, ephemeral_ts=ephemeral.message_ts)).ok
    body = received.actions[0]
    assert body["container"]["is_ephemeral"] is True
    assert "message" not in body
    assert body["response_url"].startswith(slack.base_url)
    with pytest.raises(DemoRequestError):  # someone else's ephemeral message
        client.click("U0BOB", Click(element=element, ephemeral_ts=ephemeral.message_ts))


def test_a_click_on_a_missing_message_or_without_action_id_is_refused(
    client: SimulatedSlackClient, received: Received, slack: RunningSlackSandbox
) -> None:
    with pytest.raises(DemoRequestError):
        client.click("U0ALICE", Click(element=BUTTON, channel="C0PAYMENTS", message_ts="1.000001"))
    ts = _post_card(slack)
    with pytest.raises(DemoRequestError):
        client.click("U0ALICE", Click(element={"type": "button"}, channel="C0PAYMENTS", message_ts=ts))
    assert received.actions == []


# -- modals ----------------------------------------------------------------------------------------------


def _open_form(client: SimulatedSlackClient, slack: RunningSlackSandbox, user: str = "U0ALICE") -> str:
    ts = _post_card(slack)
    element = {**BUTTON, "value": "modal"}
    assert client.click(
        user, Click(element=element, block_id="card-actions", channel="C0PAYMENTS", message_ts=ts)
    ).ok
    [view] = client.open_views(user)
    return view.id


def _note(text: str | None) -> dict[str, Any]:
    return {"note": {"text": {"type": "plain_text_input", "value": text}}}


def test_a_modal_opened_with_a_trigger_id_belongs_to_who_clicked(
    client: SimulatedSlackClient, slack: RunningSlackSandbox
) -> None:
    view_id = _open_form(client, slack, "U0BOB")
    assert [v.id for v in client.open_views("U0BOB")] == [view_id]
    assert client.open_views("U0ALICE") == []
    with pytest.raises(DemoRequestError):
        client.submit_view("U0ALICE", view_id, _note("not mine"))


def test_errors_keep_the_modal_open_and_a_good_submission_closes_it(
    client: SimulatedSlackClient, received: Received, slack: RunningSlackSandbox
) -> None:
    view_id = _open_form(client, slack)
    assert client.submit_view("U0ALICE", view_id, _note(None)).ok
    assert client.view_errors(view_id) == {"note": "Write something"}
    assert [v.id for v in client.open_views("U0ALICE")] == [view_id]
    assert client.submit_view("U0ALICE", view_id, _note("all good")).ok
    submission = received.submissions[-1]
    assert submission["type"] == "view_submission"
    assert submission["view"]["id"] == view_id
    assert submission["view"]["callback_id"] == "form"
    assert submission["view"]["state"]["values"]["note"]["text"]["value"] == "all good"
    assert client.open_views("U0ALICE") == []


def test_an_update_response_replaces_the_open_modal(
    client: SimulatedSlackClient, slack: RunningSlackSandbox
) -> None:
    view_id = _open_form(client, slack)
    assert client.submit_view("U0ALICE", view_id, _note("again")).ok
    [view] = client.open_views("U0ALICE")
    assert view.id == view_id
    assert view.view["title"]["text"] == "Again"


def test_closing_a_modal_that_asked_to_be_told_sends_view_closed(
    client: SimulatedSlackClient, received: Received, slack: RunningSlackSandbox
) -> None:
    view_id = _open_form(client, slack)
    assert client.close_view("U0ALICE", view_id).ok
    assert client.open_views("U0ALICE") == []
    assert received.closed[0]["type"] == "view_closed"
    assert received.closed[0]["view"]["id"] == view_id
