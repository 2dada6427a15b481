"""Acting on incidents for a Slack user: who they are, whether they may, which key, the call, the results.

One `act` serves the slash command and the card buttons alike. Nothing reaches Coralogix unless the
person is mapped, allowed and has a key to act with; each incident then gets exactly one outcome, and
every incident that changed gets its cards updated at once and a thread reply naming who acted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.actions.authority import Authority
from bot.actions.model import (
    ActionReport,
    AssignTarget,
    CardOrigin,
    CoralogixUserTarget,
    IncidentOutcome,
    Me,
    OutcomeKind,
    SlackUserTarget,
)
from bot.actions.references import Found, IncidentFinder, Missing
from bot.actions.threads import ThreadNotes
from bot.config import Action
from bot.coralogix.backend import CoralogixBackend
from bot.coralogix.errors import PartialWriteError
from bot.domain import Assignment, Incident, Status
from bot.errors import (
    CoralogixAuthError,
    CoralogixError,
    CoralogixPermissionError,
    CoralogixRequestError,
    CoralogixUnavailableError,
    IncidentNotFoundError,
)
from bot.identity import Identity, IdentityResolver
from bot.metrics import Metrics
from bot.notify.publisher import CardPublisher
from bot.personal_keys import CallerKey, KeySource, PersonalKeyError, PersonalKeys
from bot.slack.blocks import SlackUserOf, card_status, fit, incident_url, user_ref
from bot.store import Store
from bot.store.rows import MessageRow

log = logging.getLogger(__name__)

_PAST = {
    Action.ACK: "acknowledged",
    Action.RESOLVE: "resolved",
    Action.CLOSE: "closed",
    Action.ASSIGN: "assigned",
    Action.UNASSIGN: "unassigned",
}
_DOING = {
    Action.ACK: "acknowledging",
    Action.RESOLVE: "resolving",
    Action.CLOSE: "closing",
    Action.ASSIGN: "assigning",
    Action.UNASSIGN: "unassigning",
}
TITLE_IN_LINE = 80
PERSONAL_KEY_ACTIONS = frozenset({Action.ACK, Action.ASSIGN})
"""What Coralogix Incidents refuses from a team key: the person's own key must make these calls."""
MAX_REFS = 20
"""Incidents one command may name: enough for a storm's worth, not a way to make the bot call in bulk."""
CLAIM_LIFETIME = timedelta(seconds=45)
"""How long an action claim holds while its write is in flight (beyond the write deadline and a re-read)."""
DONE_HOLD = timedelta(seconds=10)
"""How long after a write a second click of the same action is told who did it instead of writing."""
_MAYBE_SENT_CODES = frozenset({"UNKNOWN", "INTERNAL", "CANCELLED", "ABORTED"})


@dataclass(frozen=True)
class Caller:
    """A person allowed to act: their identity and the key their calls are made with."""

    identity: Identity
    key: CallerKey

    @property
    def slack_id(self) -> str:
        return self.identity.slack_id

    @property
    def coralogix_user(self) -> str:
        assert self.identity.coralogix_user is not None
        return self.identity.coralogix_user


@dataclass(frozen=True)
class _Assignee:
    coralogix_user: str
    shown: str


def incident_label(incident: Incident) -> str:
    """`1a2b3c4d` checkout 5xx — how an incident starts a result line."""
    title = incident.title.strip()
    head = f"`{fit(incident.id[:8], 40, code=True)}`"
    return f"{head} {fit(title, TITLE_IN_LINE)}" if title and title != incident.id else head


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
        publisher: CardPublisher,
        notes: ThreadNotes,
        slack_user_of: SlackUserOf,
        metrics: Metrics,
        require_personal_key: bool = False,
        command: str = "/cx",
        team_url: str | None = None,
    ) -> None:
        self._client = client
        self._finder = finder
        self._identities = identities
        self._keys = keys
        self._authority = authority
        self._store = store
        self._team_url = team_url
        self._publisher = publisher
        self._notes = notes
        self._slack_user_of = slack_user_of
        self._metrics = metrics
        self._require_personal_key = require_personal_key
        self._command = command

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
        assignee: _Assignee | None = None
        if action is Action.ASSIGN:
            chosen = self._assignee(caller, target or Me())
            if isinstance(chosen, str):
                return self._refuse(action, chosen)
            assignee = chosen
        if self.needs_personal_key(action, caller.key):
            self._metrics.actions.labels(action=action.value, result="needs_personal_key").inc()
            return ActionReport.refused(action, self._personal_key_refusal(action), needs_personal_key=True)
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
                results = self._write(action, [found.incident.id for found in pending], assignee, caller)
            except BaseException:  # a bug, not Coralogix: free the claims now rather than at their expiry
                for found in pending:
                    self._store.finish_action(
                        found.incident.id,
                        _intent(action, assignee),
                        caller.slack_id,
                        done=False,
                        hold=DONE_HOLD,
                    )
                raise
            for found in pending:
                outcome = self._after_call(action, found, results[found.incident.id], caller, assignee)
                self._store.finish_action(
                    found.incident.id,
                    _intent(action, assignee),
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
        recorded = {row.incident_id for row in self._store.messages_at(origin.channel, origin.ts)}
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

    def caller(self, slack_id: str, action: Action | None = None) -> Caller | str:
        """The person with the key they act with, or the sentence saying why they cannot act."""
        identity = self._identities.resolve(slack_id)
        if not identity.is_mapped:
            return identity.reason
        if action is not None:
            refusal = self._authority.refusal(slack_id, action)
            if refusal is not None:
                return refusal
        try:
            key = self._keys.key_for(slack_id)
        except PersonalKeyError as exc:
            return str(exc)
        if key.source is KeySource.TEAM and self._require_personal_key:
            return (
                "This bot acts in Coralogix only with personal API keys, so that Coralogix records who did "
                f"what: run `{self._command} connect` to add yours first."
            )
        return Caller(identity, key)

    def needs_personal_key(self, action: Action, key: CallerKey) -> bool:
        """On Incidents, Coralogix takes acknowledge and assign only from a person's own key."""
        return (
            key.source is KeySource.TEAM
            and action in PERSONAL_KEY_ACTIONS
            and self._client_api() == "incidents"
        )

    def _credits_actor(self, action: Action) -> bool:
        """Whether Coralogix records the person named as `actor` (Cases acknowledge), not the key's owner."""
        return action is Action.ACK and self._client_api() == "cases"

    def _client_api(self) -> str | None:
        try:
            return self._client.api
        except CoralogixError:
            return None

    def allowed_actions(self, slack_id: str) -> list[Action]:
        return self._authority.allowed_actions(slack_id)

    def identity(self, slack_id: str) -> Identity:
        return self._identities.resolve(slack_id)

    def _personal_key_refusal(self, action: Action) -> str:
        verb = "acknowledging" if action is Action.ACK else "assigning"
        why = (
            f"On Coralogix Incidents, {verb} needs your own API key: Coralogix records the key's owner "
            "and refuses the bot's team key for it."
        )
        if not self._keys.enabled:
            return f"{why} Personal keys are turned off here (the bot has no BOT_ENCRYPTION_KEY)."
        return f"{why} Connect yours with `{self._command} connect`; I will then do it for you."

    def sentence(self, exc: CoralogixError, key: CallerKey) -> str:
        """A Coralogix error as said to the person, naming whose key it was about."""
        personal = key.source is KeySource.PERSONAL
        if isinstance(exc, CoralogixAuthError):
            if personal:
                return (
                    "Coralogix rejected your personal API key: run "
                    f"`{self._command} connect` with a new one, "
                    f"or `{self._command} disconnect` to act through the team key."
                )
            return "Coralogix rejected the bot's team API key; tell whoever runs the bot."
        if isinstance(exc, CoralogixPermissionError):
            whose = "Your personal API key" if personal else "The bot's team API key"
            return f"{whose} lacks the {exc.permission or 'needed'} permission in Coralogix."
        return str(exc)

    # -------------------------------------------------------------------------------------- steps

    def _refuse(self, action: Action, why: str) -> ActionReport:
        self._metrics.actions.labels(action=action.value, result="refused").inc()
        return ActionReport.refused(action, why)

    def _assignee(self, caller: Caller, target: AssignTarget) -> _Assignee | str:
        if isinstance(target, Me):
            return _Assignee(caller.coralogix_user, f"<@{caller.slack_id}>")
        if isinstance(target, SlackUserTarget):
            if target.user_id == caller.slack_id:
                return _Assignee(caller.coralogix_user, f"<@{caller.slack_id}>")
            identity = self._identities.resolve(target.user_id)
            if identity.coralogix_user is None:
                return f"I can't assign to <@{target.user_id}>. {identity.reason}"
            return _Assignee(identity.coralogix_user, f"<@{target.user_id}>")
        assert isinstance(target, CoralogixUserTarget)
        if not self._identities.may_be_assignee(target.user_id):
            return (
                f"I can't assign to `{fit(target.user_id, 80, code=True)}`: it is not someone the bot "
                "can map to a Coralogix user (the settings file's `users:` or an allowed e-mail domain). "
                "Name them as a Slack user (`@name`) instead."
            )
        return _Assignee(target.user_id.strip().lower(), user_ref(target.user_id, self._slack_user_of))

    def _before_call(
        self,
        action: Action,
        found: Found,
        assignee: _Assignee | None,
        expected_status: str | None,
        caller: Caller,
    ) -> IncidentOutcome | None:
        """The outcome when no call is made (refused, stale, already so, someone else acting); None to call.

        A None answer holds this incident's action claim: the caller must `finish_action` it.
        """
        incident = found.incident
        label = incident_label(incident)
        refusal = self._authority.refusal_on(caller.slack_id, incident)
        if refusal is not None:
            return IncidentOutcome(found.ref, OutcomeKind.REFUSED, f"{label}: {refusal}", incident)
        now = card_status(incident)
        if expected_status is not None and now != expected_status:
            self._redraw(incident)
            return IncidentOutcome(
                found.ref,
                OutcomeKind.STALE,
                f"{label} changed since that card was drawn: it is {_status_phrase(incident)} now. "
                "I refreshed the card and did nothing; click again if it still needs doing.",
                incident,
            )
        unchanged = _nothing_to_do(action, incident, assignee)
        if unchanged is not None:
            return IncidentOutcome(found.ref, OutcomeKind.UNCHANGED, f"{label} {unchanged}", incident)
        rival = self._store.claim_action(
            incident.id, _intent(action, assignee), caller.slack_id, lifetime=CLAIM_LIFETIME
        )
        if rival is None:
            return None
        who = "You are" if rival.slack_user_id == caller.slack_id else f"<@{rival.slack_user_id}> is"
        if rival.state == "done":
            who = "You" if rival.slack_user_id == caller.slack_id else f"<@{rival.slack_user_id}>"
            message = f"{label}: {who} {_PAST[action]} it a moment ago; I did not do it again."
        else:
            message = f"{label}: {who} {_DOING[action]} it right now; I did not do it twice."
        return IncidentOutcome(found.ref, OutcomeKind.DUPLICATE, message, incident)

    def _write(
        self, action: Action, ids: list[str], assignee: _Assignee | None, caller: Caller
    ) -> dict[str, Incident | CoralogixError | None]:
        """The one call for all `ids` (one call per id only when that fails for some of them)."""
        key, actor = caller.key, caller.coralogix_user
        try:
            return self._call(action, ids, assignee, key, actor)
        except PartialWriteError as exc:  # some were done: never write those again
            return dict(exc.results)
        except (CoralogixRequestError, IncidentNotFoundError) as exc:
            if len(ids) == 1 or _maybe_sent(exc):  # never write twice what may have been written
                return dict.fromkeys(ids, exc)
            log.info("%s of %d incidents failed together (%s); trying one by one", action, len(ids), exc)
        except CoralogixError as exc:
            return dict.fromkeys(ids, exc)
        results: dict[str, Incident | CoralogixError | None] = {}
        for incident_id in ids:
            try:
                results.update(self._call(action, [incident_id], assignee, key, actor))
            except CoralogixError as exc:
                results[incident_id] = exc
        return results

    def _call(
        self,
        action: Action,
        ids: list[str],
        assignee: _Assignee | None,
        key: CallerKey,
        actor: str | None = None,
    ) -> dict[str, Incident | CoralogixError | None]:
        api_key = key.api_key
        if action is Action.ACK:
            updated = self._client.acknowledge(ids, api_key=api_key, actor=actor)
        elif action is Action.RESOLVE:
            updated = self._client.resolve(ids, api_key=api_key, actor=actor)
        elif action is Action.CLOSE:
            updated = self._client.close(ids, api_key=api_key, actor=actor)
        elif action is Action.UNASSIGN:
            updated = self._client.unassign(ids, api_key=api_key, actor=actor)
        else:
            assert assignee is not None
            updated = self._client.assign(ids, assignee.coralogix_user, api_key=api_key, actor=actor)
        by_id: dict[str, Incident | CoralogixError | None] = {i.id: i for i in updated if i.id in ids}
        missing = [incident_id for incident_id in ids if incident_id not in by_id]
        if missing:  # the call succeeded; the answer just did not carry the incident
            try:
                by_id.update(self._client.batch_get_incidents(missing, api_key=api_key).found)
            except CoralogixError as exc:
                log.warning("could not read %d incidents back after %s: %s", len(missing), action, exc)
        return {incident_id: by_id.get(incident_id) for incident_id in ids}

    def _after_call(
        self,
        action: Action,
        found: Found,
        result: Incident | CoralogixError | None,
        caller: Caller,
        assignee: _Assignee | None,
    ) -> IncidentOutcome:
        label = incident_label(found.incident)
        late = False
        if isinstance(result, CoralogixError) and _maybe_sent(result):
            settled = self._settle(action, found, result, caller, assignee)
            if isinstance(settled, IncidentOutcome):
                return settled
            result, late = settled, True
        if isinstance(result, CoralogixError):
            return IncidentOutcome(
                found.ref,
                OutcomeKind.FAILED,
                f"{label} was not {_PAST[action]}: {self.sentence(result, caller.key)}",
                found.incident,
            )
        what = _PAST[action] + (f" to {assignee.shown}" if assignee is not None else "")
        if late:
            what += " (Coralogix answered late, but it is done)"
        note = f"{_PAST[action][:1].upper()}{_PAST[action][1:]}"
        note += f" to {assignee.shown}" if assignee is not None else ""
        note += f" by <@{caller.slack_id}> from Slack"
        if caller.key.source is KeySource.TEAM and not self._credits_actor(action):
            note += " (through the team API key)"
        if late and self._poller_told(action, found.incident.id, assignee):
            # While we waited, a poll saw the change and wrote its thread line: one line per change.
            log.info("%s of %s confirmed late; a poll had already announced it", action, found.incident.id)
            return IncidentOutcome(found.ref, OutcomeKind.DONE, f"{label} {what}.", result or found.incident)
        messages = self._redraw(result) if result is not None else None
        self._notes.post(found.incident.id, [note], messages)
        return IncidentOutcome(found.ref, OutcomeKind.DONE, f"{label} {what}.", result or found.incident)

    def _poller_told(self, action: Action, incident_id: str, assignee: _Assignee | None) -> bool:
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
        return _took_effect(action, seen, assignee)

    def _settle(
        self,
        action: Action,
        found: Found,
        error: CoralogixError,
        caller: Caller,
        assignee: _Assignee | None,
    ) -> Incident | IncidentOutcome:
        """After a write whose answer was lost, read the incident back: done (the incident), or unknown."""
        label = incident_label(found.incident)
        log.warning("%s of %s got no clear answer (%s); reading it back", action, found.incident.id, error)
        where = (
            f" Check it in Coralogix: <{incident_url(self._team_url, found.incident.id)}|open the incident>."
            if self._team_url
            else f" Check it with `{self._command} show {found.incident.id}`."
        )
        try:
            now = self._client.batch_get_incidents([found.incident.id], api_key=caller.key.api_key).found
        except CoralogixError as exc:
            log.warning("could not read %s back after %s: %s", found.incident.id, action, exc)
            now = {}
        incident = now.get(found.incident.id)
        if incident is not None and _took_effect(action, incident, assignee):
            return incident
        if incident is not None and error.code == "UNAVAILABLE":
            # The call never reached a working service (it would have been applied at once): not done.
            return IncidentOutcome(
                found.ref,
                OutcomeKind.FAILED,
                f"{label} was not {_PAST[action]}: {self.sentence(error, caller.key)}",
                incident,
            )
        if incident is None:
            message = (
                f"I can't tell whether {label} was {_PAST[action]}: Coralogix did not answer in time and "
                f"I could not read it back.{where}"
            )
        else:
            message = (
                f"I can't tell yet whether {label} will be {_PAST[action]}: Coralogix did not answer in time "
                f"and does not show it {_PAST[action]} so far; it may still do it, and the card will change "
                f"if it does.{where}"
            )
        return IncidentOutcome(found.ref, OutcomeKind.UNKNOWN, message, incident or found.incident)

    def _redraw(self, incident: Incident) -> list[MessageRow] | None:
        """Cards show `incident` in every channel now (a failed Slack update goes to the outbox); returns
        the incident's messages, None when they could not be read."""
        try:
            return self._publisher.refresh(incident, [])
        except Exception:
            log.exception("could not refresh the cards of %s", incident.id)
            return None


def _intent(action: Action, assignee: _Assignee | None) -> str:
    """What one claim stands for: the action, and for an assignment whom to (another person is another
    intent, so assigning to Bob and then to Carol both go through)."""
    if action is Action.ASSIGN and assignee is not None:
        whom = hashlib.sha256(assignee.coralogix_user.lower().encode()).hexdigest()[:24]
        return f"assign:{whom}"  # fits the claim's 32-character action column
    return action.value


def _maybe_sent(error: CoralogixError) -> bool:
    """Whether a failed write may still have happened: no answer in time, or a failure after sending."""
    return isinstance(error, CoralogixUnavailableError) or (
        isinstance(error, CoralogixRequestError) and error.code in _MAYBE_SENT_CODES
    )


def _took_effect(action: Action, incident: Incident, assignee: _Assignee | None) -> bool:
    """Whether the incident, read back, shows `action` done."""
    if action is Action.CLOSE:
        return incident.is_closed
    if action is Action.RESOLVE:
        return incident.status is Status.RESOLVED or incident.is_closed
    if action is Action.ACK:
        return incident.status is Status.ACKNOWLEDGED
    if action is Action.UNASSIGN:
        return incident.assignee is None
    current = incident.assignee
    return assignee is not None and current is not None and current.lower() == assignee.coralogix_user.lower()


def _status_phrase(incident: Incident) -> str:
    if incident.is_closed:
        return "closed"
    return incident.status.value if incident.status is not Status.UNSPECIFIED else "in an unknown status"


def _nothing_to_do(action: Action, incident: Incident, assignee: _Assignee | None) -> str | None:
    """Why the action would change nothing (a short phrase after the incident's label), else None."""
    if incident.is_closed:
        return (
            "is already closed." if action is Action.CLOSE else "is closed; nothing more can be done to it."
        )
    status = incident.status
    if action is Action.ACK and status is Status.ACKNOWLEDGED:
        return "is already acknowledged."
    if action is Action.ACK and status is Status.RESOLVED:
        return "is resolved; there is nothing to acknowledge."
    if action is Action.RESOLVE and status is Status.RESOLVED:
        return "is already resolved."
    if action is Action.ASSIGN and assignee is not None:
        current = incident.assignee
        if current is not None and current.lower() == assignee.coralogix_user.lower():
            return f"is already assigned to {assignee.shown}."
    if action is Action.UNASSIGN and incident.assignee is None:
        return "is not assigned to anyone."
    return None
