"""The reconciliation's Coralogix reads, off the poll's path: one at a time, on a thread of their own.

A poll waits for a read only as long as its share of the interval allows; a slower answer is kept until the
next poll asks for it again, so however slow Coralogix answers, the next regular poll starts on time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar, cast

T = TypeVar("T")


def _run(future: Future[Any], read: Callable[[], Any]) -> None:
    try:
        future.set_result(read())
    except BaseException as exc:  # handed to whoever asks for the answer
        future.set_exception(exc)


class OneRead:
    """At most one read in flight; its answer is for the caller who asks again with the same key."""

    def __init__(self, name: str = "reconciliation-read") -> None:
        self._name = name
        self._key: Hashable | None = None
        self._future: Future[Any] | None = None

    @property
    def in_flight(self) -> bool:
        return self._future is not None and not self._future.done()

    def get(self, key: Hashable, read: Callable[[], T], wait: float) -> T | None:
        """The answer of `read`, asked under `key`, waiting at most `wait` seconds; None while it is not in.

        An answer to another key (the sweep moved on elsewhere meanwhile) is dropped once it is in, and
        only then is this read started. A read that failed raises here, once.
        """
        future = self._future
        if future is not None and self._key != key:
            if not future.done():
                return None
            future = self._future = None
        if future is None:
            future = Future()
            self._key, self._future = key, future
            threading.Thread(target=_run, args=(future, read), name=self._name, daemon=True).start()
        try:
            return cast(T, future.result(timeout=max(wait, 0.0)))
        except TimeoutError:
            return None
        finally:
            if future.done():
                self._future = None
