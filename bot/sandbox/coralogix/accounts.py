"""API keys of the simulated Coralogix account: who owns each key, whether a person or the team, and what
it may do (`incidents:*` permissions on the IncidentsService, `case:*` ones on the Cases services).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

READ = "incidents:read"
ACKNOWLEDGE = "incidents:acknowledge"
ASSIGN = "incidents:assign"
CLOSE = "incidents:close"
ALL_PERMISSIONS: frozenset[str] = frozenset({READ, ACKNOWLEDGE, ASSIGN, CLOSE})

CASE_READ = "case:Read"
CASE_UPDATE = "case:Update"
CASE_ASSIGN = "case:Assign"
CASE_ACKNOWLEDGE = "case:Acknowledge"
CASE_CLOSE = "case:Close"
CASE_PERMISSIONS: frozenset[str] = frozenset(
    {CASE_READ, CASE_UPDATE, CASE_ASSIGN, CASE_ACKNOWLEDGE, CASE_CLOSE}
)

DEFAULT_API_KEYS: dict[str, str] = {
    "cx-team-key": "oncall-bot@example.com",
    "cx-alice-key": "alice@example.com",
    "cx-bob-key": "bob@example.com",
    "cx-readonly-key": "viewer@example.com",
}
READONLY_KEYS: frozenset[str] = frozenset({"cx-readonly-key"})
TEAM_KEYS: frozenset[str] = frozenset({"cx-team-key"})
"""Keys owned by the team (a service user), not by a person; the others are personal keys."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One key: the Coralogix user it acts as (an e-mail), its permissions, and whether a person owns it."""

    user_id: str
    permissions: frozenset[str]
    personal: bool = True

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


def make_key(
    user_id: str,
    permissions: Collection[str] | None = None,
    *,
    known: frozenset[str] = ALL_PERMISSIONS,
    personal: bool = True,
) -> ApiKey:
    """A key with `permissions` (all of `known` when None); names outside `known` are refused."""
    granted = known if permissions is None else frozenset(permissions)
    unknown = granted - known
    if unknown:
        raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(known)}")
    return ApiKey(user_id=user_id, permissions=granted, personal=personal)


def default_keys(
    api_keys: Mapping[str, str] | None, *, known: frozenset[str] = ALL_PERMISSIONS, read: str = READ
) -> dict[str, ApiKey]:
    """The keys a new simulator starts with: `cx-readonly-key` may only read, `cx-team-key` is the team's."""
    source = DEFAULT_API_KEYS if api_keys is None else api_keys
    return {
        key: make_key(
            user, {read} if key in READONLY_KEYS else None, known=known, personal=key not in TEAM_KEYS
        )
        for key, user in source.items()
    }


def describe_keys(
    keys: Mapping[str, ApiKey], *, known: frozenset[str] = ALL_PERMISSIONS, read: str = READ
) -> str:
    """E.g. 'cx-team-key (oncall-bot@example.com, team key), cx-readonly-key (viewer@…, read only)'."""
    parts = []
    for key, api_key in keys.items():
        notes = [api_key.user_id]
        if not api_key.personal:
            notes.append("team key")
        if api_key.permissions == {read}:
            notes.append("read only")
        elif api_key.permissions != known:
            notes.append(", ".join(sorted(api_key.permissions)))
        parts.append(f"{key} ({', '.join(notes)})")
    return ", ".join(parts)
