"""The effective configuration, safe to print: secrets masked, routes and the authority model in words."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.config.settings import SECRET_SETTINGS, SETTING_NAMES, Settings
from bot.domain import Action
from bot.routing_file import RouteMatch, RoutingConfig

_TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xapp-")


def masked_summary(settings: Settings) -> list[tuple[str, str]]:
    """Every setting by its environment name with its effective value, secrets masked; then the routes."""
    rows = [(name.upper(), _shown_value(name, getattr(settings, name))) for name in SETTING_NAMES]
    return rows + _routing_rows(settings.routing)


def mask_secret(secret: SecretStr | None) -> str:
    """`xoxb-…abcd`: a token's kind and at most its last 4 characters, only when it is long enough."""
    if secret is None:
        return "(unset)"
    value = secret.get_secret_value()
    head = next((prefix for prefix in _TOKEN_PREFIXES if value.startswith(prefix)), "")
    tail = value[-4:] if len(value) - len(head) >= 16 else ""
    return f"{head}…{tail}" if head or tail else "(set)"


def _shown_value(name: str, value: object) -> str:
    if name in SECRET_SETTINGS:
        return mask_secret(value if isinstance(value, SecretStr) else None)
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "bot_database_url":
        return make_url(str(value)).render_as_string(hide_password=True)
    return str(value)


def _routing_rows(routing: RoutingConfig) -> list[tuple[str, str]]:
    rows = [("routes", f"{len(routing.routes)}" if routing.routes else "none")]
    for route in routing.routes:
        target = ", ".join(route.channels)
        mentions = f" mentioning {' '.join(route.mention)}" if route.mention else ""
        rows.append((f"route {route.name}", f"{_match_summary(route.match)} → {target}{mentions}"))
    return rows + authority_rows(routing)


def authority_rows(routing: RoutingConfig) -> list[tuple[str, str]]:
    """The effective authority model: how people map, who may do what, which routes name responders."""
    listed = f"{len(routing.users)} by the users list" if routing.users else "nobody by the users list"
    domains = routing.identity.email_domains
    by_email = (
        f"by Slack profile e-mail on {', '.join(domains)} (never guests, bots, deleted users "
        "or unconfirmed e-mails)"
        if domains
        else "e-mail mapping is OFF (no identity.email_domains)"
    )
    rows = [("who maps", f"{listed}; {by_email}")]
    for action in Action:
        allowed = routing.permissions.get(action)
        rows.append((f"may {action.value}", "any mapped user" if allowed is None else ", ".join(allowed)))
    owned = [route for route in routing.routes if route.responders]
    for route in owned:
        rows.append((f"responders of {route.name}", ", ".join(route.responders or ())))
    if not owned:
        rows.append(("responders", "no route names responders: the permissions alone decide"))
    return rows


def _match_summary(match: RouteMatch) -> str:
    parts = []
    if match.severity:
        parts.append(f"severity {'|'.join(severity.value for severity in match.severity)}")
    for key in ("application", "subsystem", "alert_name"):
        values: list[str] | None = getattr(match, key)
        if values:
            parts.append(f"{key} {'|'.join(values)}")
    if match.labels:
        parts.append("labels " + ", ".join(f"{key}={value}" for key, value in match.labels.items()))
    parts.append("muted only" if match.muted else "unmuted")
    return "; ".join(parts)
