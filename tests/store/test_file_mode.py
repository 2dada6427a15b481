"""The SQLite database and its -wal/-shm files are the bot user's alone (0600), whatever the umask."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(int(request.param))
    try:
        yield int(request.param)
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077, 0o277], indirect=True)
def test_a_new_database_and_its_wal_files_are_0600(umask: int, tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = Store.from_url(f"sqlite:///{path}")
    try:
        store.create_schema()
        store.set_cursor("probe", "1")  # a write: the WAL and its index exist while the store is open
        companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in companions), sorted(p.name for p in tmp_path.iterdir())
        assert {p.name: oct(_mode(p)) for p in (path, *companions)} == {
            "bot.db": "0o600",
            "bot.db-wal": "0o600",
            "bot.db-shm": "0o600",
        }
    finally:
        store.close()


def test_a_world_readable_database_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    wal = path.with_name("bot.db-wal")
    wal.write_bytes(b"")
    wal.chmod(0o664)
    caplog.set_level(logging.WARNING, logger="bot.store.engine")
    store = Store.from_url(f"sqlite:///{path}")
    try:
        store.create_schema()
        assert _mode(path) == 0o600
        assert _mode(wal) == 0o600
    finally:
        store.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(path) in w and "644" in w and "0600" in w for w in warnings), warnings
    assert any(str(wal) in w for w in warnings), warnings


def test_a_private_database_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bot.db"
    first = Store.from_url(f"sqlite:///{path}")
    first.create_schema()
    first.close()
    caplog.set_level(logging.WARNING, logger="bot.store.engine")
    again = Store.from_url(f"sqlite:///{path}")
    try:
        again.ping()
    finally:
        again.close()
    assert _mode(path) == 0o600
    assert not [r for r in caplog.records if r.name == "bot.store.engine"]


def test_memory_databases_touch_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = Store.from_url("sqlite://")
    try:
        store.create_schema()
    finally:
        store.close()
    assert list(tmp_path.iterdir()) == []
