"""Fixtures shared across the suite: the two sandboxes, fresh for each test, on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import RunningSlackSandbox, SlackWorkspace, start_slack_sandbox
from bot.store import Store

# Hypothesis's deadline and its too-slow health check time each example on the wall clock: on workers
# sharing two cores with the e2e tests' bots (pytest-xdist) that says how busy the machine is, not
# whether the code is slow. The properties are checked all the same.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

XDIST_WORKERS = 4
"""Workers for `-n auto` (pyproject's addopts) over whole directories: the suite's e2e tests mostly wait on
bots and sockets, so four workers keep two cores busy."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Four workers for whole directories (the suite, tests/e2e); single files and tests run in this
    process, which starts sooner than four workers."""
    paths = [arg.split("::")[0] for arg in config.args] or ["tests"]
    return XDIST_WORKERS if all(Path(config.invocation_params.dir, p).is_dir() for p in paths) else 0


@pytest.fixture
def coralogix() -> Iterator[RunningCoralogixSandbox]:
    """The simulated IncidentsService (plaintext gRPC), with no incidents yet."""
    running = start_coralogix_sandbox(SimulatedCoralogix(seed=11))
    yield running
    running.stop()


@pytest.fixture
def slack() -> Iterator[RunningSlackSandbox]:
    """The Slack sandbox with its default channels and users."""
    running = start_slack_sandbox(SlackWorkspace.with_defaults())
    yield running
    running.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A Store on an empty SQLite file with the schema created (tests/store runs on PostgreSQL too)."""
    opened = Store.from_url(f"sqlite:///{tmp_path / 'bot.db'}")
    opened.create_schema()
    yield opened
    opened.close()
