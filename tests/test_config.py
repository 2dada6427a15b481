"""Settings from the environment and the YAML file: defaults, precedence, and one line per problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.config import (
    Action,
    RouteMatch,
    RoutingConfig,
    Settings,
    load_settings,
    mask_secret,
    masked_summary,
)
from bot.domain import Severity
from bot.errors import SettingsError

BOT_TOKEN = "xoxb-1111111111-2222222222-botTokenUniqueQWERTY9876"
SIGNING_SECRET = "signingSecretUniqueZXCVBNM1234567890abcdef"
APP_TOKEN = "xapp-1-A0123-3333333333-appTokenUniqueASDFGH5555"
API_KEY = "cxtp_apiKeyUniquePOIUYTREWQ0987654321"
DB_PASSWORD = "dbPasswordUniqueLKJHGF"

MINIMAL = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "CORALOGIX_API_KEY": API_KEY,
}

CONTRACT_VARIABLES = {
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "CORALOGIX_API_KEY",
    "CORALOGIX_REGION",
    "CORALOGIX_DOMAIN",
    "CORALOGIX_GRPC_ENDPOINT",
    "CORALOGIX_GRPC_INSECURE",
    "CORALOGIX_API",
    "CORALOGIX_TEAM_URL",
    "BOT_DATABASE_URL",
    "BOT_POLL_INTERVAL_SECONDS",
    "BOT_HTTP_HOST",
    "BOT_HTTP_PORT",
    "BOT_DEFAULT_CHANNEL",
    "BOT_SLASH_COMMAND",
    "BOT_ENCRYPTION_KEY",
    "BOT_LOG_FORMAT",
    "BOT_BACKFILL_MINUTES",
    "BOT_STORM_THRESHOLD",
    "BOT_REQUIRE_PERSONAL_KEY",
    "BOT_RETENTION_DAYS",
    "BOT_WEBHOOK_SECRET",
    "BOT_SNOOZE_SECONDS",  # not in the contract: how long a reminder's Snooze holds (README)
    "BOT_CLOCK_START",
    "BOT_CONFIG",
}


def write(tmp_path: Path, text: str, name: str = "bot.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(config_path: Path | str | None = None, **env: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(config_path, env={**MINIMAL, **env})
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


# --- defaults and names ----------------------------------------------------------------------------------


def test_defaults_follow_the_runtime_contract() -> None:
    settings = load_settings(env=MINIMAL)
    assert settings.slack_bot_token.get_secret_value() == BOT_TOKEN
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == SIGNING_SECRET
    assert settings.coralogix_api_key.get_secret_value() == API_KEY
    assert settings.slack_app_token is None
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.coralogix_region == "EU1"
    assert settings.coralogix_domain is None
    assert settings.coralogix_grpc_endpoint is None
    assert settings.coralogix_grpc_insecure is False
    assert settings.coralogix_team_url is None
    assert settings.bot_database_url == "sqlite:///incident-bot.db"
    assert settings.bot_poll_interval_seconds == 30
    assert settings.bot_http_host == "0.0.0.0"
    assert settings.bot_http_port == 3000
    assert settings.bot_default_channel is None
    assert settings.bot_slash_command == "/cx"
    assert settings.bot_encryption_key is None
    assert settings.bot_log_format == "console"
    assert settings.bot_backfill_minutes == 60
    assert settings.bot_storm_threshold == 10
    assert settings.bot_require_personal_key is False
    assert settings.bot_config is None
    assert settings.routing == RoutingConfig()
    assert settings.socket_mode is False


def test_the_settings_are_exactly_the_contract_variables() -> None:
    names = {name.upper() for name in Settings.model_fields if name != "routing"}
    assert names == CONTRACT_VARIABLES
    assert {name for name, _ in masked_summary(load_settings(env=MINIMAL))} >= CONTRACT_VARIABLES


def test_every_variable_is_read_and_converted() -> None:
    key = Fernet.generate_key().decode()
    env = {
        **MINIMAL,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": "http://127.0.0.1:8080/api",
        "CORALOGIX_REGION": "ap2",
        "CORALOGIX_DOMAIN": "example-coralogix.com",
        "CORALOGIX_GRPC_ENDPOINT": "127.0.0.1:50051",
        "CORALOGIX_GRPC_INSECURE": "true",
        "CORALOGIX_TEAM_URL": "https://myteam.app.coralogix.com/",
        "BOT_DATABASE_URL": "postgresql+psycopg://bot:pw@db/bot",
        "BOT_POLL_INTERVAL_SECONDS": "5",
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": "8081",
        "BOT_DEFAULT_CHANNEL": "C0GENERAL",
        "BOT_SLASH_COMMAND": "/incidents",
        "BOT_ENCRYPTION_KEY": key,
        "BOT_LOG_FORMAT": "JSON",
        "BOT_BACKFILL_MINUTES": "0",
        "BOT_STORM_THRESHOLD": "3",
        "BOT_REQUIRE_PERSONAL_KEY": "yes",
    }
    settings = load_settings(env=env)
    assert settings.socket_mode is True
    assert settings.slack_api_url == "http://127.0.0.1:8080/api/"
    assert settings.coralogix_region == "AP2"
    assert settings.coralogix_domain == "example-coralogix.com"
    assert settings.coralogix_grpc_endpoint == "127.0.0.1:50051"
    assert settings.coralogix_grpc_insecure is True
    assert settings.coralogix_team_url == "https://myteam.app.coralogix.com"
    assert settings.bot_database_url == "postgresql+psycopg://bot:pw@db/bot"
    assert settings.bot_poll_interval_seconds == 5
    assert settings.bot_http_host == "127.0.0.1"
    assert settings.bot_http_port == 8081
    assert settings.bot_default_channel == "C0GENERAL"
    assert settings.bot_slash_command == "/incidents"
    assert settings.bot_encryption_key is not None
    assert settings.bot_encryption_key.get_secret_value() == key
    assert settings.bot_log_format == "json"
    assert settings.bot_backfill_minutes == 0
    assert settings.bot_storm_threshold == 3
    assert settings.bot_require_personal_key is True


def test_environment_names_are_case_insensitive_and_blank_means_unset() -> None:
    env = {
        "slack_bot_token": BOT_TOKEN,
        "Slack_Signing_Secret": SIGNING_SECRET,
        "coralogix_api_key": f"  {API_KEY}\n",
        "CORALOGIX_DOMAIN": "   ",
        "BOT_DEFAULT_CHANNEL": "",
    }
    settings = load_settings(env=env)
    assert settings.coralogix_api_key.get_secret_value() == API_KEY
    assert settings.coralogix_domain is None
    assert settings.bot_default_channel is None


def test_an_explicit_environment_mapping_ignores_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORALOGIX_REGION", "US2")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert load_settings(env=MINIMAL).coralogix_region == "EU1"
    problems = problems_of(SLACK_BOT_TOKEN="")
    assert problems == ["SLACK_BOT_TOKEN: required (the bot token, xoxb-…)"]


def test_without_a_mapping_the_process_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in MINIMAL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CORALOGIX_REGION", "us3")
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    assert load_settings().coralogix_region == "US3"


# --- the file and precedence ------------------------------------------------------------------------------


def test_settings_may_come_from_the_file_in_either_case(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        coralogix_region: us1
        BOT_POLL_INTERVAL_SECONDS: 7
        bot_http_port: 4000
        coralogix_grpc_insecure: true
        coralogix_grpc_endpoint: localhost:50051
        bot_default_channel: C0DEFAULT
        """,
    )
    settings = load_settings(path, env=MINIMAL)
    assert settings.coralogix_region == "US1"
    assert settings.bot_poll_interval_seconds == 7
    assert settings.bot_http_port == 4000
    assert settings.coralogix_grpc_insecure is True
    assert settings.bot_default_channel == "C0DEFAULT"
    assert settings.bot_config == path


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "CORALOGIX_REGION: US1\nbot_log_format: json\nbot_storm_threshold: 4\n")
    settings = load_settings(path, env={**MINIMAL, "coralogix_region": "eu2", "BOT_LOG_FORMAT": "console"})
    assert settings.coralogix_region == "EU2"
    assert settings.bot_log_format == "console"
    assert settings.bot_storm_threshold == 4


def test_the_file_is_found_through_bot_config(tmp_path: Path) -> None:
    path = write(tmp_path, "coralogix_region: AP3\n")
    settings = load_settings(env={**MINIMAL, "BOT_CONFIG": str(path)})
    assert settings.coralogix_region == "AP3"
    assert settings.bot_config == path


def test_an_explicit_path_wins_over_bot_config(tmp_path: Path) -> None:
    chosen = write(tmp_path, "coralogix_region: AP1\n", "chosen.yaml")
    ignored = write(tmp_path, "coralogix_region: AP2\n", "ignored.yaml")
    settings = load_settings(chosen, env={**MINIMAL, "BOT_CONFIG": str(ignored)})
    assert settings.coralogix_region == "AP1"
    assert settings.bot_config == chosen


def test_the_file_holds_routes_users_and_permissions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        routes:
          - name: payments
            match:
              severity: [critical, error]
              application: [shop]
              subsystem: [checkout]
              alert_name: [checkout-5xx]
              labels: {team: payments}
              muted: false
            channels: [C0PAYMENTS]
            mention: ["<!subteam^S0ONCALL>"]
        users:
          - slack: U0ALICE
            coralogix: alice@example.com
        permissions:
          close: [U0LEAD]
        """,
    )
    routing = load_settings(path, env=MINIMAL).routing
    (route,) = routing.routes
    assert route.name == "payments"
    assert route.match == RouteMatch(
        severity=[Severity.CRITICAL, Severity.ERROR],
        application=["shop"],
        subsystem=["checkout"],
        alert_name=["checkout-5xx"],
        labels={"team": "payments"},
        muted=False,
    )
    assert route.channels == ["C0PAYMENTS"]
    assert route.mention == ["<!subteam^S0ONCALL>"]
    assert routing.coralogix_user_for("U0ALICE") == "alice@example.com"
    assert routing.coralogix_user_for("U0BOB") is None
    assert routing.permissions == {Action.CLOSE: ["U0LEAD"]}


def test_a_single_string_is_accepted_where_a_list_is_expected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        routes:
          - name: all-critical
            match:
              severity: Critical
              application: shop
              subsystem: checkout
              alert_name: checkout-5xx
              labels: {tier: 1, paging: true}
            channels: C0ONE
            mention: "<!here>"
        permissions:
          close: U0LEAD
          ack: mapped
        """,
    )
    routing = load_settings(path, env=MINIMAL).routing
    match = routing.routes[0].match
    assert match.severity == [Severity.CRITICAL]
    assert match.application == ["shop"]
    assert match.subsystem == ["checkout"]
    assert match.alert_name == ["checkout-5xx"]
    assert match.labels == {"tier": "1", "paging": "true"}
    assert routing.routes[0].channels == ["C0ONE"]
    assert routing.routes[0].mention == ["<!here>"]
    assert routing.permissions == {Action.CLOSE: ["U0LEAD"], Action.ACK: ["mapped"]}


def test_an_empty_file_gives_an_empty_routing(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing yet\n")
    assert load_settings(path, env=MINIMAL).routing == RoutingConfig()


def test_a_route_without_match_takes_every_incident(tmp_path: Path) -> None:
    path = write(tmp_path, "routes:\n  - name: everything\n    channels: [C0ALL]\n")
    assert load_settings(path, env=MINIMAL).routing.routes[0].match == RouteMatch()


# --- permissions ------------------------------------------------------------------------------------------


def test_permissions_take_users_groups_and_mapped() -> None:
    routing = RoutingConfig.model_validate(
        {"permissions": {"close": ["U0LEAD", "S0LEADS"], "assign": ["mapped", "W0GUEST"]}}
    )
    assert routing.permissions[Action.CLOSE] == ["U0LEAD", "S0LEADS"]
    assert routing.permissions[Action.ASSIGN] == ["mapped", "W0GUEST"]


def test_identity_responders_remind_and_report_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        routes:
          - name: payments
            channels: [C0PAYMENTS]
            responders: [U0ALICE, S0PAYONCALL]
            remind: {after: 10m, every: 30m, times: 3, mention: ["<!subteam^S0ONCALL>"]}
            report: {at: "09:00", tz: Europe/Berlin, days: [mon, tue, wed, thu, fri]}
        identity:
          email_domains: [Example.COM, "@corp.example"]
        """,
    )
    routing = load_settings(path, env=MINIMAL).routing
    route = routing.routes[0]
    assert route.responders == ["U0ALICE", "S0PAYONCALL"]
    assert route.remind is not None and (route.remind.after, route.remind.every) == (600, 1800)
    assert route.report is not None and route.report.days == ["mon", "tue", "wed", "thu", "fri"]
    assert routing.identity.email_domains == ["example.com", "corp.example"]
    assert routing.identity.allows_email("Bob@EXAMPLE.com")
    assert not routing.identity.allows_email("bob@sub.example.com")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("identity: {email_domains: [not a domain]}", "'not a domain' is not an e-mail domain"),
        ("routes: [{name: a, channels: [C0A], responders: []}]", "an empty list lets nobody act"),
        ("routes: [{name: a, channels: [C0A], responders: ['@bob']}]", "not the name"),
        ("routes: [{name: a, channels: [C0A], remind: {after: soon}}]", "'soon' is not a duration"),
        ("routes: [{name: a, channels: [C0A], report: {at: '25:00'}}]", "not a time of day"),
        ("routes: [{name: a, channels: [C0A], report: {at: '09:00', tz: Mars/Base}}]", "not a time zone"),
    ],
)
def test_bad_authority_settings_are_one_line_each(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text + "\n"), env=MINIMAL)
    [line] = caught.value.problems
    assert problem in line


# --- one line per problem ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "CORALOGIX_REGION",
            "XX",
            "CORALOGIX_REGION: 'XX' is not a region; use one of EU1, EU2, US1, US2, US3, AP1, AP2, AP3",
        ),
        ("BOT_POLL_INTERVAL_SECONDS", "0", "BOT_POLL_INTERVAL_SECONDS: must be 1 or more (got '0')"),
        (
            "BOT_POLL_INTERVAL_SECONDS",
            "soon",
            "BOT_POLL_INTERVAL_SECONDS: expected a whole number (got 'soon')",
        ),
        ("BOT_HTTP_PORT", "0", "BOT_HTTP_PORT: must be 1 or more (got '0')"),
        ("BOT_HTTP_PORT", "65536", "BOT_HTTP_PORT: must be 65535 or less (got '65536')"),
        ("BOT_LOG_FORMAT", "xml", "BOT_LOG_FORMAT: expected 'console' or 'json' (got 'xml')"),
        ("BOT_SLASH_COMMAND", "cx", "BOT_SLASH_COMMAND: 'cx' is not a slash command"),
        ("BOT_SLASH_COMMAND", "/c x", "BOT_SLASH_COMMAND: '/c x' is not a slash command"),
        ("BOT_DEFAULT_CHANNEL", "#general", "BOT_DEFAULT_CHANNEL: '#general' is not a Slack channel ID"),
        ("BOT_DEFAULT_CHANNEL", "U0ALICE", "BOT_DEFAULT_CHANNEL: 'U0ALICE' is not a Slack channel ID"),
        ("BOT_ENCRYPTION_KEY", "not-a-fernet-key", "BOT_ENCRYPTION_KEY: not a valid Fernet key"),
        (
            "CORALOGIX_TEAM_URL",
            "myteam.app.coralogix.com",
            "CORALOGIX_TEAM_URL: 'myteam.app.coralogix.com' is not an http(s) URL",
        ),
        (
            "CORALOGIX_TEAM_URL",
            "ftp://x.example",
            "CORALOGIX_TEAM_URL: 'ftp://x.example' is not an http(s) URL",
        ),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL: 'slack.com/api' is not an http(s) URL"),
        ("CORALOGIX_GRPC_INSECURE", "maybe", "CORALOGIX_GRPC_INSECURE: expected true or false (got 'maybe')"),
        ("CORALOGIX_GRPC_ENDPOINT", "no-port-here", "CORALOGIX_GRPC_ENDPOINT: "),
        ("CORALOGIX_DOMAIN", "two words", "CORALOGIX_DOMAIN: "),
        ("BOT_DATABASE_URL", "nonsense", "BOT_DATABASE_URL: not a SQLAlchemy database URL"),
        ("BOT_BACKFILL_MINUTES", "-1", "BOT_BACKFILL_MINUTES: must be 0 or more (got '-1')"),
        ("BOT_STORM_THRESHOLD", "0", "BOT_STORM_THRESHOLD: must be 1 or more (got '0')"),
        ("BOT_REQUIRE_PERSONAL_KEY", "sometimes", "BOT_REQUIRE_PERSONAL_KEY: expected true or false"),
        ("BOT_REQUIRE_PERSONAL_KEY", "true", "BOT_REQUIRE_PERSONAL_KEY: needs BOT_ENCRYPTION_KEY"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind", "SLACK_APP_TOKEN: an app-level token starts with xapp-"),
        ("SLACK_BOT_TOKEN", APP_TOKEN, "SLACK_BOT_TOKEN: this is an app-level token"),
    ],
)
def test_each_invalid_setting_gives_one_line_naming_it(variable: str, value: str, expected: str) -> None:
    problems = problems_of(**{variable: value})
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_insecure_needs_an_explicit_endpoint() -> None:
    problems = problems_of(CORALOGIX_GRPC_INSECURE="true")
    assert problems == [
        "CORALOGIX_GRPC_INSECURE: plaintext is for a local endpoint only; set CORALOGIX_GRPC_ENDPOINT too"
    ]
    settings = load_settings(
        env={**MINIMAL, "CORALOGIX_GRPC_INSECURE": "1", "CORALOGIX_GRPC_ENDPOINT": "localhost:1"}
    )
    assert settings.coralogix_grpc_insecure is True


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ("SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN: required (the bot token, xoxb-…)"),
        ("CORALOGIX_API_KEY", "CORALOGIX_API_KEY: required (the team API key)"),
        ("SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET: required in HTTP mode"),
    ],
)
def test_each_required_setting_is_named_when_missing(missing: str, expected: str) -> None:
    env = {name: value for name, value in MINIMAL.items() if name != missing}
    with pytest.raises(SettingsError) as caught:
        load_settings(env=env)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(expected)


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "CORALOGIX_API_KEY": API_KEY}
    settings = load_settings(env=env)
    assert settings.socket_mode is True
    assert settings.slack_signing_secret is None


def test_several_problems_give_several_lines_in_one_error(tmp_path: Path) -> None:
    path = write(tmp_path, "routes:\n  - name: x\n    channels: [general]\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(
            path, env={"CORALOGIX_REGION": "mars", "BOT_HTTP_PORT": "http", "BOT_LOG_FORMAT": "yaml"}
        )
    named = sorted(line.split(":", 1)[0] for line in caught.value.problems)
    assert named == sorted(
        [
            "BOT_CONFIG",
            "SLACK_BOT_TOKEN",
            "SLACK_SIGNING_SECRET",
            "CORALOGIX_API_KEY",
            "CORALOGIX_REGION",
            "BOT_HTTP_PORT",
            "BOT_LOG_FORMAT",
        ]
    )
    assert "Traceback" not in str(caught.value)


def test_a_problem_with_a_file_setting_says_where_it_was_set(tmp_path: Path) -> None:
    path = write(tmp_path, "coralogix_region: XX\n")
    assert problems_of(path) == [
        "CORALOGIX_REGION: 'XX' is not a region; use one of EU1, EU2, US1, US2, US3, AP1, AP2, AP3"
        f" (set in {path})"
    ]


def test_secret_and_database_values_are_never_echoed_in_problems() -> None:
    bad_key = "notAFernetKeyButVerySecretUNIQUE123"
    bad_url = f"notaurl{DB_PASSWORD}"
    problems = problems_of(
        BOT_ENCRYPTION_KEY=bad_key, BOT_DATABASE_URL=bad_url, SLACK_APP_TOKEN="xoxp-UNIQUEappish"
    )
    assert len(problems) == 3
    text = "\n".join(problems)
    assert bad_key not in text
    assert DB_PASSWORD not in text
    assert "UNIQUEappish" not in text


# --- problems in the file ---------------------------------------------------------------------------------


def test_yaml_that_does_not_parse_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "routes:\n  - name: a\n    channels: [C0A\n  users: x\n")
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"BOT_CONFIG: {path} is not valid YAML (line ")


def test_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert problems_of(missing) == [f"BOT_CONFIG: {missing} does not exist"]


def test_a_file_that_is_not_a_mapping_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "- just\n- a list\n")
    assert problems_of(path) == [
        "BOT_CONFIG: the file must be a mapping of routes, users, identity, permissions and settings"
    ]


def test_unknown_severity_names_it_and_the_allowed_values(tmp_path: Path) -> None:
    path = write(
        tmp_path, "routes:\n  - name: a\n    match: {severity: [critical, fatal]}\n    channels: [C0A]\n"
    )
    assert problems_of(path) == [
        "BOT_CONFIG: routes[0].match.severity: 'fatal' is not a severity; "
        "use one of info, warning, error, critical, low"
    ]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("rotes: []\n", "BOT_CONFIG: unknown key 'rotes'; did you mean 'routes'?"),
        (
            "colour: blue\n",
            "BOT_CONFIG: unknown key 'colour'; use routes, users, identity, permissions or a setting name",
        ),
        (
            "routes:\n  - name: a\n    match: {sevrity: critical}\n    channels: [C0A]\n",
            "BOT_CONFIG: routes[0].match.sevrity: unknown key; did you mean 'severity'?",
        ),
        (
            "routes:\n  - name: a\n    match: {}\n",
            "BOT_CONFIG: routes[0].channels: required",
        ),
        (
            "routes:\n  - name: a\n    channels: [C0A]\n    chanels: [C0B]\n",
            "BOT_CONFIG: routes[0].chanels: unknown key; did you mean 'channels'?",
        ),
        (
            "routes:\n  - name: a\n    channels: []\n",
            "BOT_CONFIG: routes[0].channels: needs at least one channel ID",
        ),
        (
            "routes:\n  - name: a\n    channels: [C0A, '#ops']\n",
            "BOT_CONFIG: routes[0].channels[1]: '#ops' is not a Slack channel ID (like C0123ABCD); "
            "use the channel's ID, not its name",
        ),
        (
            "routes:\n  - name: a\n    match: {application: []}\n    channels: [C0A]\n",
            "BOT_CONFIG: routes[0].match.application: an empty list matches nothing",
        ),
        (
            "routes:\n  - name: a\n    match: {muted: perhaps}\n    channels: [C0A]\n",
            "BOT_CONFIG: routes[0].match.muted: expected true or false (got 'perhaps')",
        ),
        (
            "routes:\n  - {name: a, channels: [C0A]}\n  - {name: a, channels: [C0B]}\n",
            "BOT_CONFIG: routes: route names must be unique; repeated: a",
        ),
        (
            "users:\n  - {slack: alice, coralogix: alice@example.com}\n",
            "BOT_CONFIG: users[0].slack: 'alice' is not a Slack user ID (like U0123ABCD)",
        ),
        (
            "users:\n  - {slack: U0A, coralogix: a@x}\n  - {slack: U0A, coralogix: b@x}\n",
            "BOT_CONFIG: users: each Slack user may be mapped once; repeated: U0A",
        ),
        (
            "permissions:\n  delete: [U0LEAD]\n",
            "BOT_CONFIG: permissions: 'delete' is not an action; "
            "use one of ack, resolve, close, assign, unassign",
        ),
        (
            "permissions:\n  close: [everyone]\n",
            "BOT_CONFIG: permissions.close[0]: 'everyone' is not a Slack user ID (like U0123ABCD), "
            "a user group ID (like S0123ABCD) "
            "or 'mapped'",
        ),
        ("routes: {name: a}\n", "BOT_CONFIG: routes: expected a list"),
        ("BOT_CONFIG: other.yaml\n", "BOT_CONFIG: cannot be set inside the file it names"),
        ("bot_http_port: [1, 2]\n", "BOT_HTTP_PORT: expected a single value, not a list or mapping"),
    ],
)
def test_each_file_problem_gives_one_line_with_its_place(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    problems = problems_of(write(tmp_path, yaml_text))
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_file_problems_and_environment_problems_are_reported_together(tmp_path: Path) -> None:
    path = write(
        tmp_path, "routes:\n  - name: a\n    match: {severity: fatal, colour: red}\n    channels: [C0A]\n"
    )
    problems = problems_of(path, BOT_HTTP_PORT="99999")
    assert len(problems) == 3
    assert problems[-1].startswith("BOT_HTTP_PORT: ")


# --- the masked summary -----------------------------------------------------------------------------------


def test_masked_summary_never_shows_a_secret_in_full(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    path = write(
        tmp_path,
        """
        routes:
          - name: payments
            match: {severity: [critical, error], labels: {team: payments}}
            channels: [C0PAYMENTS, C0ONCALL]
            mention: ["<!subteam^S0ONCALL>"]
          - name: muted
            match: {muted: true}
            channels: [C0MUTED]
        users:
          - {slack: U0ALICE, coralogix: alice@example.com}
        permissions:
          close: [U0LEAD]
        """,
    )
    env = {
        **MINIMAL,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "BOT_ENCRYPTION_KEY": key,
        "BOT_DATABASE_URL": f"postgresql+psycopg://bot:{DB_PASSWORD}@db:5432/bot",
    }
    rows = dict(masked_summary(load_settings(path, env=env)))
    text = "\n".join(f"{name} {value}" for name, value in rows.items())
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, API_KEY, key, DB_PASSWORD):
        assert secret not in text
        assert secret[:-4] not in text
    assert rows["SLACK_BOT_TOKEN"] == f"xoxb-…{BOT_TOKEN[-4:]}"
    assert rows["SLACK_APP_TOKEN"] == f"xapp-…{APP_TOKEN[-4:]}"
    assert rows["CORALOGIX_API_KEY"] == f"…{API_KEY[-4:]}"
    assert rows["BOT_DATABASE_URL"] == "postgresql+psycopg://bot:***@db:5432/bot"
    assert rows["CORALOGIX_REGION"] == "EU1"
    assert rows["BOT_DEFAULT_CHANNEL"] == "(unset)"
    assert rows["BOT_CONFIG"] == str(path)
    assert rows["routes"] == "2"
    assert "C0PAYMENTS, C0ONCALL" in rows["route payments"]
    assert "severity critical|error" in rows["route payments"]
    assert "<!subteam^S0ONCALL>" in rows["route payments"]
    assert "muted only" in rows["route muted"]
    assert rows["who maps"].startswith("1 by the users list; e-mail mapping is OFF")
    assert rows["may close"] == "U0LEAD"
    assert rows["may ack"] == "any mapped user"
    assert rows["responders"].startswith("no route names responders")


def test_short_secrets_are_not_partly_shown() -> None:
    assert mask_secret(None) == "(unset)"
    assert mask_secret(SecretStr("short1234")) == "(set)"
    assert mask_secret(SecretStr("xoxb-short")) == "xoxb-…"
