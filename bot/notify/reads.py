"""The reconciliation's Coralogix reads, off the poll's path: one at a time, on a thread of their own.

A poll waits for a read only as long as its share of the interval allows; a slower answer is kept until the
next poll asks for it again, so however slow Coralogix answers, the next regular poll starts on time.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar, cast

T = TypeVar("T")
_Read = tuple[Future[Any], Callable[[], Any]]


class OneRead:
    """At most one read in flight; its answer is for the caller who asks again with the same key.

    Reads run on one thread for the reader's life (started at the first read, a daemon: a read hanging on
    Coralogix never holds up the bot's exit), not on a new thread per read: each new thread may take
    another malloc arena, and a page's worth of memory stayed resident in each one a sweep had used."""

    def __init__(self, name: str = "reconciliation-read") -> None:
        self._name = name
        self._key: Hashable | None = None
        self._future: Future[Any] | None = None
        self._queue: queue.SimpleQueue[_Read | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        weakref.finalize(self, self._queue.put, None)  # the thread ends when its reader is gone

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
            self._start(future, read)
        try:
            return cast(T, future.result(timeout=max(wait, 0.0)))
        except TimeoutError:
            return None
        finally:
            if future.done():
                self._future = None

    def _start(self, future: Future[Any], read: Callable[[], Any]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=_serve, args=(self._queue,), name=self._name, daemon=True)
            self._thread.start()
        self._queue.put((future, read))


def _serve(reads: queue.SimpleQueue[_Read | None]) -> None:
    while (next_read := reads.get()) is not None:
        future, read = next_read
        try:
            future.set_result(read())
        except BaseException as exc:  # handed to whoever asks for the answer
            future.set_exception(exc)
        del next_read, future, read  # held while waiting, they would keep the reader (and its owner) alive
