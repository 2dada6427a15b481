"""The simulated Coralogix account: incidents, their histories, API keys, recorded calls and faults.

Every method takes one lock, so the gRPC servicer threads and a test (or the churn thread) can change
incidents at the same time. Reads render fresh protobuf messages; nothing internal is handed out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.coralogix.pb import (
    incident_event_pb2,
    incident_pb2,
    incident_query_filter_pb2,
    incident_query_filters_values_pb2,
    incident_query_pb2,
)
from bot.domain import APPLICATION_LABEL, SUBSYSTEM_LABEL
from bot.sandbox.coralogix import aggregations as agg
from bot.sandbox.coralogix import query
from bot.sandbox.coralogix.account import SimulatedAccount
from bot.sandbox.coralogix.accounts import ALL_PERMISSIONS, default_keys
from bot.sandbox.coralogix.errors import IncidentNotFound, InvalidRequest, InvalidTransition
from bot.sandbox.coralogix.faults import FaultInjector
from bot.sandbox.coralogix.generator import GROUP_BY_FIELDS, random_content, stable_id
from bot.sandbox.coralogix.lifecycle import work_on
from bot.sandbox.coralogix.model import (
    Actor,
    EvType,
    IncidentRecord,
    State,
    Status,
    Upsert,
    acknowledge_payload,
    as_utc,
    assign_payload,
    close_payload,
    new_event,
    parse_severity,
    severity_title,
    unassign_payload,
    upsert_state_payload,
    upsert_type_of,
)

Event = incident_event_pb2.IncidentEvent
Check = Callable[[IncidentRecord], str | None]
Change = Callable[[IncidentRecord, datetime], Event | None]

_VIEW_CACHE_SIZE = 64


def _open(record: IncidentRecord) -> str | None:
    """The check shared by every human action: nothing can be done to a closed incident."""
    return f"incident {record.id} is closed" if record.is_closed else None


def _acknowledgeable(record: IncidentRecord) -> str | None:
    if record.is_closed:
        return f"incident {record.id} is closed; it cannot be acknowledged"
    if record.status == Status.INCIDENT_STATUS_RESOLVED:
        return f"incident {record.id} is resolved; it cannot be acknowledged"
    return None


def _always(record: IncidentRecord) -> str | None:
    return None


class SimulatedCoralogix(SimulatedAccount):
    """State and control API of the simulated IncidentsService (see `servicer.py` for the rpcs)."""

    api = "incidents"
    known_permissions = ALL_PERMISSIONS

    def __init__(
        self,
        *,
        seed: int = 0,
        api_keys: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        max_recorded_calls: int = 10_000,
        personal_key_rules: bool = True,
    ) -> None:
        super().__init__(
            seed=seed,
            ids_seed=f"coralogix-sandbox-ids:{seed}",
            clock=clock,
            keys=default_keys(api_keys),
            max_recorded_calls=max_recorded_calls,
        )
        self.personal_key_rules = personal_key_rules
        """The real service's rule: acknowledging and assigning need a personal (user-owned) key; a team
        key gets PERMISSION_DENIED for them (it may still read, resolve and close). On by default, as on the
        real service."""
        self._records: dict[str, IncidentRecord] = {}
        self._event_log: list[tuple[datetime, str, Event]] = []
        """Every event as (stamp, incident id, event), in stamp order (stamps only go forward)."""
        self._views: dict[str, query.SortedView] = {}
        self.faults = FaultInjector()

    # ------------------------------------------------------------ creating incidents

    def create_incident(
        self,
        *,
        name: str | None = None,
        severity: str | None = "error",
        application: str | None = None,
        subsystem: str | None = None,
        description: str | None = None,
        meta_labels: Mapping[str, str] | None = None,
        alert_name: str | None = None,
        muted: bool = False,
        created_at: datetime | None = None,
    ) -> str:
        """A new triggered incident, as an alert firing would open it; returns its id.

        Anything left None comes from a random alert template (severity None: the template's usual
        severity). `name=""` leaves the name empty, as Coralogix does for some alerts.
        """
        with self._lock:
            content = random_content(
                self._rng,
                name=name,
                alert_name=alert_name,
                severity=severity,
                application=application,
                subsystem=subsystem,
                description=description,
                meta_labels=meta_labels,
            )
            severity_value = parse_severity(content.severity)
            created = as_utc(created_at) if created_at is not None else as_utc(self._clock())
            stamp = self._next_stamp(at_least=created)
            record = IncidentRecord(
                id=self._new_id(),
                name=content.name or None,
                severity=severity_value,
                status=Status.INCIDENT_STATUS_TRIGGERED,
                state=State.INCIDENT_STATE_TRIGGERED,
                description=content.description or None,
                created_at=created,
                last_state_update_time=stamp,
                last_state_update_key=self._new_id(),
                is_muted=muted,
                contextual_labels={
                    "alert_id": stable_id("alert", content.alert_name),
                    "alert_name": content.alert_name,
                    "alert_type": content.alert_type,
                    "alert_severity": severity_title(severity_value),
                    "alert_group_by_fields": GROUP_BY_FIELDS,
                    "alert_notification_group_id": stable_id("notification-group", content.application),
                    "alert_notification_group_grouping_fields": GROUP_BY_FIELDS,
                    "alert_notification_group_integrations_ids": "",
                },
                display_labels={APPLICATION_LABEL: content.application, SUBSYSTEM_LABEL: content.subsystem},
                meta_labels=list(content.meta_labels),
            )
            payload = upsert_state_payload(Upsert.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED, muted, self._new_id())
            opening = new_event(
                self._new_id(), EvType.INCIDENT_EVENT_TYPE_OPEN, Actor.system(), upsert_state=payload
            )
            record.history.append(opening)
            self._event_log.append((stamp, record.id, opening))
            self._records[record.id] = record
            self._reposition(record)
            return record.id

    def generate(
        self, count: int, *, created_at: datetime | None = None, lifecycle: bool = False
    ) -> list[str]:
        """`count` random incidents from the seeded generator; returns their ids in creation order.

        Without `created_at` they were opened at random times in the last six hours. With
        `lifecycle`, people (alice, bob) and the alerting system have already worked on some of them:
        acknowledged, assigned, resolved, muted or closed.
        """
        ids = []
        with self._lock:
            self._views.clear()  # rebuilt on the next read: cheaper than repositioning each one
            now = as_utc(self._clock())
            for _ in range(count):
                when = created_at or now - timedelta(seconds=self._rng.uniform(60, 6 * 3600))
                nameless = self._rng.random() < 0.08
                incident_id = self.create_incident(
                    name="" if nameless else None,
                    severity=None,
                    muted=self._rng.random() < 0.03,
                    created_at=when,
                )
                if lifecycle:
                    self._work_on(incident_id)
                ids.append(incident_id)
        return ids

    def _work_on(self, incident_id: str) -> None:
        """What people and the alert may already have done to a generated incident."""
        work_on(
            self, incident_id, self._rng, lambda record_id, person: self.set_muted(record_id, True, by=person)
        )

    # ------------------------------------------------------------ changes from outside (one incident)

    def acknowledge(self, incident_id: str, by: str) -> None:
        self.acknowledge_many([incident_id], by)

    def resolve(self, incident_id: str, by: str) -> None:
        self.resolve_many([incident_id], by)

    def close(self, incident_id: str, by: str) -> None:
        self.close_many([incident_id], by)

    def assign(self, incident_id: str, to: str, by: str) -> None:
        self.assign_many([incident_id], to, by)

    def unassign(self, incident_id: str, by: str) -> None:
        self.unassign_many([incident_id], by)

    def retrigger(self, incident_id: str) -> None:
        """The alert fires again: triggered state and status, `closed_at` cleared (even if closed)."""

        def change(record: IncidentRecord, stamp: datetime) -> Event:
            record.state = State.INCIDENT_STATE_TRIGGERED
            record.status = Status.INCIDENT_STATUS_TRIGGERED
            record.closed_at = None
            payload = upsert_state_payload(
                Upsert.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED, record.is_muted, self._new_id()
            )
            return self._event(EvType.INCIDENT_EVENT_TYPE_UPSERT_STATE, Actor.system(), upsert_state=payload)

        self._apply([incident_id], _always, change)

    def auto_resolve(self, incident_id: str) -> None:
        """The alert condition cleared: Coralogix resolves the incident (state and status)."""

        def change(record: IncidentRecord, stamp: datetime) -> Event | None:
            if record.is_closed or (
                record.state == State.INCIDENT_STATE_RESOLVED
                and record.status == Status.INCIDENT_STATUS_RESOLVED
            ):
                return None
            record.state = State.INCIDENT_STATE_RESOLVED
            record.status = Status.INCIDENT_STATUS_RESOLVED
            payload = upsert_state_payload(
                Upsert.UPSERT_INCIDENT_STATE_TYPE_RESOLVED, record.is_muted, self._new_id()
            )
            return self._event(EvType.INCIDENT_EVENT_TYPE_UPSERT_STATE, Actor.system(), upsert_state=payload)

        self._apply([incident_id], _always, change)

    def set_muted(self, incident_id: str, muted: bool, by: str | None = None) -> None:
        """Mute or unmute; `by` a person (administrative event) or None (the alerting system)."""

        def change(record: IncidentRecord, stamp: datetime) -> Event | None:
            if record.is_muted == muted:
                return None
            record.is_muted = muted
            payload = upsert_state_payload(upsert_type_of(record.state), muted)
            return self._event(EvType.INCIDENT_EVENT_TYPE_UPSERT_STATE, Actor.of(by), upsert_state=payload)

        self._apply([incident_id], _always, change)

    def set_severity(self, incident_id: str, severity: str) -> None:
        """The alert's severity changed (e.g. its definition was edited)."""
        value = parse_severity(severity)

        def change(record: IncidentRecord, stamp: datetime) -> Event | None:
            if record.severity == value:
                return None
            record.severity = value
            record.contextual_labels["alert_severity"] = severity_title(value)
            payload = upsert_state_payload(upsert_type_of(record.state), record.is_muted)
            return self._event(EvType.INCIDENT_EVENT_TYPE_UPSERT_STATE, Actor.system(), upsert_state=payload)

        self._apply([incident_id], _always, change)

    # ------------------------------------------------------------ bulk actions (the mutating rpcs)

    def acknowledge_many(self, incident_ids: Sequence[str], by: str) -> list[incident_pb2.Incident]:
        def change(record: IncidentRecord, stamp: datetime) -> Event | None:
            if record.status == Status.INCIDENT_STATUS_ACKNOWLEDGED:
                return None
            record.status = Status.INCIDENT_STATUS_ACKNOWLEDGED
            return self._event(
                EvType.INCIDENT_EVENT_TYPE_ACKNOWLEDGE, Actor.person(by), acknowledge=acknowledge_payload(by)
            )

        return self._apply(incident_ids, _acknowledgeable, change)

    def resolve_many(self, incident_ids: Sequence[str], by: str) -> list[incident_pb2.Incident]:
        """A person resolves: status RESOLVED (the state follows the alert condition, not people)."""

        def change(record: IncidentRecord, stamp: datetime) -> Event | None:
            if record.status == Status.INCIDENT_STATUS_RESOLVED:
                return None
            record.status = Status.INCIDENT_STATUS_RESOLVED
            payload = upsert_state_payload(Upsert.UPSERT_INCIDENT_STATE_TYPE_RESOLVED, record.is_muted)
            return self._event(
                EvType.INCIDENT_EVENT_TYPE_UPSERT_STATE, Actor.person(by), upsert_state=payload
            )

        return self._apply(incident_ids, _open, change)

    def close_many(self, incident_ids: Sequence[str], by: str) -> list[incident_pb2.Incident]:
        def change(record: IncidentRecord, stamp: datetime) -> Event:
            record.closed_at = stamp
            record.status = Status.INCIDENT_STATUS_RESOLVED
            record.state = State.INCIDENT_STATE_RESOLVED
            return self._event(EvType.INCIDENT_EVENT_TYPE_CLOSE, Actor.person(by), close=close_payload(by))

        return self._apply(incident_ids, _open, change)

    def assign_many(self, incident_ids: Sequence[str], to: str, by: str) -> list[incident_pb2.Incident]:
        if not to:
            raise InvalidRequest("assigned_to.user_id is required")

        def change(record: IncidentRecord, stamp: datetime) -> Event | None:
            if record.assignment is not None and record.assignment[0] == to:
                return None
            record.assignment = (to, by)
            return self._event(
                EvType.INCIDENT_EVENT_TYPE_ASSIGN, Actor.person(by), assignment=assign_payload(to, by)
            )

        return self._apply(incident_ids, _open, change)

    def unassign_many(self, incident_ids: Sequence[str], by: str) -> list[incident_pb2.Incident]:
        def change(record: IncidentRecord, stamp: datetime) -> Event | None:
            if record.assignment is None:
                return None
            record.assignment = None
            return self._event(
                EvType.INCIDENT_EVENT_TYPE_UNASSIGN, Actor.person(by), unassign=unassign_payload()
            )

        return self._apply(incident_ids, _open, change)

    def _apply(
        self, incident_ids: Sequence[str], check: Check, change: Change
    ) -> list[incident_pb2.Incident]:
        """All or nothing: every id must exist and pass `check` before any incident changes.

        A change that returns None changed nothing (e.g. acknowledging twice): no event, no new key.
        """
        with self._lock:
            unique = list(dict.fromkeys(incident_ids))
            if not unique:
                raise InvalidRequest("incident_ids must not be empty")
            records = [self._require(incident_id) for incident_id in unique]
            for record in records:
                problem = check(record)
                if problem:
                    raise InvalidTransition(problem)
            for record in records:
                stamp = self._next_stamp()
                event = change(record, stamp)
                if event is not None:
                    record.history.append(event)
                    self._event_log.append((stamp, record.id, event))
                    record.last_state_update_time = stamp
                    record.last_state_update_key = self._new_id()
                    self._reposition(record)
            now = self._clock()
            return [record.render(now) for record in records]

    # ------------------------------------------------------------ reads

    def incident(self, incident_id: str) -> incident_pb2.Incident:
        """A copy of the incident as GetIncident returns it; IncidentNotFound for an unknown id."""
        with self._lock:
            return self._require(incident_id).render(self._clock())

    def incident_ids(self) -> list[str]:
        """Every id, oldest first (creation order)."""
        with self._lock:
            return list(self._records)

    def events(self, incident_id: str) -> list[Event]:
        """Copies of the incident's history, oldest first."""
        with self._lock:
            history = self._require(incident_id).history
            copies = []
            for event in history:
                copy = Event()
                copy.CopyFrom(event)
                copies.append(copy)
            return copies

    def stamped_events(self) -> list[tuple[datetime, str, Event]]:
        """Every incident's events as (when, incident id, event), oldest first; the events are the
        simulator's own (copy one before handing it out)."""
        with self._lock:
            return list(self._event_log)

    def batch_get(self, incident_ids: Sequence[str]) -> tuple[dict[str, incident_pb2.Incident], list[str]]:
        """(found by id, ids not found in request order)."""
        with self._lock:
            now = self._clock()
            found: dict[str, incident_pb2.Incident] = {}
            missing: list[str] = []
            for incident_id in dict.fromkeys(incident_ids):
                record = self._records.get(incident_id)
                if record is None:
                    missing.append(incident_id)
                else:
                    found[incident_id] = record.render(now)
            return found, missing

    def list_page(
        self,
        flt: incident_query_filter_pb2.IncidentQueryFilter,
        order_bys: Sequence[incident_query_pb2.OrderBy],
        page_size: int,
        page_token: str,
    ) -> tuple[list[incident_pb2.Incident], str | None, int]:
        """(incidents of the page, next page token or None, how many match the filter)."""
        with self._lock:
            view = self._view(flt, order_bys)
            records, next_token = query.page(view, query.page_size_of(page_size), page_token)
            now = self._clock()
            return [record.render(now) for record in records], next_token, len(view.records)

    def aggregations(
        self,
        flt: incident_query_filter_pb2.IncidentQueryFilter,
        group_bys: Sequence[incident_query_pb2.GroupBy],
        page_size: int,
        page_token: str,
    ) -> tuple[list[incident_pb2.IncidentAggregation], str | None, int]:
        """(aggregations of the page, next page token or None, how many groups there are)."""
        with self._lock:
            records = self._view(flt, ()).records
            groups = agg.aggregate(records, group_bys)
        signature = query.query_signature(flt, []) + "".join(
            group_by.SerializeToString(deterministic=True).hex() for group_by in group_bys
        )
        start, end, next_token = query.offset_page(
            len(groups), query.page_size_of(page_size), page_token, signature
        )
        return groups[start:end], next_token, len(groups)

    def filter_values(
        self, flt: incident_query_filter_pb2.IncidentQueryFilter
    ) -> incident_query_filters_values_pb2.IncidentQueryFiltersValues:
        with self._lock:
            return agg.filter_values(self._view(flt, ()).records)

    def now(self) -> datetime:
        return as_utc(self._clock())

    # ------------------------------------------------------------ internals

    def _view(
        self,
        flt: incident_query_filter_pb2.IncidentQueryFilter,
        order_bys: Sequence[incident_query_pb2.OrderBy],
    ) -> query.SortedView:
        """The sorted selection for (filter, order), cached and kept in order as incidents change."""
        signature = query.query_signature(flt, order_bys)
        view = self._views.get(signature)
        if view is None:
            terms = query.order_terms(order_bys)
            view = query.build_view(self._records.values(), query.compile_filter(flt), terms, signature)
            if len(self._views) >= _VIEW_CACHE_SIZE:
                self._views.clear()
            self._views[signature] = view
        return view

    def _reposition(self, record: IncidentRecord) -> None:
        """Keep the cached views in order after `record` appeared or changed (the caller holds the lock)."""
        for view in self._views.values():
            query.reposition(view, record)

    def _require(self, incident_id: str) -> IncidentRecord:
        record = self._records.get(incident_id)
        if record is None:
            raise IncidentNotFound(incident_id)
        return record

    def _event(
        self, event_type: incident_event_pb2.IncidentEventType.ValueType, actor: Actor, **payload: object
    ) -> Event:
        return new_event(self._new_id(), event_type, actor, **payload)
