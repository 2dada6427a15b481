"""The pool that does a request's work after Slack has been acknowledged.

Listeners acknowledge first and hand the rest here, so Bolt's own few threads are never held by a slow
Coralogix call or a paced Slack post. A failure is logged once, with its traceback when unexpected, and
told to the person through `on_error`: nothing fails silently.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.errors import BotError

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on the bot's side; it is logged. Try again, or tell whoever runs the bot."
BUSY = "The bot has too much work queued right now; nothing was done. Try again in a minute."
MAX_QUEUED = 256

ErrorSink = Callable[[str], None]


class BackgroundWork:
    """A fixed pool with a bounded queue: past `max_queued` jobs waiting, new work is refused, not piled."""

    def __init__(self, workers: int = 8, *, name: str = "slack-work", max_queued: int = MAX_QUEUED) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(workers + max_queued)

    def submit(self, job: Callable[[], object], on_error: ErrorSink | None = None) -> Future[None] | None:
        if not self._slots.acquire(blocking=False):
            log.warning("refused a Slack request's work: %s", BUSY)
            _tell(on_error, BUSY)
            return None
        future = self._pool.submit(self._run, job, on_error)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    @staticmethod
    def _run(job: Callable[[], object], on_error: ErrorSink | None) -> None:
        try:
            job()
        except BotError as exc:
            log.warning("%s: %s", type(exc).__name__, exc)
            _tell(on_error, str(exc))
        except Exception:
            log.exception("a Slack request's work failed")
            _tell(on_error, UNEXPECTED)


def _tell(on_error: ErrorSink | None, text: str) -> None:
    if on_error is None:
        return
    try:
        on_error(text)
    except Exception:
        log.exception("could not tell the user about a failure")
