"""The PostgreSQL test helper: fresh databases, and never a silent skip in CI."""

from __future__ import annotations

import socket

import psycopg
import pytest

from tests.pg import fresh_postgres_url, in_ci, postgres_problem, require_postgres


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def test_an_unreachable_server_skips_locally() -> None:
    url = closed_port_url()
    assert postgres_problem(url) is not None
    with pytest.raises(pytest.skip.Exception, match="unreachable"):
        require_postgres(url, env={})


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_an_unreachable_server_fails_in_ci(ci: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        require_postgres(closed_port_url(), env={"CI": ci})


def test_ci_detection() -> None:
    assert in_ci({"CI": "true"})
    assert not in_ci({})
    assert not in_ci({"CI": "false"})
    assert not in_ci({"CI": ""})


@pytest.mark.postgres
def test_fresh_database_exists_only_inside_the_block() -> None:
    admin = require_postgres()
    with fresh_postgres_url(admin) as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("incident_bot_test_")
        with psycopg.connect(url.replace("+psycopg", "")) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    with psycopg.connect(admin.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert row == (0,)
