"""Which channels an incident goes to: the routes of the YAML file, then the default channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Route, RouteMatch, RoutingConfig
from bot.domain import Incident


@dataclass(frozen=True, slots=True)
class Delivery:
    """One channel to post an incident in; `route` is None for the default channel."""

    channel: str
    route: str | None
    mentions: tuple[str, ...] = ()


def channels_for(incident: Incident, routing: RoutingConfig, default_channel: str | None) -> list[Delivery]:
    """Every matching route's channels, one delivery per channel; else the default channel, else none."""
    by_channel: dict[str, Delivery] = {}
    for route in matching_routes(incident, routing):
        for channel in route.channels:
            earlier = by_channel.get(channel)
            if earlier is None:
                by_channel[channel] = Delivery(channel, route.name, tuple(_unique(route.mention)))
            else:
                merged = tuple(_unique([*earlier.mentions, *route.mention]))
                by_channel[channel] = Delivery(channel, earlier.route, merged)
    if by_channel:
        return list(by_channel.values())
    if default_channel and not incident.is_muted:
        return [Delivery(default_channel, None)]
    return []


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


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
