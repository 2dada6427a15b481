"""The bodies the demo sends, read back by Bolt's own request parser (which finds user, channel, team)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest

from bot.demo.payloads import (
    Actor,
    action_json,
    block_actions_payload,
    interaction_form,
    slash_command_form,
    view_closed_payload,
    view_submission_payload,
)

ALICE = Actor(
    user_id="U0ALICE", user_name="alice", team_id="T0SANDBOX", team_domain="sandbox", api_app_id="A0X"
)
FORM = {"content-type": ["application/x-www-form-urlencoded"]}


def _as_bolt_reads_it(fields: dict[str, str]) -> BoltRequest:
    return BoltRequest(body=urlencode(fields), headers=FORM)


def test_slash_command_carries_every_field_slack_sends() -> None:
    form = slash_command_form(
        ALICE,
        command="/cx",
        text="ack 1 2",
        channel_id="C0PAYMENTS",
        channel_name="payments",
        response_url="http://127.0.0.1:1/response/R1",
        trigger_id="1.2.sandbox",
    )
    request = _as_bolt_reads_it(form)
    assert request.body["command"] == "/cx"
    assert request.body["text"] == "ack 1 2"
    assert request.body["response_url"] == "http://127.0.0.1:1/response/R1"
    assert request.body["trigger_id"] == "1.2.sandbox"
    assert (request.context.user_id, request.context.channel_id, request.context.team_id) == (
        "U0ALICE",
        "C0PAYMENTS",
        "T0SANDBOX",
    )


def test_button_action_keeps_value_and_style_and_drops_the_rest() -> None:
    element = {
        "type": "button",
        "action_id": "incident_ack",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "value": '{"incident_id":"i-1","status":"triggered"}',
        "style": "primary",
        "confirm": {"title": {"type": "plain_text", "text": "Sure?"}},
    }
    action = action_json(element, "block-1", now=1_700_000_000.5)
    assert action == {
        "type": "button",
        "action_id": "incident_ack",
        "block_id": "block-1",
        "action_ts": "1700000000.500000",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "value": '{"incident_id":"i-1","status":"triggered"}',
        "style": "primary",
    }


def test_users_select_reports_the_chosen_user() -> None:
    element = {"type": "users_select", "action_id": "incident_assign", "selected_user": "U0BOB"}
    action = action_json(element, "b")
    assert action["selected_user"] == "U0BOB"
    assert "value" not in action


def test_static_select_reports_the_chosen_option() -> None:
    option = {"text": {"type": "plain_text", "text": "High"}, "value": "high"}
    action = action_json({"type": "static_select", "action_id": "pick", "selected_option": option}, "b")
    assert action["selected_option"] == option


def test_block_actions_on_a_message_reads_as_slack_sends_it() -> None:
    payload = block_actions_payload(
        ALICE,
        action=action_json({"type": "button", "action_id": "incident_ack", "value": "v"}, "b1"),
        trigger_id="t",
        container={
            "type": "message",
            "message_ts": "1.000001",
            "channel_id": "C0SEARCH",
            "is_ephemeral": False,
        },
        channel={"id": "C0SEARCH", "name": "search"},
        message={"ts": "1.000001", "text": "card", "blocks": []},
        response_url="http://127.0.0.1:1/response/R2",
    )
    request = _as_bolt_reads_it(interaction_form(payload))
    assert request.body["type"] == "block_actions"
    assert request.body["actions"][0]["action_id"] == "incident_ack"
    assert request.body["message"]["ts"] == "1.000001"
    assert (request.context.user_id, request.context.channel_id, request.context.team_id) == (
        "U0ALICE",
        "C0SEARCH",
        "T0SANDBOX",
    )
    assert "view" not in request.body


def test_view_submission_and_view_closed_carry_the_view() -> None:
    view = {"id": "V1", "callback_id": "connect_modal", "state": {"values": {"b": {"a": {"value": "x"}}}}}
    submitted = json.loads(
        interaction_form(view_submission_payload(ALICE, view=view, trigger_id="t"))["payload"]
    )
    assert submitted["type"] == "view_submission"
    assert submitted["view"]["state"]["values"]["b"]["a"]["value"] == "x"
    closed = view_closed_payload(ALICE, view=view)
    assert closed["type"] == "view_closed"
    assert closed["is_cleared"] is False
    assert BoltRequest(body=urlencode(interaction_form(closed)), headers=FORM).context.user_id == "U0ALICE"
