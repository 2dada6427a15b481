"""Which channels an incident's cards go to: the routes it matches, else the default channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import RoutingConfig
from bot.domain import Incident
from bot.routing_file import matching_routes


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


@dataclass(frozen=True)
class Routes:
    """The routing file and the default channel, asked as the cards need them."""

    routing: RoutingConfig
    default_channel: str | None = None

    def deliveries(self, incident: Incident) -> list[Delivery]:
        return channels_for(incident, self.routing, self.default_channel)

    def mentions(self, incident: Incident, channel: str) -> tuple[str, ...]:
        """Who the first post in `channel` mentions (a repaired post is still the channel's first)."""
        for delivery in self.deliveries(incident):
            if delivery.channel == channel:
                return delivery.mentions
        return ()


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
