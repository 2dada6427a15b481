"""The Coralogix side of the demo: incidents appear and change on their own, or when a person asks."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import APPLICATION_LABEL, Severity
from bot.sandbox.coralogix import SandboxError, SimulatedCoralogix
from bot.sandbox.coralogix.churn import churn_step
from bot.sandbox.coralogix.generator import APPLICATIONS
from bot.sandbox.coralogix.model import Status

log = logging.getLogger(__name__)

SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity if s is not Severity.UNSPECIFIED)
DEFAULT_PAUSE_SECONDS = (20.0, 40.0)
MAX_ACTIVITY = 30


@dataclass(frozen=True)
class Activity:
    """One thing that happened on the Coralogix side, for the page's activity list."""

    at: datetime
    text: str

    def as_json(self) -> dict[str, str]:
        return {"at": self.at.isoformat(timespec="seconds"), "text": self.text}


class IncidentFeed:
    """Drives the simulated Coralogix account: a change every 20-40 s, and new incidents on request."""

    def __init__(
        self,
        sim: SimulatedCoralogix,
        *,
        seed: int = 0,
        pause_seconds: tuple[float, float] = DEFAULT_PAUSE_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sim = sim
        self._rng = random.Random(f"demo-feed:{seed}")  # noqa: S311 - a simulation, not secrets
        self._pause = pause_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._activity: deque[Activity] = deque(maxlen=MAX_ACTIVITY)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def create(self, *, severity: str | None = None, application: str | None = None) -> str:
        """A new triggered incident, as an alert firing would open it; None picks at random."""
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}")
        if application is not None and application not in APPLICATIONS:
            raise ValueError(f"unknown application {application!r}; use one of {', '.join(APPLICATIONS)}")
        incident_id = self.sim.create_incident(severity=severity, application=application)
        self._note(f"opened {self._describe(incident_id)}")
        return incident_id

    def step(self) -> str:
        """One background change (a new incident, an alert clearing, someone acting in Coralogix's UI)."""
        happened = self._named(churn_step(self.sim, self._rng))
        self._note(happened)
        return happened

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="demo-incident-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._rng.uniform(*self._pause)):
            try:
                log.info("coralogix side: %s", self.step())
            except SandboxError as exc:  # an incident changed under us; the next step will do
                log.info("coralogix side: skipped a change (%s)", exc)

    def activity(self) -> list[Activity]:
        """What happened, newest first."""
        with self._lock:
            return list(reversed(self._activity))

    def summary(self) -> dict[str, int]:
        """How many incidents are open in each status, and how many are closed."""
        counts: Counter[str] = Counter()
        found, _missing = self.sim.batch_get(self.sim.incident_ids())
        for incident in found.values():
            if incident.HasField("closed_at"):
                counts["closed"] += 1
            else:
                counts[Status.Name(incident.status).removeprefix("INCIDENT_STATUS_").lower()] += 1
        return {name: counts.get(name, 0) for name in ("triggered", "acknowledged", "resolved", "closed")}

    def _named(self, text: str) -> str:
        """`acknowledge <id>` as `acknowledge "checkout 5xx" (1a2b3c4d)`: readable in a narrow panel."""
        known = set(self.sim.incident_ids())
        words = []
        for word in text.split(" "):
            name = self.sim.incident(word).name.value if word in known else ""
            words.append(f'"{name}" ({word[:8]})' if name else word)
        return " ".join(words)

    def _describe(self, incident_id: str) -> str:
        incident = self.sim.incident(incident_id)
        severity = incident.contextual_labels.get("alert_severity", "").lower()
        application = incident.display_labels.get(APPLICATION_LABEL, "")
        return f"{incident.name.value or incident_id} ({severity}, {application}) {incident_id}"

    def _note(self, text: str) -> None:
        with self._lock:
            self._activity.append(Activity(self._clock(), text))
