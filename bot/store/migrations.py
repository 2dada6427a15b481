"""Schema creation and upgrades, recorded in `schema_version`.

A new database gets the latest tables from `tables.metadata` and records every version it was
created with. An existing one runs, in order, every migration it has not recorded (migrations 5-9
landed out of order during development, so a database may lack one below its newest). Every
migration checks first, so running it on a database that already has its change does nothing.
To change the schema: change `tables.py` AND append a `Migration` that makes the same change
to an existing database (e.g. `ALTER TABLE ... ADD COLUMN ...`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.engine import Connection

from bot.store.tables import metadata, schema_version

# Any constant will do: it only has to be the same for every replica of the bot.
_POSTGRES_SCHEMA_LOCK = 0x1C0A1061

# Releases up to this version stamped a new database with its newest version alone, so such a
# recorded version stands for every version up to it.
_HEAD_ONLY_STAMPS_UNTIL = 4


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_initial_tables(conn: Connection) -> None:
    metadata.create_all(conn)


def _add_message_kind(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("incident_messages")}
    if "kind" in columns:  # created by a version-1 run of today's tables
        return
    conn.execute(text("ALTER TABLE incident_messages ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'card'"))


def _identity_eligibility_and_action_claims(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("identity_cache")}
    if "ineligible" not in columns:
        conn.execute(text("ALTER TABLE identity_cache ADD COLUMN ineligible VARCHAR(32)"))
        # Answers cached before guests and bots were told apart must be asked again.
        conn.execute(text("DELETE FROM identity_cache"))
    metadata.tables["action_claims"].create(conn, checkfirst=True)


def _add_snapshot_sweep(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("incident_snapshots")}
    if "swept" not in columns:  # absent unless created by a version-3 run of today's tables
        conn.execute(text("ALTER TABLE incident_snapshots ADD COLUMN swept INTEGER"))


def _add_reminders(conn: Connection) -> None:
    metadata.tables["reminder_series"].create(conn, checkfirst=True)
    metadata.tables["reminder_posts"].create(conn, checkfirst=True)


def _add_war_rooms(conn: Connection) -> None:
    metadata.tables["war_rooms"].create(conn, checkfirst=True)


def _add_reports(conn: Connection) -> None:
    for name in ("response_times", "report_runs", "report_schedules"):
        metadata.tables[name].create(conn, checkfirst=True)


def _add_slack_events(conn: Connection) -> None:
    metadata.tables["slack_events"].create(conn, checkfirst=True)


def _add_outbox_priority(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("outbox")}
    if "priority" not in columns:
        conn.execute(text("ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 2"))
        conn.execute(
            text(
                "CREATE INDEX ix_outbox_channel_priority_next_attempt_at"
                " ON outbox (channel, priority, next_attempt_at)"
            )
        )


def _add_live_surfaces(conn: Connection) -> None:
    metadata.tables["link_unfurls"].create(conn, checkfirst=True)
    metadata.tables["home_tabs"].create(conn, checkfirst=True)


def _add_folded_lines(conn: Connection) -> None:
    columns = {column["name"] for column in inspect(conn).get_columns("incident_messages")}
    if "folded" not in columns:
        conn.execute(text("ALTER TABLE incident_messages ADD COLUMN folded JSON"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "incident messages, snapshots, cursors, leases, outbox, personal keys, identity cache",
        _create_initial_tables,
    ),
    Migration(2, "incident messages know whether they are a card or a storm digest", _add_message_kind),
    Migration(
        3,
        "identity cache knows guests, bots and deleted users; one action claim per incident and action",
        _identity_eligibility_and_action_claims,
    ),
    Migration(4, "snapshots remember the last reconciliation that saw them open", _add_snapshot_sweep),
    Migration(
        5, "reminders of unacknowledged incidents: one row per card, one claim per step", _add_reminders
    ),
    Migration(6, "one war room (a Slack channel) per incident", _add_war_rooms),
    Migration(
        7, "shift reports: response times read from events, one row per scheduled report", _add_reports
    ),
    Migration(8, "Slack events already taken, so a retried event is not handled twice", _add_slack_events),
    Migration(9, "outbox items carry a priority: urgent work first", _add_outbox_priority),
    Migration(10, "link unfurls and Home tabs the bot made, redrawn when things change", _add_live_surfaces),
    Migration(11, "a card keeps the thread lines put on it when its channel was busy", _add_folded_lines),
)


def head_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return migrations[-1].version


def current_version(conn: Connection) -> int | None:
    """The newest recorded version, or None when the database has no schema yet."""
    if not inspect(conn).has_table(schema_version.name):
        return None
    return conn.execute(select(func.max(schema_version.c.version))).scalar_one_or_none()


def recorded_versions(conn: Connection) -> set[int] | None:
    """Every version recorded in `schema_version`, or None when the database has no schema yet."""
    if not inspect(conn).has_table(schema_version.name):
        return None
    return set(conn.execute(select(schema_version.c.version)).scalars())


def applied_versions(recorded: set[int]) -> set[int]:
    """What a database has: each recorded version, and every version an old head-only stamp stands for."""
    stamps = [version for version in recorded if version <= _HEAD_ONLY_STAMPS_UNTIL]
    return recorded | set(range(1, max(stamps, default=0) + 1))


def upgrade(conn: Connection, now: datetime, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Bring the schema to the newest version inside the caller's transaction; returns what was applied.

    A new database is created from today's tables and records every version; an existing one runs,
    in order, each migration whose version it has not got, even one below its newest.
    """
    _check_order(migrations)
    if conn.dialect.name == "postgresql":
        # Replicas starting together wait here instead of racing to create the same tables.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_SCHEMA_LOCK})
    recorded = recorded_versions(conn)
    if recorded is None:
        metadata.create_all(conn)
        pending = list(migrations)
    else:
        have = applied_versions(recorded)
        pending = [migration for migration in migrations if migration.version not in have]
        for migration in pending:
            migration.apply(conn)
    for migration in pending:
        _record(conn, migration, now)
    return [migration.version for migration in pending]


def _record(conn: Connection, migration: Migration, now: datetime) -> None:
    conn.execute(
        insert(schema_version).values(
            version=migration.version, description=migration.description, applied_at=now
        )
    )


def _check_order(migrations: Sequence[Migration]) -> None:
    """Numbered from 1, each newer than the last; a gap is allowed (a number taken by work not yet in)."""
    versions = [m.version for m in migrations]
    if not versions or versions[0] != 1 or any(b <= a for a, b in pairwise(versions)):
        raise ValueError(f"migrations must be numbered 1, 2, ... in order; got {versions}")
