"""users.info and users.lookupByEmail through the real slack_sdk WebClient."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def test_users_info_gives_profile_email_and_names(client: WebClient) -> None:
    user = client.users_info(user="U0ALICE")["user"]

    assert user["id"] == "U0ALICE"
    assert user["profile"]["email"] == "alice@example.com"
    assert user["profile"]["real_name"] == user["real_name"] == "Alice Anderson"
    assert user["profile"]["display_name"] == "alice"
    assert user["tz"]
    assert user["is_bot"] is False


def test_user_without_email_has_no_email_in_profile(client: WebClient) -> None:
    user = client.users_info(user="U0NOMAIL")["user"]

    assert "email" not in user["profile"]


def test_unknown_user_is_user_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U0GHOST")

    assert exc.value.response["error"] == "user_not_found"


def test_lookup_by_email_finds_the_user(client: WebClient) -> None:
    assert client.users_lookupByEmail(email="carol@example.com")["user"]["id"] == "U0CAROL"
    assert client.users_lookupByEmail(email="Lead@Example.com")["user"]["id"] == "U0LEAD"


def test_lookup_by_unknown_email_is_users_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.users_lookupByEmail(email="nobody@example.com")

    assert exc.value.response["error"] == "users_not_found"


def test_bot_user_is_known_and_is_a_bot(client: WebClient) -> None:
    me = client.auth_test()

    assert client.users_info(user=me["user_id"])["user"]["is_bot"] is True
