"""The report's contents from incidents and response times, and its Block Kit (valid, within limits)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import APPLICATION_LABEL, Assignment, Incident, Severity, Status
from bot.reports.response_times import ResponseTimes, by_severity, summarize_by
from bot.reports.schedule import Period
from bot.reports.shift import build_shift_report, noisiest_alerts
from bot.slack.blocks.report import REPORT_EVENT_TYPE, report_message, response_stats_message
from tests.slack.test_blocks import assert_valid_message

END = datetime(2026, 12, 8, 8, tzinfo=UTC)
PERIOD = Period(END - timedelta(days=1), END)


def inc(
    n: int, *, hours_ago: float, severity: Severity = Severity.ERROR, alert: str = "5xx", **fields: object
) -> Incident:
    return Incident(
        id=f"inc-{n:04d}",
        name=alert,
        severity=severity,
        status=fields.pop("status", Status.TRIGGERED),  # type: ignore[arg-type]
        created_at=END - timedelta(hours=hours_ago),
        display_labels={APPLICATION_LABEL: "shop"},
        **fields,  # type: ignore[arg-type]
    )


def times(incident: Incident, ack: float | None, resolve: float | None) -> ResponseTimes:
    start = incident.created_at
    assert start is not None
    return ResponseTimes(
        incident_id=incident.id,
        started_at=start,
        acknowledged_at=start + timedelta(minutes=ack) if ack is not None else None,
        resolved_at=start + timedelta(minutes=resolve) if resolve is not None else None,
    )


def test_report_counts_new_resolved_open_and_compares_periods() -> None:
    open_one = inc(1, hours_ago=2, severity=Severity.CRITICAL, assignments=(Assignment("alice@example.com"),))
    resolved_now = inc(2, hours_ago=5, status=Status.RESOLVED, alert="latency")
    old_resolved = inc(3, hours_ago=30, status=Status.RESOLVED, closed_at=END - timedelta(hours=20))
    old_open = inc(4, hours_ago=50, severity=Severity.WARNING)
    incidents = [open_one, resolved_now, old_resolved, old_open]
    known = {
        open_one.id: times(open_one, 10, None),
        resolved_now.id: times(resolved_now, 20, 60),
        old_resolved.id: times(old_resolved, 60, 600),  # started in the previous period, resolved in this one
        old_open.id: times(old_open, None, None),
    }
    report = build_shift_report("payments", PERIOD, incidents, known, now=END)
    assert report.new_by_severity == {Severity.CRITICAL: 1, Severity.ERROR: 1}
    assert report.resolved_by_severity == {Severity.ERROR: 2}
    assert [item.incident.id for item in report.open_incidents] == [open_one.id, old_open.id]
    assert report.open_incidents[0].age == timedelta(hours=2)
    assert report.responses.mtta.mean == timedelta(minutes=15)  # (10 + 20) / 2
    assert report.previous.mtta.mean == timedelta(minutes=60)
    assert report.responses.mttr.mean == timedelta(minutes=60) and report.responses.mttr.never == 1
    payload = report_message(report)
    assert_valid_message(payload)
    assert "2 new, 2 resolved, 2 open" in payload.text
    assert payload.metadata is None  # on demand: no run


def test_a_late_run_says_so_and_carries_its_run() -> None:
    report = build_shift_report("payments", PERIOD, [], {}, now=END + timedelta(hours=3), run=END, late=True)
    payload = report_message(report)
    assert_valid_message(payload)
    assert payload.text.endswith("(late)")
    assert ":warning: *Late*" in str(payload.blocks)
    assert payload.metadata == {
        "event_type": REPORT_EVENT_TYPE,
        "event_payload": {"route": "payments", "run": END.isoformat()},
    }


def test_noisiest_five_by_alert_and_application() -> None:
    incidents = [inc(n, hours_ago=1, alert=f"alert-{n % 7}") for n in range(40)]
    noisy = noisiest_alerts(incidents)
    assert [(a.alert, a.count) for a in noisy] == [
        ("alert-0", 6),
        ("alert-1", 6),
        ("alert-2", 6),
        ("alert-3", 6),
        ("alert-4", 6),
    ]
    assert all(a.application == "shop" for a in noisy)


def test_a_long_open_list_stays_within_slack_limits() -> None:
    incidents = [inc(n, hours_ago=n % 40, alert="x" * 300) for n in range(500)]
    report = build_shift_report("payments", PERIOD, incidents, {}, now=END)
    payload = report_message(report)
    assert_valid_message(payload)
    assert report.open_total == 500


def test_stats_message() -> None:
    a, b = inc(1, hours_ago=1), inc(2, hours_ago=2, severity=Severity.CRITICAL)
    groups = summarize_by([a, b], {a.id: times(a, 5, 30), b.id: times(b, None, None)}, by_severity)
    payload = response_stats_message("mtta", groups, by="severity", since=timedelta(days=7))
    assert_valid_message(payload)
    assert payload.text == "MTTA of the last 7 days, by severity"
