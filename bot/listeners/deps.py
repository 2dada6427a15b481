"""What the listeners work with: a plain record the runtime builds and hands to each `register`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from bot.actions import ActionService, IncidentQueries, ThreadNotes
from bot.actions.home import HomeQueries
from bot.actions.links import IncidentLinks
from bot.actions.rooms import WarRooms
from bot.cards.refresh import CardRefresher
from bot.listeners.pace import PerUserPace
from bot.listeners.work import BackgroundWork
from bot.notify.report_answers import ReportAnswers
from bot.personal_keys import PersonalKeys
from bot.reminders.snooze import Snoozes
from bot.slack.blocks import SlackUserOf
from bot.slack.gateway import SlackGateway


class EventLedger(Protocol):
    """The Slack events already taken (the store's `slack_events`), shared by every replica."""

    def take_event(self, event_id: str) -> bool: ...

    def give_back_event(self, event_id: str) -> None: ...


@dataclass(frozen=True)
class EventServices:
    """What the Events API listeners need: the Home tab's reads, the team's incident links, the ledger."""

    home: HomeQueries
    links: IncidentLinks
    ledger: EventLedger


@dataclass(frozen=True)
class Interactivity:
    """The services behind the listeners, and the pools their work runs in."""

    service: ActionService
    queries: IncidentQueries
    keys: PersonalKeys
    gateway: SlackGateway
    cards: CardRefresher
    slack_user_of: SlackUserOf
    work: BackgroundWork
    command: str = "/cx"
    team_url: str | None = None
    notes: ThreadNotes | None = None
    pools: tuple[ThreadPoolExecutor, ...] = field(default=())
    pace: PerUserPace = field(default_factory=PerUserPace)
    reports: ReportAnswers | None = None  # `/cx report`, `/cx stats mtta|mttr`
    events: EventServices | None = None  # the Home tab and link unfurls (`app_home_opened`, `link_shared`)
    rooms: WarRooms | None = None  # the War room and Archive room buttons, `/cx room`
    snoozes: Snoozes | None = None  # the Snooze button of reminders
    # called with a person's Slack id after they acted (a slash command), on the background work: e.g. to
    # republish their Home tab (`surfaces.refresh_home_later`, added by `events.register`)
    after_action: list[Callable[[str], None]] = field(default_factory=list)

    def shutdown(self, wait: bool = True) -> None:
        """Finish the work in flight; thread replies not yet sent go to the outbox."""
        self.work.shutdown(wait=wait)
        if self.notes is not None:
            self.notes.close()
        for pool in self.pools:
            pool.shutdown(wait=wait, cancel_futures=not wait)
