"""Which pasted links are this team's Coralogix incidents, and how much one event may look up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.actions.links import MAX_LINKS, IncidentLinks
from bot.domain import BatchResult, Incident
from bot.errors import CoralogixUnavailableError

TEAM = "https://acme.app.coralogix.com"


class Reads:
    """Just the one read links make; counts the calls and the ids asked for."""

    def __init__(self, known: Sequence[str] = (), *, down: bool = False) -> None:
        self.known = set(known)
        self.down = down
        self.asked: list[list[str]] = []

    def batch_get_incidents(self, ids: Sequence[str], **_: Any) -> BatchResult:
        self.asked.append(list(ids))
        if self.down:
            raise CoralogixUnavailableError("Coralogix is unreachable")
        found = {i: Incident(id=i, name=f"incident {i}") for i in ids if i in self.known}
        return BatchResult(found=found, not_found=tuple(i for i in ids if i not in self.known))


def _links(reads: Reads, team_url: str | None = TEAM) -> IncidentLinks:
    return IncidentLinks(reads, team_url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "incident_id"),
    [
        (f"{TEAM}/#/incidents/abc-123", "abc-123"),
        (f"{TEAM}/#/incidents/abc-123?tab=events", "abc-123"),
        (f"{TEAM}/#/incidents/abc%2D123/details", "abc-123"),
        (f"{TEAM}/incidents/abc-123", "abc-123"),
        ("https://ACME.app.coralogix.com/#/incidents/abc-123", "abc-123"),
        (f"{TEAM}/#/alerts/abc-123", None),
        (f"{TEAM}/#/incidents/", None),
        (f"{TEAM}/#/incidents/%3Cscript%3E", None),
        ("https://other.app.coralogix.com/#/incidents/abc-123", None),
        ("https://acme.app.coralogix.com.evil.example/#/incidents/abc-123", None),
        ("https://acme.app.coralogix.com@evil.example/#/incidents/abc-123", None),
        ("https://acme.app.coralogix.com:8443/#/incidents/abc-123", None),
        ("ftp://acme.app.coralogix.com/#/incidents/abc-123", None),
        ("https://[::1/#/incidents/abc-123", None),
    ],
)
def test_only_links_to_this_teams_incidents_name_an_incident(url: str, incident_id: str | None) -> None:
    assert _links(Reads()).incident_id(url) == incident_id


def test_without_a_team_url_no_link_is_the_teams() -> None:
    links = _links(Reads(), None)
    assert not links.enabled
    assert links.incident_id(f"{TEAM}/#/incidents/abc") is None


def test_known_incidents_are_found_in_one_read_and_unknown_ones_left_out() -> None:
    reads = Reads(known=["a", "b"])
    urls = [
        f"{TEAM}/#/incidents/a",
        f"{TEAM}/#/incidents/b",
        f"{TEAM}/#/incidents/nope",
        "https://x.example/",
    ]
    found = _links(reads).incidents(urls)
    assert {url: incident.id for url, incident in found.items()} == {urls[0]: "a", urls[1]: "b"}
    assert reads.asked == [["a", "b", "nope"]]


def test_one_event_looks_up_at_most_a_few_links() -> None:
    reads = Reads(known=[f"i{n}" for n in range(20)])
    found = _links(reads).incidents([f"{TEAM}/#/incidents/i{n}" for n in range(20)])
    assert len(found) == MAX_LINKS
    assert [len(ids) for ids in reads.asked] == [MAX_LINKS]


def test_no_team_link_means_no_read_and_an_outage_means_no_preview() -> None:
    reads = Reads()
    assert _links(reads).incidents(["https://elsewhere.example/#/incidents/a"]) == {}
    assert reads.asked == []
    down = Reads(known=["a"], down=True)
    assert _links(down).incidents([f"{TEAM}/#/incidents/a"]) == {}
