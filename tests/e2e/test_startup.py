"""`incident-bot run` refuses to run on rejected credentials (exit 1, one line), but waits out an outage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.slack import RunningSlackSandbox
from tests.e2e.harness import bot_env, free_port, running_bot, wait_for
from tests.e2e.stand_in import StandIn


def _run_until_exit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _only_json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-revoked-token"}, "Slack rejected SLACK_BOT_TOKEN (invalid_auth)"),
        ({"CORALOGIX_API_KEY": "cx-nobody-has-this-key"}, "Coralogix refused CORALOGIX_API_KEY"),
    ],
    ids=["slack", "coralogix"],
)
def test_rejected_credentials_stop_the_bot_with_one_line(
    coralogix: StandIn,
    slack: RunningSlackSandbox,
    tmp_path: Path,
    change: dict[str, str],
    expected: str,
) -> None:
    env = bot_env(coralogix, slack, f"sqlite:///{tmp_path / 'bot.db'}", config_path=None, port=free_port())
    env.update(change)

    done = _run_until_exit(env)

    assert done.returncode == 1
    records = _only_json_lines(done.stdout + done.stderr)
    errors = [r for r in records if r["level"] == "error"]
    assert len(errors) == 1 and expected in str(errors[0]["message"])
    assert "Traceback" not in done.stdout + done.stderr
    assert slack.workspace.calls_to("chat.postMessage") == []


def test_a_coralogix_outage_at_start_up_is_waited_out(
    coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    coralogix.sim.faults.unavailable_for_seconds(3600)  # down until the bot has said so
    env = bot_env(coralogix, slack, f"sqlite:///{tmp_path / 'bot.db'}", config_path=None, port=free_port())
    env["BOT_DEFAULT_CHANNEL"] = "C0INCIDENTS"
    with running_bot(env, tmp_path / "bot.log") as bot:
        wait_for(lambda: "Coralogix is unreachable at start-up" in bot.log(), 30, "the outage in the log")
        coralogix.sim.faults.clear()
        incident = coralogix.sim.create_incident(severity="error")
        wait_for(
            lambda: any(
                (m.metadata or {}).get("event_payload", {}).get("incident_id") == incident
                for m in slack.workspace.messages("C0INCIDENTS")
            ),
            30,
            "the card once Coralogix is back",
        )
        assert f"Coralogix API: {coralogix.api} (" in bot.log()  # CORALOGIX_API=auto found it once back
