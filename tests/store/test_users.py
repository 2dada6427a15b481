"""Personal API keys (stored as ciphertext) and the Slack -> Coralogix identity cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import CachedIdentity, PersonalKey, Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CIPHERTEXT = bytes(range(256))  # every byte value, including NUL


def test_personal_key_save_replace_delete(store: Store, other_store: Store) -> None:
    assert store.get_personal_key("U1") is None
    store.save_personal_key("U1", CIPHERTEXT, "alice@example.com", T0)
    assert other_store.get_personal_key("U1") == PersonalKey("U1", CIPHERTEXT, "alice@example.com", T0)

    store.save_personal_key("U1", b"gAAAA-new", None, T0 + timedelta(days=1))
    assert store.get_personal_key("U1") == PersonalKey("U1", b"gAAAA-new", None, T0 + timedelta(days=1))

    assert store.delete_personal_key("U1") is True
    assert store.delete_personal_key("U1") is False
    assert store.get_personal_key("U1") is None


def test_identity_cache_expires_after_max_age(store: Store) -> None:
    store.cache_identity("U1", "alice@example.com", "alice@example.com", T0)
    hour = timedelta(hours=1)
    assert store.cached_identity("U1", hour, T0 + timedelta(minutes=59)) == CachedIdentity(
        "U1", "alice@example.com", "alice@example.com", T0
    )
    assert store.cached_identity("U1", hour, T0 + hour) is None
    assert store.cached_identity("U2", hour, T0) is None

    store.cache_identity("U1", "alice@corp.example", None, T0 + hour)  # refreshed
    refreshed = store.cached_identity("U1", hour, T0 + timedelta(minutes=90))
    assert refreshed is not None
    assert (refreshed.coralogix_user, refreshed.email) == ("alice@corp.example", None)


def test_a_user_with_no_coralogix_match_is_cached_too(store: Store) -> None:
    store.cache_identity("U2", None, "bob@example.com", T0)
    cached = store.cached_identity("U2", timedelta(minutes=10), T0)
    assert cached is not None
    assert cached.coralogix_user is None
    store.forget_identity("U2")
    assert store.cached_identity("U2", timedelta(minutes=10), T0) is None
