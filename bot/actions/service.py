"""Acting on incidents for a Slack user: who they are, whether they may, which key, the call, the results.

One `act` serves the slash command and the card buttons alike. Nothing reaches Coralogix unless the
person is mapped, allowed and has a key to act with; each incident then gets exactly one outcome, and
every incident that changed gets its cards updated at once and a thread reply naming who acted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.actions.authority import Authority
from bot.actions.callers import Caller, Callers
from bot.actions.model import ActionReport, AssignTarget, CardOrigin, IncidentOutcome, Me, OutcomeKind
from bot.actions.references import Found, IncidentFinder, Missing
from bot.actions.threads import ThreadNotes
from bot.actions.wording import (
    DOING,
    PAST,
    Assignee,
    incident_label,
    intent,
    nothing_to_do,
    status_phrase,
    took_effect,
)
from bot.actions.writes import Writer, maybe_sent
from bot.cards.refresh import CardRefresher
from bot.config import Action
from bot.coralogix.backend import CoralogixBackend
from bot.domain import Assignment, Incident
from bot.errors import CoralogixError
from bot.identity import Identity, IdentityResolver
from bot.metrics import Metrics
from bot.personal_keys import CallerKey, KeySource, PersonalKeys
from bot.slack.blocks import SlackUserOf, card_status
from bot.store import Store
from bot.store.rows import MessageRow

log = logging.getLogger(__name__)

MAX_REFS = 20
POST_RECORD_GRACE_SECONDS = 3.0
"""Incidents one command may name: enough for a storm's worth, not a way to make the bot call in bulk."""
CLAIM_LIFETIME = timedelta(seconds=45)
"""How long an action claim holds while its write is in flight (beyond the write deadline and a re-read)."""
DONE_HOLD = timedelta(seconds=10)
"""How long after a write a second click of the same action is told who did it instead of writing."""

__all__ = ["ActionService", "Caller", "incident_label"]


class ActionService:
    def __init__(
        self,
        *,
        client: CoralogixBackend,
        finder: IncidentFinder,
        identities: IdentityResolver,
        keys: PersonalKeys,
        authority: Authority,
        store: Store,
        cards: CardRefresher,
        notes: ThreadNotes,
        slack_user_of: SlackUserOf,
        metrics: Metrics,
        require_personal_key: bool = False,
        command: str = "/cx",
        team_url: str | None = None,
    ) -> None:
        self._finder = finder
        self._store = store
        self._cards = cards
        self._notes = notes
        self._metrics = metrics
        self._command = command
        self._callers = Callers(
            client=client,
            identities=identities,
            keys=keys,
            authority=authority,
            slack_user_of=slack_user_of,
            require_personal_key=require_personal_key,
            command=command,
        )
        self._writer = Writer(client=client, callers=self._callers, command=command, team_url=team_url)

    # ---------------------------------------------------------------------------------- the action

    def act(
        self,
        slack_id: str,
        action: Action,
        refs: Sequence[str],
        *,
        target: AssignTarget | None = None,
        expected_status: str | None = None,
        origin: CardOrigin | None = None,
    ) -> ActionReport:
        """Do `action` to the incidents `refs` name, as `slack_id`.

        `expected_status` is the status the clicked card showed: when the incident has moved on since,
        the click is stale and nothing is written (the card is redrawn instead). `origin` is the message
        a button was clicked on: the incident must be the one the bot recorded there.
        """
        if len(set(refs)) > MAX_REFS:
            return self._refuse(
                action, f"Name at most {MAX_REFS} incidents in one command; nothing was done."
            )
        if origin is not None:
            mismatch = self._not_on_card(slack_id, action, refs, origin)
            if mismatch is not None:
                return self._refuse(action, mismatch)
        caller = self.caller(slack_id, action)
        if isinstance(caller, str):
            return self._refuse(action, caller)
        assignee: Assignee | None = None
        if action is Action.ASSIGN:
            chosen = self._callers.assignee(caller, target or Me())
            if isinstance(chosen, str):
                return self._refuse(action, chosen)
            assignee = chosen
        if self.needs_personal_key(action, caller.key):
            self._metrics.actions.labels(action=action.value, result="needs_personal_key").inc()
            return ActionReport.refused(
                action, self._callers.personal_key_refusal(action), needs_personal_key=True
            )
        try:
            lookups = self._finder.find(refs, api_key=caller.key.api_key)
        except CoralogixError as exc:
            return self._refuse(action, self.sentence(exc, caller.key))
        outcomes: dict[str, IncidentOutcome] = {}
        pending: list[Found] = []
        for lookup in lookups:
            if isinstance(lookup, Missing):
                outcomes[lookup.ref] = IncidentOutcome(lookup.ref, OutcomeKind.NOT_FOUND, lookup.reason)
                continue
            early = self._before_call(action, lookup, assignee, expected_status, caller)
            if early is None:
                pending.append(lookup)
            else:
                outcomes[lookup.ref] = early
        if pending:
            try:
                results = self._writer.write(
                    action, [found.incident.id for found in pending], assignee, caller
                )
            except BaseException:  # a bug, not Coralogix: free the claims now rather than at their expiry
                for found in pending:
                    self._store.finish_action(
                        found.incident.id,
                        intent(action, assignee),
                        caller.slack_id,
                        done=False,
                        hold=DONE_HOLD,
                    )
                raise
            for found in pending:
                outcome = self._after_call(action, found, results[found.incident.id], caller, assignee)
                self._store.finish_action(
                    found.incident.id,
                    intent(action, assignee),
                    caller.slack_id,
                    done=outcome.kind in (OutcomeKind.DONE, OutcomeKind.UNKNOWN),
                    hold=DONE_HOLD,
                )
                outcomes[found.ref] = outcome
        report = ActionReport(action, tuple(outcomes[lookup.ref] for lookup in lookups))
        for outcome in report.outcomes:
            self._metrics.actions.labels(action=action.value, result=outcome.kind.value).inc()
        return report

    def _not_on_card(
        self, slack_id: str, action: Action, refs: Sequence[str], origin: CardOrigin
    ) -> str | None:
        """Why a click must not act: its button names an incident the bot did not post on that message."""
        recorded = self._recorded_at(origin, refs)
        if recorded and set(refs) <= recorded:
            return None
        log.warning(
            "refused a %s click by %s: the button names %s but the message %s in %s holds %s",
            action.value,
            slack_id,
            ", ".join(refs) or "no incident",
            origin.ts,
            origin.channel,
            ", ".join(sorted(recorded)) or "no incident the bot posted",
        )
        return (
            "That button does not belong to the incident card it is on, so I did nothing. "
            f"Use `{self._command} show ID` to get a fresh card."
        )

    def _recorded_at(self, origin: CardOrigin, refs: Sequence[str]) -> set[str]:
        """The incidents recorded on the clicked message; a card Slack has shown but the sender has not
        yet recorded (a click within moments of the post) is waited for, up to `POST_RECORD_GRACE_SECONDS`."""
        deadline = time.monotonic() + POST_RECORD_GRACE_SECONDS
        while True:
            recorded = {row.incident_id for row in self._store.messages_at(origin.channel, origin.ts)}
            if (recorded and set(refs) <= recorded) or time.monotonic() >= deadline:
                return recorded
            being_posted = any(
                (row := self._store.message(ref, origin.channel)) is not None and not row.is_posted
                for ref in refs
            )
            if not being_posted:
                return recorded
            time.sleep(0.05)

    def caller(self, slack_id: str, action: Action | None = None) -> Caller | str:
        """The person with the key they act with, or the sentence saying why they cannot act."""
        return self._callers.caller(slack_id, action)

    def needs_personal_key(self, action: Action, key: CallerKey) -> bool:
        """On Incidents, Coralogix takes acknowledge and assign only from a person's own key."""
        return self._callers.needs_personal_key(action, key)

    def allowed_actions(self, slack_id: str) -> list[Action]:
        return self._callers.authority.allowed_actions(slack_id)

    def identity(self, slack_id: str) -> Identity:
        return self._callers.identities.resolve(slack_id)

    def sentence(self, exc: CoralogixError, key: CallerKey) -> str:
        """A Coralogix error as said to the person, naming whose key it was about."""
        return self._callers.sentence(exc, key)

    # -------------------------------------------------------------------------------------- steps

    def _refuse(self, action: Action, why: str) -> ActionReport:
        self._metrics.actions.labels(action=action.value, result="refused").inc()
        return ActionReport.refused(action, why)

    def _before_call(
        self,
        action: Action,
        found: Found,
        assignee: Assignee | None,
        expected_status: str | None,
        caller: Caller,
    ) -> IncidentOutcome | None:
        """The outcome when no call is made (refused, stale, already so, someone else acting); None to call.

        A None answer holds this incident's action claim: the caller must `finish_action` it.
        """
        incident = found.incident
        label = incident_label(incident)
        refusal = self._callers.authority.refusal_on(caller.slack_id, incident)
        if refusal is not None:
            return IncidentOutcome(found.ref, OutcomeKind.REFUSED, f"{label}: {refusal}", incident)
        now = card_status(incident)
        if expected_status is not None and now != expected_status:
            self._redraw(incident)
            return IncidentOutcome(
                found.ref,
                OutcomeKind.STALE,
                f"{label} changed since that card was drawn: it is {status_phrase(incident)} now. "
                "I refreshed the card and did nothing; click again if it still needs doing.",
                incident,
            )
        unchanged = nothing_to_do(action, incident, assignee)
        if unchanged is not None:
            return IncidentOutcome(found.ref, OutcomeKind.UNCHANGED, f"{label} {unchanged}", incident)
        rival = self._store.claim_action(
            incident.id, intent(action, assignee), caller.slack_id, lifetime=CLAIM_LIFETIME
        )
        if rival is None:
            return None
        who = "You are" if rival.slack_user_id == caller.slack_id else f"<@{rival.slack_user_id}> is"
        if rival.state == "done":
            who = "You" if rival.slack_user_id == caller.slack_id else f"<@{rival.slack_user_id}>"
            message = f"{label}: {who} {PAST[action]} it a moment ago; I did not do it again."
        else:
            message = f"{label}: {who} {DOING[action]} it right now; I did not do it twice."
        return IncidentOutcome(found.ref, OutcomeKind.DUPLICATE, message, incident)

    def _after_call(
        self,
        action: Action,
        found: Found,
        result: Incident | CoralogixError | None,
        caller: Caller,
        assignee: Assignee | None,
    ) -> IncidentOutcome:
        label = incident_label(found.incident)
        late = False
        if isinstance(result, CoralogixError) and maybe_sent(result):
            settled = self._writer.settle(action, found, result, caller, assignee)
            if isinstance(settled, IncidentOutcome):
                return settled
            result, late = settled, True
        if isinstance(result, CoralogixError):
            return IncidentOutcome(
                found.ref,
                OutcomeKind.FAILED,
                f"{label} was not {PAST[action]}: {self.sentence(result, caller.key)}",
                found.incident,
            )
        what = PAST[action] + (f" to {assignee.shown}" if assignee is not None else "")
        if late:
            what += " (Coralogix answered late, but it is done)"
        note = f"{PAST[action][:1].upper()}{PAST[action][1:]}"
        note += f" to {assignee.shown}" if assignee is not None else ""
        note += f" by <@{caller.slack_id}> from Slack"
        if caller.key.source is KeySource.TEAM and not self._callers.credits_actor(action):
            note += " (through the team API key)"
        if late and self._poller_told(action, found.incident.id, assignee):
            # While we waited, a poll saw the change and wrote its thread line: one line per change.
            log.info("%s of %s confirmed late; a poll had already announced it", action, found.incident.id)
            return IncidentOutcome(found.ref, OutcomeKind.DONE, f"{label} {what}.", result or found.incident)
        messages = self._redraw(result) if result is not None else None
        self._notes.post(found.incident.id, [note], messages)
        return IncidentOutcome(found.ref, OutcomeKind.DONE, f"{label} {what}.", result or found.incident)

    def _poller_told(self, action: Action, incident_id: str, assignee: Assignee | None) -> bool:
        """Whether the bot's snapshot already shows the action done (a poll announced it)."""
        snapshot = self._store.get_snapshot(incident_id)
        if snapshot is None:
            return False
        seen = Incident(
            id=incident_id,
            status=snapshot.status,
            closed_at=datetime.now(UTC) if snapshot.closed else None,
            assignments=(Assignment(snapshot.assignee),) if snapshot.assignee else (),
        )
        return took_effect(action, seen, assignee)

    def _redraw(self, incident: Incident) -> list[MessageRow] | None:
        """Cards show `incident` in every channel now (a failed Slack update goes to the outbox); returns
        the incident's messages, None when they could not be read."""
        try:
            return self._cards.refresh(incident, [])
        except Exception:
            log.exception("could not refresh the cards of %s", incident.id)
            return None
