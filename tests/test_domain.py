"""The rules every layer shares, kept once on the domain, checked where people meet them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from bot.actions.references import Found, IncidentFinder, Missing
from bot.coralogix.backend import CoralogixBackend
from bot.domain import Action, BatchResult, Incident, IncidentFilter, IncidentPage, Status
from bot.slack.blocks import ActionValue, fallback_text, incident_metadata
from bot.slack.commands import ActCommand, ListCommand, Usage, parse_command

ID = "cdfaf78b-27ee-401f-8d13-ebd2daa08232"


@pytest.mark.parametrize("status", list(Status))
def test_a_closed_incident_shows_closed_whatever_its_status(status: Status) -> None:
    closed = Incident(ID, name="disk full", status=status, closed_at=datetime(2024, 1, 1, tzinfo=UTC))
    open_ = Incident(ID, name="disk full", status=status)

    assert closed.display_status == "closed"
    assert open_.display_status == status.value
    for incident in (closed, open_):  # the card's text, its metadata and its buttons all say the same
        assert fallback_text(incident).endswith(f"— {incident.display_status}")
        assert incident_metadata(incident)["event_payload"]["status"] == incident.display_status
        assert ActionValue.of(incident).status == incident.display_status


@pytest.mark.parametrize("text", ["list", "list status=open"])
def test_list_shows_the_incidents_someone_still_has_to_act_on(text: str) -> None:
    parsed = parse_command(text)

    assert isinstance(parsed, ListCommand)
    assert set(parsed.statuses) == {Status.TRIGGERED, Status.ACKNOWLEDGED}


class _Backend:
    """Knows no full id; records every prefix search."""

    def __init__(self) -> None:
        self.searched: list[str | None] = []

    def batch_get_incidents(self, ids: Sequence[str], **_: Any) -> BatchResult:
        return BatchResult(found={}, not_found=tuple(ids))

    def list_incidents(self, filter: IncidentFilter | None = None, **_: Any) -> IncidentPage:
        self.searched.append(filter.id_search if filter else None)
        return IncidentPage((Incident(ID),), None, 1)


def test_an_id_prefix_needs_eight_characters_in_the_command_and_in_the_lookup() -> None:
    """The README promises "a unique prefix of at least 8 characters"; parser and finder agree on it."""
    backend = _Backend()
    finder = IncidentFinder(cast(CoralogixBackend, backend))

    short, enough = ID[:7], ID[:8]
    assert isinstance(parse_command(f"ack {short}"), Usage)
    assert isinstance(finder.find_one(short), Missing)
    assert backend.searched == []  # too short to be worth a search
    assert parse_command(f"ack {enough}") == ActCommand(Action.ACK, (enough,))
    assert finder.find_one(enough) == Found(enough, Incident(ID))
    assert backend.searched == [enough]
