"""`incident-bot demo --socket-mode`: the page's commands and clicks reach the bot as envelopes."""

from __future__ import annotations

from bot.demo.client import Click
from bot.demo.stack import start_demo
from bot.sandbox.slack import DEFAULT_CHANNEL_ID, SlackMessage
from tests.e2e.harness import wait_for


def test_commands_and_clicks_travel_over_the_socket() -> None:
    stack = start_demo(port=0, seed=4, incidents=3, live_changes=False, socket_mode=True)
    try:
        server = stack.socket_mode
        assert server is not None
        wait_for(lambda: server.open_connections() == 1, 20, "the bot's Socket Mode connection")
        workspace = stack.slack.workspace

        assert stack.client.run_command("U0ALICE", DEFAULT_CHANNEL_ID, "/cx help").ok
        [help_envelope] = server.envelopes
        assert help_envelope.type == "slash_commands" and help_envelope.acked
        assert any("Usage of /cx" in e.text for e in workspace.ephemerals())

        incident = stack.coralogix.sim.create_incident(name="socket demo", severity="error")

        def card() -> SlackMessage | None:
            for message in workspace.messages(DEFAULT_CHANNEL_ID):
                if (message.metadata or {}).get("event_payload", {}).get("incident_id") == incident:
                    return message
            return None

        message = wait_for(card, 20, "the card")
        assert message is not None
        button, block_id = next(
            (element, str(block.get("block_id", "")))
            for block in message.blocks
            if block.get("type") == "actions"
            for element in block.get("elements", [])
            if element.get("action_id") == "incident_resolve"
        )
        click = Click(element=button, block_id=block_id, channel=message.channel, message_ts=message.ts)
        assert stack.client.click("U0ALICE", click).ok
        assert server.envelopes[-1].type == "interactive" and server.envelopes[-1].acked
        wait_for(lambda: stack.coralogix.sim.calls_to("ResolveIncidents"), 10, "the resolve call")
    finally:
        stack.stop()
    assert server.open_connections() == 0
