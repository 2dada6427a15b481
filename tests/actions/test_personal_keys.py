"""Personal keys: checked with Coralogix, stored as ciphertext only, refused when unreadable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.coralogix.client import IncidentsClient
from bot.personal_keys import KeySource, PersonalKeyError, PersonalKeys, key_check
from bot.sandbox.coralogix import SimulatedCoralogix
from bot.store import Store


def raw_rows(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT * FROM personal_keys"))]


def test_a_good_key_is_stored_encrypted_and_used(
    store: Store, client: IncidentsClient, sim: SimulatedCoralogix, encryption_key: str
) -> None:
    keys = PersonalKeys(store, Fernet(encryption_key), key_check(client))

    keys.connect("U0ALICE", "alice@example.com", "  cx-alice-key\n")

    [check] = sim.calls_to("ListIncidents")
    assert check.api_key == "cx-alice-key"
    rows = raw_rows(store)
    assert len(rows) == 1
    assert b"cx-alice-key" not in repr(rows).encode()
    assert all(b"cx-alice-key" not in value for value in rows[0] if isinstance(value, bytes))
    caller = keys.key_for("U0ALICE")
    assert caller.source is KeySource.PERSONAL
    assert caller.api_key is not None and caller.api_key.get_secret_value() == "cx-alice-key"
    assert "cx-alice-key" not in repr(caller)
    assert keys.key_for("U0BOB").source is KeySource.TEAM


@pytest.mark.parametrize(
    ("key", "needle"),
    [
        ("cx-wrong-key", "Coralogix rejected that key"),
        ("", "The key is empty"),
        ("two words", "does not look like an API key"),
    ],
)
def test_a_bad_key_is_refused_and_nothing_stored(
    store: Store, client: IncidentsClient, encryption_key: str, key: str, needle: str
) -> None:
    keys = PersonalKeys(store, Fernet(encryption_key), key_check(client))
    with pytest.raises(PersonalKeyError, match=needle) as refused:
        keys.connect("U0BOB", "bob@example.com", key)
    assert key.strip() == "" or key not in str(refused.value)
    assert raw_rows(store) == []


def test_coralogix_down_stores_nothing(
    store: Store, client: IncidentsClient, sim: SimulatedCoralogix, encryption_key: str
) -> None:
    sim.faults.unavailable_for_calls(10)
    keys = PersonalKeys(store, Fernet(encryption_key), key_check(client))
    with pytest.raises(PersonalKeyError, match="could not reach Coralogix"):
        keys.connect("U0BOB", "bob@example.com", "cx-bob-key")
    assert raw_rows(store) == []


def test_without_an_encryption_key_personal_keys_are_off(store: Store, client: IncidentsClient) -> None:
    keys = PersonalKeys(store, None, key_check(client))
    assert not keys.enabled
    with pytest.raises(PersonalKeyError, match="BOT_ENCRYPTION_KEY"):
        keys.connect("U0BOB", "bob@example.com", "cx-bob-key")


def test_an_unreadable_key_is_refused_not_replaced_by_the_team_key(
    store: Store, client: IncidentsClient, encryption_key: str
) -> None:
    PersonalKeys(store, Fernet(encryption_key), key_check(client)).connect("U0BOB", None, "cx-bob-key")
    rotated = PersonalKeys(store, Fernet(Fernet.generate_key()), key_check(client), command="/incident")
    with pytest.raises(PersonalKeyError, match="`/incident connect` again"):
        rotated.key_for("U0BOB")
    assert rotated.disconnect("U0BOB")
    assert not rotated.disconnect("U0BOB")
    assert rotated.key_for("U0BOB").source is KeySource.TEAM
