"""ListIncidentAggregations and GetFilterValues: counts over the incidents a filter keeps."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf import wrappers_pb2

from bot.coralogix.pb import (
    incident_pb2,
    incident_query_filters_values_pb2,
    incident_query_pb2,
    meta_label_pb2,
)
from bot.sandbox.coralogix.errors import InvalidRequest
from bot.sandbox.coralogix.model import SEVERITY_RANK, IncidentRecord, timestamp, to_micros, user_details

_T = TypeVar("_T", bound=Hashable)
Fields = incident_pb2.IncidentFields
Values = incident_query_filters_values_pb2


def _text(value: str) -> wrappers_pb2.StringValue:
    return wrappers_pb2.StringValue(value=value)


def _u32(value: int) -> wrappers_pb2.UInt32Value:
    return wrappers_pb2.UInt32Value(value=value)


def _i32(value: int) -> wrappers_pb2.Int32Value:
    return wrappers_pb2.Int32Value(value=value)


@dataclass(frozen=True, slots=True)
class _Grouping:
    """How one GroupBy splits incidents: the group value of a record, and that value on the wire."""

    value_of: Callable[[IncidentRecord], Hashable]
    render: Callable[[Hashable], incident_pb2.GroupByValues]


def _field_grouping(field: incident_pb2.IncidentFields.ValueType) -> _Grouping:
    def one_of(**kwargs: object) -> incident_pb2.GroupByValues:
        return incident_pb2.GroupByValues(incident_field=incident_pb2.IncidentFieldOneOf(**kwargs))  # type: ignore[arg-type]

    if field == Fields.INCIDENTS_FIELDS_SEVERITY:
        return _Grouping(lambda r: r.severity, lambda v: one_of(severity=v))
    if field == Fields.INCIDENTS_FIELDS_STATUS:
        return _Grouping(lambda r: r.status, lambda v: one_of(status=v))
    if field == Fields.INCIDENTS_FIELDS_STATE:
        return _Grouping(lambda r: r.state, lambda v: one_of(state=v))
    if field == Fields.INCIDENTS_FIELDS_APPLICATION_NAME:
        return _Grouping(lambda r: r.application or "", lambda v: one_of(application_name=_text(str(v))))
    if field == Fields.INCIDENTS_FIELDS_SUBSYSTEM_NAME:
        return _Grouping(lambda r: r.subsystem or "", lambda v: one_of(subsystem_name=_text(str(v))))
    if field == Fields.INCIDENTS_FIELDS_NAME:
        return _Grouping(lambda r: r.name or "", lambda v: one_of(name=_text(str(v))))
    raise InvalidRequest(f"grouping by {Fields.Name(field)} is not supported")


def _label_grouping(label: str) -> _Grouping:
    def render(value: Hashable) -> incident_pb2.GroupByValues:
        labels = incident_pb2.ContextualLabels(field_name=_text(label), field_value=_text(str(value)))
        return incident_pb2.GroupByValues(contextual_labels=labels)

    return _Grouping(lambda r: r.contextual_labels.get(label, ""), render)


def _grouping(group_by: incident_query_pb2.GroupBy) -> _Grouping:
    if group_by.WhichOneof("field") == "contextual_label":
        return _label_grouping(group_by.contextual_label.value)
    return _field_grouping(group_by.incident_field)


def aggregate(
    records: Sequence[IncidentRecord], group_bys: Sequence[incident_query_pb2.GroupBy]
) -> list[incident_pb2.IncidentAggregation]:
    """One aggregation per group (biggest first; ASC on the first GroupBy: smallest first).

    With no GroupBy there is a single group of everything, even when it is empty.
    """
    groupings = [_grouping(group_by) for group_by in group_bys]
    groups: dict[tuple[Hashable, ...], list[IncidentRecord]] = defaultdict(list)
    if not groupings:
        groups[()] = list(records)
    for record in records if groupings else ():
        groups[tuple(g.value_of(record) for g in groupings)].append(record)
    ascending = bool(group_bys) and (
        group_bys[0].order_by_direction == incident_query_pb2.ORDER_BY_DIRECTION_ASC
    )
    sign = 1 if ascending else -1
    ordered = sorted(groups.items(), key=lambda item: (sign * len(item[1]), repr(item[0])))
    return [_aggregation(key, members, groupings) for key, members in ordered]


def _aggregation(
    key: tuple[Hashable, ...], members: list[IncidentRecord], groupings: list[_Grouping]
) -> incident_pb2.IncidentAggregation:
    agg = incident_pb2.IncidentAggregation(all_values_count=_u32(len(members)))
    agg.group_bys_value.extend(grouping.render(value) for grouping, value in zip(groupings, key, strict=True))
    severities = Counter(r.severity for r in members)
    for severity in sorted(severities, key=lambda s: -SEVERITY_RANK[s]):
        agg.agg_severity_count.add(severity=severity, count=_u32(severities[severity]))
    statuses = Counter(r.status for r in members)
    for status in sorted(statuses):
        agg.agg_status_count.add(status=status, count=_u32(statuses[status]))
    states = Counter(r.state for r in members)
    for state in sorted(states):
        agg.agg_state_count.add(state=state, count=_u32(states[state]))
    for assignee, count in _most_common(r.assignee for r in members if r.assignee):
        agg.agg_assignments_count.add(assigned_to=user_details(assignee), count=_u32(count))
    for (label_key, label_value), count in _most_common(pair for r in members for pair in r.meta_labels):
        agg.agg_meta_labels_count.add(
            meta_label=meta_label_pb2.MetaLabel(key=_text(label_key), value=_text(label_value)),
            count=_u32(count),
        )
    newest_first = sorted(members, key=lambda r: (-to_micros(r.created_at), r.id))
    agg.list_incidents_id.extend(_text(r.id) for r in newest_first)
    if members:
        agg.first_created_at.CopyFrom(timestamp(min(r.created_at for r in members)))
        agg.last_state_update_time.CopyFrom(timestamp(max(r.last_state_update_time for r in members)))
        closed = [r.closed_at for r in members if r.closed_at is not None]
        if closed:
            agg.last_closed_at.CopyFrom(timestamp(max(closed)))
    return agg


def _most_common(values: Iterable[_T]) -> list[tuple[_T, int]]:
    return _ranked(Counter(values))


def _ranked(counts: Counter[_T]) -> list[tuple[_T, int]]:
    """Counts, biggest first, ties in a stable order."""
    return sorted(counts.items(), key=lambda item: (-item[1], repr(item[0])))


def filter_values(records: Sequence[IncidentRecord]) -> Values.IncidentQueryFiltersValues:
    """Which values each filterable field takes among `records`, with how often."""
    out = Values.IncidentQueryFiltersValues()
    for assignee, count in _most_common(r.assignee for r in records if r.assignee):
        out.assignee_with_count.add(assignee=_text(assignee), count=_i32(count))
    for status, count in sorted(Counter(r.status for r in records).items()):
        out.status_with_count.add(status=status, count=_i32(count))
    for state, count in sorted(Counter(r.state for r in records).items()):
        out.state_with_count.add(state=state, count=_i32(count))
    for severity, count in sorted(Counter(r.severity for r in records).items()):
        out.severity_with_count.add(severity=severity, count=_i32(count))
    for key, values in _label_values(r.contextual_labels for r in records).items():
        contextual = out.contextual_labels[key]
        for value, count in values:
            contextual.values_with_count.add(contextual_label_value=_text(value), count=_i32(count))
    for key, values in _label_values(r.display_labels for r in records).items():
        display = out.display_labels[key]
        for value, count in values:
            display.values_with_count.add(display_label_value=_text(value), count=_i32(count))
    for (label_key, label_value), count in _most_common(pair for r in records for pair in r.meta_labels):
        out.meta_labels_with_count.add(
            meta_label=meta_label_pb2.MetaLabel(key=_text(label_key), value=_text(label_value)),
            count=_i32(count),
        )
    return out


def _label_values(label_maps: Iterable[dict[str, str]]) -> dict[str, list[tuple[str, int]]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for labels in label_maps:
        for key, value in labels.items():
            counts[key][value] += 1
    return {key: _ranked(counter) for key, counter in sorted(counts.items())}
