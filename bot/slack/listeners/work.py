"""The pool that does a request's work after Slack has been acknowledged.

Listeners acknowledge first and hand the rest here, so Bolt's own few threads are never held by a slow
Coralogix call or a paced Slack post. A failure is logged once, with its traceback when unexpected, and
told to the person through `on_error`: nothing fails silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.errors import BotError

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on the bot's side; it is logged. Try again, or tell whoever runs the bot."

ErrorSink = Callable[[str], None]


class BackgroundWork:
    def __init__(self, workers: int = 8, *, name: str = "slack-work") -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    def submit(self, job: Callable[[], object], on_error: ErrorSink | None = None) -> Future[None]:
        return self._pool.submit(self._run, job, on_error)

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
