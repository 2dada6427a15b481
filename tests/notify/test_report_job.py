"""The scheduled report's job: one post per run and channel, and the repair of a claim a crash left."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.notify.report_job import ReportJob
from bot.notify.report_reader import ReportReader
from bot.routing_file import RoutingConfig
from bot.slack.payload import MessagePayload
from bot.store import Store
from bot.store.reports import RUN_CLAIMED, RUN_POSTED
from tests.notify.test_report_reader import FakeBackend, incident

RUN = datetime(2026, 12, 7, 9, tzinfo=UTC)
ROUTING = RoutingConfig.model_validate(
    {"routes": [{"name": "payments", "channels": ["C0PAYMENTS"], "report": {"at": "09:00", "tz": "UTC"}}]}
)


class FakeGateway:
    """Posts kept in order; history searched by metadata as Slack's conversations.history would."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, MessagePayload]] = []

    def post_message(self, channel: str, payload: MessagePayload, **_: Any) -> str:
        ts = f"{1_800_000_000 + len(self.posts)}.000100"
        self.posts.append((channel, ts, payload))
        return ts

    def find_message_by_event(
        self, channel: str, event_type: str, payload: Mapping[str, Any], **_: Any
    ) -> str | None:
        for posted_channel, ts, message in self.posts:
            metadata = message.metadata or {}
            found = metadata.get("event_payload", {})
            same = all(found.get(key) == value for key, value in payload.items())
            if posted_channel == channel and metadata.get("event_type") == event_type and same:
                return ts
        return None


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[ReportJob, Store, FakeGateway]]:
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.db'}")
    store.create_schema()
    store.arm_schedule("payments", RUN - timedelta(days=1))
    gateway = FakeGateway()
    clock = {"now": RUN + timedelta(seconds=30)}
    backend = FakeBackend([incident(n, hours_ago=n + 1) for n in range(3)])
    reader = ReportReader(client=backend, store=store, clock=lambda: clock["now"])  # type: ignore[arg-type]
    job = ReportJob(
        reader=reader,
        store=store,
        gateway=gateway,  # type: ignore[arg-type]
        routing=ROUTING,
        replica_id="r-live",
        clock=lambda: clock["now"],
    )
    yield job, store, gateway
    reader.close()
    store.close()


def test_a_run_is_posted_once(world: tuple[ReportJob, Store, FakeGateway]) -> None:
    job, store, gateway = world
    route = ROUTING.routes[0]
    assert job.run_route(route, RUN + timedelta(seconds=30)) == 1
    assert job.run_route(route, RUN + timedelta(minutes=1)) == 0
    [(channel, ts, payload)] = gateway.posts
    assert channel == "C0PAYMENTS" and payload.metadata == {
        "event_type": "coralogix_report",
        "event_payload": {"route": "payments", "run": RUN.isoformat()},
    }
    [run] = store.report_runs("payments")
    assert (run.state, run.ts, run.late) == (RUN_POSTED, ts, False)


def test_a_crash_after_posting_is_recorded_not_posted_again(
    world: tuple[ReportJob, Store, FakeGateway],
) -> None:
    job, store, gateway = world
    route = ROUTING.routes[0]
    # a replica claimed and posted, then died before recording the post
    assert store.claim_report_run("payments", "C0PAYMENTS", RUN, "r-dead", RUN, late=False)
    posted_ts = gateway.post_message(
        "C0PAYMENTS",
        MessagePayload(
            "report",
            [],
            {
                "event_type": "coralogix_report",
                "event_payload": {"route": "payments", "run": RUN.isoformat()},
            },
        ),
    )
    assert job.run_route(route, RUN + timedelta(minutes=1)) == 0  # a fresh claim: left to its replica
    assert job.run_route(route, RUN + timedelta(minutes=6)) == 0
    assert len(gateway.posts) == 1
    [run] = store.report_runs("payments")
    assert (run.state, run.ts, run.claimed_by) == (RUN_POSTED, posted_ts, "r-dead")


def test_a_crash_before_posting_is_posted_once_after_all(world: tuple[ReportJob, Store, FakeGateway]) -> None:
    job, store, gateway = world
    route = ROUTING.routes[0]
    assert store.claim_report_run("payments", "C0PAYMENTS", RUN, "r-dead", RUN, late=False)
    assert job.run_route(route, RUN + timedelta(minutes=1)) == 0
    assert store.report_runs("payments")[0].state == RUN_CLAIMED
    assert job.run_route(route, RUN + timedelta(minutes=6)) == 1
    assert job.run_route(route, RUN + timedelta(minutes=12)) == 0
    assert len(gateway.posts) == 1
    [run] = store.report_runs("payments")
    assert (run.state, run.claimed_by, run.late) == (RUN_POSTED, "r-live", True)
