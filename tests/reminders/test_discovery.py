"""Discovery of new reminder series backs off while Coralogix fails, and recovers at once after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from bot.backoff import Backoff
from bot.coralogix.backend import CoralogixBackend
from bot.errors import CoralogixUnavailableError
from bot.reminders.discovery import Discovery
from bot.routing_file import RoutingConfig
from bot.store import Store
from bot.store.reminders import UnremindedMessage
from bot.store.rows import MessageKind

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ROUTING = RoutingConfig.model_validate(
    {"routes": [{"name": "payments", "channels": ["C0PAY"], "remind": {"after": "10m"}}]}
)


class _Store:
    def unreminded_messages(self, channels: Sequence[str]) -> list[UnremindedMessage]:
        return [UnremindedMessage("inc-1", "C0PAY", "1.0", MessageKind.CARD)]

    def add_reminder_series(self, series: Sequence[Any], now: datetime) -> int:
        return len(series)


class _FailingCoralogix:
    def __init__(self) -> None:
        self.reads = 0
        self.failing = True

    def batch_get_incidents(self, ids: Sequence[str]) -> Any:
        self.reads += 1
        if self.failing:
            raise CoralogixUnavailableError("down")
        return type("Batch", (), {"found": {}})()


def test_discovery_waits_longer_after_each_failure_and_reads_again_once_it_is_over() -> None:
    now = [0.0]
    client = _FailingCoralogix()
    discovery = Discovery(
        store=cast(Store, _Store()),
        client=cast(CoralogixBackend, client),
        routing=ROUTING,
        clock=lambda: T0,
        backoff=Backoff(base=1.0, cap=8.0, jitter=False),
        monotonic=lambda: now[0],
    )

    def tick_every_second_until(end: float) -> None:
        while now[0] < end:
            discovery.run()
            now[0] += 1.0

    tick_every_second_until(30.0)
    # Reads at 0, 1 (after 1 s), 3 (2 s), 7 (4 s), 15 (8 s), 23 (8 s: the cap): not once a tick.
    assert client.reads == 6
    client.failing = False
    tick_every_second_until(32.0)  # the wait after 23 ends at 31: read, and succeeds
    assert client.reads == 7
    tick_every_second_until(35.0)
    assert client.reads == 10  # back to every tick
