"""Believable incident content (alert names, applications, labels) drawn from a seeded `random.Random`."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("6f0c3c52-4a43-4c55-9a59-0b6f3f0b2f7e")

GROUP_BY_FIELDS = "coralogix.metadata.applicationName , coralogix.metadata.subsystemName"

TEAMS: dict[str, str] = {
    "shop": "storefront",
    "payments": "payments",
    "search": "discovery",
    "auth": "identity",
    "data-pipeline": "data",
}
ENVIRONMENTS: tuple[tuple[str, int], ...] = (("production", 7), ("staging", 2), ("dev", 1))
REGIONS: tuple[str, ...] = ("eu-west-1", "eu-central-1", "us-east-1", "ap-southeast-1")


@dataclass(frozen=True, slots=True)
class AlertTemplate:
    name: str
    application: str
    subsystem: str
    alert_type: str
    severities: tuple[tuple[str, int], ...]  # (severity, weight)
    description: str


def _t(  # noqa: PLR0917 - one positional row per template keeps the table readable
    name: str, app: str, subsystem: str, kind: str, severities: str, description: str
) -> AlertTemplate:
    """`severities` is written 'error:3 critical:1'."""
    weighted = tuple((part.split(":")[0], int(part.split(":")[1])) for part in severities.split())
    return AlertTemplate(name, app, subsystem, kind, weighted, description)


TEMPLATES: tuple[AlertTemplate, ...] = (
    _t(
        "checkout 5xx rate above 2%",
        "shop",
        "checkout",
        "Ratio",
        "error:3 critical:2",
        "More than 2% of POST /api/checkout requests returned 5xx in the last 5 minutes.",
    ),
    _t(
        "cart-service pod restarts",
        "shop",
        "cart",
        "Standard",
        "warning:3 error:1",
        "cart-service containers restarted more than 3 times in 10 minutes (OOMKilled).",
    ),
    _t(
        "catalog p95 latency above 800ms",
        "shop",
        "catalog",
        "Metric",
        "warning:3 error:1",
        "p95 latency of GET /api/products is above 800 ms for 10 minutes.",
    ),
    _t(
        "frontend JS errors above yesterday",
        "shop",
        "frontend",
        "Time relative",
        "info:1 warning:3",
        "Browser errors are 3x higher than the same hour yesterday.",
    ),
    _t(
        "payments-api p99 latency",
        "payments",
        "payments-api",
        "Metric",
        "warning:1 error:3 critical:1",
        "p99 latency of payments-api is above 1.5 s for 10 minutes.",
    ),
    _t(
        "card authorization failures above 5%",
        "payments",
        "payments-api",
        "Ratio",
        "error:2 critical:2",
        "More than 5% of card authorizations were declined with a gateway error.",
    ),
    _t(
        "ledger reconciliation job failed",
        "payments",
        "ledger",
        "Standard",
        "error:3",
        "The hourly ledger reconciliation exited with status 1.",
    ),
    _t(
        "fraud-check timeouts",
        "payments",
        "fraud-check",
        "Tracing",
        "warning:3 error:1",
        "Spans of fraud-check.score exceed 2 s in more than 1% of traces.",
    ),
    _t(
        "search indexer backlog growing",
        "search",
        "indexer",
        "Metric",
        "warning:3 error:1",
        "The indexing queue has grown for 15 minutes; 120k documents are waiting.",
    ),
    _t(
        "query-api empty results above 20%",
        "search",
        "query-api",
        "Ratio",
        "info:2 warning:2",
        "More than 20% of search queries return no results.",
    ),
    _t(
        "elasticsearch cluster status yellow",
        "search",
        "indexer",
        "Standard",
        "warning:2 error:2",
        "Cluster health is yellow: 4 replica shards are unassigned.",
    ),
    _t(
        "login failures above baseline",
        "auth",
        "login",
        "Time relative",
        "warning:3 error:1",
        "Failed logins are 4x the usual rate for this hour.",
    ),
    _t(
        "token-service 401 spike",
        "auth",
        "token-service",
        "Standard",
        "warning:1 error:3",
        "token-service answered more than 500 HTTP 401 in 5 minutes.",
    ),
    _t(
        "new country in admin logins",
        "auth",
        "sso",
        "New value",
        "info:2 warning:1 low:1",
        "An admin signed in from a country not seen in the last 30 days.",
    ),
    _t(
        "TLS certificate expires in 7 days",
        "auth",
        "sso",
        "Standard",
        "low:2 info:2",
        "The certificate of sso.example.com expires in 7 days.",
    ),
    _t(
        "kafka consumer lag",
        "data-pipeline",
        "kafka-consumer",
        "Metric",
        "warning:3 error:2",
        "Consumer group orders-etl is more than 50,000 messages behind on topic orders.",
    ),
    _t(
        "airflow DAG nightly_revenue failed",
        "data-pipeline",
        "airflow",
        "Standard",
        "error:3",
        "Task load_revenue of DAG nightly_revenue failed after 3 retries.",
    ),
    _t(
        "spark job OOM kills",
        "data-pipeline",
        "spark-jobs",
        "Unique count",
        "warning:2 error:2",
        "Executors of 3 different Spark jobs were OOM-killed in the last hour.",
    ),
    _t(
        "no logs from ingest-worker",
        "data-pipeline",
        "ingest-worker",
        "Flow",
        "error:2 critical:1",
        "ingest-worker sent no logs for 10 minutes.",
    ),
)
APPLICATIONS: tuple[str, ...] = tuple(dict.fromkeys(t.application for t in TEMPLATES))


@dataclass(frozen=True, slots=True)
class IncidentContent:
    """What an incident says, before the simulator gives it an id and a lifecycle."""

    name: str
    alert_name: str
    alert_type: str
    severity: str
    application: str
    subsystem: str
    description: str
    meta_labels: tuple[tuple[str, str], ...]


def stable_id(kind: str, name: str) -> str:
    """The same uuid for the same alert (or notification group) every time."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def random_content(
    rng: random.Random,
    *,
    name: str | None = None,
    alert_name: str | None = None,
    severity: str | None = None,
    application: str | None = None,
    subsystem: str | None = None,
    description: str | None = None,
    meta_labels: Mapping[str, str] | None = None,
) -> IncidentContent:
    """Content from a random alert template; every argument given wins over the template."""
    candidates = [t for t in TEMPLATES if t.application == application] or list(TEMPLATES)
    template = rng.choice(candidates)
    app = application or template.application
    labels = dict(meta_labels) if meta_labels is not None else random_meta_labels(rng, app)
    chosen_name = name if name is not None else (alert_name or template.name)
    return IncidentContent(
        name=chosen_name,
        alert_name=alert_name or chosen_name or template.name,
        alert_type=template.alert_type,
        severity=severity or _weighted(rng, template.severities),
        application=app,
        subsystem=subsystem or (template.subsystem if app == template.application else "default"),
        description=description if description is not None else template.description,
        meta_labels=tuple(labels.items()),
    )


def random_meta_labels(rng: random.Random, application: str) -> dict[str, str]:
    return {
        "team": TEAMS.get(application, "platform"),
        "env": _weighted(rng, ENVIRONMENTS),
        "region": rng.choice(REGIONS),
    }
