"""A Slack Web API server for tests and the demo: the real protocol on a real socket, faults on demand."""

from bot.sandbox.slack.envelopes import Envelope
from bot.sandbox.slack.faults import SlackFaults
from bot.sandbox.slack.models import Ephemeral, OpenView, RecordedCall, SlackChannel, SlackMessage, SlackUser
from bot.sandbox.slack.server import RunningSlackSandbox, start_slack_sandbox
from bot.sandbox.slack.socket_mode import NoSocketConnectionError, SocketModeServer, start_socket_mode_sandbox
from bot.sandbox.slack.workspace import (
    DEFAULT_CHANNEL_ID,
    SANDBOX_APP_TOKEN,
    SANDBOX_BOT_TOKEN,
    SlackWorkspace,
)

__all__ = [
    "DEFAULT_CHANNEL_ID",
    "SANDBOX_APP_TOKEN",
    "SANDBOX_BOT_TOKEN",
    "Envelope",
    "Ephemeral",
    "NoSocketConnectionError",
    "OpenView",
    "RecordedCall",
    "RunningSlackSandbox",
    "SlackChannel",
    "SlackFaults",
    "SlackMessage",
    "SlackUser",
    "SlackWorkspace",
    "SocketModeServer",
    "start_slack_sandbox",
    "start_socket_mode_sandbox",
]
