"""The latest schema, as SQLAlchemy Core tables.

A change here needs a matching step in `migrations.MIGRATIONS`, or databases created by an older
version of the bot will not get it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from bot.store.types import UTCDateTime

ID = 200  # Coralogix incident/event ids, replica ids, lease holders
CHANNEL = 64
SLACK_TS = 32
SHORT = 32

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_SERIAL = BigInteger().with_variant(Integer(), "sqlite")

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

incident_messages = Table(
    "incident_messages",
    metadata,
    Column("incident_id", String(ID), primary_key=True),
    Column("channel", String(CHANNEL), primary_key=True),
    Column("state", String(SHORT), nullable=False),
    Column("ts", String(SLACK_TS)),
    Column("thread_ts", String(SLACK_TS)),
    Column("claimed_by", String(ID)),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("posted_at", UTCDateTime),
    Column("fingerprint", String(ID)),
    Column("event_count", Integer, nullable=False, default=0),
    Column("last_event_id", String(ID)),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("kind", String(SHORT), nullable=False, default="card", server_default="card"),
    Column("folded", JSON),  # thread lines shown on the card instead (`OutboxWorker.fold`), oldest first
    Index(None, "state", "claimed_at"),
    Index(None, "channel", "ts"),
)

incident_snapshots = Table(
    "incident_snapshots",
    metadata,
    Column("incident_id", String(ID), primary_key=True),
    Column("status", String(SHORT), nullable=False),
    Column("state", String(SHORT), nullable=False),
    Column("severity", String(SHORT), nullable=False),
    Column("assignee", String(ID)),
    Column("muted", Boolean, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("last_state_update_time", UTCDateTime),
    Column("fingerprint", String(ID)),
    Column("seen_event_count", Integer, nullable=False),
    Column("last_event_id", String(ID)),
    Column("channels", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("swept", Integer),  # the number of the last reconciliation that saw the incident open
    Index(None, "closed", "updated_at"),
)

poll_cursors = Table(
    "poll_cursors",
    metadata,
    Column("name", String(ID), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(ID), primary_key=True),
    Column("holder", String(ID), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("kind", String(SHORT), nullable=False),
    Column("channel", String(CHANNEL), nullable=False),
    Column("incident_id", String(ID)),
    Column("payload", JSON, nullable=False),
    Column("dedupe_key", String(255), unique=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("priority", Integer, nullable=False, default=2, server_default="2"),  # lower goes first
    Index(None, "next_attempt_at"),
    Index(None, "channel", "priority", "next_attempt_at"),
)

personal_keys = Table(
    "personal_keys",
    metadata,
    Column("slack_user_id", String(CHANNEL), primary_key=True),
    Column("encrypted_key", LargeBinary, nullable=False),
    Column("coralogix_user", String(ID)),
    Column("created_at", UTCDateTime, nullable=False),
)

identity_cache = Table(
    "identity_cache",
    metadata,
    Column("slack_user_id", String(CHANNEL), primary_key=True),
    Column("coralogix_user", String(ID)),
    Column("email", String(320)),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("ineligible", String(SHORT)),
)

action_claims = Table(
    "action_claims",
    metadata,
    Column("incident_id", String(ID), primary_key=True),
    Column("action", String(SHORT), primary_key=True),
    Column("slack_user_id", String(CHANNEL), nullable=False),
    Column("state", String(SHORT), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

response_times = Table(
    "response_times",
    metadata,
    Column("incident_id", String(ID), primary_key=True),
    Column("version", String(ID), nullable=False),  # the incident's last state update it was read at
    Column("closed", Boolean, nullable=False),
    Column("started_at", UTCDateTime),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_by", String(ID)),
    Column("resolved_at", UTCDateTime),
    Column("retriggers", Integer, nullable=False),
    Column("ack_unknown", Boolean, nullable=False),
    Column("resolve_unknown", Boolean, nullable=False),
    Column("read_at", UTCDateTime, nullable=False),
    Index(None, "read_at"),
)

report_runs = Table(
    "report_runs",
    metadata,
    Column("route", String(ID), primary_key=True),
    Column("channel", String(CHANNEL), primary_key=True),
    Column("run_at", UTCDateTime, primary_key=True),  # the scheduled time the report is for
    Column("state", String(SHORT), nullable=False),  # claimed, posted
    Column("claimed_by", String(ID), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("ts", String(SLACK_TS)),
    Column("posted_at", UTCDateTime),
    Column("late", Boolean, nullable=False, default=False),
)

report_schedules = Table(
    "report_schedules",
    metadata,
    Column("route", String(ID), primary_key=True),
    Column("armed_at", UTCDateTime, nullable=False),  # runs before this were never owed
)

reminder_series = Table(
    "reminder_series",
    metadata,
    Column("channel", String(CHANNEL), primary_key=True),
    Column("thread_ts", String(SLACK_TS), primary_key=True),  # the card (or storm digest) reminded of
    Column("route", String(ID)),  # the route whose `remind` applies; None: no reminders here
    Column("incidents", JSON, nullable=False),  # incident id -> title, as first seen
    Column("created_at", UTCDateTime, nullable=False),  # when the (earliest) incident was created
    Column("steps_sent", Integer, nullable=False, default=0),
    Column("last_sent_at", UTCDateTime),
    Column("next_due_at", UTCDateTime),  # None: no reminder is due any more
    Column("snoozed_until", UTCDateTime),
    Column("snoozed_by", String(CHANNEL)),
    Column("snoozed_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "next_due_at"),
)

reminder_posts = Table(
    "reminder_posts",
    metadata,
    Column("channel", String(CHANNEL), primary_key=True),
    Column("thread_ts", String(SLACK_TS), primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("state", String(SHORT), nullable=False),  # claimed, posted, dropped
    Column("claimed_by", String(ID), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("ts", String(SLACK_TS)),
    Column("posted_at", UTCDateTime),
    Index(None, "state", "claimed_at"),
)

slack_events = Table(
    "slack_events",
    metadata,
    Column("event_id", String(ID), primary_key=True),  # Slack's event_id, the same on every retry
    Column("received_at", UTCDateTime, nullable=False),
    Index(None, "received_at"),
)


war_rooms = Table(
    "war_rooms",
    metadata,
    Column("incident_id", String(ID), primary_key=True),
    Column("state", String(SHORT), nullable=False),  # creating, open, archived
    Column("channel", String(CHANNEL)),  # known once Slack created it
    Column("name", String(CHANNEL * 2)),
    Column("opened_by", String(CHANNEL), nullable=False),
    Column("card_ts", String(SLACK_TS)),  # the live card posted in the room
    Column("claimed_by", String(ID), nullable=False),  # the replica creating the room or posting its card
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("archived_by", String(CHANNEL)),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "channel"),
)


link_unfurls = Table(
    "link_unfurls",
    metadata,
    Column("channel", String(CHANNEL), primary_key=True),
    Column("ts", String(SLACK_TS), primary_key=True),
    Column("url", String(2048), primary_key=True),  # as shared: chat.unfurl names it exactly so
    Column("incident_id", String(ID), nullable=False),
    Column("unfurled_at", UTCDateTime, nullable=False),
    Index(None, "incident_id", "unfurled_at"),
)

home_tabs = Table(
    "home_tabs",
    metadata,
    Column("user_id", String(CHANNEL), primary_key=True),  # a Slack user whose Home tab the bot published
    Column("published_at", UTCDateTime, nullable=False),
)
