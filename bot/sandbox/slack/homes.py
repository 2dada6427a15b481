"""Home tabs as Slack keeps them: one per person, replaced by each views.publish, every version kept."""

from __future__ import annotations

import copy
import itertools
import threading

from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.models import JsonObject, OpenView


class HomeTabs:
    """What the app published on each person's Home tab; `published(user)` lists every version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._current: dict[str, OpenView] = {}
        self._log: list[tuple[str, OpenView]] = []

    def publish(self, user_id: str, view: JsonObject, *, view_hash: str | None = None) -> OpenView:
        """views.publish: a `hash` other than the current one's means the tab changed since: refused."""
        with self._lock:
            current = self._current.get(user_id)
            if view_hash and current is not None and view_hash != current.hash:
                raise SlackMethodError("hash_conflict")
            number = next(self._serial)
            view_id = current.id if current is not None else f"VH{number:07d}"
            published = OpenView(
                method="views.publish",
                id=view_id,
                view=copy.deepcopy(view),
                trigger_id=None,
                external_id=view.get("external_id"),
                hash=f"home.{number:08x}",
                root_view_id=view_id,
            )
            self._current[user_id] = published
            self._log.append((user_id, published))
            return copy.deepcopy(published)

    def current(self, user_id: str) -> OpenView | None:
        with self._lock:
            found = self._current.get(user_id)
            return copy.deepcopy(found) if found is not None else None

    def published(self, user_id: str) -> list[OpenView]:
        with self._lock:
            return [copy.deepcopy(view) for user, view in self._log if user == user_id]
