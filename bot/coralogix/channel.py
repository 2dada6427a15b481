"""The gRPC channel to Coralogix: TLS with the default roots, keepalive, generous message size.

Retries are not configured here: `IncidentsClient` retries reads itself (so that every attempt is
observed), and never retries writes.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import grpc

_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def _user_agent() -> str:
    try:
        return f"coralogix-incident-bot/{version('coralogix-incident-bot')}"
    except PackageNotFoundError:
        return "coralogix-incident-bot"


def channel_options() -> list[tuple[str, int | str]]:
    """Keepalive pings only while calls are in flight (servers punish idle pings); big pages allowed."""
    return [
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.keepalive_permit_without_calls", 0),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
        ("grpc.primary_user_agent", _user_agent()),
    ]


def open_channel(endpoint: str, *, insecure: bool) -> grpc.Channel:
    """A channel to `endpoint`; plaintext only when `insecure` (a local sandbox)."""
    if insecure:
        return grpc.insecure_channel(endpoint, options=channel_options())
    credentials = grpc.ssl_channel_credentials()
    return grpc.secure_channel(endpoint, credentials, options=channel_options())
