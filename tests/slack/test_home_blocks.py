"""The Home tab and the compact card of unfurls: within Slack's limits, the card's own buttons, and a Home
tab's metadata naming exactly the incidents it shows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain import Assignment, Incident, Severity, State, Status
from bot.slack.blocks.compact import unfurl_blocks
from bot.slack.blocks.home import MAX_HOME_INCIDENTS, home_view, shown_digest, shown_on, unmapped_home_view
from bot.slack.limits import check_view
from bot.slack.values import ActionValue

AT = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _incident(n: int, *, status: Status = Status.TRIGGERED) -> Incident:
    return Incident(
        id=f"inc-{n:04d}-" + "x" * 30,
        name=f"checkout {'<&>*_~' * 40} {n}",
        severity=Severity.CRITICAL,
        status=status,
        state=State.TRIGGERED,
        created_at=AT,
        assignments=(Assignment(assigned_to="bob@example.com"),),
    )


def _as_modal(view: Mapping[str, Any]) -> dict[str, Any]:
    """A Home view checked with the modal rules (the same block limits; a modal also needs a title)."""
    return {**view, "type": "modal", "title": {"type": "plain_text", "text": "Home"}}


def _incidents_on(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            value = ActionValue.decode(str(element.get("value") or ""))
            if value is not None and value.incident_id not in found:
                found.append(value.incident_id)
    return found


def test_a_full_home_tab_fits_slacks_limits_and_names_what_it_shows() -> None:
    assigned = [_incident(n) for n in range(MAX_HOME_INCIDENTS + 5)]
    routed = [_incident(100 + n, status=Status.ACKNOWLEDGED) for n in range(MAX_HOME_INCIDENTS + 5)]
    view = home_view(
        who="You are <@U0ALICE>; in Coralogix you are *alice@example.com*.",
        assigned=assigned,
        routed=routed,
        routes=["payments", "search"],
        notes=["I could not ask Slack which channels you are in."] + [f"group {n} failed" for n in range(50)],
        notice="`inc-0001` resolved.",
        team_url="https://acme.app.coralogix.com",
    )
    assert View(**view).to_dict() == view
    Block.parse_all(view["blocks"])
    assert check_view(_as_modal(view)) == []
    shown = [i.id for i in assigned[:MAX_HOME_INCIDENTS] + routed[:MAX_HOME_INCIDENTS]]
    assert _incidents_on(view["blocks"]) == shown
    assert shown_on(view) == frozenset(shown_digest(i) for i in shown)
    assert "…and 5 more" in json.dumps(view["blocks"], ensure_ascii=False)
    assert "incident_resolve" in json.dumps(view["blocks"]) and "incident_link" in json.dumps(view["blocks"])


def test_an_empty_home_tab_says_so() -> None:
    view = home_view(who="You are <@U0BOB>.", assigned=[], routed=[], routes=[])
    text = json.dumps(view["blocks"])
    assert "Nothing open is assigned to you" in text and "You respond for no route" in text
    assert shown_on(view) == frozenset()
    assert check_view(_as_modal(view)) == []


def test_an_unmapped_person_sees_why_and_no_incident() -> None:
    view = unmapped_home_view("I don't know who <@U0GUEST> is in Coralogix: guests are never mapped.")
    assert View(**view).to_dict() == view
    assert "guests are never mapped" in json.dumps(view["blocks"])
    assert _incidents_on(view["blocks"]) == [] and shown_on(view) == frozenset()


def test_tab_metadata_that_is_not_ours_shows_nothing() -> None:
    for metadata in ("", "not json", "[]", '{"shown": "x"}', '{"shown": [1, null]}'):
        assert shown_on({"type": "home", "private_metadata": metadata}) == frozenset()
    assert shown_on("not a view") == frozenset()


def test_an_unfurl_is_the_compact_card_with_the_cards_buttons() -> None:
    incident = _incident(7)
    unfurl = unfurl_blocks(incident, team_url="https://acme.app.coralogix.com")
    Block.parse_all(unfurl["blocks"])
    assert check_view(_as_modal(unfurl)) == []
    assert _incidents_on(unfurl["blocks"]) == [incident.id]
    actions = {e["action_id"] for b in unfurl["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert {"incident_ack", "incident_resolve", "incident_assign_me", "incident_close"} <= actions
