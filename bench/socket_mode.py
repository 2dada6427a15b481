"""Socket Mode clients on an abrupt drop: how long after Slack is back each one reconnects, the CPU it burns
while the socket is dead, and its ack latency for envelopes over the socket.

The Socket Mode stand-in (bot/sandbox/slack) runs in this process; each client runs in a process of its own
with a listener that acknowledges every envelope, and is watched in /proc. For each drop the stand-in is
killed (every TCP connection cut, nothing listening) for `--down` seconds plus a random part of up to
`--jitter` seconds (so the restart falls anywhere in a client's retry schedule, not always on the same
beat) and restarted on the same port; the reconnect time is from the restart until the client's new
connection is open. Clients:

    incident-bot      the real `incident-bot run` (its client, Bolt and the listeners; acks are `/cx help`)
    bot               the bot's client alone (bot/slack/socket_mode.py: websocket-client, backoff, pings)
    websocket_client  slack_sdk.socket_mode.websocket_client as shipped (Bolt's .websocket_client adapter)
    builtin           slack_sdk.socket_mode.builtin as shipped (Bolt's default adapter)
    websockets        slack_sdk.socket_mode.websockets as shipped (asyncio; needs aiohttp for its WebClient)
    aiohttp           slack_sdk.socket_mode.aiohttp as shipped (asyncio; needs aiohttp)

    .venv/bin/pip install -e '.[bench]'   # aiohttp, for the two asyncio clients
    .venv/bin/python bench/socket_mode.py [--clients incident-bot,websocket_client,builtin] [--drops 10]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox  # noqa: E402
from bot.sandbox.slack import (  # noqa: E402
    SANDBOX_APP_TOKEN,
    NoSocketConnectionError,
    RunningSlackSandbox,
    SlackWorkspace,
    SocketModeServer,
    start_slack_sandbox,
    start_socket_mode_sandbox,
)
from tests.e2e.harness import bot_env, free_port, running_bot  # noqa: E402
from tests.e2e.slack_requests import slash_command  # noqa: E402

CLIENTS = ("incident-bot", "bot", "websocket_client", "builtin", "websockets", "aiohttp")
NEEDS_AIOHTTP = frozenset({"websockets", "aiohttp"})
RECONNECT_GIVE_UP = 120.0
DEFAULT_PING = 10.0
"""Bolt's default ping interval, used for the shipped clients."""


@dataclass
class Figures:
    client: str
    reconnects: list[float] = field(default_factory=list)
    cpu_dead: list[float] = field(default_factory=list)
    down: list[float] = field(default_factory=list)
    gave_up: int = 0
    web_api_opens: int = 0
    ack_p50: float | None = None
    ack_p99: float | None = None
    acked: int = 0
    sent: int = 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def measure(kind: str, *, drops: int, down: float, jitter: float, envelopes: int, ping: float) -> Figures:
    figures = Figures(kind)
    pauses = random.Random(7)  # the same outages for every client
    workspace = SlackWorkspace.with_defaults()
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(start_slack_sandbox(workspace))
        server = start_socket_mode_sandbox(workspace, ping_interval=5.0)
        stack.callback(server.stop)
        pid = stack.enter_context(_client_process(kind, slack, ping))
        if not wait_until(lambda: server.open_connections() == 1, 30):
            raise SystemExit(f"{kind}: never connected")
        for _ in range(drops):
            _one_drop(server, pid, down + pauses.uniform(0, jitter), figures)
        figures.web_api_opens = len(workspace.calls_to("apps.connections.open"))
        _ack_latency(server, envelopes, figures)
    return figures


@contextlib.contextmanager
def _client_process(kind: str, slack: RunningSlackSandbox, ping: float) -> Iterator[int]:
    """The client's process (its pid): `incident-bot run` itself, or one client with an ack-all listener."""
    if kind == "incident-bot":
        with contextlib.ExitStack() as stack:
            coralogix = stack.enter_context(start_coralogix_sandbox(SimulatedCoralogix(seed=3)))
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="socket-bench-")))
            env = bot_env(
                coralogix,
                slack,
                f"sqlite:///{workdir / 'bot.db'}",
                config_path=None,
                port=free_port(),
                extra={"SLACK_APP_TOKEN": SANDBOX_APP_TOKEN, "BOT_POLL_INTERVAL_SECONDS": "30"},
            )
            bot = stack.enter_context(running_bot(env, workdir / "bot.log"))
            yield bot.process.pid
        return
    command = [
        sys.executable,
        __file__,
        "--serve-client",
        kind,
        "--api-url",
        slack.api_url,
        "--ping",
        str(ping),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def _one_drop(server: SocketModeServer, pid: int, down: float, figures: Figures) -> None:
    opened = server.connections_opened
    cpu_before = cpu_seconds(pid)
    killed = time.monotonic()
    server.kill()
    time.sleep(down)
    figures.cpu_dead.append(cpu_seconds(pid) - cpu_before)
    figures.down.append(time.monotonic() - killed)
    server.restart()
    back = time.monotonic()
    if wait_until(
        lambda: server.connections_opened > opened and server.open_connections() > 0, RECONNECT_GIVE_UP
    ):
        figures.reconnects.append(time.monotonic() - back)
        time.sleep(1.0)  # settled: a hello sent, the client's state is up
    else:
        figures.gave_up += 1


def _ack_latency(server: SocketModeServer, count: int, figures: Figures) -> None:
    sent = []
    for _ in range(count):
        try:
            body, _, _ = slash_command(server.workspace, "help", user="U0BOB")
            sent.append(server.slash_command(dict(parse_qsl(body.decode()))))
        except NoSocketConnectionError:  # a client that is not connected acks nothing
            break
    wait_until(lambda: all(e.acked for e in sent), 10)
    latencies = sorted(e.ack_seconds for e in sent if e.ack_seconds is not None)
    figures.sent, figures.acked = len(sent), len(latencies)
    if latencies:
        figures.ack_p50 = statistics.median(latencies)
        figures.ack_p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]


def report(figures: Figures) -> str:
    def secs(values: list[float]) -> str:
        if not values:
            return "-"
        return f"p50 {statistics.median(values):6.2f} s  max {max(values):6.2f} s"

    cpu = sum(figures.cpu_dead) / sum(figures.down) if figures.down else 0.0
    acks = f"acks {figures.acked}/{figures.sent}"
    if figures.ack_p50 is not None and figures.ack_p99 is not None:
        acks = f"ack p50 {figures.ack_p50 * 1000:.1f} ms, p99 {figures.ack_p99 * 1000:.1f} ms ({acks})"
    gave_up = f", {figures.gave_up} never back within {RECONNECT_GIVE_UP:.0f} s" if figures.gave_up else ""
    return (
        f"{figures.client:<17} reconnect after restart: {secs(figures.reconnects)} "
        f"({len(figures.reconnects)} drops{gave_up}); CPU while dead: "
        f"{sum(figures.cpu_dead):.2f} s in {sum(figures.down):.0f} s ({cpu:.0%} of a core); "
        f"apps.connections.open calls: {figures.web_api_opens}; {acks}"
    )


# ------------------------------------------------------------------------------- the client process


def serve_client(kind: str, api_url: str, ping: float) -> None:
    """Runs one client with an ack-everything listener until killed."""
    import asyncio
    import threading

    from slack_sdk import WebClient
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse

    def ack(client: object, req: SocketModeRequest) -> None:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))  # type: ignore[attr-defined]

    web = WebClient(base_url=api_url, timeout=10)
    if kind == "bot":
        from bot.slack.socket_mode import ResilientSocketModeClient

        class Quiet:
            def connected(self) -> None:
                return None

            def disconnected(self, reason: str) -> None:
                return None

        ours = ResilientSocketModeClient(SANDBOX_APP_TOKEN, web, Quiet())
        ours.socket_mode_request_listeners.append(ack)
        ours.start()
    elif kind == "builtin":
        from slack_sdk.socket_mode.builtin import SocketModeClient as Builtin

        builtin = Builtin(app_token=SANDBOX_APP_TOKEN, web_client=web, ping_interval=ping)
        builtin.socket_mode_request_listeners.append(ack)
        builtin.connect()
    elif kind == "websocket_client":
        from slack_sdk.socket_mode.websocket_client import SocketModeClient as Threaded

        threaded = Threaded(app_token=SANDBOX_APP_TOKEN, web_client=web, ping_interval=ping)
        threaded.socket_mode_request_listeners.append(ack)
        threaded.connect()
    else:
        threading.Thread(target=asyncio.run, args=(_serve_async(kind, api_url, ping),), daemon=True).start()
    threading.Event().wait()


async def _serve_async(kind: str, api_url: str, ping: float) -> None:
    import asyncio

    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse
    from slack_sdk.web.async_client import AsyncWebClient

    if kind == "websockets":
        from slack_sdk.socket_mode.websockets import SocketModeClient
    else:
        from slack_sdk.socket_mode.aiohttp import SocketModeClient  # type: ignore[assignment]
    client = SocketModeClient(
        app_token=SANDBOX_APP_TOKEN, web_client=AsyncWebClient(base_url=api_url), ping_interval=ping
    )

    async def ack(client: SocketModeClient, req: SocketModeRequest) -> None:
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    client.socket_mode_request_listeners.append(ack)  # type: ignore[arg-type]
    await client.connect()  # type: ignore[no-untyped-call]
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clients", default=",".join(CLIENTS), help="comma-separated, from: " + " ".join(CLIENTS)
    )
    parser.add_argument("--drops", type=int, default=10, help="abrupt drops per client")
    parser.add_argument("--down", type=float, default=10.0, help="seconds the stand-in stays dead per drop")
    parser.add_argument("--jitter", type=float, default=5.0, help="plus up to this many seconds, at random")
    parser.add_argument("--envelopes", type=int, default=200, help="envelopes for the ack latency")
    parser.add_argument(
        "--ping", type=float, default=DEFAULT_PING, help="ping interval of the shipped clients"
    )
    parser.add_argument("--serve-client", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_client:
        serve_client(args.serve_client, args.api_url, args.ping)
        return
    aiohttp = importlib.util.find_spec("aiohttp") is not None
    print(
        f"{args.drops} drops of {args.down:.0f} s plus up to {args.jitter:.0f} s each; "
        f"shipped clients ping every {args.ping:.0f} s",
        flush=True,
    )
    for kind in args.clients.split(","):
        if kind in NEEDS_AIOHTTP and not aiohttp:
            print(f"{kind:<17} skipped: pip install -e '.[bench]' (aiohttp) to measure it", flush=True)
            continue
        figures = measure(
            kind,
            drops=args.drops,
            down=args.down,
            jitter=args.jitter,
            envelopes=args.envelopes,
            ping=args.ping,
        )
        print(report(figures), flush=True)


if __name__ == "__main__":
    main()
