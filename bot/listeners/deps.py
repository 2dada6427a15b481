"""What the listeners work with: a plain record the runtime builds and hands to each `register`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.actions import ActionService, IncidentQueries, ThreadNotes
from bot.actions.rooms import WarRooms
from bot.cards.refresh import CardRefresher
from bot.listeners.pace import PerUserPace
from bot.listeners.work import BackgroundWork
from bot.notify.report_answers import ReportAnswers
from bot.personal_keys import PersonalKeys
from bot.reminders.snooze import Snoozes
from bot.slack.blocks import SlackUserOf
from bot.slack.gateway import SlackGateway


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
    rooms: WarRooms | None = None  # the War room and Archive room buttons, `/cx room`
    reports: ReportAnswers | None = None  # `/cx report`, `/cx stats mtta|mttr`
    snoozes: Snoozes | None = None  # the Snooze button of reminders

    def shutdown(self, wait: bool = True) -> None:
        """Finish the work in flight; thread replies not yet sent go to the outbox."""
        self.work.shutdown(wait=wait)
        if self.notes is not None:
            self.notes.close()
        for pool in self.pools:
            pool.shutdown(wait=wait, cancel_futures=not wait)
