"""`serve_forever` (behind `incident-bot sandbox coralogix`): its banner line, its data, and stopping it."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from bot.cli import build_parser
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.coralogix.pb import incidents_service_pb2_grpc
from bot.coralogix.pb.cases import cases_service_pb2, cases_service_pb2_grpc
from bot.sandbox.coralogix import serve_forever, start_coralogix_sandbox

from .support import TEAM

BANNER = re.compile(
    r"^Simulated Coralogix IncidentsService listening on (127\.0\.0\.1:\d+) \(plaintext gRPC\); API keys: "
    r"cx-team-key \(oncall-bot@example\.com, team key\), cx-alice-key \(alice@example\.com\), "
    r"cx-bob-key \(bob@example\.com\), cx-readonly-key \(viewer@example\.com, read only\)$"
)
ROOT = Path(__file__).resolve().parents[3]


def _wait_for_line(out: io.StringIO, deadline: float = 10.0) -> str:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        text = out.getvalue()
        if text.endswith("\n"):
            return text
        time.sleep(0.01)
    raise AssertionError(f"no banner line within {deadline}s; got {out.getvalue()!r}")


def _list(address: str) -> pb.ListIncidentsResponse:
    with grpc.insecure_channel(address) as channel:
        stub = incidents_service_pb2_grpc.IncidentsServiceStub(channel)
        return stub.ListIncidents(pb.ListIncidentsRequest(), metadata=TEAM, timeout=5)


@pytest.fixture
def served() -> Iterator[tuple[str, threading.Event, list[int], threading.Thread]]:
    """serve_forever in a thread with churn every 20 ms; yields (banner, stop, exit codes, thread)."""
    out, stop, codes = io.StringIO(), threading.Event(), []
    thread = threading.Thread(
        target=lambda: codes.append(serve_forever(0, 5, incidents=12, churn_seconds=0.02, out=out, stop=stop))
    )
    thread.start()
    try:
        yield _wait_for_line(out), stop, codes, thread
    finally:
        stop.set()
        thread.join(10)


def test_prints_one_line_and_serves(served) -> None:
    text, stop, codes, thread = served
    assert text.count("\n") == 1
    match = BANNER.match(text.strip())
    assert match, text
    assert _list(match.group(1)).pagination.total_size.value >= 12
    stop.set()
    thread.join(10)
    assert codes == [0]


def test_churn_keeps_changing_incidents(served) -> None:
    text, *_ = served
    address = BANNER.match(text.strip()).group(1)  # type: ignore[union-attr]
    first = {i.id.value: i.last_state_update_key.value for i in _list(address).incidents}
    end = time.monotonic() + 10
    while time.monotonic() < end:
        now = {i.id.value: i.last_state_update_key.value for i in _list(address).incidents}
        if now != first:
            return
        time.sleep(0.02)
    raise AssertionError("nothing changed in 10 s of churn")


def test_busy_port_is_a_clean_error(capsys) -> None:
    with start_coralogix_sandbox() as running:
        out = io.StringIO()
        assert serve_forever(running.port, 0, incidents=1, out=out, stop=threading.Event()) == 1
    assert out.getvalue() == ""
    assert "cannot listen" in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_subprocess_stops_cleanly_on_signal(signum: int) -> None:
    code = (
        "import sys; from bot.sandbox.coralogix import serve_forever; "
        "sys.exit(serve_forever(0, 3, incidents=5))"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = BANNER.match(line.strip())
        assert match, line
        assert _list(match.group(1)).pagination.total_size.value == 5
        process.send_signal(signum)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


CASES_BANNER = re.compile(
    r"^Simulated Coralogix CasesService and CaseEventsService listening on (127\.0\.0\.1:\d+) "
    r"\(plaintext gRPC\); API keys: cx-team-key \(oncall-bot@example\.com, team key\), "
    r"cx-alice-key \(alice@example\.com\), "
    r"cx-bob-key \(bob@example\.com\), cx-readonly-key \(viewer@example\.com, read only\)$"
)


def test_serves_cases_with_churn() -> None:
    out, stop, codes = io.StringIO(), threading.Event(), []
    thread = threading.Thread(
        target=lambda: codes.append(
            serve_forever(0, 5, api="cases", incidents=6, churn_seconds=0.02, out=out, stop=stop)
        )
    )
    thread.start()
    try:
        match = CASES_BANNER.match(_wait_for_line(out).strip())
        assert match, out.getvalue()
        with grpc.insecure_channel(match.group(1)) as channel:
            stub = cases_service_pb2_grpc.CasesServiceStub(channel)

            def snapshot() -> dict[str, int]:
                listed = stub.ListCases(cases_service_pb2.ListCasesRequest(), metadata=TEAM, timeout=5)
                return {case.id: case.update_time.ToNanoseconds() for case in listed.cases}

            first = snapshot()
            assert len(first) >= 6
            end = time.monotonic() + 10
            while snapshot() == first:  # wait for the churn to change something
                assert time.monotonic() < end, "nothing changed in 10 s of churn"
    finally:
        stop.set()
        thread.join(10)
    assert codes == [0]


def test_the_command_line_picks_the_api() -> None:
    args = build_parser().parse_args(["sandbox", "coralogix", "--api", "cases", "--port", "0"])
    assert args.api == "cases"
    assert build_parser().parse_args(["sandbox", "coralogix"]).api == "incidents"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "coralogix", "--api", "alerts"])
