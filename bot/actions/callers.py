"""Who acts: the clicker's Coralogix identity, whether they may, the key they act with, whom they assign."""

from __future__ import annotations

from dataclasses import dataclass

from bot.actions.authority import Authority
from bot.actions.model import AssignTarget, CoralogixUserTarget, Me, SlackUserTarget
from bot.actions.wording import Assignee
from bot.config import Action
from bot.coralogix.backend import CoralogixBackend
from bot.errors import CoralogixAuthError, CoralogixError, CoralogixPermissionError
from bot.identity import Identity, IdentityResolver
from bot.personal_keys import CallerKey, KeySource, PersonalKeyError, PersonalKeys
from bot.slack.blocks import SlackUserOf, fit, user_ref

PERSONAL_KEY_ACTIONS = frozenset({Action.ACK, Action.ASSIGN})
"""What Coralogix Incidents refuses from a team key: the person's own key must make these calls."""


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


class Callers:
    """Turns a Slack user into a `Caller`, or the sentence saying why they cannot act."""

    def __init__(
        self,
        *,
        client: CoralogixBackend,
        identities: IdentityResolver,
        keys: PersonalKeys,
        authority: Authority,
        slack_user_of: SlackUserOf,
        require_personal_key: bool,
        command: str,
    ) -> None:
        self._client = client
        self.identities = identities
        self.keys = keys
        self.authority = authority
        self._slack_user_of = slack_user_of
        self._require_personal_key = require_personal_key
        self._command = command

    def caller(self, slack_id: str, action: Action | None = None) -> Caller | str:
        """The person with the key they act with, or the sentence saying why they cannot act."""
        identity = self.identities.resolve(slack_id)
        if not identity.is_mapped:
            return identity.reason
        if action is not None:
            refusal = self.authority.refusal(slack_id, action)
            if refusal is not None:
                return refusal
        try:
            key = self.keys.key_for(slack_id)
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
            and self.client_api() == "incidents"
        )

    def credits_actor(self, action: Action) -> bool:
        """Whether Coralogix records the person named as `actor` (Cases acknowledge), not the key's owner."""
        return action is Action.ACK and self.client_api() == "cases"

    def client_api(self) -> str | None:
        try:
            return self._client.api
        except CoralogixError:
            return None

    def personal_key_refusal(self, action: Action) -> str:
        verb = "acknowledging" if action is Action.ACK else "assigning"
        why = (
            f"On Coralogix Incidents, {verb} needs your own API key: Coralogix records the key's owner "
            "and refuses the bot's team key for it."
        )
        if not self.keys.enabled:
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

    def assignee(self, caller: Caller, target: AssignTarget) -> Assignee | str:
        """Whom `target` names as a Coralogix user, or why they cannot be assigned."""
        if isinstance(target, Me):
            return Assignee(caller.coralogix_user, f"<@{caller.slack_id}>")
        if isinstance(target, SlackUserTarget):
            if target.user_id == caller.slack_id:
                return Assignee(caller.coralogix_user, f"<@{caller.slack_id}>")
            identity = self.identities.resolve(target.user_id)
            if identity.coralogix_user is None:
                return f"I can't assign to <@{target.user_id}>. {identity.reason}"
            return Assignee(identity.coralogix_user, f"<@{target.user_id}>")
        assert isinstance(target, CoralogixUserTarget)
        if not self.identities.may_be_assignee(target.user_id):
            return (
                f"I can't assign to `{fit(target.user_id, 80, code=True)}`: it is not someone the bot "
                "can map to a Coralogix user (the settings file's `users:` or an allowed e-mail domain). "
                "Name them as a Slack user (`@name`) instead."
            )
        return Assignee(target.user_id.strip().lower(), user_ref(target.user_id, self._slack_user_of))
