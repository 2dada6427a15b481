"""`incident-bot check`: the effective configuration, then one line per probe, and the exit code."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from bot.check import run_check
from bot.config import Settings, load_settings
from bot.errors import BotError, CoralogixAuthError
from bot.probes import channels_probe, slack_probe
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, SlackWorkspace, start_slack_sandbox

BOT_TOKEN = "xoxb-9999999999-8888888888-checkBotTokenUNIQUE4242"
SIGNING_SECRET = "checkSigningSecretUNIQUE0987654321fedcba"
API_KEY = "cxtp_checkApiKeyUNIQUEmnbvcxz1234567"

ENV = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "CORALOGIX_API_KEY": API_KEY}


def settings(**env: str) -> Settings:
    return load_settings(env={**ENV, "BOT_DEFAULT_CHANNEL": "C0DEFAULT", **env})


def ok() -> None:
    return None


def raising(error: Exception) -> Callable[[], None]:
    def probe() -> None:
        raise error

    return probe


def check(
    config: Settings, coralogix: Callable[[], object], slack: Callable[[], object] | None
) -> tuple[int, str]:
    out = io.StringIO()
    code = run_check(config, coralogix_probe=coralogix, slack_probe=slack, out=out)
    return code, out.getvalue()


def test_all_well_prints_the_configuration_and_ok_lines() -> None:
    code, output = check(settings(), ok, ok)
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "Effective configuration:"
    assert any(line.split() == ["CORALOGIX_REGION", "EU1"] for line in lines)
    assert any(line.split() == ["BOT_DEFAULT_CHANNEL", "C0DEFAULT"] for line in lines)
    assert "Slack: OK" in lines
    assert "Coralogix: OK (ng-api-grpc.coralogix.com:443)" in lines
    assert lines[-1] == "All checks passed."
    for secret in (BOT_TOKEN, SIGNING_SECRET, API_KEY):
        assert secret not in output


def test_a_probe_may_return_a_detail_to_show() -> None:
    code, output = check(
        settings(), lambda: "127.0.0.1:1, 3 incidents visible", lambda: "team T0, bot user U0BOT"
    )
    assert code == 0
    assert "Slack: OK (team T0, bot user U0BOT)" in output.splitlines()
    assert "Coralogix: OK (127.0.0.1:1, 3 incidents visible)" in output.splitlines()


def test_the_coralogix_target_follows_the_endpoint_settings() -> None:
    local = settings(CORALOGIX_GRPC_ENDPOINT="127.0.0.1:50051", CORALOGIX_GRPC_INSECURE="true")
    assert "Coralogix: OK (127.0.0.1:50051, plaintext)" in check(local, ok, ok)[1].splitlines()
    us1 = settings(CORALOGIX_REGION="us1")
    assert "Coralogix: OK (ng-api-grpc.coralogix.us:443)" in check(us1, ok, ok)[1].splitlines()


def test_a_bot_error_is_printed_as_its_sentence() -> None:
    code, output = check(settings(), ok, raising(BotError("invalid_auth: the bot token was rejected")))
    assert code == 1
    lines = output.splitlines()
    assert "Slack: invalid_auth: the bot token was rejected" in lines
    assert "Coralogix: OK (ng-api-grpc.coralogix.com:443)" in lines
    assert lines[-1] == "1 problem found."


def test_a_sentence_that_names_its_service_is_not_prefixed_twice() -> None:
    failing = raising(CoralogixAuthError("Coralogix rejected the API key", rpc="ListIncidents"))
    code, output = check(settings(), failing, ok)
    assert code == 1
    assert "Coralogix rejected the API key" in output.splitlines()


def test_any_other_exception_is_one_line_with_its_class_and_no_traceback() -> None:
    code, output = check(settings(), raising(RuntimeError("connection reset")), raising(OSError("no route")))
    assert code == 1
    lines = output.splitlines()
    assert "Coralogix: RuntimeError: connection reset" in lines
    assert "Slack: OSError: no route" in lines
    assert lines[-1] == "2 problems found."
    assert "Traceback" not in output


def test_slack_may_be_skipped() -> None:
    code, output = check(settings(), ok, None)
    assert code == 0
    assert "Slack: skipped" in output.splitlines()


def test_each_probe_runs_once() -> None:
    calls: list[str] = []
    check(settings(), lambda: calls.append("coralogix"), lambda: calls.append("slack"))
    assert sorted(calls) == ["coralogix", "slack"]


def test_nothing_would_be_posted_is_a_warning_not_a_problem(tmp_path: Path) -> None:
    bare = load_settings(env=ENV)
    code, output = check(bare, ok, ok)
    assert code == 0
    assert "Warning: no routes and no BOT_DEFAULT_CHANNEL: no incident will be posted" in output.splitlines()
    routed_file = tmp_path / "bot.yaml"
    routed_file.write_text("routes:\n  - {name: all, channels: [C0ALL]}\n", encoding="utf-8")
    routed = load_settings(routed_file, env=ENV)
    assert "no incident will be posted" not in check(routed, ok, ok)[1]
    assert "no incident will be posted" not in check(settings(), ok, ok)[1]


def test_check_prints_the_authority_model_and_warns_when_email_mapping_is_off(tmp_path: Path) -> None:
    bare = load_settings(env=ENV)
    output = check(bare, ok, ok)[1]
    assert "Warning: e-mail mapping is off" in output
    assert "e-mail mapping is OFF" in output
    config = tmp_path / "bot.yaml"
    config.write_text(
        "routes:\n  - {name: pay, channels: [C0PAY], responders: [U0ALICE, S0ONCALL]}\n"
        "identity: {email_domains: [example.com]}\n"
        "permissions: {close: [S0LEADS]}\n",
        encoding="utf-8",
    )
    output = check(load_settings(config, env=ENV), ok, ok)[1]
    assert "Warning: e-mail mapping is off" not in output
    assert "by Slack profile e-mail on example.com (never guests" in output
    assert "may close" in output and "S0LEADS" in output
    assert "responders of pay" in output and "U0ALICE, S0ONCALL" in output


def test_a_short_secret_is_called_suspicious() -> None:
    code, output = check(settings(CORALOGIX_API_KEY="x"), ok, ok)
    assert code == 0  # a warning, not a problem: the probes decide whether the key works
    assert (
        "Warning: CORALOGIX_API_KEY is only 1 character long: that looks like a placeholder, not a real "
        "secret (and the log masks no value shorter than 8, so it is not masked)"
    ) in output
    assert "SLACK_BOT_TOKEN is only" not in check(settings(), ok, ok)[1]


# --------------------------------------------------------------------- channel membership (Slack stand-in)

ROUTES = (
    "routes:\n  - {name: pay, channels: [C0PAYMENTS, C0OUTSIDE]}\n  - {name: gone, channels: [C0MISSING]}\n"
)


def check_against_slack(
    workspace: SlackWorkspace, config: Path, token: str = SANDBOX_BOT_TOKEN
) -> tuple[int, str]:
    """`run_check` with the real Slack probes against the stand-in serving `workspace`."""
    with start_slack_sandbox(workspace) as running:
        env = {
            **ENV,
            "SLACK_BOT_TOKEN": token,
            "SLACK_API_URL": running.api_url,
            "BOT_DEFAULT_CHANNEL": "C0INCIDENTS",
        }
        loaded = load_settings(config, env=env)
        out = io.StringIO()
        code = run_check(
            loaded,
            coralogix_probe=ok,
            slack_probe=slack_probe(loaded),
            channels_probe=channels_probe(loaded),
            out=out,
        )
    return code, out.getvalue()


def test_check_names_each_routed_channel_the_bot_is_not_in_or_cannot_see(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(ROUTES, encoding="utf-8")
    workspace = SlackWorkspace.with_defaults()
    workspace.add_channel("C0OUTSIDE", "outside", bot_is_member=False)
    code, output = check_against_slack(workspace, config)
    lines = output.splitlines()
    assert code == 1
    assert "Slack channels: OK (the bot is in #payments, #incidents)" in lines
    assert (
        "Slack channel C0OUTSIDE (route pay): the bot is not in #outside; "
        "type /invite @incident-bot in #outside"
    ) in lines
    assert (
        "Slack channel C0MISSING (route gone): the bot cannot see it (channel_not_found): the ID is wrong, "
        "or the channel is private and the bot is not in it; check the ID, or type /invite @incident-bot in "
        "the channel"
    ) in lines
    assert lines[-1] == "2 problems found."
    asked = [call.params.get("channel") for call in workspace.calls_to("conversations.info")]
    assert asked == ["C0PAYMENTS", "C0OUTSIDE", "C0MISSING", "C0INCIDENTS"]


def test_once_the_bot_is_invited_the_channel_passes(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("routes:\n  - {name: pay, channels: [C0OUTSIDE]}\n", encoding="utf-8")
    workspace = SlackWorkspace.with_defaults()
    workspace.add_channel("C0OUTSIDE", "outside", bot_is_member=False)
    assert check_against_slack(workspace, config)[0] == 1
    workspace.join("C0OUTSIDE")
    code, output = check_against_slack(workspace, config)
    assert code == 0, output
    assert "Slack channels: OK (the bot is in #outside, #incidents)" in output.splitlines()


def test_channels_are_skipped_when_the_bot_token_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(ROUTES, encoding="utf-8")
    workspace = SlackWorkspace.with_defaults()
    code, output = check_against_slack(workspace, config, token="xoxb-not-the-sandbox-token")
    assert code == 1
    assert "Slack channels: skipped (the bot token did not work)" in output.splitlines()
    assert workspace.calls_to("conversations.info") == []
