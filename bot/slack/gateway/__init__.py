"""The bot's only door to the Slack Web API: pacing per channel, retries, errors translated once.

`web.py` builds the client and paces channels, `core.py` makes every call and translates Slack's errors;
`SlackGateway` gathers the calls by subject: `messages.py`, `people.py` (users, modals, Home, unfurls)
and `rooms.py` (conversations).
"""

from bot.slack.gateway.core import GatewayCore
from bot.slack.gateway.messages import FoundMessage, MessageCalls
from bot.slack.gateway.people import PeopleCalls
from bot.slack.gateway.rooms import ConversationCalls
from bot.slack.gateway.web import (
    CHANNEL_ERRORS,
    LANDED_GAP,
    PERMANENT_ERRORS,
    ChannelPacer,
    CountedRateLimitRetryHandler,
    build_web_client,
)


class SlackGateway(MessageCalls, PeopleCalls, ConversationCalls, GatewayCore):
    """Every Slack Web API call the bot makes, paced per channel and counted."""


__all__ = [
    "CHANNEL_ERRORS",
    "LANDED_GAP",
    "PERMANENT_ERRORS",
    "ChannelPacer",
    "CountedRateLimitRetryHandler",
    "FoundMessage",
    "SlackGateway",
    "build_web_client",
]
