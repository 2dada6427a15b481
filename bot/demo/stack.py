"""Everything the demo runs, started in order and stopped in reverse: sandboxes, bot, feed and page."""

from __future__ import annotations

import contextlib
import socket
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from bot.demo.client import SimulatedSlackClient
from bot.demo.coralogix_side import DEFAULT_PAUSE_SECONDS, IncidentFeed
from bot.demo.forwarder import Forwarder, SignedForwarder
from bot.demo.page_server import DemoPageServer
from bot.demo.settings import (
    DEMO_CONNECTED_KEYS,
    DEMO_SIGNING_SECRET,
    DEMO_SPARE_KEY,
    DEMO_TEAM_URL,
    DEMO_WEBHOOK_SECRET,
    demo_settings,
)
from bot.demo.socket_forwarder import SocketForwarder
from bot.demo.webhook import send_webhook
from bot.runtime import BotRuntime, build_runtime
from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import (
    SANDBOX_APP_TOKEN,
    RunningSlackSandbox,
    SlackWorkspace,
    SocketModeServer,
    start_slack_sandbox,
    start_socket_mode_sandbox,
)
from bot.web import SLACK_EVENTS_PATH

DEFAULT_PORT = 8080
STARTING_INCIDENTS = 8


@dataclass
class DemoStack:
    """The running demo; `stop()` ends every part and deletes the temporary database."""

    coralogix: RunningCoralogixSandbox
    slack: RunningSlackSandbox
    runtime: BotRuntime
    client: SimulatedSlackClient
    feed: IncidentFeed
    page: DemoPageServer
    workdir: tempfile.TemporaryDirectory[str]
    socket_mode: SocketModeServer | None = None

    @property
    def url(self) -> str:
        return self.page.url

    @property
    def bot_url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.http.port}"

    def stop(self) -> None:
        self.feed.stop()
        self.page.stop()
        self.runtime.stop()
        if self.socket_mode is not None:
            self.socket_mode.stop()
        self.slack.stop()
        self.coralogix.stop()
        self.workdir.cleanup()


def _free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the bot's settings need a number, not 0)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _claimable(host: str, port: int) -> None:
    """Fail at once, before anything starts, when the page's port is taken (OSError)."""
    if port == 0:
        return
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


def start_demo(
    *,
    port: int = DEFAULT_PORT,
    seed: int = 0,
    host: str = "127.0.0.1",
    incidents: int = STARTING_INCIDENTS,
    pause_seconds: tuple[float, float] = DEFAULT_PAUSE_SECONDS,
    poll_interval_seconds: int = 2,
    live_changes: bool = True,
    socket_mode: bool = False,
) -> DemoStack:
    """Start the demo; `port=0` serves the page on any free port. OSError when `port` is taken.

    `live_changes=False` leaves the Coralogix side still unless someone creates an incident (for tests).
    `socket_mode=True`: the bot connects to the Socket Mode stand-in and the page's actions arrive as
    envelopes over that WebSocket instead of signed HTTP requests.
    """
    _claimable(host, port)
    with contextlib.ExitStack() as undo:
        workdir = tempfile.TemporaryDirectory(prefix="incident-bot-demo-")
        undo.callback(workdir.cleanup)
        sim = SimulatedCoralogix(seed=seed)
        sim.generate(incidents, lifecycle=True)
        sim.add_api_key(DEMO_SPARE_KEY[2], DEMO_SPARE_KEY[1])
        coralogix = start_coralogix_sandbox(sim)
        undo.callback(coralogix.stop)
        slack = start_slack_sandbox(SlackWorkspace.with_defaults())
        undo.callback(slack.stop)
        sockets = start_socket_mode_sandbox(slack.workspace) if socket_mode else None
        if sockets is not None:
            undo.callback(sockets.stop)
        settings = demo_settings(
            Path(workdir.name),
            coralogix_address=coralogix.address,
            slack_api_url=slack.api_url,
            bot_port=_free_port(),
            poll_interval_seconds=poll_interval_seconds,
            app_token=SANDBOX_APP_TOKEN if socket_mode else None,
        )
        runtime = build_runtime(settings)
        runtime.start()
        undo.callback(runtime.stop)
        assert runtime.interactivity is not None
        for slack_id, coralogix_user, key in DEMO_CONNECTED_KEYS:  # as if they ran /cx connect
            runtime.interactivity.keys.connect(slack_id, coralogix_user, key)
        forwarder: Forwarder = (
            SocketForwarder(sockets)
            if sockets is not None
            else SignedForwarder(
                f"http://127.0.0.1:{runtime.http.port}{SLACK_EVENTS_PATH}", DEMO_SIGNING_SECRET
            )
        )
        client = SimulatedSlackClient(
            slack.workspace,
            forwarder,
            slash_command=settings.bot_slash_command,
            unfurl_domains=[urlsplit(DEMO_TEAM_URL).hostname or ""],
        )
        feed = IncidentFeed(sim, seed=seed, pause_seconds=pause_seconds)
        page = DemoPageServer(client, feed, host=host, port=port)
        if runtime.reports is not None:
            page.serve_reports(runtime.reports.post_now)
        page.serve_webhook(partial(send_webhook, runtime.http.port, DEMO_WEBHOOK_SECRET))
        page.start()
        undo.callback(page.stop)
        if live_changes:
            feed.start()
        undo.pop_all()
        return DemoStack(
            coralogix=coralogix,
            slack=slack,
            runtime=runtime,
            client=client,
            feed=feed,
            page=page,
            workdir=workdir,
            socket_mode=sockets,
        )
    raise AssertionError("unreachable")  # pragma: no cover - the with block returns or raises
