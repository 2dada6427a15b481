"""People and surfaces: profiles, user groups, the credentials' check, modals, the Home tab, unfurls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.errors import (
    SlackRequestError,
)
from bot.slack.gateway.core import GatewayCore
from bot.slack.profiles import SlackProfile


class PeopleCalls(GatewayCore):
    def user_profile(self, user_id: str) -> SlackProfile:
        """What users.info says about a person that decides whether their e-mail may map them."""
        data = self._call("users.info", None, {"user": user_id})
        user = data.get("user") or {}
        profile = user.get("profile") or {}
        email = profile.get("email")
        return SlackProfile(
            email=str(email) if email else None,
            is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
            deleted=bool(user.get("deleted")),
            email_confirmed=user.get("is_email_confirmed") is True,
        )

    def user_email(self, user_id: str) -> str | None:
        return self.user_profile(user_id).email

    def usergroup_members(self, group_id: str) -> list[str]:
        """The Slack user IDs in a user group (usergroups.users.list)."""
        data = self._call("usergroups.users.list", None, {"usergroup": group_id})
        return [str(user) for user in data.get("users") or []]

    def lookup_user_by_email(self, email: str) -> str | None:
        try:
            data = self._call("users.lookupByEmail", None, {"email": email})
        except SlackRequestError as exc:
            if exc.error == "users_not_found":
                return None
            raise
        user = data.get("user") or {}
        return str(user["id"]) if user.get("id") else None

    def auth_test(self) -> Mapping[str, Any]:
        return self._call("auth.test", None, {})

    # -- answering a person ----------------------------------------------------------------------

    def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> str:
        """Open a modal (within 3 s of the click that gave `trigger_id`); returns the view's id."""
        data = self._call("views.open", None, {"trigger_id": trigger_id, "view": dict(view)})
        return str((data.get("view") or {}).get("id", ""))

    def update_view(self, view_id: str, view: Mapping[str, Any]) -> None:
        self._call("views.update", None, {"view_id": view_id, "view": dict(view)})

    def publish_home(self, user_id: str, view: Mapping[str, Any]) -> None:
        """views.publish: the person's Home tab becomes `view` (a view of type `home`)."""
        self._call("views.publish", None, {"user_id": user_id, "view": dict(view)})

    def unfurl(self, channel: str, ts: str, unfurls: Mapping[str, Mapping[str, Any]]) -> None:
        """chat.unfurl: previews (URL -> blocks) for links in a person's message; again to refresh them."""
        self._call("chat.unfurl", None, {"channel": channel, "ts": ts, "unfurls": dict(unfurls)})
