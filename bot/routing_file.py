"""The YAML file's routes, users and permissions, and the value checks the settings share with it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from bot.domain import Action, Incident, Severity

ROUTABLE_SEVERITIES = tuple(severity for severity in Severity if severity is not Severity.UNSPECIFIED)
MAPPED = "mapped"
"""In `permissions`, stands for every Slack user who has a Coralogix identity."""

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ---------------------------------------------------------------------------------------------------------
# Small value checks shared by the file model and the settings


def channel_id(value: str) -> str:
    if not _CHANNEL_ID.match(value):
        hint = "; use the channel's ID, not its name" if value.startswith("#") else ""
        raise ValueError(f"{value!r} is not a Slack channel ID (like C0123ABCD){hint}")
    return value


def user_id(value: str) -> str:
    if not _USER_ID.match(value):
        hint = "; use the member ID, not the name" if value.startswith("@") else ""
        raise ValueError(f"{value!r} is not a Slack user ID (like U0123ABCD){hint}")
    return value


def is_user_group(entry: str) -> bool:
    """Whether a permissions/responders entry names a Slack user group (S…) rather than a user."""
    return bool(_GROUP_ID.match(entry))


def _person_or_group(value: str) -> str:
    if not (_USER_ID.match(value) or _GROUP_ID.match(value)):
        hint = "; use the member or group ID, not the name" if value.startswith("@") else ""
        raise ValueError(f"{value!r} is not a Slack user ID (U…) or user group ID (S…){hint}")
    return value


def _permission_entry(value: str) -> str:
    if value == MAPPED:
        return value
    if not (_USER_ID.match(value) or _GROUP_ID.match(value)):
        raise ValueError(
            f"{value!r} is not a Slack user ID (like U0123ABCD), a user group ID (like S0123ABCD) "
            f"or {MAPPED!r}"
        )
    return value


def _email_domain(value: str) -> str:
    domain = value.strip().lower().removeprefix("@")
    if not _DOMAIN.match(domain):
        raise ValueError(f"{value!r} is not an e-mail domain (like example.com)")
    return domain


def parse_duration(value: object) -> int:
    """`90s`, `10m`, `2h`, `1d` (or a number of seconds) as seconds; raises ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _DURATION.match(str(value).strip().lower())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a duration (like 90s, 10m, 2h or 1d)")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def as_list(value: object) -> object:
    """A single scalar where a list is expected becomes a one-item list; numbers become text."""
    if value is None:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list | tuple):
        return [scalar_text(item) for item in value]
    return value


def _nonempty_any_of(value: list[str] | None) -> list[str] | None:
    if value is not None and not value:
        raise ValueError("an empty list matches nothing; leave the key out to match any")
    return value


ChannelId = Annotated[str, AfterValidator(channel_id)]
SlackUserId = Annotated[str, AfterValidator(user_id)]
PermissionEntry = Annotated[str, AfterValidator(_permission_entry)]
PersonOrGroup = Annotated[str, AfterValidator(_person_or_group)]
EmailDomain = Annotated[str, AfterValidator(_email_domain)]
Text = Annotated[str, AfterValidator(not_blank)]


# ---------------------------------------------------------------------------------------------------------
# The routing / users / permissions file


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RouteMatch(_FileModel):
    """What an incident must look like for a route to take it; every given key must match."""

    severity: list[Severity] | None = None
    application: list[str] | None = None
    subsystem: list[str] | None = None
    alert_name: list[str] | None = None
    labels: dict[str, str] | None = None
    muted: bool | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _known_severities(cls, value: object) -> object:
        items = as_list(value)
        if not isinstance(items, list):
            return items
        allowed = {severity.value: severity for severity in ROUTABLE_SEVERITIES}
        names = [item.strip().lower() if isinstance(item, str) else item for item in items]
        unknown = [item for item, name in zip(items, names, strict=True) if name not in allowed]
        if unknown:
            shown = ", ".join(repr(item) for item in unknown)
            verb = "is not a severity" if len(unknown) == 1 else "are not severities"
            raise ValueError(f"{shown} {verb}; use one of {', '.join(allowed)}")
        return [allowed[name] for name in names]

    @field_validator("application", "subsystem", "alert_name", mode="before")
    @classmethod
    def _list_or_string(cls, value: object) -> object:
        return as_list(value)

    @field_validator("severity", "application", "subsystem", "alert_name")
    @classmethod
    def _not_empty(cls, value: list[Any] | None) -> list[Any] | None:
        return _nonempty_any_of(value)

    @field_validator("labels", mode="before")
    @classmethod
    def _label_values_as_text(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {key: scalar_text(item) for key, item in value.items()}


class Reminder(_FileModel):
    """`remind:` of a route: nudge about incidents nobody acknowledged (bot/reminders)."""

    after: int
    every: int | None = None
    times: int = Field(default=1, ge=1, le=100)
    mention: list[str] = Field(default_factory=list)

    @field_validator("after", "every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return None if value is None else parse_duration(value)

    @field_validator("mention", mode="before")
    @classmethod
    def _list_or_string(cls, value: object) -> object:
        return as_list(value)


class ReportSchedule(_FileModel):
    """`report:` of a route: when its shift report is due (bot/reports, notify/report_job.py)."""

    at: str
    tz: str = "UTC"
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS))

    @field_validator("at", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        text = str(scalar_text(value)).strip()
        if not _CLOCK.match(text):
            raise ValueError(f"{value!r} is not a time of day (like 09:00)")
        return text

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (like Europe/Berlin)") from None
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _weekdays(cls, value: object) -> object:
        items = as_list(value)
        if not isinstance(items, list):
            return items
        days = [str(item).strip().lower()[:3] for item in items]
        unknown = [item for item, day in zip(items, days, strict=True) if day not in WEEKDAYS]
        if unknown or not days:
            raise ValueError(f"days are {', '.join(WEEKDAYS)}; got {items!r}")
        return days


class Route(_FileModel):
    """A rule that sends matching incidents to one or more channels."""

    name: Text
    match: RouteMatch = Field(default_factory=RouteMatch)
    channels: list[ChannelId]
    mention: list[str] = Field(default_factory=list)
    responders: list[PersonOrGroup] | None = None
    remind: Reminder | None = None
    report: ReportSchedule | None = None

    @field_validator("channels", "mention", "responders", mode="before")
    @classmethod
    def _list_or_string(cls, value: object) -> object:
        return as_list(value)

    @field_validator("responders")
    @classmethod
    def _someone_responds(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("an empty list lets nobody act; leave the key out to let the permissions decide")
        return value

    @field_validator("channels")
    @classmethod
    def _at_least_one_channel(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one channel ID")
        return value


class UserMapping(_FileModel):
    """An explicit Slack user -> Coralogix user; wins over e-mail matching."""

    slack: SlackUserId
    coralogix: Text


class IdentityRules(_FileModel):
    """`identity:` — which Slack profile e-mails may stand for a Coralogix user."""

    email_domains: list[EmailDomain] = Field(default_factory=list)

    @field_validator("email_domains", mode="before")
    @classmethod
    def _list_or_string(cls, value: object) -> object:
        return as_list(value)

    def allows_email(self, email: str) -> bool:
        """Whether an e-mail's domain is on the allow-list (exactly; subdomains must be listed too)."""
        _, at, domain = email.strip().lower().rpartition("@")
        return bool(at) and domain in self.email_domains


class RoutingConfig(_FileModel):
    """The `routes`, `users`, `identity` and `permissions` of the YAML file."""

    routes: list[Route] = Field(default_factory=list)
    users: list[UserMapping] = Field(default_factory=list)
    identity: IdentityRules = Field(default_factory=IdentityRules)
    permissions: dict[Action, list[PermissionEntry]] = Field(default_factory=dict)

    @field_validator("routes")
    @classmethod
    def _unique_route_names(cls, value: list[Route]) -> list[Route]:
        duplicates = _duplicates(route.name for route in value)
        if duplicates:
            raise ValueError(f"route names must be unique; repeated: {', '.join(duplicates)}")
        return value

    @field_validator("users")
    @classmethod
    def _one_mapping_per_user(cls, value: list[UserMapping]) -> list[UserMapping]:
        duplicates = _duplicates(user.slack for user in value)
        if duplicates:
            raise ValueError(f"each Slack user may be mapped once; repeated: {', '.join(duplicates)}")
        return value

    @field_validator("permissions", mode="before")
    @classmethod
    def _known_actions(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        allowed = [action.value for action in Action]
        unknown = [key for key in value if key not in allowed]
        if unknown:
            shown = ", ".join(repr(key) for key in unknown)
            verb = "is not an action" if len(unknown) == 1 else "are not actions"
            raise ValueError(f"{shown} {verb}; use one of {', '.join(allowed)}")
        return {key: as_list(entries) for key, entries in value.items()}

    def coralogix_user_for(self, slack_id: str) -> str | None:
        """The Coralogix identity the file maps this Slack user to, if any."""
        for user in self.users:
            if user.slack == slack_id:
                return user.coralogix
        return None

    def mapped_coralogix_users(self) -> set[str]:
        """Every Coralogix user the `users:` list names, lower-cased."""
        return {user.coralogix.lower() for user in self.users}


# ---------------------------------------------------------------------------------------------------------
# Which routes an incident matches (the poller posts to their channels; actions ask their responders)


def matching_routes(incident: Incident, routing: RoutingConfig) -> list[Route]:
    """The routes whose match accepts the incident, in file order."""
    return [route for route in routing.routes if route_matches(route.match, incident)]


def route_matches(match: RouteMatch, incident: Incident) -> bool:
    """All given keys must match; a list means any of its values; muted incidents need `muted: true`."""
    if incident.is_muted != bool(match.muted):
        return False
    if match.severity is not None and incident.severity not in match.severity:
        return False
    if match.application is not None and incident.application not in match.application:
        return False
    if match.subsystem is not None and incident.subsystem not in match.subsystem:
        return False
    if match.alert_name is not None and incident.alert_name not in match.alert_name:
        return False
    if match.labels is not None:
        return all(incident.label(key) == value for key, value in match.labels.items())
    return True


def scalar_text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated
