"""ListCases semantics in the simulator: which cases a `CaseFilters` keeps, their order, and page tokens.

Page tokens are keyset tokens (the sort key of the last case served, as in the incidents simulator), so a
page boundary stays put when cases are added or changed between two pages.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer

from bot.coralogix.pb.cases import case_filters_pb2, cases_service_pb2
from bot.sandbox.coralogix.cases_model import CaseRecord
from bot.sandbox.coralogix.errors import InvalidRequest
from bot.sandbox.coralogix.model import from_timestamp, to_micros
from bot.sandbox.coralogix.query import decode_token, encode_token, page_size_of

OrderBy = cases_service_pb2.ListCasesRequest.CaseOrderBy
Filters = case_filters_pb2.CaseFilters
Predicate = Callable[[CaseRecord], bool]
SortKey = tuple[int, int, str]
Aggregations = cases_service_pb2.GetFilterValuesResponse


def compile_filters(flt: Filters) -> Predicate:
    """One predicate for the whole filter; every part given must hold (an empty filter keeps all)."""
    checks: list[Predicate] = []
    if flt.states:
        states = set(flt.states)
        checks.append(lambda r: r.state in states)
    if flt.statuses:
        statuses = set(flt.statuses)
        checks.append(lambda r: r.status in statuses)
    if flt.priorities:
        priorities = set(flt.priorities)
        checks.append(lambda r: r.priority in priorities)
    if flt.categories:
        categories = set(flt.categories)
        checks.append(lambda r: r.category in categories)
    for group in flt.groupings:
        checks.append(_group_check(group, grouping=True))
    for group in flt.labels:
        checks.append(_group_check(group, grouping=False))
    if flt.assignees:
        checks.append(_assignee_check(flt.assignees))
    if flt.HasField("text_search") and flt.text_search.strip():
        checks.append(_text_check(flt.text_search))
    if flt.HasField("date_range"):
        checks.extend(_date_checks(flt.date_range))
    return lambda record: all(check(record) for check in checks)


def _group_check(group: case_filters_pb2.FilterGroup, *, grouping: bool) -> Predicate:
    values = set(group.values)
    key = group.key
    if grouping:
        return lambda r: r.grouping(key) in values
    return lambda r: r.label(key) in values


def _assignee_check(options: Iterable[case_filters_pb2.AssigneeOption]) -> Predicate:
    wanted: set[str | None] = set()
    for option in options:
        which = option.WhichOneof("value")
        if which == "unassigned":
            wanted.add(None)
        elif which == "assignee":
            wanted.add(option.assignee)
    return lambda r: r.assignee in wanted


def _text_check(text: str) -> Predicate:
    """Case-insensitive: the id, the readable id, the title or the description contains the text."""
    needle = text.strip().casefold()

    def check(record: CaseRecord) -> bool:
        return any(
            needle in value.casefold()
            for value in (record.id, record.readable_id, record.title, record.description or "")
        )

    return check


def _date_checks(date_range: case_filters_pb2.DateRangeFilter) -> Iterable[Predicate]:
    """The creation time within [from, to); a bound left unset does not bound."""
    start = getattr(date_range, "from")
    if date_range.HasField("from"):
        start_micros = to_micros(from_timestamp(start))
        yield lambda r: to_micros(r.create_time) >= start_micros
    if date_range.HasField("to"):
        end_micros = to_micros(from_timestamp(date_range.to))
        yield lambda r: to_micros(r.create_time) < end_micros


def sort_key(order_by: OrderBy) -> Callable[[CaseRecord], SortKey]:
    """(field, creation time, id), negated when descending; the default is newest created first."""
    sign = -1 if order_by.direction != OrderBy.CASE_ORDER_BY_DIRECTION_ASCENDING else 1
    field = order_by.field
    primary: Callable[[CaseRecord], int]
    if field == OrderBy.CASE_ORDER_BY_FIELD_PRIORITY:
        primary = lambda r: int(r.priority)  # noqa: E731
    elif field == OrderBy.CASE_ORDER_BY_FIELD_STATUS:
        primary = lambda r: int(r.status)  # noqa: E731
    elif field == OrderBy.CASE_ORDER_BY_FIELD_STATE:
        primary = lambda r: int(r.state)  # noqa: E731
    elif field == OrderBy.CASE_ORDER_BY_FIELD_CATEGORY:
        primary = lambda r: int(r.category)  # noqa: E731
    elif field == OrderBy.CASE_ORDER_BY_FIELD_UPDATED_AT:
        primary = lambda r: to_micros(r.update_time)  # noqa: E731
    else:
        primary = lambda r: to_micros(r.create_time)  # noqa: E731
    return lambda r: (sign * primary(r), sign * to_micros(r.create_time), r.id)


@dataclass(slots=True)
class CaseView:
    """The cases one (filter, order) selects, sorted, with their keys; valid for one `version`."""

    signature: str
    version: int
    keys: list[SortKey]
    records: list[CaseRecord]


def signature_of(flt: Filters, order_by: OrderBy) -> str:
    return (
        flt.SerializeToString(deterministic=True).hex()
        + ":"
        + order_by.SerializeToString(deterministic=True).hex()
    )


def build_view(records: Iterable[CaseRecord], flt: Filters, order_by: OrderBy, version: int) -> CaseView:
    keep = compile_filters(flt)
    key = sort_key(order_by)
    pairs = sorted(((key(r), r) for r in records if keep(r)), key=lambda pair: pair[0])
    return CaseView(signature_of(flt, order_by), version, [k for k, _ in pairs], [r for _, r in pairs])


def page(view: CaseView, requested_size: int, token: str, skip: int) -> tuple[list[CaseRecord], str | None]:
    """One page after the token's position (and `skip` more), and the next page's token (None: last)."""
    start = 0
    if token:
        after = decode_token(view.signature, token)
        if (
            not isinstance(after, list)
            or len(after) != 3
            or not isinstance(after[0], int)
            or not isinstance(after[1], int)
            or not isinstance(after[2], str)
        ):
            raise InvalidRequest("invalid page_token")
        start = bisect_right(view.keys, (after[0], after[1], after[2]))
    start += max(0, skip)
    size = page_size_of(requested_size)
    records = view.records[start : start + size]
    if start + size >= len(view.records) or not records:
        return records, None
    return records, encode_token(view.signature, list(view.keys[start + len(records) - 1]))


def filter_values(records: Sequence[CaseRecord]) -> Aggregations:
    """GetFilterValues: how many of `records` have each state, priority, category, status, grouping,
    label and assignee."""
    response = Aggregations()
    for state, count in sorted(Counter(r.state for r in records).items()):
        response.state_aggregations.add(state=state, count=count)
    for priority, count in sorted(Counter(r.priority for r in records).items()):
        response.priority_aggregations.add(priority=priority, count=count)
    for category, count in sorted(Counter(r.category for r in records).items()):
        response.category_aggregations.add(category=category, count=count)
    for status, count in sorted(Counter(r.status for r in records).items()):
        response.status_aggregations.add(status=status, count=count)
    _pair_counts(response.grouping_aggregations, [pair for r in records for pair in r.groupings])
    _pair_counts(response.label_aggregations, [pair for r in records for pair in r.labels])
    assignees = Counter(r.assignee for r in records)
    response.assignee_aggregations.unassigned_count = assignees.pop(None, 0)
    for user, count in sorted(assignees.items(), key=lambda item: str(item[0])):
        response.assignee_aggregations.assigned_counts.add(assignee=str(user), count=count)
    return response


def _pair_counts(
    target: RepeatedCompositeFieldContainer[Aggregations.FilterGroupAggregation], pairs: list[tuple[str, str]]
) -> None:
    by_key: dict[str, Counter[str]] = {}
    for key, value in pairs:
        by_key.setdefault(key, Counter())[value] += 1
    for key in sorted(by_key):
        group = target.add(key=key)
        for value, count in sorted(by_key[key].items()):
            group.value_counts.add(value=value, count=count)
