"""Fixtures shared across the suite: the two sandboxes, fresh for each test, on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox
from bot.sandbox.slack import RunningSlackSandbox, SlackWorkspace, start_slack_sandbox


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
