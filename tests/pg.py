"""Throw-away PostgreSQL databases for tests (the server on 127.0.0.1:5432, or BOT_TEST_POSTGRES_URL).

`fresh_postgres_url()` creates an empty database and drops it afterwards (named after the pytest-xdist
worker that made it, so parallel workers never share one). `require_postgres()` is the
policy for tests that need the server: skip when it is unreachable on a developer's machine, but fail
when the `CI` environment variable is set, so such tests can never silently skip in CI.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ADMIN_URL_ENV = "BOT_TEST_POSTGRES_URL"
CONNECT_TIMEOUT_S = 5


def admin_url() -> str:
    """A URL of an existing database on the server, used only to create and drop test databases."""
    return os.environ.get(ADMIN_URL_ENV) or DEFAULT_ADMIN_URL


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def postgres_problem(url: str | None = None) -> str | None:
    """Why the server cannot be used, or None when it answers."""
    try:
        with psycopg.connect(_conninfo(make_url(url or admin_url())), connect_timeout=CONNECT_TIMEOUT_S):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {make_url(url or admin_url()).render_as_string()} is unreachable: {exc}"


def require_postgres(url: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The admin URL when the server answers; otherwise skip the test, or fail it when CI is set."""
    problem = postgres_problem(url)
    if problem is None:
        return url or admin_url()
    if in_ci(env):
        pytest.fail(f"{problem} (CI is set, so tests that need PostgreSQL fail instead of skipping)")
    pytest.skip(problem)


@contextmanager
def fresh_postgres_url(admin: str | None = None) -> Iterator[str]:
    """Create database `incident_bot_test_<random>`, yield its SQLAlchemy URL, drop it afterwards."""
    base = make_url(admin or admin_url())
    name = f"incident_bot_test_{_worker()}{secrets.token_hex(6)}"
    with psycopg.connect(_conninfo(base), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(base), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def fresh_postgres_schema_url(database_url: str) -> Iterator[str]:
    """A new empty schema in an existing database, as a URL whose connections use it by default.

    Much cheaper than a database per test; dropped (with everything in it) afterwards.
    """
    url = make_url(database_url)
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _worker() -> str:
    """`gw3_` in pytest-xdist's worker gw3 (every worker makes databases of its own), else nothing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{worker}_" if worker.isidentifier() else ""


def _conninfo(url: URL) -> str:
    """libpq's form of a SQLAlchemy URL (psycopg does not know the `+psycopg` driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
