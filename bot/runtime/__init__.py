"""The composition root of `incident-bot run`: builds every part from the settings and wires them.

Nothing here runs at import; `BotRuntime.start()` starts the HTTP server (or Socket Mode) and the poller.
`build.py` builds and wires, `interactivity.py` builds the parts behind the listeners and the reminders,
`lifecycle.py` starts and stops them, `clocks.py` holds the clocks and the replica's name.
"""

from bot.runtime.build import build_runtime
from bot.runtime.clocks import clock_from, new_replica_id, utcnow
from bot.runtime.interactivity import build_interactivity, build_reminders, coralogix_backend
from bot.runtime.lifecycle import REJECTED_TOKEN_ERRORS, BotRuntime, StartupError

__all__ = [
    "REJECTED_TOKEN_ERRORS",
    "BotRuntime",
    "StartupError",
    "build_interactivity",
    "build_reminders",
    "build_runtime",
    "clock_from",
    "coralogix_backend",
    "new_replica_id",
    "utcnow",
]
