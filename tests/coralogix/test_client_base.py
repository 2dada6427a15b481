"""What both clients share: their repr, closing as a context manager, the guard against a looping pager."""

from collections.abc import Callable

import pytest

from bot.coralogix.cases_client import CasesClient
from bot.coralogix.client import IncidentsClient
from bot.coralogix.client_base import walk_pages
from bot.domain import IncidentPage
from bot.errors import CoralogixRequestError


def test_repr_names_the_client_and_its_policy_never_the_key(
    make_client: Callable[..., IncidentsClient], make_cases_client: Callable[..., CasesClient]
) -> None:
    assert repr(make_client("cx-secret-1", read_retries=2)) == "IncidentsClient(timeout=5.0, read_retries=2)"
    assert repr(make_cases_client("cx-secret-2")) == "CasesClient(timeout=5.0, read_retries=3)"


@pytest.mark.parametrize("which", ["incidents", "cases"])
def test_leaving_the_with_block_closes_the_channel(
    which: str, make_client: Callable[..., IncidentsClient], make_cases_client: Callable[..., CasesClient]
) -> None:
    client = make_client() if which == "incidents" else make_cases_client()
    with client as entered:
        assert entered is client
        entered.list_incidents(page_size=1)
    with pytest.raises(ValueError, match="closed channel"):
        client.list_incidents(page_size=1)


def _pager(tokens: list[str | None]) -> tuple[Callable[[str | None], IncidentPage], list[str | None]]:
    """Pages whose next tokens are `tokens` in turn; the tokens it was asked with are recorded."""
    asked: list[str | None] = []

    def page(token: str | None) -> IncidentPage:
        asked.append(token)
        return IncidentPage(incidents=(), next_page_token=tokens[len(asked) - 1], total_size=None)

    return page, asked


def test_walk_pages_follows_tokens_until_there_is_none() -> None:
    page, asked = _pager(["a", "b", None])
    assert len(list(walk_pages(page, "ListIncidents", "incidents"))) == 3
    assert asked == [None, "a", "b"]


def test_walk_pages_stops_when_the_server_repeats_a_token() -> None:
    page, asked = _pager(["a", "b", "a", "c"])
    with pytest.raises(CoralogixRequestError, match="could not list cases: it returned the same page twice"):
        list(walk_pages(page, "ListCases", "cases"))
    assert asked == [None, "a", "b"]
