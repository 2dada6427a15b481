"""bot/logs.py: secrets never reach a log line, and the JSON format is one valid object per line."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from bot.config import load_settings
from bot.logs import REDACTED, JsonFormatter, SecretRedactor, configure_logging, secret_values

SECRET = "xoxb-1111-2222-TopSecretTokenValue"
OTHER_SECRET = "cx-api-key-0f9e8d7c6b5a"


def _logger(stream: io.StringIO, formatter: logging.Formatter, redactor: SecretRedactor) -> logging.Logger:
    """A logger of its own (no propagation), so the test neither sees nor disturbs the root logger."""
    logger = logging.getLogger(f"tests.logs.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    return logger


@pytest.fixture
def console() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    return _logger(stream, formatter, SecretRedactor([SECRET, OTHER_SECRET])), stream


@pytest.fixture
def json_lines() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    return _logger(stream, JsonFormatter(), SecretRedactor([SECRET, OTHER_SECRET])), stream


def _raise_with(text: str) -> None:
    raise RuntimeError(f"Slack said no to {text}")


# ---------------------------------------------------------------------------------------------- redaction


def test_a_secret_in_the_message_is_redacted(console: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = console
    logger.warning(f"calling Slack with {SECRET} now")
    assert SECRET not in stream.getvalue()
    assert f"calling Slack with {REDACTED} now" in stream.getvalue()


def test_a_secret_in_the_arguments_is_redacted(console: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = console
    logger.info("token %s and key %r", SECRET, OTHER_SECRET)
    logger.info("mapping %(key)s", {"key": OTHER_SECRET})
    output = stream.getvalue()
    assert SECRET not in output
    assert OTHER_SECRET not in output
    assert output.count(REDACTED) == 3


def test_a_secret_in_an_exception_is_redacted(console: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = console
    try:
        _raise_with(SECRET)
    except RuntimeError:
        logger.exception("the call failed")
    output = stream.getvalue()
    assert "Traceback" in output
    assert "RuntimeError: Slack said no to " + REDACTED in output
    assert SECRET not in output


def test_the_longest_secret_wins_when_one_contains_another() -> None:
    redactor = SecretRedactor(["abcdefgh", "abcdefghijklmnop"])
    assert redactor.redact("x abcdefghijklmnop y abcdefgh") == f"x {REDACTED} y {REDACTED}"


def test_secrets_added_later_are_redacted_too() -> None:
    redactor = SecretRedactor([])
    assert redactor.redact(f"key {OTHER_SECRET}") == f"key {OTHER_SECRET}"
    redactor.add(OTHER_SECRET)
    assert redactor.redact(f"key {OTHER_SECRET}") == f"key {REDACTED}"


def test_short_values_are_not_treated_as_secrets() -> None:
    """A "secret" under 8 characters would blank out bits of ordinary lines; `check` flags such values."""
    redactor = SecretRedactor(["x", "abc", "1234567"])
    redactor.add("y")
    line = "x marks the spot: abc 1234567 by"
    assert redactor.redact(line) == line
    redactor.add("12345678")
    assert redactor.redact("key 12345678") == f"key {REDACTED}"


# ---------------------------------------------------------------------------------------------- JSON


def _parsed(stream: io.StringIO) -> list[dict[str, object]]:
    lines = stream.getvalue().splitlines()
    assert lines
    return [json.loads(line) for line in lines]


def test_json_is_one_valid_object_per_line_even_for_tracebacks(
    json_lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_lines
    logger.info('first line\nsecond line with a "quote" and ünïcode')
    try:
        _raise_with(OTHER_SECRET)
    except RuntimeError:
        logger.exception("failed for %s", SECRET)
    logger.warning("posted", extra={"incident_id": "inc-1", "channel": "C0PAYMENTS"})
    first, failure, posted = _parsed(stream)
    assert first["message"] == 'first line\nsecond line with a "quote" and ünïcode'
    assert first["level"] == "info"
    assert {"time", "level", "logger", "message"} <= set(first)
    assert failure["message"] == f"failed for {REDACTED}"
    assert isinstance(failure["exception"], str)
    assert "Traceback" in failure["exception"]
    assert REDACTED in failure["exception"]
    assert posted["incident_id"] == "inc-1"
    assert posted["channel"] == "C0PAYMENTS"
    assert SECRET not in stream.getvalue()
    assert OTHER_SECRET not in stream.getvalue()


# ---------------------------------------------------------------------------------------------- set-up


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """configure_logging changes the root logger; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_configure_logging_installs_one_redacting_handler(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    root_logger.addHandler(logging.StreamHandler(io.StringIO()))
    redactor = configure_logging("json", [SECRET], stream=stream)
    assert len(root_logger.handlers) == 1
    logging.getLogger("bot.test").info("token %s", SECRET)
    redactor.add(OTHER_SECRET)
    logging.getLogger("bot.test").info("key %s", OTHER_SECRET)
    messages = [entry["message"] for entry in _parsed(stream)]
    assert messages == [f"token {REDACTED}", f"key {REDACTED}"]


def test_configure_logging_console_format(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging("console", [SECRET], stream=stream)
    logging.getLogger("bot.test").warning("token %s", SECRET)
    line = stream.getvalue().strip()
    assert line.endswith(f"WARNING bot.test: token {REDACTED}")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_every_secret_setting_is_handed_to_the_redactor() -> None:
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-secret-bot-token",
        "SLACK_APP_TOKEN": "xapp-secret-app-token",
        "SLACK_SIGNING_SECRET": "secret-signing-value",
        "CORALOGIX_API_KEY": "secret-coralogix-key",
        "BOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    settings = load_settings(env={**secrets, "BOT_LOG_FORMAT": "json"})
    assert sorted(secret_values(settings)) == sorted(secrets.values())
