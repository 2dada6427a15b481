"""Every Block Kit payload the bot sends, built by pure functions from domain objects.

Nothing here talks to Slack or Coralogix; listeners, the notifier and the poller render with these and
send the result. Text that comes from Coralogix goes through `bot.slack.text` (`mrkdwn_text` for mrkdwn,
through `escape`/`fit` in `mrkdwn`; `plain_text` for every plain_text object) and is cut to Slack's
limits here, so a payload from this package shows such text literally and never fails on size (tests
check each one with `slack_sdk.models` and `limits`).

One module per surface: `card` (the live incident card), `timeline` (thread notes, events in words),
`modals` (details, connect), `lists` (`/cx list`, `/cx stats`), `replies` (errors, help, notices) and
`digest` (the storm digest), over two leaves: `mrkdwn` (text, users, dates) and `elements` (Block Kit's
small parts). The payload type is `bot.slack.payload`; what a button carries is `bot.slack.values`.
This module re-exports the names callers use.
"""

from bot.domain import CLOSED
from bot.slack.blocks.card import (
    card_actions,
    card_labels,
    card_status,
    fallback_text,
    incident_card,
    incident_metadata,
)
from bot.slack.blocks.digest import digest_message
from bot.slack.blocks.lists import incident_line, incident_list, stats_message
from bot.slack.blocks.modals import connect_modal, details_waiting_modal, incident_details_modal
from bot.slack.blocks.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    MAX_LIST_LINE,
    MAX_TITLE_IN_LINE,
    SlackUserOf,
    date_token,
    escape,
    fit,
    incident_url,
    nobody,
    severity_emoji,
    severity_word,
    status_word,
    user_ref,
)
from bot.slack.blocks.replies import error_message, notice_message, usage_message
from bot.slack.blocks.timeline import COMMENT_IN_LINE, describe_event, event_by, thread_note
from bot.slack.payload import Block, MessagePayload
from bot.slack.values import CARD_BLOCK_PREFIX, ActionValue, card_block_id, new_rendering

__all__ = [
    "CARD_BLOCK_PREFIX",
    "CLOSED",
    "COMMENT_IN_LINE",
    "FALLBACK_TEXT_LIMIT",
    "MAX_LIST_LINE",
    "MAX_TITLE_IN_LINE",
    "ActionValue",
    "Block",
    "MessagePayload",
    "SlackUserOf",
    "card_actions",
    "card_block_id",
    "card_labels",
    "card_status",
    "connect_modal",
    "date_token",
    "describe_event",
    "details_waiting_modal",
    "digest_message",
    "error_message",
    "escape",
    "event_by",
    "fallback_text",
    "fit",
    "incident_card",
    "incident_details_modal",
    "incident_line",
    "incident_list",
    "incident_metadata",
    "incident_url",
    "new_rendering",
    "nobody",
    "notice_message",
    "severity_emoji",
    "severity_word",
    "stats_message",
    "status_word",
    "thread_note",
    "usage_message",
    "user_ref",
]
