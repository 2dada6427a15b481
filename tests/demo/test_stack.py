"""The whole demo: settings, start and stop in-process, and `incident-bot demo` as a process."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

from bot.demo.settings import DEMO_SIGNING_SECRET, demo_settings
from bot.demo.stack import start_demo
from tests.e2e.harness import wait_for


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_demo_settings_wire_the_bot_to_the_sandboxes(tmp_path: Path) -> None:
    settings = demo_settings(
        tmp_path,
        coralogix_address="127.0.0.1:5001",
        slack_api_url="http://127.0.0.1:5002/api/",
        bot_port=5003,
    )
    assert settings.coralogix_grpc_endpoint == "127.0.0.1:5001"
    assert settings.coralogix_grpc_insecure is True
    assert settings.coralogix_api_key.get_secret_value() == "cx-team-key"
    assert settings.slack_api_url == "http://127.0.0.1:5002/api/"
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == DEMO_SIGNING_SECRET
    assert settings.bot_database_url == f"sqlite:///{tmp_path / 'demo.db'}"
    assert (settings.bot_http_host, settings.bot_http_port) == ("127.0.0.1", 5003)
    assert settings.bot_poll_interval_seconds == 2
    assert settings.bot_default_channel == "C0INCIDENTS"
    assert settings.bot_encryption_key is not None
    Fernet(settings.bot_encryption_key.get_secret_value().encode())  # a usable key
    routes = {route.name: route.channels for route in settings.routing.routes}
    assert routes == {"payments": ["C0PAYMENTS"], "search": ["C0SEARCH"], "criticals": ["C0PLATFORM"]}
    assert settings.routing.coralogix_user_for("U0ALICE") == "alice@example.com"
    assert settings.routing.coralogix_user_for("U0BOB") == "bob@example.com"


def test_each_demo_gets_its_own_encryption_key(tmp_path: Path) -> None:
    def key(directory: Path) -> str:
        directory.mkdir()
        settings = demo_settings(
            directory, coralogix_address="127.0.0.1:1", slack_api_url="http://h/", bot_port=1
        )
        assert settings.bot_encryption_key is not None
        return settings.bot_encryption_key.get_secret_value()

    assert key(tmp_path / "a") != key(tmp_path / "b")


def test_started_demo_posts_cards_serves_the_page_and_stops_clean() -> None:
    stack = start_demo(port=0, seed=4, incidents=5, live_changes=False)
    workdir = Path(stack.workdir.name)
    try:
        assert (workdir / "demo.db").exists()
        assert _get(stack.bot_url + "/healthz")[0] == 200
        assert _get(stack.url)[0] == 200

        def cards_on_the_page() -> int:
            state = json.loads(_get(stack.url + "api/state?user=U0ALICE")[1])
            return sum(
                1
                for channel in state["channels"]
                for message in channel["messages"]
                if (message["metadata"] or {}).get("event_type") == "coralogix_incident"
            )

        wait_for(cards_on_the_page, 20, "incident cards on the demo page")
    finally:
        stack.stop()
    assert not workdir.exists()
    for port in (stack.page.port, stack.runtime.http.port, stack.slack.port, stack.coralogix.port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"


def test_the_command_prints_where_to_look_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--port", "0", "--seed", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.match(r"Open (http://127\.0\.0\.1:\d+/) in a browser", first)
        assert match, first
        status, html = _get(match.group(1))
        assert status == 200 and b"incident-bot demo" in html
        process.send_signal(signal.SIGTERM)
        rest = process.stdout.read()
        assert process.wait(timeout=20) == 0
        assert rest.rstrip().endswith("Demo stopped.")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_taken_port_is_one_clear_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "demo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert (
        f"error: cannot start the demo on port {port}: Address already in use" in result.stderr.splitlines()
    )
    assert result.stdout == ""
