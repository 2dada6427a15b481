"""The Coralogix write of an action: one call for all incidents (one per incident only when that fails
for some), and, when the answer was lost, reading the incident back to tell done from not done."""

from __future__ import annotations

import logging

from bot.actions.callers import Caller, Callers
from bot.actions.model import IncidentOutcome, OutcomeKind
from bot.actions.references import Found
from bot.actions.wording import PAST, Assignee, incident_label, took_effect
from bot.config import Action
from bot.coralogix.backend import CoralogixBackend
from bot.coralogix.errors import PartialWriteError
from bot.domain import Incident
from bot.errors import (
    CoralogixError,
    CoralogixRequestError,
    CoralogixUnavailableError,
    IncidentNotFoundError,
)
from bot.personal_keys import CallerKey
from bot.slack.blocks import incident_url

log = logging.getLogger(__name__)

_MAYBE_SENT_CODES = frozenset({"UNKNOWN", "INTERNAL", "CANCELLED", "ABORTED"})

Results = dict[str, Incident | CoralogixError | None]


def maybe_sent(error: CoralogixError) -> bool:
    """Whether a failed write may still have happened: no answer in time, or a failure after sending."""
    return isinstance(error, CoralogixUnavailableError) or (
        isinstance(error, CoralogixRequestError) and error.code in _MAYBE_SENT_CODES
    )


class Writer:
    def __init__(
        self, *, client: CoralogixBackend, callers: Callers, command: str, team_url: str | None
    ) -> None:
        self._client = client
        self._callers = callers
        self._command = command
        self._team_url = team_url

    def write(self, action: Action, ids: list[str], assignee: Assignee | None, caller: Caller) -> Results:
        """The one call for all `ids` (one call per id only when that fails for some of them)."""
        key, actor = caller.key, caller.coralogix_user
        try:
            return self._call(action, ids, assignee, key, actor)
        except PartialWriteError as exc:  # some were done: never write those again
            return dict(exc.results)
        except (CoralogixRequestError, IncidentNotFoundError) as exc:
            if len(ids) == 1 or maybe_sent(exc):  # never write twice what may have been written
                return dict.fromkeys(ids, exc)
            log.info("%s of %d incidents failed together (%s); trying one by one", action, len(ids), exc)
        except CoralogixError as exc:
            return dict.fromkeys(ids, exc)
        results: Results = {}
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
        assignee: Assignee | None,
        key: CallerKey,
        actor: str | None = None,
    ) -> Results:
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
        by_id: Results = {i.id: i for i in updated if i.id in ids}
        missing = [incident_id for incident_id in ids if incident_id not in by_id]
        if missing:  # the call succeeded; the answer just did not carry the incident
            try:
                by_id.update(self._client.batch_get_incidents(missing, api_key=api_key).found)
            except CoralogixError as exc:
                log.warning("could not read %d incidents back after %s: %s", len(missing), action, exc)
        return {incident_id: by_id.get(incident_id) for incident_id in ids}

    def settle(
        self,
        action: Action,
        found: Found,
        error: CoralogixError,
        caller: Caller,
        assignee: Assignee | None,
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
        if incident is not None and took_effect(action, incident, assignee):
            return incident
        if incident is not None and error.code == "UNAVAILABLE":
            # The call never reached a working service (it would have been applied at once): not done.
            return IncidentOutcome(
                found.ref,
                OutcomeKind.FAILED,
                f"{label} was not {PAST[action]}: {self._callers.sentence(error, caller.key)}",
                incident,
            )
        if incident is None:
            message = (
                f"I can't tell whether {label} was {PAST[action]}: Coralogix did not answer in time and "
                f"I could not read it back.{where}"
            )
        else:
            message = (
                f"I can't tell yet whether {label} will be {PAST[action]}: Coralogix did not answer in time "
                f"and does not show it {PAST[action]} so far; it may still do it, and the card will change "
                f"if it does.{where}"
            )
        return IncidentOutcome(found.ref, OutcomeKind.UNKNOWN, message, incident or found.incident)
