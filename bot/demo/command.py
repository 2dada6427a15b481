"""`incident-bot demo`: start everything, say where to look, run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import ipaddress
import socket
from typing import TextIO

from bot.demo.settings import DEMO_API_KEY, DEMO_SIGNING_SECRET
from bot.demo.stack import DemoStack, start_demo
from bot.logs import configure_logging, secret_values
from bot.signals import wait_for_stop_signal


def banner(stack: DemoStack) -> str:
    listens = (
        f"(Socket Mode to {stack.socket_mode.new_url().split('?')[0]}; /healthz, /readyz, /metrics)"
        if stack.socket_mode is not None
        else "(/slack/events, /healthz, /readyz, /metrics)"
    )
    return "\n".join(
        [
            f"Open {stack.url} in a browser: the demo workspace, its incident cards and the Coralogix side.",
            f"  bot:                 {stack.bot_url} {listens}",
            f"  Slack sandbox:       {stack.slack.base_url} (GET /sandbox/state)",
            f"  simulated Coralogix: {stack.coralogix.address} (plaintext gRPC, API key {DEMO_API_KEY})",
            "Ctrl-C stops the demo.",
        ]
    )


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (a name other than localhost counts as not)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_warning(host: str, port: int) -> str | None:
    """What to tell the person who opens the demo page to other machines."""
    if is_loopback(host):
        return None
    where = socket.gethostname() if host in ("", "0.0.0.0", "::") else host
    return (
        f"warning: the demo page listens on {host or '0.0.0.0'}, so other machines can open it "
        f"(http://{where}:{port}/). It has no login: whoever reaches it can act as any demo user. "
        "The bot and the simulated services behind it stay on 127.0.0.1."
    )


def run_demo(
    *, port: int, seed: int, out: TextIO, err: TextIO, host: str = "127.0.0.1", socket_mode: bool = False
) -> int:
    """Returns the exit code: 0 after a clean stop, 1 when the page's port cannot be had."""
    redactor = configure_logging("console", [DEMO_SIGNING_SECRET])
    try:
        stack = start_demo(port=port, seed=seed, host=host, socket_mode=socket_mode)
    except OSError as exc:
        print(f"error: cannot start the demo on port {port}: {exc.strerror or exc}", file=err)
        return 1
    warning = host_warning(host, stack.page.port)
    if warning:
        print(warning, file=err, flush=True)
    for secret in secret_values(stack.runtime.settings):
        redactor.add(secret)
    print(banner(stack), file=out, flush=True)
    try:
        wait_for_stop_signal()
    finally:
        stack.stop()
    print("Demo stopped.", file=out, flush=True)
    return 0
