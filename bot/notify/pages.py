"""One page of incidents into Slack, when the database says its cards would change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from bot.cards.fingerprint import fingerprint
from bot.domain import Incident
from bot.notify.publisher import CardPublisher, PublishStats
from bot.store import Store


@dataclass
class PageTally:
    """What a run of pages did: incidents read, how many of them changed, and the publisher's counts."""

    seen: int = 0
    changed: int = 0
    stats: PublishStats = field(default_factory=PublishStats)


def add_stats(total: PublishStats, part: PublishStats) -> None:
    for name in (f.name for f in fields(PublishStats)):
        setattr(total, name, getattr(total, name) + getattr(part, name))


def publish_page(
    store: Store,
    publisher: CardPublisher,
    incidents: Sequence[Incident],
    *,
    allow_new_since: datetime | None,
    tally: PageTally,
) -> None:
    """Publish the incidents whose card differs from the stored one; one query tells which do not.

    An incident the store knows from a later state update than the page's is left alone: the page was
    read before a poll that has already published the newer state.
    """
    stored = store.compare(
        {incident.id: fingerprint(incident) for incident in incidents},
        {incident.id: incident.last_state_update_time for incident in incidents},
    )
    fresh = [i for i in incidents if i.id not in stored.same and i.id not in stored.newer]
    tally.seen += len(incidents)
    tally.changed += len(fresh)
    if fresh:
        add_stats(tally.stats, publisher.publish(fresh, allow_new_since=allow_new_since))
