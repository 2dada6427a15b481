"""The `incident-bot` command line as a user runs it: real processes, real sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox, SlackWorkspace, start_slack_sandbox


def _clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CORALOGIX_", "BOT_"))}
    env.update(values)
    return env


def _cli(*args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def coralogix() -> Iterator[RunningCoralogixSandbox]:
    running = start_coralogix_sandbox(SimulatedCoralogix(seed=1))
    running.sim.generate(5)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def slack() -> Iterator[RunningSlackSandbox]:
    running = start_slack_sandbox(SlackWorkspace.with_defaults())
    yield running
    running.stop()


def _sandbox_env(coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, key: str) -> dict[str, str]:
    return _clean_env(
        SLACK_BOT_TOKEN=SANDBOX_BOT_TOKEN,
        SLACK_SIGNING_SECRET="cli-test-signing-secret",
        SLACK_API_URL=slack.api_url,
        CORALOGIX_API_KEY=key,
        CORALOGIX_GRPC_ENDPOINT=coralogix.address,
        CORALOGIX_GRPC_INSECURE="true",
    )


def test_help_lists_the_commands() -> None:
    result = _cli("--help", env=_clean_env())
    assert result.returncode == 0
    for command in ("run", "check", "sandbox"):
        assert command in result.stdout


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("incident-bot")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0
    assert "incident-bot" in result.stdout


def test_sandbox_coralogix_prints_where_it_listens() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "coralogix", "--port", "0", "--seed", "4"],
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on 127.0.0.1:" in line
        port = int(line.split("127.0.0.1:")[1].split()[0])
        assert port > 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_check_passes_with_a_good_key(coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox) -> None:
    result = _cli("check", env=_sandbox_env(coralogix, slack, "cx-team-key"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cx-team-key" not in result.stdout  # secrets are masked
    assert "Traceback" not in result.stderr


def test_check_fails_in_one_line_with_a_wrong_key(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox
) -> None:
    result = _cli("check", env=_sandbox_env(coralogix, slack, "not-a-real-key-123"))
    assert result.returncode == 1
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "rejected" in line]
    assert len(problems) == 1
    assert "API key" in problems[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variables", "file_text", "needle"),
    [
        ({"CORALOGIX_REGION": "XX"}, None, "CORALOGIX_REGION"),
        ({"CORALOGIX_API_KEY": ""}, None, "CORALOGIX_API_KEY"),
        ({}, "routes: [\n  - name: x\n   bad", "BOT_CONFIG"),
        ({}, "routes:\n  - name: x\n    match: {severity: fatal}\n    channels: [C0X]\n", "fatal"),
    ],
    ids=["bad-region", "no-api-key", "yaml-does-not-parse", "unknown-severity"],
)
def test_bad_settings_give_one_clear_line(
    tmp_path: Path, variables: dict[str, str], file_text: str | None, needle: str
) -> None:
    env = _clean_env(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET="secret",
        CORALOGIX_API_KEY="cx-team-key",
    )
    env.update(variables)
    if not env["CORALOGIX_API_KEY"]:
        del env["CORALOGIX_API_KEY"]
    if file_text is not None:
        path = tmp_path / "bot.yaml"
        path.write_text(file_text)
        env["BOT_CONFIG"] = str(path)
    for command in ("check", "run"):
        result = _cli(command, env=env)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr + result.stdout
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert needle in lines[0]
