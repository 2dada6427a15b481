"""Fixtures shared across the suite: the two sandboxes, fresh for each test, on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import RunningSlackSandbox, SlackWorkspace, start_slack_sandbox

# Hypothesis's deadline and its too-slow health check time each example on the wall clock: on workers
# sharing two cores with the e2e tests' bots (pytest-xdist) that says how busy the machine is, not
# whether the code is slow. The properties are checked all the same.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


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
