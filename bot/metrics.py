"""Prometheus metrics of one bot process, in a registry of its own (no global state between tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.incidents_seen = Counter(
            "incidentbot_incidents_seen", "Incidents read from Coralogix by the poller", registry=r
        )
        self.incidents_posted = Counter(
            "incidentbot_incidents_posted", "Incident cards posted to a channel", registry=r
        )
        self.incidents_updated = Counter(
            "incidentbot_incidents_updated", "Incident cards updated in place", registry=r
        )
        self.incidents_unrouted = Counter(
            "incidentbot_incidents_unrouted",
            "New incidents no route matched while no default channel is set",
            registry=r,
        )
        self.actions = Counter(
            "incidentbot_actions", "Actions taken from Slack", ["action", "result"], registry=r
        )
        self.coralogix_calls = Counter(
            "incidentbot_coralogix_calls", "Coralogix gRPC calls", ["rpc", "code"], registry=r
        )
        self.coralogix_latency = Histogram(
            "incidentbot_coralogix_call_seconds",
            "Coralogix gRPC call latency",
            ["rpc"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.slack_calls = Counter(
            "incidentbot_slack_calls", "Slack Web API calls", ["method", "result"], registry=r
        )
        self.slack_rate_limited = Counter(
            "incidentbot_slack_rate_limited", "Slack answers of HTTP 429", ["method"], registry=r
        )
        self.poll_seconds = Histogram(
            "incidentbot_poll_seconds", "Duration of one poll", buckets=LATENCY_BUCKETS, registry=r
        )
        self.poll_errors = Counter("incidentbot_poll_errors", "Polls that failed", ["reason"], registry=r)
        self.outbox_depth = Gauge(
            "incidentbot_outbox_depth",
            "Slack work queued per channel, waiting to be sent or retried",
            ["channel"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "incidentbot_outbox_pending", "Slack work waiting to be retried", registry=r
        )
        self.thread_lines_folded = Counter(
            "incidentbot_thread_lines_folded",
            "Thread lines of closed incidents shown on their card: the channel's pace kept them waiting",
            registry=r,
        )
        self.slack_dropped = Counter(
            "incidentbot_slack_dropped",
            "Slack work given up: refused for good, or too old to matter",
            ["reason"],
            registry=r,
        )
        self.pruned = Counter(
            "incidentbot_pruned_rows", "Rows forgotten after BOT_RETENTION_DAYS", ["kind"], registry=r
        )
        self.reminders = Counter(
            "incidentbot_reminders",
            "Reminder steps posted, and series stopped because their incidents stopped waiting",
            ["outcome"],  # posted, stopped
            registry=r,
        )
        self.lease_held = Gauge(
            "incidentbot_poller_lease_held",
            "1 when this replica holds the poller lease",
            ["replica"],
            registry=r,
        )

        self.socket_mode_connected = Gauge(
            "incidentbot_socket_mode_connected",
            "1 while the Socket Mode connection to Slack is open (Socket Mode only)",
            registry=r,
        )
        self.socket_mode_reconnects = Counter(
            "incidentbot_socket_mode_reconnects",
            "Socket Mode connections opened after the first (after a drop, or a refresh Slack asked for)",
            registry=r,
        )
        self.socket_mode_disconnects = Counter(
            "incidentbot_socket_mode_disconnects",
            "Socket Mode connections lost (not counting refreshes Slack asked for)",
            registry=r,
        )

    def observe_coralogix(self, rpc: str, code: str, seconds: float) -> None:
        """The client's CallObserver hook."""
        self.coralogix_calls.labels(rpc=rpc, code=code).inc()
        self.coralogix_latency.labels(rpc=rpc).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
