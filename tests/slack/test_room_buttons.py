"""The war-room buttons: "War room" on open critical and error cards, "Archive room" on a closed room card."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from bot.domain import Incident, Severity, Status
from bot.slack.blocks import card_actions, incident_card
from bot.slack.ids import ActionId

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _incident(severity: Severity, status: Status = Status.TRIGGERED, *, closed: bool = False) -> Incident:
    return Incident(
        id="inc-1", name="checkout 5xx", severity=severity, status=status, closed_at=AT if closed else None
    )


def _ids(incident: Incident, *, in_room: bool = False) -> list[str]:
    payload = incident_card(incident, in_room=in_room)
    [actions] = [block for block in payload.blocks if block["type"] == "actions"]
    assert [b.to_dict() for b in Block.parse_all(payload.blocks)] == payload.blocks
    return [element["action_id"] for element in actions["elements"]]


@pytest.mark.parametrize("severity", [Severity.CRITICAL, Severity.ERROR])
@pytest.mark.parametrize(
    "status", [Status.TRIGGERED, Status.ACKNOWLEDGED, Status.RESOLVED, Status.UNSPECIFIED]
)
def test_critical_and_error_cards_offer_a_war_room_until_closed(severity: Severity, status: Status) -> None:
    ids = _ids(_incident(severity, status))
    assert ActionId.WAR_ROOM in ids
    assert ids.index(ActionId.WAR_ROOM) == ids.index(ActionId.DETAILS) - 1
    assert ActionId.WAR_ROOM not in _ids(_incident(severity, status, closed=True))
    assert ActionId.ARCHIVE_ROOM not in ids


@pytest.mark.parametrize("severity", [Severity.WARNING, Severity.INFO, Severity.LOW, Severity.UNSPECIFIED])
def test_lesser_cards_offer_none(severity: Severity) -> None:
    assert ActionId.WAR_ROOM not in card_actions(_incident(severity))


def test_the_rooms_own_card_never_offers_a_war_room_and_offers_archive_once_closed() -> None:
    assert ActionId.WAR_ROOM not in _ids(_incident(Severity.CRITICAL), in_room=True)
    assert ActionId.ARCHIVE_ROOM not in _ids(_incident(Severity.CRITICAL), in_room=True)
    assert _ids(_incident(Severity.CRITICAL, closed=True), in_room=True) == [
        ActionId.DETAILS,
        ActionId.ARCHIVE_ROOM,
    ]
    assert _ids(_incident(Severity.WARNING, closed=True), in_room=True) == [
        ActionId.DETAILS,
        ActionId.ARCHIVE_ROOM,
    ]
    assert ActionId.ARCHIVE_ROOM not in _ids(_incident(Severity.CRITICAL, closed=True))


def test_archiving_asks_to_confirm() -> None:
    payload = incident_card(_incident(Severity.ERROR, closed=True), in_room=True)
    [actions] = [block for block in payload.blocks if block["type"] == "actions"]
    [archive] = [e for e in actions["elements"] if e["action_id"] == ActionId.ARCHIVE_ROOM]
    assert archive["text"]["text"] == "Archive room"
    assert archive["confirm"]["confirm"]["text"] == "Archive it"
