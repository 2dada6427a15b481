"""Socket Mode uses the same listeners: requests as the Socket Mode adapter hands them to Bolt (unsigned)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.config import load_settings
from bot.runtime import BotRuntime, build_runtime
from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, SlackWorkspace, start_slack_sandbox
from tests.e2e.harness import free_port, wait_for
from tests.e2e.slack_requests import slash_command


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[BotRuntime, SimulatedCoralogix, SlackWorkspace]]:
    sim = SimulatedCoralogix(seed=2)
    with (
        start_coralogix_sandbox(sim) as coralogix,
        start_slack_sandbox(SlackWorkspace.with_defaults()) as slack,
    ):
        config = tmp_path / "bot.yaml"
        config.write_text("identity: {email_domains: [example.com]}\n", encoding="utf-8")
        settings = load_settings(
            config,
            env={
                "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
                "SLACK_APP_TOKEN": "xapp-1-A0SANDBOX-socket-mode-token",
                "SLACK_API_URL": slack.api_url,
                "CORALOGIX_API_KEY": "cx-team-key",
                "CORALOGIX_GRPC_ENDPOINT": coralogix.address,
                "CORALOGIX_GRPC_INSECURE": "true",
                "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                "BOT_HTTP_HOST": "127.0.0.1",
                "BOT_HTTP_PORT": str(free_port()),
                "BOT_SLASH_COMMAND": "/incident",
            },
        )
        assert settings.socket_mode
        runtime = build_runtime(settings)  # not started: no Socket Mode connection to Slack is made
        runtime.store.create_schema()
        runtime.http.start()  # /healthz and /metrics still listen in Socket Mode
        try:
            yield runtime, sim, slack.workspace
        finally:
            assert runtime.interactivity is not None
            runtime.interactivity.shutdown()
            runtime.http.stop()
            runtime.client.close_channel()
            runtime.store.close()


def test_a_slash_command_over_socket_mode_reaches_the_same_listener(
    world: tuple[BotRuntime, SimulatedCoralogix, SlackWorkspace],
) -> None:
    runtime, sim, workspace = world
    incident = sim.create_incident(name="over the socket")
    body, response_url, _ = slash_command(workspace, f"resolve {incident}", user="U0BOB", command="/incident")
    envelope = SocketModeRequest(
        type="slash_commands", envelope_id="e-1", payload=dict(parse_qsl(body.decode()))
    )

    answer = run_bolt_app(runtime.bolt_app, envelope)

    assert answer.status == 200
    [call] = wait_for(lambda: sim.calls_to("ResolveIncidents"), 5, "the resolve call")
    assert [v.value for v in call.request.incident_ids] == [incident]  # type: ignore[attr-defined]
    replies = wait_for(lambda: workspace.responses(response_url), 5, "the answer")
    assert "over the socket resolved" in json.dumps(replies)
