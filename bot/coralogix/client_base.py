"""What the Incidents and the Cases clients share besides the rpc itself: the channel, the caller, paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Self

import grpc
from google.protobuf.message import Message

from bot.coralogix.calls import ApiKey, CallObserver, RpcCaller
from bot.domain import Incident, IncidentPage
from bot.errors import CoralogixRequestError


class ChannelClient:
    """One channel and the `RpcCaller` every call goes through (`_call`); closing it closes the channel."""

    def __init__(
        self,
        channel: grpc.Channel,
        api_key: ApiKey,
        *,
        timeout: float,
        read_retries: int,
        backoff_base: float,
        backoff_max: float,
        observer: CallObserver | None,
    ) -> None:
        self._channel = channel
        self._caller = RpcCaller(
            api_key,
            timeout=timeout,
            read_retries=read_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            observer=observer,
        )

    def __repr__(self) -> str:
        caller = self._caller
        return f"{type(self).__name__}(timeout={caller.timeout}, read_retries={caller.read_retries})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close_channel()

    def close_channel(self) -> None:
        self._channel.close()

    def _stub_for(self, rpc: str) -> Any:
        """The generated stub that has `rpc`."""
        raise NotImplementedError

    def _call(
        self,
        rpc: str,
        request: Message,
        *,
        read: bool,
        api_key: ApiKey | None,
        ids: Sequence[str] = (),
    ) -> Any:
        """One rpc with auth and deadline; reads retried on UNAVAILABLE; failures translated."""
        method = getattr(self._stub_for(rpc), rpc)
        return self._caller.call(method, rpc, request, read=read, api_key=api_key, ids=ids)


def require_ids(incident_ids: Sequence[str]) -> list[str]:
    """The ids as a list; a bare string or an empty sequence is a mistake."""
    if isinstance(incident_ids, str):
        raise TypeError("incident_ids must be a sequence of ids, not a single string")
    ids = list(incident_ids)
    if not ids:
        raise ValueError("no incident ids given")
    return ids


def walk_pages(
    list_page: Callable[[str | None], IncidentPage], rpc: str, what: str
) -> Iterator[tuple[Incident, ...]]:
    """The incidents of each page, `list_page(token)` after `list_page(token)`, until no next token.

    A token the server already gave means it is answering the same page again: that is an error, not a
    reason to loop forever.
    """
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = list_page(token)
        yield page.incidents
        token = page.next_page_token
        if token is None:
            return
        if token in seen:
            raise CoralogixRequestError(
                f"Coralogix could not list {what}: it returned the same page twice", rpc=rpc
            )
        seen.add(token)
