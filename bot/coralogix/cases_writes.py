"""A Cases write over several ids: one call per case, and which ids were done when only some were."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from google.protobuf.message import Message

from bot.coralogix import cases_convert as convert
from bot.coralogix.client_base import require_ids
from bot.coralogix.errors import PartialWriteError
from bot.domain import Incident
from bot.errors import (
    CoralogixAuthError,
    CoralogixError,
    CoralogixPermissionError,
    CoralogixUnavailableError,
)

# A failure that will be the same for every other id of the write: stop instead of trying the rest.
_FOR_ALL_IDS = (CoralogixAuthError, CoralogixPermissionError, CoralogixUnavailableError)
_VERBS: Final = {
    "AcknowledgeCase": "acknowledge",
    "AssignCase": "assign",
    "UnassignCase": "unassign",
    "ResolveCase": "resolve",
    "CloseCase": "close",
}

WriteCall = Callable[[str, Message, str], Any]
"""Makes one write: (rpc, request, the case id) -> the response."""


def write_each(
    call: WriteCall, rpc: str, incident_ids: Sequence[str], make_request: Callable[[str], Message]
) -> list[Incident]:
    """The updated cases; if none is done the first failure as is, if some are `PartialWriteError`."""
    ids = list(dict.fromkeys(require_ids(incident_ids)))
    results: dict[str, Incident | CoralogixError | None] = {}
    first_failure: CoralogixError | None = None
    for index, case_id in enumerate(ids):
        try:
            response = call(rpc, make_request(case_id), case_id)
        except _FOR_ALL_IDS as exc:
            first_failure = first_failure or exc
            results.update(dict.fromkeys(ids[index:], exc))
            break
        except CoralogixError as exc:
            first_failure = first_failure or exc
            results[case_id] = exc
            continue
        results[case_id] = convert.case_from_pb(response.case) if response.HasField("case") else None
    if first_failure is None:
        return [result for result in results.values() if isinstance(result, Incident)]
    if not any(not isinstance(result, CoralogixError) for result in results.values()):
        raise first_failure
    failed = sum(isinstance(result, CoralogixError) for result in results.values())
    raise PartialWriteError(
        f"Coralogix could not {_VERBS[rpc]} {failed} of {len(ids)} cases: {first_failure}",
        results=results,
        rpc=rpc,
        code=first_failure.code,
    )
