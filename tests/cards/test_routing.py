"""Which channels an incident goes to, from the routes of the YAML file."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cards.routing import Delivery, channels_for
from bot.config import RoutingConfig
from bot.domain import APPLICATION_LABEL, SUBSYSTEM_LABEL, Incident, Severity
from bot.routing_file import route_matches


def routing(*routes: dict[str, Any]) -> RoutingConfig:
    return RoutingConfig.model_validate({"routes": list(routes)})


def incident(**fields: Any) -> Incident:
    fields.setdefault("id", "inc-1")
    fields.setdefault("name", "checkout-5xx")
    fields.setdefault("severity", Severity.CRITICAL)
    return Incident(**fields)


SHOP = {APPLICATION_LABEL: "shop", SUBSYSTEM_LABEL: "checkout"}


def test_every_matching_route_gets_the_incident() -> None:
    config = routing(
        {"name": "critical", "match": {"severity": ["critical"]}, "channels": ["C0CRIT"]},
        {"name": "shop", "match": {"application": ["shop"]}, "channels": ["C0SHOP", "C0SHOP2"]},
        {"name": "billing", "match": {"application": ["billing"]}, "channels": ["C0BILL"]},
    )
    deliveries = channels_for(incident(display_labels=SHOP), config, "C0DEFAULT")
    assert deliveries == [
        Delivery("C0CRIT", "critical", ()),
        Delivery("C0SHOP", "shop", ()),
        Delivery("C0SHOP2", "shop", ()),
    ]


def test_a_channel_named_by_several_routes_gets_one_delivery_with_all_mentions() -> None:
    config = routing(
        {"name": "first", "match": {"severity": "critical"}, "channels": ["C0OPS"], "mention": ["<!here>"]},
        {
            "name": "second",
            "match": {"application": "shop"},
            "channels": ["C0SHOP", "C0OPS"],
            "mention": ["<!subteam^S0ONCALL>", "<!here>"],
        },
    )
    deliveries = channels_for(incident(display_labels=SHOP), config, None)
    assert deliveries == [
        Delivery("C0OPS", "first", ("<!here>", "<!subteam^S0ONCALL>")),
        Delivery("C0SHOP", "second", ("<!subteam^S0ONCALL>", "<!here>")),
    ]


def test_unmatched_goes_to_the_default_channel() -> None:
    config = routing({"name": "billing", "match": {"application": ["billing"]}, "channels": ["C0BILL"]})
    assert channels_for(incident(display_labels=SHOP), config, "C0DEFAULT") == [
        Delivery("C0DEFAULT", None, ())
    ]


def test_unmatched_without_a_default_channel_goes_nowhere() -> None:
    config = routing({"name": "billing", "match": {"application": ["billing"]}, "channels": ["C0BILL"]})
    assert channels_for(incident(display_labels=SHOP), config, None) == []
    assert channels_for(incident(), RoutingConfig(), None) == []


def test_no_routes_sends_everything_to_the_default_channel() -> None:
    assert channels_for(incident(), RoutingConfig(), "C0DEFAULT") == [Delivery("C0DEFAULT", None, ())]


def test_a_matched_incident_does_not_also_go_to_the_default_channel() -> None:
    config = routing({"name": "all", "channels": ["C0ALL"]})
    assert channels_for(incident(), config, "C0DEFAULT") == [Delivery("C0ALL", "all", ())]


@pytest.mark.parametrize(
    ("route_muted", "incident_muted", "delivered"),
    [
        (None, False, True),
        (None, True, False),
        (False, False, True),
        (False, True, False),
        (True, True, True),
        (True, False, False),
    ],
)
def test_muted_incidents_only_reach_routes_that_ask_for_them(
    route_muted: bool | None, incident_muted: bool, delivered: bool
) -> None:
    match = {} if route_muted is None else {"muted": route_muted}
    config = routing({"name": "r", "match": match, "channels": ["C0R"]})
    deliveries = channels_for(incident(is_muted=incident_muted), config, None)
    assert deliveries == ([Delivery("C0R", "r", ())] if delivered else [])


def test_a_muted_incident_no_route_takes_is_not_sent_to_the_default_channel() -> None:
    config = routing({"name": "r", "channels": ["C0R"]})
    assert channels_for(incident(is_muted=True), config, "C0DEFAULT") == []


@pytest.mark.parametrize(
    "labelled",
    [
        {"display_labels": {"team": "payments"}},
        {"contextual_labels": {"team": "payments"}},
        {"meta_labels": (("env", "prod"), ("team", "payments"))},
    ],
    ids=["display", "contextual", "meta"],
)
def test_labels_match_any_kind_of_label(labelled: dict[str, Any]) -> None:
    config = routing({"name": "payments", "match": {"labels": {"team": "payments"}}, "channels": ["C0PAY"]})
    assert channels_for(incident(**labelled), config, None) == [Delivery("C0PAY", "payments", ())]
    assert channels_for(incident(display_labels={"team": "billing"}), config, None) == []
    assert channels_for(incident(), config, None) == []


def test_every_label_given_must_match() -> None:
    config = routing(
        {"name": "r", "match": {"labels": {"team": "payments", "env": "prod"}}, "channels": ["C0R"]}
    )
    both = incident(contextual_labels={"team": "payments"}, meta_labels=(("env", "prod"),))
    only_one = incident(contextual_labels={"team": "payments"}, meta_labels=(("env", "staging"),))
    assert channels_for(both, config, None) == [Delivery("C0R", "r", ())]
    assert channels_for(only_one, config, None) == []


@pytest.mark.parametrize(
    "labelled",
    [{"display_labels": SHOP}, {"contextual_labels": SHOP}],
    ids=["display", "contextual"],
)
def test_application_and_subsystem_come_from_the_coralogix_labels(labelled: dict[str, Any]) -> None:
    config = routing(
        {"name": "app", "match": {"application": ["billing", "shop"]}, "channels": ["C0APP"]},
        {"name": "sub", "match": {"subsystem": "checkout"}, "channels": ["C0SUB"]},
        {"name": "other-sub", "match": {"subsystem": "cart"}, "channels": ["C0CART"]},
    )
    assert [d.channel for d in channels_for(incident(**labelled), config, None)] == ["C0APP", "C0SUB"]


def test_alert_name_comes_from_the_alert_name_label_or_the_incident_name() -> None:
    config = routing(
        {"name": "r", "match": {"alert_name": ["checkout-5xx", "cart-latency"]}, "channels": ["C0R"]}
    )
    by_label = incident(name="Something else", contextual_labels={"alert_name": "cart-latency"})
    by_name = incident(name="checkout-5xx")
    other = incident(name="disk-full")
    assert channels_for(by_label, config, None) == [Delivery("C0R", "r", ())]
    assert channels_for(by_name, config, None) == [Delivery("C0R", "r", ())]
    assert channels_for(other, config, None) == []


def test_severity_is_any_of_the_list() -> None:
    config = routing({"name": "r", "match": {"severity": ["critical", "error"]}, "channels": ["C0R"]})
    assert channels_for(incident(severity=Severity.ERROR), config, None) != []
    assert channels_for(incident(severity=Severity.CRITICAL), config, None) != []
    assert channels_for(incident(severity=Severity.WARNING), config, None) == []
    assert channels_for(incident(severity=Severity.UNSPECIFIED), config, None) == []


def test_all_given_keys_must_match() -> None:
    match = (
        routing(
            {
                "name": "r",
                "match": {
                    "severity": "critical",
                    "application": "shop",
                    "subsystem": "checkout",
                    "alert_name": "checkout-5xx",
                    "labels": {"team": "payments"},
                    "muted": False,
                },
                "channels": ["C0R"],
            }
        )
        .routes[0]
        .match
    )
    everything = {"display_labels": {**SHOP, "team": "payments"}}
    assert route_matches(match, incident(**everything))
    assert not route_matches(match, incident(**everything, severity=Severity.ERROR))
    assert not route_matches(match, incident(**everything, name="other-alert"))
    assert not route_matches(match, incident(**everything, is_muted=True))
    assert not route_matches(match, incident(display_labels={**SHOP, "team": "billing"}))
    assert not route_matches(match, incident(display_labels={APPLICATION_LABEL: "shop", "team": "payments"}))
    assert not route_matches(
        match,
        incident(display_labels={SUBSYSTEM_LABEL: "checkout", APPLICATION_LABEL: "cart", "team": "payments"}),
    )
