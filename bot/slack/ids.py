"""Every identifier the Slack app manifest, the Block Kit builders and the listeners share.

Changing a value here changes what Slack sends back; the manifest test compares these with `manifest.yaml`.
"""

from __future__ import annotations

from enum import StrEnum

METADATA_EVENT_TYPE = "coralogix_incident"
"""`event_type` of the message metadata on every incident card."""

DIGEST_METADATA_EVENT_TYPE = "coralogix_incident_digest"
"""Metadata of a storm digest; its payload lists the `incident_ids` it stands for."""

REMINDER_METADATA_EVENT_TYPE = "coralogix_incident_reminder"
"""Metadata of a reminder (a thread reply): its payload names the `thread_ts` and `step` it is."""

THREAD_METADATA_EVENT_TYPE = "coralogix_incident_thread"
"""Metadata of a thread reply the bot queued: its payload names the `incident_id` and the `marks` (the
queued lines' keys) it carries, so a reply that landed before a crash is found, not sent again."""

DEFAULT_SLASH_COMMAND = "/cx"


class ActionId(StrEnum):
    """`action_id` of each interactive element on an incident card."""

    ACK = "incident_ack"
    RESOLVE = "incident_resolve"
    ASSIGN_ME = "incident_assign_me"
    ASSIGN = "incident_assign"
    UNASSIGN = "incident_unassign"
    CLOSE = "incident_close"
    DETAILS = "incident_details"
    LINK = "incident_link"
    WAR_ROOM = "incident_war_room"  # critical and error cards: open the incident's channel, or join it
    ARCHIVE_ROOM = "incident_archive_room"  # the war room's card, once the incident is closed


class ReminderActionId(StrEnum):
    """`action_id` of the button on a reminder (never on a card)."""

    SNOOZE = "incident_snooze"


class CallbackId(StrEnum):
    """`callback_id` of each modal view."""

    INCIDENT_DETAILS = "incident_details_modal"
    CONNECT = "connect_modal"


class BlockId(StrEnum):
    """`block_id` of the input blocks whose values the view listeners read."""

    API_KEY = "connect_api_key"


class InputId(StrEnum):
    """`action_id` of input elements inside modals (they read as `state.values[block_id][action_id]`)."""

    API_KEY = "api_key"
