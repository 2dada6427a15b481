"""`incident-bot check`: print the effective configuration, then try Slack and Coralogix once each.

The probes are injected so that this module needs no client: each is a callable that returns (optionally
a short detail to show after "OK") or raises; a `BotError` already carries the sentence to print. The
channels probe answers a `ChannelReport`: each routed channel the bot cannot post in is one problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from pydantic import SecretStr

from bot.config import Settings, masked_summary
from bot.coralogix.endpoint import resolve_endpoint
from bot.errors import BotError
from bot.logs import MIN_SECRET_LENGTH

Probe = Callable[[], object]


@dataclass(frozen=True)
class ChannelReport:
    """The routed channels the bot is in, and one sentence (with its fix) per channel it cannot post in."""

    fine: tuple[str, ...]
    problems: tuple[str, ...]


ChannelsProbe = Callable[[], ChannelReport]


def run_check(
    settings: Settings,
    *,
    coralogix_probe: Probe,
    slack_probe: Probe | None,
    out: TextIO,
    socket_mode_probe: Probe | None = None,
    channels_probe: ChannelsProbe | None = None,
    queue_probe: Callable[[], dict[str, int]] | None = None,
) -> int:
    """0 when every probe succeeded, 1 otherwise; one line per problem. `socket_mode_probe` (the app-level
    token) is tried only when given, i.e. when SLACK_APP_TOKEN is set; `channels_probe` only when given
    and the bot token works."""
    _print_configuration(settings, out)
    for warning in configuration_warnings(settings):
        out.write(f"Warning: {warning}\n")
    results = [_outcome("Slack", slack_probe, default_detail=None)]
    if channels_probe is not None and slack_probe is not None:
        results.extend(_channel_outcomes(channels_probe) if results[0][0] else [_SKIPPED_CHANNELS])
    if socket_mode_probe is not None:
        results.append(_outcome("Slack Socket Mode", socket_mode_probe, default_detail=None))
    results.append(_outcome("Coralogix", coralogix_probe, default_detail=_coralogix_target(settings)))
    if queue_probe is not None:
        results.append(_queue_outcome(queue_probe))
    failures = 0
    for ok, line in results:
        out.write(line + "\n")
        failures += 0 if ok else 1
    if failures:
        out.write(f"{failures} problem{'s' if failures > 1 else ''} found.\n")
        return 1
    out.write("All checks passed.\n")
    return 0


def configuration_warnings(settings: Settings) -> list[str]:
    """Valid but probably unintended settings; shown, not counted as problems."""
    warnings = []
    if not settings.routing.routes and settings.bot_default_channel is None:
        warnings.append("no routes and no BOT_DEFAULT_CHANNEL: no incident will be posted")
    for name, value in secret_settings(settings):
        if len(value) < MIN_SECRET_LENGTH:
            warnings.append(
                f"{name} is only {len(value)} character{'' if len(value) == 1 else 's'} long: "
                "that looks like a placeholder, not a real "
                f"secret (and the log masks no value shorter than {MIN_SECRET_LENGTH}, so it is not masked)"
            )
    if not settings.routing.identity.email_domains:
        warnings.append(
            "e-mail mapping is off (no identity.email_domains in the settings file): only people under "
            "`users:` can act or read"
        )
    return warnings


def secret_settings(settings: Settings) -> Iterator[tuple[str, str]]:
    """(environment variable, value) of every secret that is set."""
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            yield name.upper(), value.get_secret_value()


def _print_configuration(settings: Settings, out: TextIO) -> None:
    rows = masked_summary(settings)
    width = max(len(name) for name, _ in rows)
    out.write("Effective configuration:\n")
    for name, value in rows:
        out.write(f"  {name:<{width}}  {value}\n")


def _outcome(label: str, probe: Probe | None, *, default_detail: str | None) -> tuple[bool, str]:
    """(succeeded, the line to print) for one probe; a missing probe is skipped, not failed."""
    if probe is None:
        return True, f"{label}: skipped"
    try:
        result = probe()
    except Exception as exc:
        return False, _failure(label, exc)
    detail = result if isinstance(result, str) and result else default_detail
    return True, f"{label}: OK ({detail})" if detail else f"{label}: OK"


_SKIPPED_CHANNELS = (True, "Slack channels: skipped (the bot token did not work)")


def _channel_outcomes(probe: ChannelsProbe) -> list[tuple[bool, str]]:
    """One line for the channels the bot is in, then one failed line per channel it cannot post in."""
    try:
        report = probe()
    except Exception as exc:
        return [(False, _failure("Slack channels", exc))]
    outcomes: list[tuple[bool, str]] = []
    if report.fine:
        outcomes.append((True, f"Slack channels: OK (the bot is in {', '.join(report.fine)})"))
    outcomes.extend((False, problem) for problem in report.problems)
    return outcomes


def _queue_outcome(probe: Callable[[], dict[str, int]]) -> tuple[bool, str]:
    """The send queue's depth per channel: information, never a problem (a database not yet made is empty)."""
    try:
        depth = {channel: count for channel, count in sorted(probe().items()) if count}
    except Exception as exc:
        return True, f"Slack send queue: unknown ({type(exc).__name__})"
    if not depth:
        return True, "Slack send queue: empty"
    return True, "Slack send queue: " + ", ".join(f"{count} waiting for {ch}" for ch, count in depth.items())


def _failure(label: str, exc: Exception) -> str:
    """A `BotError` is its sentence; anything else is one line with its class (never a traceback)."""
    if isinstance(exc, BotError):
        return _labelled(label, str(exc))
    return f"{label}: {type(exc).__name__}: {exc}"


def _labelled(label: str, message: str) -> str:
    """Prefix the service's name unless the sentence already starts with it."""
    return message if message.startswith(label) else f"{label}: {message}"


def _coralogix_target(settings: Settings) -> str:
    target = resolve_endpoint(
        settings.coralogix_region, settings.coralogix_domain, settings.coralogix_grpc_endpoint
    )
    return f"{target}, plaintext" if settings.coralogix_grpc_insecure else target
