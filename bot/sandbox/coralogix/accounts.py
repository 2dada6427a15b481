"""API keys of the simulated Coralogix account: who owns each key and what it may do."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

READ = "incidents:read"
ACKNOWLEDGE = "incidents:acknowledge"
ASSIGN = "incidents:assign"
CLOSE = "incidents:close"
ALL_PERMISSIONS: frozenset[str] = frozenset({READ, ACKNOWLEDGE, ASSIGN, CLOSE})

DEFAULT_API_KEYS: dict[str, str] = {
    "cx-team-key": "oncall-bot@example.com",
    "cx-alice-key": "alice@example.com",
    "cx-bob-key": "bob@example.com",
    "cx-readonly-key": "viewer@example.com",
}
READONLY_KEYS: frozenset[str] = frozenset({"cx-readonly-key"})


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One key: the Coralogix user it acts as (an e-mail) and its permissions."""

    user_id: str
    permissions: frozenset[str]

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


def make_key(user_id: str, permissions: Collection[str] | None = None) -> ApiKey:
    """A key with `permissions` (all incident permissions when None); unknown names are refused."""
    granted = ALL_PERMISSIONS if permissions is None else frozenset(permissions)
    unknown = granted - ALL_PERMISSIONS
    if unknown:
        raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}")
    return ApiKey(user_id=user_id, permissions=granted)


def default_keys(api_keys: Mapping[str, str] | None) -> dict[str, ApiKey]:
    """The keys a new simulator starts with; `cx-readonly-key` is read-only whoever owns it."""
    source = DEFAULT_API_KEYS if api_keys is None else api_keys
    return {key: make_key(user, {READ} if key in READONLY_KEYS else None) for key, user in source.items()}


def describe_keys(keys: Mapping[str, ApiKey]) -> str:
    """'cx-team-key (oncall-bot@example.com), cx-readonly-key (viewer@example.com, read only), ...'."""
    parts = []
    for key, api_key in keys.items():
        if api_key.permissions == ALL_PERMISSIONS:
            parts.append(f"{key} ({api_key.user_id})")
        elif api_key.permissions == {READ}:
            parts.append(f"{key} ({api_key.user_id}, read only)")
        else:
            parts.append(f"{key} ({api_key.user_id}, {', '.join(sorted(api_key.permissions))})")
    return ", ".join(parts)
