"""Every store test runs against SQLite (a temporary file) and PostgreSQL (a schema per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.pg import fresh_postgres_schema_url, fresh_postgres_url, require_postgres


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One throw-away database for the session (dropped at the end)."""
    with fresh_postgres_url(require_postgres()) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """An empty PostgreSQL schema of its own, as a URL (for tests that only make sense there)."""
    with fresh_postgres_schema_url(postgres_database) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A Store on an empty database with the schema created."""
    opened = Store.from_url(db_url)
    opened.create_schema()
    yield opened
    opened.close()


@pytest.fixture
def other_store(db_url: str, store: Store) -> Iterator[Store]:
    """A second Store on the same database: another replica of the bot."""
    opened = Store.from_url(db_url)
    yield opened
    opened.close()
