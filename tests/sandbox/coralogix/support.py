"""Helpers shared by the simulated-Coralogix tests: auth metadata, a manual clock, wrappers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import wrappers_pb2

TEAM = (("authorization", "Bearer cx-team-key"),)
ALICE = (("authorization", "Bearer cx-alice-key"),)
BOB = (("authorization", "Bearer cx-bob-key"),)
READONLY = (("authorization", "Bearer cx-readonly-key"),)

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class ManualClock:
    """A clock that only moves when told to, so timestamps in tests are exact."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def sv(value: str) -> wrappers_pb2.StringValue:
    return wrappers_pb2.StringValue(value=value)


def svs(*values: str) -> list[wrappers_pb2.StringValue]:
    return [sv(value) for value in values]
