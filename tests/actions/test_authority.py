"""The authority policy on its own: permissions, responders and user groups, denying by default."""

from __future__ import annotations

from bot.actions.authority import Authority, UserGroups
from bot.config import Action, RoutingConfig
from bot.domain import APPLICATION_LABEL, Incident
from bot.errors import SlackUnavailableError

ROUTING = RoutingConfig.model_validate(
    {
        "routes": [
            {"name": "pay", "match": {"application": ["shop"]}, "channels": ["C0PAY"], "responders": ["U0A"]},
            {
                "name": "pay-leads",
                "match": {"application": ["shop"]},
                "channels": ["C0L"],
                "responders": ["S0L"],
            },
            {"name": "open", "match": {"application": ["search"]}, "channels": ["C0S"]},
        ],
        "permissions": {"close": ["S0L"], "assign": ["mapped"], "unassign": ["U0B"]},
    }
)
SHOP = Incident(id="i-shop", contextual_labels={APPLICATION_LABEL: "shop"})
SEARCH = Incident(id="i-search", contextual_labels={APPLICATION_LABEL: "search"})


class Groups:
    """usergroups.users.list as a plain function with a call count; it can be made to fail."""

    def __init__(self, members: dict[str, list[str]]) -> None:
        self.members = members
        self.calls = 0
        self.down = False

    def __call__(self, group: str) -> list[str]:
        self.calls += 1
        if self.down:
            raise SlackUnavailableError("Slack is down")
        return self.members.get(group, [])


def authority(groups: Groups, clock: list[float] | None = None) -> Authority:
    now = clock if clock is not None else [0.0]
    return Authority(ROUTING, UserGroups(groups, max_age=60, clock=lambda: now[0]))


def test_unrestricted_actions_are_open_to_mapped_people_and_restricted_ones_only_to_those_named() -> None:
    policy = authority(Groups({"S0L": ["U0LEAD"]}))
    assert policy.refusal("U0ANY", Action.ACK) is None
    assert policy.refusal("U0ANY", Action.ASSIGN) is None  # "mapped"
    assert policy.refusal("U0B", Action.UNASSIGN) is None
    refusal = policy.refusal("U0ANY", Action.UNASSIGN)
    assert refusal is not None and "<@U0B>" in refusal
    assert policy.refusal("U0LEAD", Action.CLOSE) is None  # through the group
    assert policy.refusal("U0ANY", Action.CLOSE) is not None
    assert policy.allowed_actions("U0ANY") == [Action.ACK, Action.RESOLVE, Action.ASSIGN]


def test_responders_of_every_matching_route_may_act_and_nobody_else() -> None:
    policy = authority(Groups({"S0L": ["U0LEAD"]}))
    assert policy.refusal_on("U0A", SHOP) is None
    assert policy.refusal_on("U0LEAD", SHOP) is None
    refusal = policy.refusal_on("U0C", SHOP)
    assert refusal is not None and "*pay*, *pay-leads*" in refusal and "<!subteam^S0L>" in refusal
    assert policy.refusal_on("U0C", SEARCH) is None  # its route names no responders


def test_group_members_are_cached_for_a_while_and_a_failed_lookup_denies() -> None:
    groups = Groups({"S0L": ["U0LEAD"]})
    clock = [0.0]
    policy = authority(groups, clock)
    assert policy.refusal("U0LEAD", Action.CLOSE) is None
    assert policy.refusal("U0LEAD", Action.CLOSE) is None
    assert groups.calls == 1
    clock[0] = 61.0
    groups.down = True
    refusal = policy.refusal("U0LEAD", Action.CLOSE)
    assert refusal is not None and "could not ask Slack" in refusal
    assert policy.refusal_on("U0LEAD", SHOP) is not None
    assert policy.refusal_on("U0A", SHOP) is None  # named directly: no group needed
