"""ListIncidents semantics: which records an `IncidentQueryFilter` keeps, their order, and page tokens.

Page tokens are keyset tokens (the sort key of the last incident served), so a page boundary stays put
even when incidents are added or changed between two pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from google.protobuf import wrappers_pb2

from bot.coralogix.pb import (
    filter_operators_pb2,
    incident_pb2,
    incident_query_filter_pb2,
    incident_query_pb2,
    incident_severity_pb2,
    incident_state_pb2,
    incident_status_pb2,
)
from bot.sandbox.coralogix.errors import InvalidRequest
from bot.sandbox.coralogix.model import SEVERITY_RANK, IncidentRecord, from_timestamp, to_micros

Fields = incident_pb2.IncidentFields
Direction = incident_query_pb2.OrderByDirection
QueryFilter = incident_query_filter_pb2.IncidentQueryFilter
Predicate = Callable[[IncidentRecord], bool]
Raw = int | str
Extractor = Callable[[IncidentRecord], Raw]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


# ---------------------------------------------------------------- filtering


def compile_filter(flt: QueryFilter) -> Predicate:
    """One predicate for the whole filter; every part given must hold (an empty filter keeps all)."""
    checks: list[Predicate] = []
    if flt.assignee:
        assignees = {value.value for value in flt.assignee}
        checks.append(lambda r: r.assignee in assignees)
    if flt.status:
        statuses = set(flt.status)
        checks.append(lambda r: r.status in statuses)
    if flt.state:
        states = set(flt.state)
        checks.append(lambda r: r.state in states)
    if flt.severity:
        severities = set(flt.severity)
        checks.append(lambda r: r.severity in severities)
    if flt.application_name:
        applications = {value.value for value in flt.application_name}
        checks.append(lambda r: r.application in applications)
    if flt.subsystem_name:
        subsystems = {value.value for value in flt.subsystem_name}
        checks.append(lambda r: r.subsystem in subsystems)
    if flt.HasField("is_muted"):
        muted = flt.is_muted.value
        checks.append(lambda r: r.is_muted == muted)
    checks.extend(_label_checks(flt))
    checks.extend(_time_checks(flt))
    if flt.meta_labels:
        checks.append(_meta_label_check(flt))
    if flt.HasField("search_query") and flt.search_query.query.value:
        checks.append(_search_check(flt.search_query))
    return lambda record: all(check(record) for check in checks)


def _label_checks(flt: QueryFilter) -> Iterable[Predicate]:
    for key, contextual in flt.contextual_labels.items():
        yield _label_check("contextual_labels", key, contextual.contextual_label_values)
    for key, display in flt.display_labels.items():
        yield _label_check("display_labels", key, display.display_label_values)


def _label_check(kind: str, key: str, values: Iterable[wrappers_pb2.StringValue]) -> Predicate:
    """The label must be one of `values`; with no values, it only has to be present."""
    wanted = {value.value for value in values}

    def check(record: IncidentRecord) -> bool:
        labels: dict[str, str] = getattr(record, kind)
        return key in labels if not wanted else labels.get(key) in wanted

    return check


def _time_checks(flt: QueryFilter) -> Iterable[Predicate]:
    """`created_at_range` and the older top-level start/end times both bound the creation time."""
    ranges = [flt.created_at_range] if flt.HasField("created_at_range") else []
    for bound in ranges:
        if bound.HasField("start_time"):
            yield _created_from(from_timestamp(bound.start_time))
        if bound.HasField("end_time"):
            yield _created_until(from_timestamp(bound.end_time))
    if flt.HasField("start_time"):
        yield _created_from(from_timestamp(flt.start_time))
    if flt.HasField("end_time"):
        yield _created_until(from_timestamp(flt.end_time))


def _created_from(start: datetime) -> Predicate:
    start_micros = to_micros(start)
    return lambda r: to_micros(r.created_at) >= start_micros


def _created_until(end: datetime) -> Predicate:
    end_micros = to_micros(end)
    return lambda r: to_micros(r.created_at) <= end_micros


def _meta_label_check(flt: QueryFilter) -> Predicate:
    """Meta labels: any must match (OR, the default) or all (AND); a label without value matches its key."""
    wanted = [
        (label.key.value, label.value.value if label.HasField("value") else None) for label in flt.meta_labels
    ]

    def has(record: IncidentRecord, key: str, value: str | None) -> bool:
        return any(k == key and (value is None or v == value) for k, v in record.meta_labels)

    if flt.meta_labels_op == filter_operators_pb2.FILTER_OPERATOR_AND:
        return lambda r: all(has(r, key, value) for key, value in wanted)
    return lambda r: any(has(r, key, value) for key, value in wanted)


def _search_check(search: incident_query_pb2.IncidentSearchQuery) -> Predicate:
    """Case-insensitive substring search in one field, or in name, alert name, description and id."""
    needle = search.query.value.casefold()
    which = search.WhichOneof("field")
    if which == "contextual_label":
        label = search.contextual_label.value
        return lambda r: needle in (r.contextual_labels.get(label) or "").casefold()
    if which == "incident_field":
        field = search.incident_field
        return lambda r: needle in text_of(r, field).casefold()
    return lambda r: any(
        needle in (text or "").casefold()
        for text in (r.name, r.contextual_labels.get("alert_name"), r.description, r.id)
    )


def text_of(record: IncidentRecord, field: incident_pb2.IncidentFields.ValueType) -> str:
    """A field as text, for searching: enum fields by their value name (e.g. 'INCIDENT_SEVERITY_ERROR')."""
    if field == Fields.INCIDENTS_FIELDS_SEVERITY:
        return incident_severity_pb2.IncidentSeverity.Name(record.severity)
    if field == Fields.INCIDENTS_FIELDS_STATUS:
        return incident_status_pb2.IncidentStatus.Name(record.status)
    if field == Fields.INCIDENTS_FIELDS_STATE:
        return incident_state_pb2.IncidentState.Name(record.state)
    return str(_extractor(field)(record))


# ---------------------------------------------------------------- ordering


@dataclass(frozen=True, slots=True)
class _Descending:
    """Wraps a string so that it sorts in reverse inside an otherwise ascending tuple."""

    value: str

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value


@dataclass(frozen=True, slots=True)
class OrderTerm:
    extract: Extractor
    descending: bool


def _field_extractors() -> dict[int, Extractor]:
    return {
        Fields.INCIDENTS_FIELDS_ID: lambda r: r.id,
        Fields.INCIDENTS_FIELDS_SEVERITY: lambda r: SEVERITY_RANK[r.severity],
        Fields.INCIDENTS_FIELDS_NAME: lambda r: r.name or "",
        Fields.INCIDENTS_FIELDS_CREATED_TIME: lambda r: to_micros(r.created_at),
        Fields.INCIDENTS_FIELDS_CLOSED_TIME: lambda r: -1 if r.closed_at is None else to_micros(r.closed_at),
        Fields.INCIDENTS_FIELDS_STATE: lambda r: int(r.state),
        Fields.INCIDENTS_FIELDS_STATUS: lambda r: int(r.status),
        Fields.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME: lambda r: to_micros(r.last_state_update_time),
        Fields.INCIDENTS_FIELDS_APPLICATION_NAME: lambda r: r.application or "",
        Fields.INCIDENTS_FIELDS_SUBSYSTEM_NAME: lambda r: r.subsystem or "",
    }


_EXTRACTORS = _field_extractors()


def _extractor(field: incident_pb2.IncidentFields.ValueType) -> Extractor:
    if field == Fields.INCIDENTS_FIELDS_UNSPECIFIED:
        field = Fields.INCIDENTS_FIELDS_CREATED_TIME
    try:
        return _EXTRACTORS[field]
    except KeyError:
        raise InvalidRequest(f"ordering by {Fields.Name(field)} is not supported") from None


def _label_extractor(label: str) -> Extractor:
    return lambda record: record.contextual_labels.get(label, "")


def order_terms(order_bys: Sequence[incident_query_pb2.OrderBy]) -> tuple[OrderTerm, ...]:
    """The requested ordering (none: newest first); UNSPECIFIED direction means descending."""
    if not order_bys:
        return (OrderTerm(_EXTRACTORS[Fields.INCIDENTS_FIELDS_CREATED_TIME], descending=True),)
    terms = []
    for order in order_bys:
        descending = order.direction != Direction.ORDER_BY_DIRECTION_ASC
        if order.WhichOneof("field") == "contextual_label":
            terms.append(OrderTerm(_label_extractor(order.contextual_label.value), descending))
        else:
            terms.append(OrderTerm(_extractor(order.incident_field), descending))
    return tuple(terms)


def raw_key(record: IncidentRecord, terms: Sequence[OrderTerm]) -> list[Raw]:
    """The plain values a record sorts by, id last (ties are broken by id so pages are stable)."""
    return [term.extract(record) for term in terms] + [record.id]


def comparable(raw: Sequence[Raw], terms: Sequence[OrderTerm]) -> tuple[object, ...]:
    """A tuple that Python sorts ascending in the requested order."""
    parts: list[object] = []
    for value, term in zip(raw, terms, strict=False):
        if not term.descending:
            parts.append(value)
        elif isinstance(value, int):
            parts.append(-value)
        else:
            parts.append(_Descending(value))
    parts.append(raw[-1])
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class SortedView:
    """The records one (filter, order) selects, in order, with their sort keys for bisecting.

    A change to one record repositions it (`reposition`), so the view survives changes instead of
    being rebuilt: re-sorting 10,000 incidents after every change would dominate a poll's cost here.
    """

    records: list[IncidentRecord]
    keys: list[tuple[object, ...]]
    terms: tuple[OrderTerm, ...]
    signature: str
    predicate: Predicate
    key_of: dict[str, tuple[object, ...]]


def build_view(
    records: Iterable[IncidentRecord], predicate: Predicate, terms: tuple[OrderTerm, ...], signature: str
) -> SortedView:
    keyed = [(comparable(raw_key(r, terms), terms), r) for r in records if predicate(r)]
    keyed.sort(key=lambda pair: pair[0])
    return SortedView(
        [r for _, r in keyed],
        [key for key, _ in keyed],
        terms,
        signature,
        predicate,
        {r.id: key for key, r in keyed},
    )


def reposition(view: SortedView, record: IncidentRecord) -> None:
    """Move a new or changed record to where it now belongs in `view` (or out of it)."""
    old = view.key_of.pop(record.id, None)
    if old is not None:
        at = bisect_left(view.keys, old)
        del view.keys[at]
        del view.records[at]
    if view.predicate(record):
        key = comparable(raw_key(record, view.terms), view.terms)
        at = bisect_left(view.keys, key)
        view.keys.insert(at, key)
        view.records.insert(at, record)
        view.key_of[record.id] = key


def query_signature(flt: QueryFilter, order_bys: Sequence[incident_query_pb2.OrderBy]) -> str:
    """Identifies a query, so a page token is only accepted by the query that issued it."""
    blob = flt.SerializeToString(deterministic=True)
    for order in order_bys:
        blob += b"|" + order.SerializeToString(deterministic=True)
    return f"{zlib.crc32(blob):08x}"


# ---------------------------------------------------------------- paging


def page_size_of(requested: int) -> int:
    if requested <= 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def encode_token(signature: str, payload: object) -> str:
    text = json.dumps({"q": signature, "after": payload}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(signature: str, token: str) -> object:
    """The payload of a token issued for the same query; anything else is INVALID_ARGUMENT."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequest("invalid page_token") from None
    if not isinstance(data, dict) or data.get("q") != signature or "after" not in data:
        raise InvalidRequest("invalid page_token (it belongs to another query)")
    return data["after"]


def page(view: SortedView, size: int, token: str) -> tuple[list[IncidentRecord], str | None]:
    """One page after the token's position, and the token for the next page (None on the last)."""
    start = 0
    if token:
        after = decode_token(view.signature, token)
        if not isinstance(after, list) or len(after) != len(view.terms) + 1:
            raise InvalidRequest("invalid page_token")
        if not all(isinstance(part, int | str) for part in after):
            raise InvalidRequest("invalid page_token")
        try:
            start = bisect_right(view.keys, comparable(after, view.terms))
        except TypeError:
            raise InvalidRequest("invalid page_token") from None
    records = view.records[start : start + size]
    if start + size >= len(view.records) or not records:
        return records, None
    return records, encode_token(view.signature, raw_key(records[-1], view.terms))


def offset_page(total: int, size: int, token: str, signature: str) -> tuple[int, int, str | None]:
    """Offset paging for small result lists (aggregations): (start, end, next token)."""
    start = 0
    if token:
        after = decode_token(signature, token)
        if not isinstance(after, int) or after < 0:
            raise InvalidRequest("invalid page_token")
        start = after
    end = min(total, start + size)
    return start, end, encode_token(signature, end) if end < total else None
