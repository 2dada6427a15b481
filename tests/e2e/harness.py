"""Runs the real `incident-bot run` process against the two sandboxes, over real sockets."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import yaml

from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox

SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef"
T = TypeVar("T")


_PORTS = range(20000, 32000)
"""Where `free_port` looks: below the kernel's ephemeral range (32768 up here), from which `bind(0)` and
outgoing connections take their ports, so only processes that take ports the same way compete for them."""
_PORT_LOCKS = Path(tempfile.gettempdir()) / "incident-bot-test-ports"
_HELD_PORTS = 200
_held: dict[int, int] = {}  # port -> the descriptor of its lock file, oldest first


def free_port() -> int:
    """A port free on 127.0.0.1 now, kept for the process a test starts to listen on it soon after.

    A port is taken under a lock file of its own that this process holds (its last 200 ports; the
    kernel frees the locks when it exits), so test processes running at once (pytest-xdist's workers,
    or several test sessions on one machine) never hand out the same port, as two `bind(0)`s released
    at once could.
    """
    _PORT_LOCKS.mkdir(exist_ok=True)
    start = random.randrange(len(_PORTS))
    for step in range(len(_PORTS)):
        port = _PORTS[(start + step) % len(_PORTS)]
        if port in _held:
            continue
        fd = os.open(_PORT_LOCKS / str(port), os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port))
        except OSError:
            os.close(fd)  # another process holds it, or something listens there
            continue
        _held[port] = fd
        if len(_held) > _HELD_PORTS:
            os.close(_held.pop(next(iter(_held))))
        return port
    raise OSError(f"no free port in {_PORTS.start}..{_PORTS.stop - 1}")


def wait_for(predicate: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05) -> T:
    """Polls `predicate` until it returns something truthy (and so not None), which it returns; fails the
    test with `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class BotProcess:
    process: subprocess.Popen[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


class _Listening(Protocol):
    @property
    def address(self) -> str: ...


def polls_done(bot: BotProcess) -> int:
    """How many polls the bot has finished (the count of its poll-duration histogram): a clock in polls."""
    from tests.scrape import Scrape

    status, text = bot.get("/metrics")
    assert status == 200, text
    return int(Scrape.parse(text).total("incidentbot_poll_seconds_count"))


def wait_for_polls(bot: BotProcess, count: int, what: str, timeout: float = 60.0) -> None:
    """Waits until `count` more polls have finished (at least `count` - 1 of them started after the call)."""
    start = polls_done(bot)
    wait_for(lambda: polls_done(bot) >= start + count, timeout, what, interval=0.1)


def bot_env(
    coralogix: _Listening,
    slack: RunningSlackSandbox,
    database_url: str,
    *,
    config_path: Path | None,
    port: int,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CORALOGIX_", "BOT_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "CORALOGIX_API_KEY": "cx-team-key",
            "CORALOGIX_GRPC_ENDPOINT": coralogix.address,
            "CORALOGIX_GRPC_INSECURE": "true",
            "CORALOGIX_TEAM_URL": "https://acme.app.coralogix.com",
            "BOT_DATABASE_URL": database_url,
            "BOT_POLL_INTERVAL_SECONDS": "1",
            "BOT_HTTP_HOST": "127.0.0.1",
            "BOT_HTTP_PORT": str(port),
            "BOT_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if config_path is not None:
        env["BOT_CONFIG"] = str(config_path)
    env.update(extra or {})
    return env


def write_config(path: Path, content: Mapping[str, object]) -> Path:
    path.write_text(yaml.safe_dump(dict(content)))
    return path


@contextmanager
def running_bot(env: Mapping[str, str], log_path: Path, *, wait_ready: bool = True) -> Iterator[BotProcess]:
    log_file = log_path.open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=dict(env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
    )
    bot = BotProcess(process, int(env["BOT_HTTP_PORT"]), log_path, dict(env))
    try:
        if wait_ready:

            def healthy() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"the bot exited early ({process.returncode}):\n{bot.log()}")
                try:
                    return bot.get("/healthz")[0] == 200
                except OSError:
                    return False

            wait_for(healthy, 60, "the bot's /healthz")  # a loaded machine starts a process slowly
        yield bot
    finally:
        bot.stop()
        log_file.close()


PERSONAL_KEYS = {"U0ALICE": ("alice@example.com", "cx-alice-key"), "U0BOB": ("bob@example.com", "cx-bob-key")}
"""Keys of the simulated account's people; on Incidents, acknowledging and assigning need one."""


def seed_personal_keys(database_url: str, encryption_key: str, keys: Mapping[str, tuple[str, str]]) -> None:
    """Store personal keys as `/cx connect` would (encrypted), before the bot starts."""
    from cryptography.fernet import Fernet

    from bot.store import Store

    store = Store.from_url(database_url)
    try:
        store.create_schema()
        for slack_id, (user, key) in keys.items():
            store.save_personal_key(slack_id, Fernet(encryption_key).encrypt(key.encode()), user)
    finally:
        store.close()
