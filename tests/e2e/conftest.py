"""Fixtures of the end-to-end tests: each test that uses a simulated Coralogix account runs on both APIs.

`coralogix_api` is "incidents", then "cases" (module-scoped, so a module's shared bot is started once per
API); `coralogix` is a fresh stand-in of an account on that API (see `tests/e2e/stand_in.py`). A test
or module that never reaches Coralogix may override `coralogix_api` with one value.

Under pytest-xdist (`--dist loadgroup`), the tests that share a module-scoped fixture (a module's one
bot) go to one worker together, one group per module and API, so each such bot is started once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stand_in import APIS, Api, StandIn, start_stand_in


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        fixtures = item._fixtureinfo.name2fixturedefs
        if any(defs[-1].scope == "module" for name, defs in fixtures.items() if name != "coralogix_api"):
            api = item.callspec.params.get("coralogix_api", "") if hasattr(item, "callspec") else ""
            item.add_marker(pytest.mark.xdist_group(f"{item.module.__name__}:{api}"))


@pytest.fixture(scope="module", params=APIS)
def coralogix_api(request: pytest.FixtureRequest) -> Api:
    """The API the simulated Coralogix account answers: the test runs once with each."""
    api: Api = request.param
    return api


@pytest.fixture
def coralogix(coralogix_api: Api) -> Iterator[StandIn]:
    """A simulated account on `coralogix_api` with nothing in it yet, on a free port."""
    running = start_stand_in(coralogix_api, seed=11)
    yield running
    running.stop()
