"""Logging set-up: console or JSON lines, with every known secret redacted from every record."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

from pydantic import SecretStr

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
"""Shorter values are not masked: a secret of "x" would blank every x of every line, and is no real
credential anyway (`incident-bot check` says so)."""


class SecretRedactor(logging.Filter):
    """Replaces any occurrence of a secret in a record's final message (and exception text)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if len(secret) >= MIN_SECRET_LENGTH and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(formatted)
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        for key in ("incident_id", "channel", "rpc", "replica"):
            value = record.__dict__.get(key)
            if value is not None:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False)


def secret_values(settings: object) -> list[str]:
    """Every SecretStr value among the settings' fields, for the redactor."""
    values: list[str] = []
    for value in vars(settings).values():
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
    return values


def configure_logging(
    fmt: str, secrets: Iterable[str], *, level: int = logging.INFO, stream: TextIO | None = None
) -> SecretRedactor:
    """Install one handler on the root logger; returns the redactor so later secrets can be added."""
    handler = logging.StreamHandler(stream or sys.stderr)
    redactor = SecretRedactor(secrets)
    handler.addFilter(redactor)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("slack_bolt", "slack_sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances" is how a long poll (Slack pacing) looks: not news
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return redactor


def route_uncaught_exceptions() -> None:
    """Uncaught exceptions (main thread, other threads, ignored ones in `__del__`) go through logging,
    so they keep the configured format and the redactor instead of a raw traceback on stderr."""
    log = logging.getLogger("bot")

    def on_main(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("uncaught exception", exc_info=(exc_type, exc, tb))

    def on_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        log.error(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    def on_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
        exc_info = (
            (unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback)
            if unraisable.exc_value is not None
            else None
        )
        log.warning("exception ignored in %r: %s", unraisable.object, unraisable.err_msg, exc_info=exc_info)

    sys.excepthook = on_main
    threading.excepthook = on_thread
    sys.unraisablehook = on_unraisable
