"""Slack user -> Coralogix user: the settings file first, then the profile e-mail, cached in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import RoutingConfig
from bot.identity import IdentityResolver, MappedBy
from bot.sandbox.slack import SlackWorkspace
from bot.slack.gateway import SlackGateway
from bot.store import Store

ROUTING = RoutingConfig.model_validate(
    {
        "users": [{"slack": "U0ALICE", "coralogix": "Alice.A@corp.example"}],
        "identity": {"email_domains": ["example.com"]},
    }
)
NO_EMAIL_MAPPING = RoutingConfig.model_validate(
    {"users": [{"slack": "U0ALICE", "coralogix": "Alice.A@corp.example"}]}
)


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
    identity = IdentityResolver(ROUTING, store, gateway.user_profile).resolve("U0ALICE")
    assert (identity.coralogix_user, identity.mapped_by) == ("Alice.A@corp.example", MappedBy.SETTINGS)
    assert users_info_calls(workspace) == []


def test_email_mapping_is_cached_for_a_while(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    clock = Clock()
    resolver = IdentityResolver(
        ROUTING, store, gateway.user_profile, found_max_age=timedelta(hours=1), clock=clock
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
        ROUTING, store, gateway.user_profile, missing_max_age=timedelta(minutes=5), clock=clock
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
    resolver = IdentityResolver(ROUTING, store, gateway.user_profile)
    workspace.faults.fail("users.info", status=503, calls=2)

    identity = resolver.resolve("U0BOB")

    assert not identity.is_mapped
    assert "try again" in identity.reason
    assert resolver.resolve("U0BOB").coralogix_user == "bob@example.com"


def test_without_an_allow_list_nobody_maps_by_email_and_slack_is_not_asked(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    resolver = IdentityResolver(NO_EMAIL_MAPPING, store, gateway.user_profile)

    bob = resolver.resolve("U0BOB")

    assert not bob.is_mapped
    assert "mapping by Slack e-mail is off" in bob.reason
    assert users_info_calls(workspace) == []
    assert resolver.resolve("U0ALICE").coralogix_user == "Alice.A@corp.example"


def test_an_email_off_the_allowed_domains_does_not_map(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    workspace.add_user("U0MALLORY", "mallory", "mallory@attacker.example")
    resolver = IdentityResolver(ROUTING, store, gateway.user_profile)

    mallory = resolver.resolve("U0MALLORY")

    assert not mallory.is_mapped
    assert "only Slack e-mails on example.com" in mallory.reason
    assert "mallory@attacker.example" not in mallory.reason


def test_a_lookalike_subdomain_or_suffix_does_not_map(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    workspace.add_user("U0SUB", "sub", "eve@evil.example.com")
    workspace.add_user("U0SUFFIX", "suffix", "eve@notexample.com")
    resolver = IdentityResolver(ROUTING, store, gateway.user_profile)

    assert not resolver.resolve("U0SUB").is_mapped
    assert not resolver.resolve("U0SUFFIX").is_mapped


def test_guests_bots_deleted_and_unconfirmed_never_map_by_email(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    workspace.add_user("U0MULTI", "multi", "multi@example.com", is_restricted=True)
    workspace.add_user("U0SINGLE", "single", "single@example.com", is_ultra_restricted=True)
    workspace.add_user("U0ROBOT", "robot", "robot@example.com", is_bot=True)
    workspace.add_user("U0GONE", "gone", "gone@example.com", deleted=True)
    workspace.add_user("U0UNCONF", "unconf", "unconf@example.com", is_email_confirmed=False)
    resolver = IdentityResolver(ROUTING, store, gateway.user_profile)

    reasons = {
        user: resolver.resolve(user) for user in ("U0MULTI", "U0SINGLE", "U0ROBOT", "U0GONE", "U0UNCONF")
    }

    assert not any(identity.is_mapped for identity in reasons.values())
    assert "guests" in reasons["U0MULTI"].reason
    assert "guests" in reasons["U0SINGLE"].reason
    assert "bots" in reasons["U0ROBOT"].reason
    assert "deactivated" in reasons["U0GONE"].reason
    assert "not confirmed" in reasons["U0UNCONF"].reason
    # the cached answer keeps the refusal (a guest does not become mapped on the second look)
    assert not resolver.resolve("U0MULTI").is_mapped


def test_a_guest_listed_under_users_is_mapped_by_the_operator(
    store: Store, gateway: SlackGateway, workspace: SlackWorkspace
) -> None:
    workspace.add_user("U0CONTRACTOR", "contractor", "c@example.com", is_restricted=True)
    routing = RoutingConfig.model_validate(
        {
            "users": [{"slack": "U0CONTRACTOR", "coralogix": "c@example.com"}],
            "identity": {"email_domains": ["example.com"]},
        }
    )
    assert IdentityResolver(routing, store, gateway.user_profile).resolve("U0CONTRACTOR").is_mapped


def test_assignees_typed_as_emails_must_be_mappable(store: Store, gateway: SlackGateway) -> None:
    resolver = IdentityResolver(ROUTING, store, gateway.user_profile)

    assert resolver.may_be_assignee("bob@example.com")
    assert resolver.may_be_assignee("alice.a@corp.example")  # listed under users:
    assert not resolver.may_be_assignee("evil@attacker.example")
    assert not IdentityResolver(NO_EMAIL_MAPPING, store, gateway.user_profile).may_be_assignee(
        "bob@example.com"
    )
