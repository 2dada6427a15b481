"""The card's actions `block_id`: at most 255 characters, new on every rendering, naming the incident."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.domain import Incident, Severity, State, Status
from bot.slack.blocks import ActionValue, card_block_id, incident_card
from bot.slack.ids import ActionId
from bot.slack.limits import MAX_BLOCK_ID, check_payload


def _incident(incident_id: str, status: Status = Status.TRIGGERED) -> Incident:
    return Incident(
        id=incident_id, name="checkout 5xx", severity=Severity.ERROR, status=status, state=State.TRIGGERED
    )


def _actions(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return next(block for block in blocks if block["type"] == "actions")


def _pick(actions: dict[str, Any]) -> dict[str, Any]:
    """What Slack reports when someone picks a person in the card's assign menu (no value)."""
    select = next(e for e in actions["elements"] if e["action_id"] == ActionId.ASSIGN.value)
    return {**select, "block_id": actions["block_id"], "selected_user": "U0BOB"}


def test_a_300_character_id_renders_a_valid_card() -> None:
    long_id = "i" * 300
    card = incident_card(_incident(long_id), team_url="https://acme.app.coralogix.com")
    assert [b.to_dict() for b in Block.parse_all(card.blocks)] == card.blocks  # slack_sdk's validation
    assert check_payload(card) == []
    actions = _actions(card.blocks)
    assert len(actions["block_id"]) <= MAX_BLOCK_ID
    message = {"ts": "1.2", "blocks": card.blocks}
    assert ActionValue.from_click(_pick(actions), message) == ActionValue(long_id, "triggered")
    assert ActionValue.from_click(_pick(actions)) is None  # the digest alone names nothing


def test_successive_renderings_carry_new_block_ids() -> None:
    incident = _incident("cdfaf78b-27ee-401f-8d13-ebd2daa08232")
    block_ids = {_actions(incident_card(incident).blocks)["block_id"] for _ in range(20)}
    assert len(block_ids) == 20
    assert all(ActionValue.from_click({"block_id": b}) == ActionValue.of(incident) for b in block_ids)
    fixed = {_actions(incident_card(incident, rendering="").blocks)["block_id"] for _ in range(3)}
    assert len(fixed) == 1


def test_the_block_id_names_the_status_the_card_showed() -> None:
    incident = _incident("abc", Status.ACKNOWLEDGED)
    block_id = _actions(incident_card(incident, rendering="r1").blocks)["block_id"]
    assert block_id == "cx1:acknowledged:r1:abc"
    assert ActionValue.from_click({"block_id": block_id}) == ActionValue("abc", "acknowledged")


def test_ids_up_to_the_limit_are_kept_whole_and_longer_ones_become_a_digest() -> None:
    head = len("cx1:triggered:r:")
    whole = "a" * (MAX_BLOCK_ID - head)
    assert card_block_id(ActionValue(whole, "triggered"), "r").endswith(whole)
    longer = whole + "a"
    digest = card_block_id(ActionValue(longer, "triggered"), "r")
    assert len(digest) <= MAX_BLOCK_ID and "#" in digest
    assert card_block_id(ActionValue("#tricky", "triggered"), "r").split(":")[-1] != "#tricky"


def test_cards_drawn_by_the_previous_version_still_resolve() -> None:
    old_block_id = '{"incident_id":"abc","status":"triggered"}'
    assert ActionValue.from_click({"block_id": old_block_id}) == ActionValue("abc", "triggered")
    assert ActionValue.from_click({"block_id": "something else"}) is None
    assert ActionValue.from_click({"block_id": "cx1:triggered:r:"}) is None


@given(st.text(min_size=1, max_size=1500).filter(lambda s: s.strip()), st.sampled_from(Status))
def test_any_id_fits_and_resolves(incident_id: str, status: Status) -> None:
    incident = _incident(incident_id, status)
    card = incident_card(incident)
    actions = _actions(card.blocks)
    assert len(actions["block_id"]) <= MAX_BLOCK_ID
    assert ActionValue.from_click(
        {"block_id": actions["block_id"]}, {"blocks": card.blocks}
    ) == ActionValue.of(incident)
