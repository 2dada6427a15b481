"""The simulated Coralogix account as the Cases API shows it: cases, their events, keys, calls and faults.

A stand-in for an account on Cases (new Coralogix accounts). It has its own records and lifecycle (see
`cases_model`) but the incidents simulator's content generator, API keys (with `case:*` permissions),
fault injector and recorded calls, and a control API with the same names where they mean the same
(`create_incident`, `generate`, `acknowledge`, `assign`, `resolve`, `close`, `retrigger`, `auto_resolve`,
`set_severity`, `calls_to`, `faults`, ...), so a test can drive either simulator the same way.

Every event names who caused it: the person's user id (for AcknowledgeCase the request's `actor`, for
the other writes the key's owner) or the system. Every method takes one lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.coralogix.pb.cases import case_event_pb2, case_filters_pb2, case_pb2, cases_service_pb2
from bot.domain import APPLICATION_LABEL, SUBSYSTEM_LABEL
from bot.sandbox.coralogix import cases_query
from bot.sandbox.coralogix.account import SimulatedAccount
from bot.sandbox.coralogix.accounts import CASE_PERMISSIONS, CASE_READ, default_keys
from bot.sandbox.coralogix.cases_model import (
    CaseEvent,
    CaseRecord,
    CaseState,
    CaseStatus,
    PriorityValue,
    Resolver,
    new_case_event,
    parse_category,
    parse_priority,
    priority_changed,
    resolved,
    status_changed,
)
from bot.sandbox.coralogix.errors import IncidentNotFound, InvalidRequest, InvalidTransition, SandboxError
from bot.sandbox.coralogix.faults import FaultInjector
from bot.sandbox.coralogix.generator import random_content, stable_id
from bot.sandbox.coralogix.lifecycle import work_on
from bot.sandbox.coralogix.model import as_utc, timestamp

Check = Callable[[CaseRecord], str | None]
Change = Callable[[CaseRecord, datetime], list[CaseEvent]]
OrderBy = cases_service_pb2.ListCasesRequest.CaseOrderBy

_VIEW_CACHE_SIZE = 64


class CaseNotFound(IncidentNotFound):
    """NOT_FOUND for a case id (or a case event id)."""

    def __init__(self, case_id: str, what: str = "case") -> None:
        SandboxError.__init__(self, f"{what} {case_id} not found")
        self.incident_id = case_id


def _always(record: CaseRecord) -> str | None:
    return None


def _not_closed(action: str) -> Check:
    def check(record: CaseRecord) -> str | None:
        return f"case {record.id} is closed; it cannot be {action}" if record.is_closed else None

    return check


def _acknowledgeable(record: CaseRecord) -> str | None:
    if record.is_closed:
        return f"case {record.id} is closed; it cannot be acknowledged"
    if record.is_resolved:
        return f"case {record.id} is resolved; it cannot be acknowledged"
    return None


class SimulatedCases(SimulatedAccount):
    """State and control API of the simulated CasesService and CaseEventsService (rpcs: `cases_servicer`)."""

    api = "cases"
    known_permissions = CASE_PERMISSIONS

    def __init__(
        self,
        *,
        seed: int = 0,
        api_keys: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        max_recorded_calls: int = 10_000,
    ) -> None:
        super().__init__(
            seed=seed,
            ids_seed=f"coralogix-cases-sandbox-ids:{seed}",
            clock=clock,
            keys=default_keys(api_keys, known=CASE_PERMISSIONS, read=CASE_READ),
            max_recorded_calls=max_recorded_calls,
        )
        self._records: dict[str, CaseRecord] = {}
        self._event_owner: dict[str, str] = {}  # event id -> case id
        self._views: dict[str, cases_query.CaseView] = {}
        self._version = 0
        self._next_number = 1
        self._faults = FaultInjector()

    @property
    def faults(self) -> FaultInjector:
        return self._faults

    # ------------------------------------------------------------ creating cases

    def create_case(
        self,
        *,
        title: str | None = None,
        priority: str | None = None,
        severity: str | None = "error",
        application: str | None = None,
        subsystem: str | None = None,
        description: str | None = None,
        labels: Mapping[str, str] | None = None,
        alert_name: str | None = None,
        category: str = "availability",
        created_at: datetime | None = None,
        active: bool = True,
    ) -> str:
        """A new OPEN case, as an alert opening it would; returns its id.

        `priority` ("P1".."P5") wins over `severity` (a severity name, mapped P1 critical … P5 low;
        None: the alert template's usual one). Anything else left None comes from a random alert
        template. `active=False` leaves it CREATED (its alert not firing yet; see `activate`).
        """
        with self._lock:
            content = random_content(
                self._rng,
                name=title,
                alert_name=alert_name,
                severity=severity,
                application=application,
                subsystem=subsystem,
                description=description,
                meta_labels=labels,
            )
            system_priority = parse_priority(priority or content.severity)
            created = as_utc(created_at) if created_at is not None else as_utc(self._clock())
            stamp = self._next_stamp(at_least=created)
            record = CaseRecord(
                id=self._new_id(),
                readable_id=f"CASE-{self._next_number}",
                title=content.name or content.alert_name,
                description=content.description or None,
                status=CaseStatus.CASE_STATUS_OPEN,
                state=CaseState.CASE_STATE_ACTIVE if active else CaseState.CASE_STATE_CREATED,
                system_priority=system_priority,
                category=parse_category(category),
                create_time=created,
                update_time=stamp,
                alert_id=stable_id("alert", content.alert_name),
                alert_version_id=stable_id("alert-version", content.alert_name),
                trigger_time=created,
                labels=list(content.meta_labels),
                groupings=[(APPLICATION_LABEL, content.application), (SUBSYSTEM_LABEL, content.subsystem)],
            )
            self._next_number += 1
            self._records[record.id] = record
            self._append(record, self._event(created, None, created=_created(system_priority)))
            if active:
                self._append(
                    record, self._event(created, None, activated=case_event_pb2.ActivatedCaseEvent())
                )
            self._changed()
            return record.id

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
        """`SimulatedCoralogix.create_incident`'s signature for a case (meta labels become labels;
        `muted` is ignored: a case cannot be muted)."""
        return self.create_case(
            title=name or None,
            severity=severity,
            application=application,
            subsystem=subsystem,
            description=description,
            labels=meta_labels,
            alert_name=alert_name,
            created_at=created_at,
        )

    def generate(
        self, count: int, *, created_at: datetime | None = None, lifecycle: bool = False
    ) -> list[str]:
        """`count` random cases opened in the last six hours (or at `created_at`); with `lifecycle`,
        people (alice, bob) and the alerting have already worked on some of them."""
        ids = []
        with self._lock:
            now = as_utc(self._clock())
            for _ in range(count):
                when = created_at or now - timedelta(seconds=self._rng.uniform(60, 6 * 3600))
                category = "security" if self._rng.random() < 0.1 else "availability"
                case_id = self.create_case(severity=None, created_at=when, category=category)
                if lifecycle:
                    self._work_on(case_id)
                ids.append(case_id)
        return ids

    def _work_on(self, case_id: str) -> None:
        """What people and the alert may already have done to a generated case."""
        work_on(
            self,
            case_id,
            self._rng,
            lambda record_id, person: self.comment(record_id, "Looking into it.", person),
        )

    # ------------------------------------------------------------ changes (each returns the case now)

    def activate(self, case_id: str) -> case_pb2.Case:
        """The case's alert starts firing: CREATED -> ACTIVE (by the system)."""

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.state != CaseState.CASE_STATE_CREATED:
                return []
            record.state = CaseState.CASE_STATE_ACTIVE
            return [self._event(stamp, None, activated=case_event_pb2.ActivatedCaseEvent())]

        return self._apply(case_id, _always, change)

    def acknowledge(self, case_id: str, by: str) -> case_pb2.Case:
        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.status == CaseStatus.CASE_STATUS_ACKNOWLEDGED:
                return []
            old, record.status = record.status, CaseStatus.CASE_STATUS_ACKNOWLEDGED
            record.acknowledge_time = stamp
            return [self._event(stamp, by, status_changed=status_changed(old, record.status))]

        return self._apply(case_id, _acknowledgeable, change)

    def resolve(self, case_id: str, by: str, reason: str | None = None) -> case_pb2.Case:
        """A person resolves: state RESOLVED (the status stays; closing is a separate step)."""

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            return self._resolve(record, stamp, by, reason)

        return self._apply(case_id, _not_closed("resolved"), change)

    def close(self, case_id: str, by: str, reason: str | None = None) -> case_pb2.Case:
        """Status CLOSED, resolving first if need be; closing a closed case changes nothing."""

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.is_closed:
                return []
            events = self._resolve(record, stamp, by, reason)
            old, record.status = record.status, CaseStatus.CASE_STATUS_CLOSED
            return [*events, self._event(stamp, by, status_changed=status_changed(old, record.status))]

        return self._apply(case_id, _always, change)

    def assign(self, case_id: str, to: str, by: str) -> case_pb2.Case:
        if not to:
            raise InvalidRequest("assignee.user_id is required")

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.assignee == to:
                return []
            previous, record.assignee = record.assignee, to
            data = case_event_pb2.AssignedCaseEvent(assignee_user_id=to, previous_assignee_user_id=previous)
            return [self._event(stamp, by, assigned=data)]

        return self._apply(case_id, _not_closed("assigned"), change)

    def unassign(self, case_id: str, by: str) -> case_pb2.Case:
        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.assignee is None:
                return []
            previous, record.assignee = record.assignee, None
            data = case_event_pb2.UnassignedCaseEvent(previous_assignee_user_id=previous)
            return [self._event(stamp, by, unassigned=data)]

        return self._apply(case_id, _not_closed("unassigned"), change)

    def retrigger(self, case_id: str) -> case_pb2.Case:
        """The alert fires again: state ACTIVE, status back to OPEN (a closed case reopens)."""

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            events: list[CaseEvent] = []
            if record.status != CaseStatus.CASE_STATUS_OPEN:
                old, record.status = record.status, CaseStatus.CASE_STATUS_OPEN
                record.acknowledge_time = None
                events.append(self._event(stamp, None, status_changed=status_changed(old, record.status)))
            record.state = CaseState.CASE_STATE_ACTIVE
            record.resolution = None
            record.alert_resolve_time = None
            record.trigger_time = stamp
            events.append(self._event(stamp, None, activated=case_event_pb2.ActivatedCaseEvent()))
            return events

        return self._apply(case_id, _always, change)

    def auto_resolve(self, case_id: str) -> case_pb2.Case:
        """The alert condition cleared: Coralogix resolves the case (by the system)."""

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.is_closed or record.is_resolved:
                return []
            record.alert_resolve_time = stamp
            return self._resolve(record, stamp, None, None)

        return self._apply(case_id, _always, change)

    def set_priority(self, case_id: str, priority: str) -> case_pb2.Case:
        """The system's priority changed (e.g. the alert's was edited); 'P2' or a severity name."""
        value = parse_priority(priority)

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.system_priority == value:
                return []
            before = record.priority_details()
            record.system_priority = value
            data = priority_changed(before, record.priority_details())
            return [self._event(stamp, None, priority_details_changed=data)]

        return self._apply(case_id, _always, change)

    def set_severity(self, case_id: str, severity: str) -> case_pb2.Case:
        """`SimulatedCoralogix.set_severity` for a case: the severity's priority (error is P2)."""
        return self.set_priority(case_id, severity)

    def override_priority(self, case_id: str, priority: str | None, by: str) -> case_pb2.Case:
        """A person sets (or, with None, removes) the priority override."""
        value: PriorityValue | None = parse_priority(priority) if priority is not None else None

        def change(record: CaseRecord, stamp: datetime) -> list[CaseEvent]:
            if record.override_priority == value:
                return []
            before = record.priority_details()
            record.override_priority = value
            data = priority_changed(before, record.priority_details())
            return [self._event(stamp, by, priority_details_changed=data)]

        return self._apply(case_id, _always, change)

    def update(
        self, case_id: str, *, by: str, title: str | None = None, description: str | None = None
    ) -> case_pb2.Case:
        """A person edits the title and/or the description (no event: Cases records none for it)."""
        if title is not None and not title.strip():
            raise InvalidRequest("title must not be empty")
        with self._lock:
            record = self._require(case_id)
            if title is not None:
                record.title = title
            if description is not None:
                record.description = description or None
            record.update_time = self._next_stamp()
            self._changed()
            return record.render()

    def comment(self, case_id: str, text: str, by: str) -> str:
        """A person's comment; returns the event's id."""
        if not text.strip():
            raise InvalidRequest("text must not be empty")
        with self._lock:
            record = self._require(case_id)
            stamp = self._next_stamp()
            event = self._event(stamp, by, comment=case_event_pb2.CommentCaseEvent(unsafe_text=text))
            self._append(record, event)
            record.update_time = stamp
            self._changed()
            return event.event_id

    def update_comment(self, event_id: str, text: str) -> CaseEvent:
        if not text.strip():
            raise InvalidRequest("text must not be empty")
        with self._lock:
            event = self._require_comment(event_id)
            event.event_data.comment.unsafe_text = text
            event.update_time.CopyFrom(timestamp(self._next_stamp()))
            return _copy(event)

    def delete_comment(self, event_id: str) -> None:
        with self._lock:
            event = self._require_comment(event_id)
            record = self._records[self._event_owner.pop(event_id)]
            record.history.remove(event)

    def notify(self, case_id: str, error: str | None = None) -> None:
        """Coralogix sent the case's notifications (or failed to, with `error`)."""
        with self._lock:
            record = self._require(case_id)
            stamp = self._next_stamp()
            if error is None:
                data = case_event_pb2.NotificationSentCaseEvent()
                data.notifications.add(token=self._new_id())
                event = self._event(stamp, None, notification_sent=data)
            else:
                failed = case_event_pb2.NotificationFailedCaseEvent(error=error)
                event = self._event(stamp, None, notification_failed=failed)
            self._append(record, event)

    # ------------------------------------------------------------ reads

    def case(self, case_id: str) -> case_pb2.Case:
        """A copy of the case as GetCase returns it; CaseNotFound for an unknown id."""
        with self._lock:
            return self._require(case_id).render()

    def case_ids(self) -> list[str]:
        """Every id, oldest first (creation order)."""
        with self._lock:
            return list(self._records)

    def incident_ids(self) -> list[str]:
        """`case_ids`, named as on the incidents simulator."""
        return self.case_ids()

    def events(self, case_id: str) -> list[CaseEvent]:
        """Copies of the case's events, oldest first."""
        with self._lock:
            return [_copy(event) for event in self._require(case_id).history]

    def event(self, event_id: str) -> CaseEvent:
        with self._lock:
            case_id = self._event_owner.get(event_id)
            if case_id is None:
                raise CaseNotFound(event_id, "event")
            return _copy(next(e for e in self._records[case_id].history if e.event_id == event_id))

    def list_page(
        self,
        flt: case_filters_pb2.CaseFilters,
        order_by: OrderBy,
        page_size: int,
        page_token: str,
        skip: int = 0,
    ) -> tuple[list[case_pb2.Case], str | None, int]:
        """(cases of the page, next page token or None, how many match the filter)."""
        with self._lock:
            view = self._view(flt, order_by)
            records, next_token = cases_query.page(view, page_size, page_token, skip)
            return [record.render() for record in records], next_token, len(view.records)

    def filter_values(self, flt: case_filters_pb2.CaseFilters) -> cases_service_pb2.GetFilterValuesResponse:
        with self._lock:
            return cases_query.filter_values(self._view(flt, OrderBy()).records)

    def now(self) -> datetime:
        return as_utc(self._clock())

    # ------------------------------------------------------------ internals

    def _resolve(
        self, record: CaseRecord, stamp: datetime, by: str | None, reason: str | None
    ) -> list[CaseEvent]:
        if record.is_resolved:
            return []
        previous, record.state = record.state, CaseState.CASE_STATE_RESOLVED
        resolver = Resolver.CASE_RESOLVER_SYSTEM if by is None else Resolver.CASE_RESOLVER_USER
        record.resolution = (resolver, stamp)
        return [self._event(stamp, by, resolved=resolved(previous, reason))]

    def _apply(self, case_id: str, check: Check, change: Change) -> case_pb2.Case:
        """`check` then `change` one case under the lock; a change with no events changed nothing."""
        with self._lock:
            record = self._require(case_id)
            problem = check(record)
            if problem:
                raise InvalidTransition(problem)
            stamp = self._next_stamp()
            events = change(record, stamp)
            if events:
                for event in events:
                    self._append(record, event)
                record.update_time = stamp
                self._changed()
            return record.render()

    def _append(self, record: CaseRecord, event: CaseEvent) -> None:
        record.history.append(event)
        self._event_owner[event.event_id] = record.id

    def _changed(self) -> None:
        self._version += 1

    def _view(self, flt: case_filters_pb2.CaseFilters, order_by: OrderBy) -> cases_query.CaseView:
        signature = cases_query.signature_of(flt, order_by)
        view = self._views.get(signature)
        if view is None or view.version != self._version:
            view = cases_query.build_view(self._records.values(), flt, order_by, self._version)
            if len(self._views) >= _VIEW_CACHE_SIZE:
                self._views.clear()
            self._views[signature] = view
        return view

    def _require(self, case_id: str) -> CaseRecord:
        record = self._records.get(case_id)
        if record is None:
            raise CaseNotFound(case_id)
        return record

    def _require_comment(self, event_id: str) -> CaseEvent:
        case_id = self._event_owner.get(event_id)
        if case_id is None:
            raise CaseNotFound(event_id, "event")
        event = next(e for e in self._records[case_id].history if e.event_id == event_id)
        if event.event_data.WhichOneof("data") != "comment":
            raise InvalidRequest(f"event {event_id} is not a comment")
        return event

    def _event(self, at: datetime, by: str | None, **data: object) -> CaseEvent:
        return new_case_event(self._new_id(), at, by, **data)


def _created(priority: PriorityValue) -> case_event_pb2.CreatedCaseEvent:
    return case_event_pb2.CreatedCaseEvent(priority=priority)


def _copy(event: CaseEvent) -> CaseEvent:
    copy = CaseEvent()
    copy.CopyFrom(event)
    return copy
