"""Schema creation and upgrades, engines and the time columns, on both databases."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect, select, text
from sqlalchemy.engine import Connection

from bot.store import MIGRATIONS, Migration, Store, StoreUnavailableError, head_version
from bot.store.engine import normalize_url
from bot.store.migrations import upgrade
from bot.store.tables import metadata, schema_version

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_create_schema_is_idempotent_and_records_the_version(db_url: str) -> None:
    first, second = Store.from_url(db_url), Store.from_url(db_url)
    try:
        assert first.schema_version() is None
        every = [m.version for m in MIGRATIONS]
        assert first.create_schema(T0) == every
        assert second.create_schema() == []
        assert first.create_schema() == []
        assert second.schema_version() == head_version() == MIGRATIONS[-1].version
        with first.engine.connect() as conn:
            rows = conn.execute(select(schema_version).order_by(schema_version.c.version)).all()
        # A new database records every version it was created with, so none is run on it later.
        assert [(row.version, row.applied_at) for row in rows] == [(v, T0) for v in every]
    finally:
        first.close()
        second.close()


def test_the_database_has_every_table_and_column_of_the_model(store: Store) -> None:
    inspector = inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("outbox")}
    assert ("dedupe_key",) in uniques


def test_replicas_starting_together_create_the_schema_once(db_url: str) -> None:
    replicas = [Store.from_url(db_url) for _ in range(3)]
    barrier = threading.Barrier(len(replicas))
    applied: list[list[int]] = []

    def start(replica: Store) -> None:
        barrier.wait()
        applied.append(replica.create_schema())

    threads = [threading.Thread(target=start, args=(replica,)) for replica in replicas]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(applied) == [[], [], [m.version for m in MIGRATIONS]]
    finally:
        for replica in replicas:
            replica.close()


def test_an_existing_database_gets_only_the_newer_migrations(store: Store) -> None:
    def add_note_column(conn) -> None:  # type: ignore[no-untyped-def]
        conn.execute(text("ALTER TABLE poll_cursors ADD COLUMN note TEXT"))

    newer = (*MIGRATIONS, Migration(head_version() + 1, "cursor notes", add_note_column))
    with store.engine.begin() as conn:
        assert upgrade(conn, T0, newer) == [head_version() + 1]
    with store.engine.begin() as conn:
        assert upgrade(conn, T0, newer) == []
    assert store.create_schema(migrations=newer) == []
    assert store.schema_version() == head_version() + 1
    assert "note" in {c["name"] for c in inspect(store.engine).get_columns("poll_cursors")}
    # The store still works on the upgraded table.
    store.set_cursor("incidents", "x")
    assert store.get_cursor("incidents") == "x"


def _refuse(conn: Connection) -> None:
    raise AssertionError("a migration ran on a database that has it")


def test_a_new_database_runs_no_migration_again(store: Store) -> None:
    refusing = [Migration(m.version, m.description, _refuse) for m in MIGRATIONS]
    assert store.create_schema(migrations=refusing) == []


def _forget(store: Store, versions: list[int], tables: list[str]) -> None:
    """Make the database one that never had `versions`: their rows and their tables gone."""
    with store.engine.begin() as conn:
        conn.execute(delete(schema_version).where(schema_version.c.version.in_(versions)))
        for table in tables:
            conn.execute(text(f"DROP TABLE {table}"))


def test_migrations_missing_below_the_newest_recorded_are_applied(store: Store) -> None:
    # Migrations 5-9 landed out of order: a database stamped 8 before 5 and 6 existed lacks them.
    _forget(store, [5, 6, 9], ["reminder_posts", "reminder_series", "war_rooms"])
    assert store.create_schema(T0) == [5, 6, 9]
    assert store.schema_version() == head_version()
    tables = set(inspect(store.engine).get_table_names())
    assert {"reminder_series", "reminder_posts", "war_rooms"} <= tables
    assert store.create_schema() == []


def test_a_database_stamped_by_the_previous_release_runs_only_what_came_after(store: Store) -> None:
    # Releases up to version 4 stamped a new database with its newest version alone.
    _forget(store, [1, 2, 3, 5, 6, 7, 8, 9], [])
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO identity_cache (slack_user_id, coralogix_user, email, fetched_at)"
                " VALUES ('U0ALICE', 'alice@example.com', 'alice@example.com', '2099-01-01 00:00:00')"
            )
        )
    assert store.create_schema(T0) == [5, 6, 7, 8, 9]
    assert store.cached_identity("U0ALICE", timedelta(days=36500)) is not None  # migration 3 not re-run


def test_every_migration_is_safe_on_a_database_that_has_its_change(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO identity_cache (slack_user_id, coralogix_user, email, fetched_at)"
                " VALUES ('U0ALICE', 'alice@example.com', 'alice@example.com', '2099-01-01 00:00:00')"
            )
        )
    before = {
        t.name: {c["name"] for c in inspect(store.engine).get_columns(t.name)} for t in metadata.sorted_tables
    }
    for migration in MIGRATIONS:
        with store.engine.begin() as conn:
            migration.apply(conn)
    after = {
        t.name: {c["name"] for c in inspect(store.engine).get_columns(t.name)} for t in metadata.sorted_tables
    }
    assert after == before
    assert store.cached_identity("U0ALICE", timedelta(days=36500)) is not None


@pytest.mark.parametrize("versions", [[], [2], [2, 1], [1, 1], [1, 3, 3]])
def test_migrations_must_be_numbered_in_order(store: Store, versions: list[int]) -> None:
    migrations = [Migration(v, "x", lambda conn: None) for v in versions]
    with pytest.raises(ValueError, match="numbered"):
        store.create_schema(migrations=migrations)


def test_times_come_back_as_aware_utc(store: Store) -> None:
    tokyo = timezone(timedelta(hours=9))
    local = datetime(2025, 3, 1, 21, 0, 0, 5, tzinfo=tokyo)
    store.claim_message("inc-1", "C1", "replica-a", local)
    row = store.message("inc-1", "C1")
    assert row is not None
    assert row.claimed_at.tzinfo is UTC
    assert row.claimed_at == datetime(2025, 3, 1, 12, 0, 0, 5, tzinfo=UTC)
    # Comparisons work across offsets: 12:00:00.000005Z is not older than 12:00:00.000006Z minus nothing.
    assert store.stale_claims(datetime(2025, 3, 1, 12, 0, 0, 6, tzinfo=UTC)) == [row]
    assert store.stale_claims(datetime(2025, 3, 1, 21, 0, 0, 5, tzinfo=tokyo)) == []


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.claim_message("inc-1", "C1", "replica-a", datetime(2025, 3, 1, 12, 0))
    assert store.message("inc-1", "C1") is None


def test_ping_answers(store: Store) -> None:
    store.ping()


def test_an_unreachable_database_raises_a_store_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = Store.from_url(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    try:
        with pytest.raises(StoreUnavailableError, match="did not answer"):
            store.ping()
    finally:
        store.close()


def test_sqlite_file_uses_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000
    finally:
        store.close()


def test_sqlite_memory_is_one_database_shared_by_threads() -> None:
    store = Store.from_url("sqlite://")
    try:
        store.create_schema()
        claims: list[bool] = []
        barrier = threading.Barrier(4)

        def claim(n: int) -> None:
            barrier.wait()
            for k in range(20):
                claims.append(store.claim_message(f"inc-{k}", "C1", f"replica-{n}", T0))

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert claims.count(True) == 20
        assert len(store.messages_for_incidents(f"inc-{k}" for k in range(20))) == 20
    finally:
        store.close()


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///bot.db", "sqlite"),
    ],
)
def test_urls_are_normalised_to_the_drivers_we_ship(given: str, driver: str) -> None:
    assert normalize_url(given).drivername == driver


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        Store.from_url("mysql://u@h/db")


def test_a_version_1_database_gains_the_message_kind(db_url: str) -> None:
    from bot.store import MessageKind
    from bot.store.migrations import MIGRATIONS

    old = Store.from_url(db_url)
    try:
        with old.engine.begin() as conn:
            for table in ("schema_version", "incident_messages"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        old.create_schema(migrations=MIGRATIONS[:1])
        with old.engine.begin() as conn:
            conn.execute(text("ALTER TABLE incident_messages DROP COLUMN kind"))
        assert old.schema_version() == 1
        with old.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO incident_messages (incident_id, channel, state, claimed_at, event_count,"
                    " updated_at) VALUES ('inc-1', 'C1', 'claimed', '2025-01-01 00:00:00', 0,"
                    " '2025-01-01 00:00:00')"
                )
            )
        assert old.create_schema() == [m.version for m in MIGRATIONS[1:]]
        assert old.schema_version() == head_version()
        row = old.message("inc-1", "C1")
        assert row is not None
        assert row.kind is MessageKind.CARD
    finally:
        old.close()


def test_a_version_2_database_gains_eligibility_and_action_claims(db_url: str) -> None:
    old = Store.from_url(db_url)
    try:
        with old.engine.begin() as conn:
            for table in ("schema_version", "action_claims", "identity_cache", "incident_messages"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        old.create_schema(migrations=MIGRATIONS[:2])
        with old.engine.begin() as conn:
            conn.execute(text("DROP TABLE action_claims"))
            conn.execute(text("ALTER TABLE identity_cache DROP COLUMN ineligible"))
            conn.execute(
                text(
                    "INSERT INTO identity_cache (slack_user_id, coralogix_user, email, fetched_at)"
                    " VALUES ('U0GUEST', 'guest@example.com', 'guest@example.com', '2099-01-01 00:00:00')"
                )
            )
        assert old.create_schema() == [m.version for m in MIGRATIONS[2:]]
        # an answer cached before guests were told apart is asked again
        assert old.cached_identity("U0GUEST", timedelta(days=36500)) is None
        assert old.claim_action("inc-1", "ack", "U0ALICE", lifetime=timedelta(seconds=5)) is None
    finally:
        old.close()


def test_a_version_3_database_gains_the_sweep_mark_of_snapshots(db_url: str) -> None:
    old = Store.from_url(db_url)
    try:
        with old.engine.begin() as conn:
            for table in ("schema_version", "incident_snapshots"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        old.create_schema(migrations=MIGRATIONS[:3])
        with old.engine.begin() as conn:
            conn.execute(text("ALTER TABLE incident_snapshots DROP COLUMN swept"))
            conn.execute(
                text(
                    "INSERT INTO incident_snapshots (incident_id, status, state, severity, muted, closed,"
                    " fingerprint, seen_event_count, channels, updated_at) VALUES ('inc-1', 'triggered',"
                    " 'triggered', 'error', false, false, 'fp', 0, '[]', '2025-01-01 00:00:00')"
                )
            )
        assert old.create_schema() == [m.version for m in MIGRATIONS[3:]]
        assert old.unswept_open(1, None, 10) == ["inc-1"]
        old.mark_swept(["inc-1"], 1)
        assert old.unswept_open(1, None, 10) == []
    finally:
        old.close()
