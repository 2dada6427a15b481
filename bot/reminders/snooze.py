"""The Snooze button of a reminder: the bot's own snooze (Coralogix has none), recorded with who did it.

Whoever may acknowledge the incidents may snooze their reminders (`may_snooze`, the acknowledging
authority, handed in by the runtime). The next step then waits until the snooze ends; the thread says who
snoozed and until when.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.coralogix.backend import CoralogixBackend
from bot.domain import Incident
from bot.errors import CoralogixError, SlackError
from bot.reminders.sending import ThreadReplies
from bot.slack.blocks import date_token
from bot.slack.blocks.reminder import snoozed_note
from bot.store import Store

log = logging.getLogger(__name__)

MaySnooze = Callable[[str, Sequence[Incident]], str | None]
"""(Slack user, the reminder's incidents) -> None when they may snooze, else the sentence refusing them."""

UNKNOWN = "That reminder is not one I know of, so nothing was snoozed."
NOTHING_DUE = (
    "No more reminders are due here (the incident was acknowledged, assigned, resolved or closed, or every "
    "reminder has been sent), so there is nothing to snooze."
)


@dataclass(frozen=True)
class SnoozeOutcome:
    text: str
    until: datetime | None = None

    @property
    def snoozed(self) -> bool:
        return self.until is not None


class Snoozes:
    def __init__(
        self,
        *,
        store: Store,
        client: CoralogixBackend,
        replies: ThreadReplies,
        may_snooze: MaySnooze,
        clock: Callable[[], datetime],
        seconds: int = 1800,
    ) -> None:
        self._store = store
        self._client = client
        self._replies = replies
        self._may_snooze = may_snooze
        self._clock = clock
        self._seconds = seconds

    def snooze(self, channel: str, thread_ts: str, user: str) -> SnoozeOutcome:
        """Hold the reminders under `thread_ts` for the snooze length; the outcome is told to `user` alone."""
        series = self._store.reminder_series(channel, thread_ts)
        if series is None:
            return SnoozeOutcome(UNKNOWN)
        if series.next_due_at is None:
            return SnoozeOutcome(NOTHING_DUE)
        try:
            found = self._client.batch_get_incidents(list(series.incidents)).found
        except CoralogixError as exc:
            return SnoozeOutcome(f"I could not read the incident from Coralogix just now ({exc}); try again.")
        refusal = self._may_snooze(user, list(found.values()))
        if refusal is not None:
            return SnoozeOutcome(refusal)
        now = self._clock()
        until = now + timedelta(seconds=self._seconds)
        snoozed = self._store.snooze_reminders(channel, thread_ts, until, user, now)
        if snoozed is None:
            return SnoozeOutcome(NOTHING_DUE)
        try:
            self._replies.post_reply(channel, thread_ts, snoozed_note(user, until), broadcast=False)
        except SlackError as exc:
            log.warning("reminders: the snooze line in %s could not be posted: %s", channel, exc)
        log.info(
            "reminders under %s in %s snoozed by %s until %s", thread_ts, channel, user, until.isoformat()
        )
        next_at = snoozed.next_due_at or until
        return SnoozeOutcome(f"Snoozed: no reminder here before {date_token(next_at)}.", until)
