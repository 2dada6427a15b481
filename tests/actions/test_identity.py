"""Slack user -> Coralogix user: the settings file first, then the profile e-mail, cached in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import RoutingConfig
from bot.identity import IdentityResolver, MappedBy
from bot.sandbox.slack import SlackWorkspace
from bot.slack.gateway import SlackGateway
from bot.store import Store

ROUTING = RoutingConfig.model_validate({"users": [{"slack": "U0ALICE", "coralogix": "Alice.A@corp.example"}]})


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def users_info_calls(workspace: SlackWorkspace) -> list[str]:
    return [str(call.params.get("user")) for call in workspace.calls_to("users.info")]


def test_the_settings_file_wins_and_asks_slack_nothing(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    identity = IdentityResolver(ROUTING, store, gateway.user_email).resolve("U0ALICE")
    assert (identity.coralogix_user, identity.mapped_by) == ("Alice.A@corp.example", MappedBy.SETTINGS)
    assert users_info_calls(workspace) == []


def test_email_mapping_is_cached_for_a_while(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    clock = Clock()
    resolver = IdentityResolver(
        ROUTING, store, gateway.user_email, found_max_age=timedelta(hours=1), clock=clock
    )

    first = resolver.resolve("U0BOB")
    clock.now += timedelta(minutes=59)
    second = resolver.resolve("U0BOB")
    assert first == second
    assert (first.coralogix_user, first.mapped_by) == ("bob@example.com", MappedBy.EMAIL)
    assert users_info_calls(workspace) == ["U0BOB"]

    clock.now += timedelta(minutes=2)
    resolver.resolve("U0BOB")
    assert users_info_calls(workspace) == ["U0BOB", "U0BOB"]


def test_no_email_means_unmapped_with_how_to_get_mapped(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    clock = Clock()
    resolver = IdentityResolver(
        ROUTING, store, gateway.user_email, missing_max_age=timedelta(minutes=5), clock=clock
    )

    identity = resolver.resolve("U0NOMAIL")
    assert not identity.is_mapped
    assert "shows no e-mail address" in identity.reason
    assert "`- slack: U0NOMAIL`" in identity.reason
    resolver.resolve("U0NOMAIL")
    assert users_info_calls(workspace) == ["U0NOMAIL"]  # a miss is cached too, but briefly
    clock.now += timedelta(minutes=6)
    resolver.resolve("U0NOMAIL")
    assert users_info_calls(workspace) == ["U0NOMAIL", "U0NOMAIL"]
    assert not resolver.resolve("U0NOBODY").is_mapped  # Slack knows no such user


def test_slack_trouble_is_said_and_not_cached(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    resolver = IdentityResolver(ROUTING, store, gateway.user_email)
    workspace.faults.fail("users.info", status=503, calls=2)

    identity = resolver.resolve("U0BOB")

    assert not identity.is_mapped
    assert "try again" in identity.reason
    assert resolver.resolve("U0BOB").coralogix_user == "bob@example.com"
