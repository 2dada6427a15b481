"""`CORALOGIX_API=auto`: a backend that finds out which API the account answers on first use.

Detection is retried on every call until it settles, so an outage at start-up is waited out like any
other (the poll backs off, `/readyz` says why) instead of stopping the bot; an account that answers
neither API is told as a refused key, which stops `incident-bot run` with one line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

import grpc

from bot.coralogix.backend import (
    ApiDetection,
    ApiName,
    CoralogixBackend,
    detect_api,
    make_backend,
)
from bot.coralogix.calls import ApiKey, CallObserver
from bot.coralogix.client import IncidentsClient, TimedEvents
from bot.domain import (
    AggregationGroup,
    BatchResult,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    IncidentPage,
    Ordering,
)
from bot.errors import CoralogixAuthError, CoralogixUnavailableError

log = logging.getLogger(__name__)

Detect = Callable[[grpc.Channel, ApiKey], ApiDetection]
_OUTAGE_CODES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "UNKNOWN", "INTERNAL", "CANCELLED"})


class AutoBackend:
    """A `CoralogixBackend` that delegates to the client of whichever API `detect` finds."""

    def __init__(
        self,
        channel: grpc.Channel,
        api_key: ApiKey,
        *,
        timeout: float = 10.0,
        observer: CallObserver | None = None,
        detect: Detect = detect_api,
    ) -> None:
        self._channel = channel
        self._api_key = api_key
        self._timeout = timeout
        self._observer = observer
        self._detect = detect
        self._lock = threading.Lock()
        self._client: CoralogixBackend | None = None
        self.detection: ApiDetection | None = None

    @property
    def detected(self) -> ApiName | None:
        return self._client.api if self._client is not None else None

    @property
    def api(self) -> ApiName:
        return self._backend().api

    def _backend(self) -> CoralogixBackend:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._client is None:
                detection = self._detect(self._channel, self._api_key)
                self.detection = detection
                if detection.api is None:
                    raise _failure(detection)
                log.info("Coralogix API: %s (%s)", detection.api, detection.reason)
                self._client = make_backend(
                    detection.api,
                    self._channel,
                    self._api_key,
                    timeout=self._timeout,
                    observer=self._observer,
                )
            return self._client

    def list_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        page_token: str | None = None,
        api_key: ApiKey | None = None,
    ) -> IncidentPage:
        return self._backend().list_incidents(
            filter, ordering, page_size=page_size, page_token=page_token, api_key=api_key
        )

    def iter_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        api_key: ApiKey | None = None,
    ) -> Iterator[Incident]:
        return self._backend().iter_incidents(filter, ordering, page_size=page_size, api_key=api_key)

    def get_incident(self, incident_id: str, *, api_key: ApiKey | None = None) -> Incident:
        return self._backend().get_incident(incident_id, api_key=api_key)

    def batch_get_incidents(self, ids: Sequence[str], *, api_key: ApiKey | None = None) -> BatchResult:
        return self._backend().batch_get_incidents(ids, api_key=api_key)

    def get_incident_events(self, incident_id: str, *, api_key: ApiKey | None = None) -> list[IncidentEvent]:
        return self._backend().get_incident_events(incident_id, api_key=api_key)

    def list_timed_events(
        self, start: datetime, end: datetime | None = None, *, api_key: ApiKey | None = None
    ) -> TimedEvents | None:
        """The detected backend's timed events (Incidents); None on Cases, whose events carry times."""
        backend = self._backend()
        if isinstance(backend, IncidentsClient):
            return backend.list_timed_events(start, end, api_key=api_key)
        return None

    def incidents_per_alert(
        self, filter: IncidentFilter, *, api_key: ApiKey | None = None
    ) -> list[AggregationGroup] | None:
        """The detected backend's counts per alert (Incidents); None on Cases, which cannot group so."""
        backend = self._backend()
        if isinstance(backend, IncidentsClient):
            return backend.incidents_per_alert(filter, api_key=api_key)
        return None

    def list_aggregations(
        self,
        filter: IncidentFilter | None = None,
        group_by: GroupField | None = None,
        *,
        api_key: ApiKey | None = None,
    ) -> list[AggregationGroup]:
        return self._backend().list_aggregations(filter, group_by, api_key=api_key)

    def assign(
        self,
        incident_ids: Sequence[str],
        assignee: str,
        *,
        api_key: ApiKey | None = None,
        actor: str | None = None,
    ) -> list[Incident]:
        return self._backend().assign(incident_ids, assignee, api_key=api_key, actor=actor)

    def unassign(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._backend().unassign(incident_ids, api_key=api_key, actor=actor)

    def acknowledge(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._backend().acknowledge(incident_ids, api_key=api_key, actor=actor)

    def resolve(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._backend().resolve(incident_ids, api_key=api_key, actor=actor)

    def close(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self._backend().close(incident_ids, api_key=api_key, actor=actor)

    def close_channel(self) -> None:
        if self._client is not None:
            self._client.close_channel()
        else:
            self._channel.close()


def _failure(detection: ApiDetection) -> CoralogixAuthError | CoralogixUnavailableError:
    """An outage is worth waiting out; an account that answers neither API is not."""
    codes = {probe.code for probe in detection.probes.values()}
    if codes & _OUTAGE_CODES:
        return CoralogixUnavailableError(detection.reason, rpc="detect", code="UNAVAILABLE")
    return CoralogixAuthError(detection.reason, rpc="detect", code="UNAUTHENTICATED")
