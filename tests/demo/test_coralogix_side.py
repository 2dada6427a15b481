"""The demo's Coralogix side: new incidents on request, changes on their own, a summary and a log."""

from __future__ import annotations

import threading
import time

import pytest

from bot.demo.coralogix_side import IncidentFeed
from bot.sandbox.coralogix import SimulatedCoralogix


def _feed(count: int = 0, pause_seconds: tuple[float, float] = (20.0, 40.0)) -> IncidentFeed:
    sim = SimulatedCoralogix(seed=9)
    sim.generate(count, lifecycle=True)
    return IncidentFeed(sim, seed=9, pause_seconds=pause_seconds)


def test_create_opens_a_triggered_incident_as_asked() -> None:
    feed = _feed()
    incident_id = feed.create(severity="critical", application="payments")
    incident = feed.sim.incident(incident_id)
    assert incident.contextual_labels["alert_severity"] == "Critical"
    assert incident.display_labels["coralogix.metadata.applicationName"] == "payments"
    assert feed.summary() == {"triggered": 1, "acknowledged": 0, "resolved": 0, "closed": 0}
    [entry] = feed.activity()
    assert entry.text.startswith("opened ") and incident_id in entry.text


def test_create_at_random_and_refuse_the_unknown() -> None:
    feed = _feed()
    assert feed.sim.incident(feed.create()).id.value
    with pytest.raises(ValueError, match="unknown severity"):
        feed.create(severity="apocalyptic")
    with pytest.raises(ValueError, match="unknown application"):
        feed.create(application="toaster")
    assert len(feed.sim.incident_ids()) == 1


def test_summary_counts_every_incident_once() -> None:
    feed = _feed(12)
    assert sum(feed.summary().values()) == 12


def test_live_changes_run_in_the_background_until_stopped() -> None:
    feed = _feed(3, pause_seconds=(0.001, 0.005))
    feed.start()
    deadline = time.monotonic() + 10
    while len(feed.activity()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    feed.stop()  # joins the background thread: nothing changes after it returns
    assert not any(thread.name == "demo-incident-feed" for thread in threading.enumerate())
    assert len(feed.activity()) >= 3
    newest, older = feed.activity()[0], feed.activity()[1]
    assert newest.at >= older.at


def test_background_changes_name_the_incident_they_touched() -> None:
    feed = _feed(5)
    names = {feed.sim.incident(i).name.value for i in feed.sim.incident_ids()} - {""}
    texts = [feed.step() for _ in range(20)]
    assert any(f'"{name}"' in text for text in texts for name in names)
