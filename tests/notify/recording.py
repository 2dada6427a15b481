"""A CoralogixBackend in front of the real client that the poller is handed, watching what it reads.

It counts the bot's live `Incident` objects whenever the bot calls Coralogix (the instrument for "one
page at a time"), advances a fake monotonic clock by `read_cost` per read (the instrument for pacing),
and can fail one read on purpose (a crash in the middle of a reconciliation). Nothing of the bot is
patched: the poller gets this object where it would get the client.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from bot.coralogix.backend import ApiName, CoralogixBackend
from bot.coralogix.calls import ApiKey
from bot.domain import (
    AggregationGroup,
    BatchResult,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    IncidentPage,
    Ordering,
    SortField,
)
from bot.errors import CoralogixUnavailableError


class Ticks:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def live_incidents() -> list[Incident]:
    """The `Incident` objects alive in this process right now."""
    gc.collect()
    return [obj for obj in gc.get_objects() if isinstance(obj, Incident)]


@dataclass(frozen=True)
class PageRead:
    """One page the sweep (or the first start) read: its token and the ids it held."""

    token: str | None
    ids: tuple[str, ...]


@dataclass
class Recording:
    """What the backend saw."""

    sweep_pages: list[PageRead] = field(default_factory=list)
    first_start_pages: list[PageRead] = field(default_factory=list)
    cursor_pages: int = 0
    batches: list[tuple[str, ...]] = field(default_factory=list)
    most_live: int = 0


class RecordingBackend:
    def __init__(
        self,
        inner: CoralogixBackend,
        ticks: Ticks | None = None,
        *,
        read_cost: float = 0.0,
        count_live: bool = False,
    ) -> None:
        self.inner = inner
        self.ticks = ticks or Ticks()
        self.read_cost = read_cost
        self.count_live = count_live
        self.seen = Recording()
        # incidents alive before (other tests' constants): held, so no new object can take their address
        self._before = live_incidents() if count_live else []
        self._before_ids = {id(incident) for incident in self._before}
        self.fail_sweep_read: int | None = None  # the n-th sweep page read (1-based) raises, once
        self.before_sweep_read: Callable[[], object] | None = None  # runs once, before the next one

    def _count_live(self) -> None:
        if self.count_live:
            live = sum(1 for incident in live_incidents() if id(incident) not in self._before_ids)
            self.seen.most_live = max(self.seen.most_live, live)

    def _read(self) -> None:
        self.ticks.now += self.read_cost
        self._count_live()

    @property
    def api(self) -> ApiName:
        return self.inner.api

    def list_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        page_token: str | None = None,
        api_key: ApiKey | None = None,
    ) -> IncidentPage:
        self._read()
        oldest_first = ordering == Ordering(SortField.CREATED, descending=False)
        first_start = oldest_first and filter is not None and filter.created_after is not None
        sweep = oldest_first and not first_start
        if sweep and self.before_sweep_read is not None:
            run, self.before_sweep_read = self.before_sweep_read, None
            run()
        if sweep and self.fail_sweep_read == len(self.seen.sweep_pages) + 1:
            self.fail_sweep_read = None
            raise CoralogixUnavailableError("the test cut the reconciliation short", rpc="ListIncidents")
        page = self.inner.list_incidents(
            filter, ordering, page_size=page_size, page_token=page_token, api_key=api_key
        )
        read = PageRead(page_token, tuple(incident.id for incident in page.incidents))
        if first_start:
            self.seen.first_start_pages.append(read)
        elif sweep:
            self.seen.sweep_pages.append(read)
        elif ordering is not None and ordering.descending and page_size > 1:
            self.seen.cursor_pages += 1
        return page

    def iter_incidents(
        self,
        filter: IncidentFilter | None = None,
        ordering: Ordering | None = None,
        *,
        page_size: int = 100,
        api_key: ApiKey | None = None,
    ) -> Iterator[Incident]:
        self._read()
        return self.inner.iter_incidents(filter, ordering, page_size=page_size, api_key=api_key)

    def get_incident(self, incident_id: str, *, api_key: ApiKey | None = None) -> Incident:
        self._read()
        return self.inner.get_incident(incident_id, api_key=api_key)

    def batch_get_incidents(self, ids: Sequence[str], *, api_key: ApiKey | None = None) -> BatchResult:
        self._read()
        self.seen.batches.append(tuple(ids))
        return self.inner.batch_get_incidents(ids, api_key=api_key)

    def get_incident_events(self, incident_id: str, *, api_key: ApiKey | None = None) -> list[IncidentEvent]:
        self._count_live()
        return self.inner.get_incident_events(incident_id, api_key=api_key)

    def list_aggregations(
        self,
        filter: IncidentFilter | None = None,
        group_by: GroupField | None = None,
        *,
        api_key: ApiKey | None = None,
    ) -> list[AggregationGroup]:
        return self.inner.list_aggregations(filter, group_by, api_key=api_key)

    def assign(
        self,
        incident_ids: Sequence[str],
        assignee: str,
        *,
        api_key: ApiKey | None = None,
        actor: str | None = None,
    ) -> list[Incident]:
        return self.inner.assign(incident_ids, assignee, api_key=api_key, actor=actor)

    def unassign(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self.inner.unassign(incident_ids, api_key=api_key, actor=actor)

    def acknowledge(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self.inner.acknowledge(incident_ids, api_key=api_key, actor=actor)

    def resolve(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self.inner.resolve(incident_ids, api_key=api_key, actor=actor)

    def close(
        self, incident_ids: Sequence[str], *, api_key: ApiKey | None = None, actor: str | None = None
    ) -> list[Incident]:
        return self.inner.close(incident_ids, api_key=api_key, actor=actor)

    def close_channel(self) -> None:
        self.inner.close_channel()
