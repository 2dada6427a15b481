"""The Slack sandbox's workspace: everything the bot did in it, guarded by one lock, inspectable by tests."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.faults import SlackFaults
from bot.sandbox.slack.homes import HomeTabs
from bot.sandbox.slack.models import (
    Ephemeral,
    JsonObject,
    OpenView,
    RecordedCall,
    ResponseUrl,
    SlackChannel,
    SlackMessage,
    SlackUser,
)
from bot.sandbox.slack.timestamps import TimestampClock, is_valid_ts

SANDBOX_BOT_TOKEN = "xoxb-sandbox-token"  # noqa: S105 - the sandbox's well-known token, not a secret
SANDBOX_APP_ID = "A0SANDBOX"
SANDBOX_APP_TOKEN = "xapp-1-A0SANDBOX-1-sandbox-app-level-token"  # noqa: S105 - well known, not a secret
DEFAULT_CHANNEL_ID = "C0INCIDENTS"

DEFAULT_CHANNELS = (
    ("C0PAYMENTS", "payments"),
    ("C0SEARCH", "search"),
    (DEFAULT_CHANNEL_ID, "incidents"),
    ("C0PLATFORM", "platform"),
)
DEFAULT_USERS = (
    ("U0ALICE", "alice", "alice@example.com", "Alice Anderson"),
    ("U0BOB", "bob", "bob@example.com", "Bob Brown"),
    ("U0CAROL", "carol", "carol@example.com", "Carol Clark"),
    ("U0LEAD", "lead", "lead@example.com", "Lee Lead"),
    ("U0NOMAIL", "nomail", None, "No Mail"),
)
DEFAULT_GUEST_ID = "U0GUEST"
"""A multi-channel guest whose e-mail is on the demo's allowed domain: never mapped by e-mail."""
DEFAULT_USERGROUPS = (
    ("S0ONCALL", "oncall", ("U0ALICE", "U0BOB")),
    ("S0LEADS", "leads", ("U0LEAD", "U0ALICE")),
)
RESPONSE_URL_MAX_USES = 5
TRIGGER_LIFETIME_SECONDS = 3.0
"""How long after an interaction its trigger_id may open a modal (Slack's rule)."""
BOT_SCOPES = (
    "channels:history",
    "channels:join",
    "channels:manage",
    "channels:read",
    "chat:write",
    "chat:write.public",
    "commands",
    "groups:history",
    "groups:read",
    "links:read",
    "links:write",
    "im:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
)


@dataclass(frozen=True)
class ThreadSummary:
    reply_count: int
    reply_users: list[str]
    latest_reply: str


class SlackWorkspace:
    """Channels, users and all the bot posted; every public method is safe from any thread."""

    def __init__(
        self,
        *,
        team_id: str = "T0SANDBOX",
        bot_user_id: str = "U0BOT",
        bot_token: str = SANDBOX_BOT_TOKEN,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id[1:]
        self.app_id = SANDBOX_APP_ID
        self.bot_token = bot_token
        self.app_token = SANDBOX_APP_TOKEN
        self.scopes: tuple[str, ...] = BOT_SCOPES
        self.calls: list[RecordedCall] = []
        self.faults = SlackFaults()
        self._lock = threading.RLock()
        self._clock = clock
        self._monotonic = monotonic
        self._triggers: dict[str, float] = {}
        self._timestamps = TimestampClock(clock)
        self._serial = itertools.count(1)
        self._channels: dict[str, SlackChannel] = {}
        self._users: dict[str, SlackUser] = {}
        self._usergroups: dict[str, tuple[str, list[str]]] = {}
        self._messages: dict[str, list[SlackMessage]] = {}
        self._ephemerals: list[Ephemeral] = []
        self._view_log: list[OpenView] = []
        self._views: dict[str, OpenView] = {}
        self.homes = HomeTabs()
        self._response_urls: dict[str, ResponseUrl] = {}
        self._response_bodies: list[JsonObject] = []
        self._base_url: str | None = None
        self._socket_mode_url: Callable[[], str] | None = None
        self.add_user(bot_user_id, "incident-bot", None, "Incident Bot")
        self._users[bot_user_id].is_bot = True

    @classmethod
    def with_defaults(cls, *, team_id: str = "T0SANDBOX", bot_user_id: str = "U0BOT") -> SlackWorkspace:
        """The demo workspace: #payments #search #incidents #platform and Alice, Bob, Carol, Lead, NoMail."""
        workspace = cls(team_id=team_id, bot_user_id=bot_user_id)
        for channel_id, name in DEFAULT_CHANNELS:
            workspace.add_channel(channel_id, name)
        for user_id, name, email, real_name in DEFAULT_USERS:
            workspace.add_user(user_id, name, email, real_name)
            for channel_id, _ in DEFAULT_CHANNELS:
                workspace.add_member(channel_id, user_id)
        workspace.add_user(
            DEFAULT_GUEST_ID, "mallory", "mallory@example.com", "Mallory (guest)", is_restricted=True
        )
        for group_id, handle, members in DEFAULT_USERGROUPS:
            workspace.add_usergroup(group_id, handle, list(members))
        return workspace

    # -- set-up ---------------------------------------------------------------------------------

    def add_channel(self, channel_id: str, name: str, *, bot_is_member: bool = True) -> None:
        """A public channel; `bot_is_member=False` one the bot has not been invited to (yet)."""
        with self._lock:
            self._channels[channel_id] = SlackChannel(id=channel_id, name=name, is_member=bot_is_member)
            self._messages.setdefault(channel_id, [])

    def add_member(self, channel_id: str, user_id: str) -> None:
        """`user_id` joins the channel (what users.conversations answers for them)."""
        with self._lock:
            members = self._channels[channel_id].members
            if user_id not in members:
                members.append(user_id)

    def remove_member(self, channel_id: str, user_id: str) -> None:
        with self._lock:
            members = self._channels[channel_id].members
            if user_id in members:
                members.remove(user_id)

    def add_user(
        self,
        user_id: str,
        name: str,
        email: str | None,
        real_name: str | None = None,
        *,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        deleted: bool = False,
        is_email_confirmed: bool = True,
        is_bot: bool = False,
    ) -> None:
        """A member; the flags are Slack's: guests are restricted (multi-channel) or ultra (single)."""
        with self._lock:
            self._users[user_id] = SlackUser(
                id=user_id,
                name=name,
                email=email,
                real_name=real_name,
                display_name=name,
                is_restricted=is_restricted,
                is_ultra_restricted=is_ultra_restricted,
                deleted=deleted,
                is_email_confirmed=is_email_confirmed,
                is_bot=is_bot,
            )

    def add_usergroup(self, group_id: str, handle: str, members: list[str]) -> None:
        """A user group (`<!subteam^S…>`) and its members, as usergroups.users.list returns them."""
        with self._lock:
            self._usergroups[group_id] = (handle, list(members))

    def usergroup_members(self, group_id: str) -> list[str]:
        with self._lock:
            if group_id not in self._usergroups:
                raise SlackMethodError("no_such_subteam")
            return list(self._usergroups[group_id][1])

    def attach(self, base_url: str) -> None:
        """Called by the server once it listens, so response URLs and permalinks point at it."""
        with self._lock:
            self._base_url = base_url.rstrip("/")

    def attach_socket_mode(self, new_url: Callable[[], str]) -> None:
        """Called by the Socket Mode stand-in once it listens: `apps.connections.open` answers `new_url()`."""
        with self._lock:
            self._socket_mode_url = new_url

    def socket_mode_url(self) -> str:
        with self._lock:
            new_url = self._socket_mode_url
        if new_url is None:  # the app has Socket Mode off: Slack hands out no URL
            raise SlackMethodError("socket_mode_not_enabled")
        return new_url()

    @property
    def base_url(self) -> str:
        with self._lock:
            if self._base_url is None:
                raise RuntimeError("the workspace is not served yet: start_slack_sandbox(workspace) first")
            return self._base_url

    # -- what tests inspect -----------------------------------------------------------------------

    def channels(self) -> list[SlackChannel]:
        with self._lock:
            return copy.deepcopy(list(self._channels.values()))

    def users(self) -> list[SlackUser]:
        with self._lock:
            return copy.deepcopy(list(self._users.values()))

    def messages(self, channel: str) -> list[SlackMessage]:
        """Top-level messages of a channel, oldest first (thread replies are in `replies`)."""
        with self._lock:
            found = [m for m in self._messages.get(channel, []) if m.thread_ts is None and not m.deleted]
            return copy.deepcopy(found)

    def replies(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        """The replies under `thread_ts`, oldest first, without the parent."""
        with self._lock:
            found = [m for m in self._messages.get(channel, []) if m.thread_ts == thread_ts and not m.deleted]
            return copy.deepcopy(found)

    def message(self, channel: str, ts: str) -> SlackMessage:
        """One message, replies and deleted ones included; KeyError when there is none."""
        with self._lock:
            message = self._find(channel, ts, include_deleted=True)
            if message is None:
                raise KeyError(f"no message {ts} in {channel}")
            return copy.deepcopy(message)

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return copy.deepcopy([e for e in self._ephemerals if user is None or e.user == user])

    def responses(self, url: str | None = None) -> list[JsonObject]:
        """Bodies POSTed to response URLs, in arrival order (only those sent to `url` when given)."""
        with self._lock:
            if url is None:
                return copy.deepcopy(self._response_bodies)
            binding = self._response_urls.get(url.rstrip("/").rsplit("/", 1)[-1])
            return copy.deepcopy(binding.bodies) if binding else []

    def views(self) -> list[OpenView]:
        """Every views.open / views.push / views.update, in call order."""
        with self._lock:
            return copy.deepcopy(self._view_log)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def record_call(self, call: RecordedCall) -> None:
        with self._lock:
            self.calls.append(call)

    # -- handles Slack gives out ---------------------------------------------------------------------

    def new_response_url(
        self, *, channel: str | None = None, message_ts: str | None = None, user: str | None = None
    ) -> str:
        """A response_url as Slack sends with a slash command or action; bind a message to let
        `replace_original` / `delete_original` act on it."""
        with self._lock:
            response_id = f"R{next(self._serial):06d}"
            self._response_urls[response_id] = ResponseUrl(
                id=response_id, channel=channel, message_ts=message_ts, user=user
            )
            return f"{self.base_url}/response/{response_id}"

    def new_trigger_id(self) -> str:
        """A trigger_id shaped like Slack's, to put in simulated interactions; it expires as Slack's do."""
        with self._lock:
            trigger_id = f"{int(self._clock())}.{next(self._serial)}.sandbox"
            self._triggers[trigger_id] = self._monotonic()
            return trigger_id

    def _check_trigger(self, trigger_id: str | None) -> None:
        """Slack refuses a trigger_id used more than 3 seconds after the interaction that made it."""
        issued = self._triggers.get(trigger_id or "")
        if issued is not None and self._monotonic() - issued > TRIGGER_LIFETIME_SECONDS:
            raise SlackMethodError("expired_trigger_id")

    # -- operations behind the Web API -----------------------------------------------------------

    def check_app_token(self, token: str | None) -> None:
        """Methods called with the app-level token (`apps.connections.open`) refuse a bot token."""
        if not token:
            raise SlackMethodError("not_authed")
        if token == self.bot_token:
            raise SlackMethodError("not_allowed_token_type")
        if token != self.app_token:
            raise SlackMethodError("invalid_auth")

    def check_token(self, token: str | None) -> None:
        if not token:
            raise SlackMethodError("not_authed")
        if token != self.bot_token:
            raise SlackMethodError("invalid_auth")

    def resolve_channel(self, reference: object) -> SlackChannel:
        """A channel by id, name or #name; a user id opens (creates) the direct-message channel."""
        ref = str(reference or "").strip()
        with self._lock:
            if ref in self._channels:
                return copy.deepcopy(self._channels[ref])
            name = ref.removeprefix("#")
            for channel in self._channels.values():
                if channel.name == name and not channel.is_im:
                    return copy.deepcopy(channel)
            if ref in self._users:
                dm_id = "D" + ref[1:]
                if dm_id not in self._channels:
                    self._channels[dm_id] = SlackChannel(id=dm_id, name=ref, is_im=True)
                    self._messages[dm_id] = []
                return copy.deepcopy(self._channels[dm_id])
        raise SlackMethodError("channel_not_found")

    def join(self, channel_id: str) -> tuple[SlackChannel, bool]:
        """Joins the bot to a channel; the flag says it was already a member."""
        with self._lock:
            channel = self._channels[channel_id]
            already = channel.is_member
            channel.is_member = True
            return copy.deepcopy(channel), already

    def post_message(
        self,
        channel_id: str,
        *,
        text: str,
        blocks: list[JsonObject],
        metadata: JsonObject | None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        user: str | None = None,
    ) -> SlackMessage:
        """A message by the bot, or by `user` (a person typing in the channel)."""
        with self._lock:
            self._refuse_archived(channel_id)
            if thread_ts is not None:
                thread_ts = self._thread_root(channel_id, thread_ts)
            message = SlackMessage(
                channel=channel_id,
                ts=self._timestamps.next_ts(),
                text=text,
                blocks=copy.deepcopy(blocks),
                metadata=copy.deepcopy(metadata),
                thread_ts=thread_ts,
                user=user or self.bot_user_id,
                reply_broadcast=reply_broadcast and thread_ts is not None,
            )
            self._messages[channel_id].append(message)
            return copy.deepcopy(message)

    def update_message(
        self,
        channel_id: str,
        ts: str,
        *,
        text: str | None,
        blocks: list[JsonObject] | None,
        metadata: JsonObject | None,
    ) -> SlackMessage:
        """chat.update: what is not given is kept, as Slack keeps previous blocks when none are sent."""
        with self._lock:
            self._refuse_archived(channel_id)
            message = self._require(channel_id, ts, "message_not_found")
            if message.user != self.bot_user_id:
                raise SlackMethodError("cant_update_message")
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = copy.deepcopy(blocks)
            if metadata is not None:
                message.metadata = copy.deepcopy(metadata)
            message.edited = True
            message.updates += 1
            message.edited_ts = self._timestamps.next_ts()
            return copy.deepcopy(message)

    def unfurl(self, channel_id: str, ts: str, unfurls: dict[str, JsonObject]) -> SlackMessage:
        """chat.unfurl: attach previews to links of a person's message (a second call replaces them)."""
        with self._lock:
            message = self._require(channel_id, ts, "cannot_unfurl_message")
            missing = [url for url in unfurls if url not in message.text]
            if missing:
                raise SlackMethodError("cannot_unfurl_url", [f"[ERROR] not in the message: {missing[0]}"])
            message.unfurls.update(copy.deepcopy(unfurls))
            return copy.deepcopy(message)

    def delete_message(self, channel_id: str, ts: str) -> None:
        with self._lock:
            self._require(channel_id, ts, "message_not_found").deleted = True

    def post_ephemeral(
        self,
        *,
        channel: str | None,
        user: str | None,
        text: str,
        blocks: list[JsonObject],
        thread_ts: str | None = None,
        via: str = "chat.postEphemeral",
    ) -> Ephemeral:
        with self._lock:
            if via == "chat.postEphemeral" and (user not in self._users or self._users[user].is_bot):
                raise SlackMethodError("user_not_in_channel")
            ephemeral = Ephemeral(
                channel=channel,
                user=user,
                text=text,
                blocks=copy.deepcopy(blocks),
                message_ts=self._timestamps.next_ts(),
                thread_ts=thread_ts,
                via=via,
            )
            self._ephemerals.append(ephemeral)
            return copy.deepcopy(ephemeral)

    def channel_history(self, channel_id: str) -> list[SlackMessage]:
        """What conversations.history sees, oldest first: top-level messages and broadcast replies."""
        with self._lock:
            shown = [
                m
                for m in self._messages.get(channel_id, [])
                if not m.deleted and (m.thread_ts is None or m.reply_broadcast)
            ]
            return copy.deepcopy(shown)

    def thread(self, channel_id: str, ts: str) -> list[SlackMessage]:
        """What conversations.replies sees: the parent, then its replies, oldest first."""
        with self._lock:
            parent = self._require(channel_id, ts, "thread_not_found")
            if parent.thread_ts is not None:
                parent = self._require(channel_id, parent.thread_ts, "thread_not_found")
            return [copy.deepcopy(parent), *self.replies(channel_id, parent.ts)]

    def thread_summary(self, channel_id: str, ts: str) -> ThreadSummary | None:
        with self._lock:
            replies = self.replies(channel_id, ts)
            if not replies:
                return None
            users = list(dict.fromkeys(reply.user for reply in replies))
            return ThreadSummary(reply_count=len(replies), reply_users=users, latest_reply=replies[-1].ts)

    def user(self, user_id: str) -> SlackUser:
        with self._lock:
            if user_id not in self._users:
                raise SlackMethodError("user_not_found")
            return copy.deepcopy(self._users[user_id])

    def user_by_email(self, email: str) -> SlackUser:
        with self._lock:
            for user in self._users.values():
                if user.email and user.email.lower() == email.strip().lower():
                    return copy.deepcopy(user)
        raise SlackMethodError("users_not_found")

    def open_view(self, method: str, view: JsonObject, *, trigger_id: str | None) -> OpenView:
        """views.open (a new root) or views.push (on top of the latest open view)."""
        with self._lock:
            self._check_trigger(trigger_id)
            external_id = view.get("external_id")
            if external_id and any(v.external_id == external_id for v in self._views.values()):
                raise SlackMethodError("duplicate_external_id")
            view_id = f"V{next(self._serial):08d}"
            previous = self._view_log[-1] if method == "views.push" and self._view_log else None
            opened = OpenView(
                method=method,
                id=view_id,
                view=copy.deepcopy(view),
                trigger_id=trigger_id,
                external_id=external_id,
                hash=self._new_hash(),
                root_view_id=previous.root_view_id if previous else view_id,
                previous_view_id=previous.id if previous else None,
            )
            self._views[view_id] = opened
            self._view_log.append(opened)
            return copy.deepcopy(opened)

    def update_view(
        self, view: JsonObject, *, view_id: str | None, external_id: str | None, view_hash: str | None
    ) -> OpenView:
        with self._lock:
            current = self._views.get(view_id or "")
            if current is None and external_id:
                current = next((v for v in self._views.values() if v.external_id == external_id), None)
            if current is None:
                raise SlackMethodError("not_found")
            if view_hash and view_hash != current.hash:
                raise SlackMethodError("hash_conflict")
            updated = OpenView(
                method="views.update",
                id=current.id,
                view=copy.deepcopy(view),
                trigger_id=current.trigger_id,
                external_id=view.get("external_id", current.external_id),
                hash=self._new_hash(),
                root_view_id=current.root_view_id,
                previous_view_id=current.previous_view_id,
            )
            self._views[current.id] = updated
            self._view_log.append(updated)
            return copy.deepcopy(updated)

    def claim_response_url(self, response_id: str, body: JsonObject) -> ResponseUrl:
        """Counts one use of a response URL (Slack allows five) and records the body."""
        with self._lock:
            binding = self._response_urls.get(response_id)
            if binding is None:
                raise SlackMethodError("no_service")
            if binding.uses >= RESPONSE_URL_MAX_USES:
                raise SlackMethodError("used_url")
            binding.uses += 1
            binding.bodies.append(copy.deepcopy(body))
            self._response_bodies.append(copy.deepcopy(body))
            return copy.deepcopy(binding)

    # -- channels the bot creates (war rooms) -------------------------------------------------------

    def create_channel(self, name: str, *, creator: str) -> SlackChannel:
        """conversations.create: a public channel the creator is in; names are unique, archived or not."""
        with self._lock:
            if any(channel.name == name for channel in self._channels.values() if not channel.is_im):
                raise SlackMethodError("name_taken")
            channel_id = f"C{next(self._serial):08d}"
            self._channels[channel_id] = SlackChannel(
                id=channel_id, name=name, created=int(self._clock()), creator=creator, members=[creator]
            )
            self._messages[channel_id] = []
            return copy.deepcopy(self._channels[channel_id])

    def invite(self, channel_id: str, users: list[str], *, force: bool = False) -> SlackChannel:
        """conversations.invite: all or nothing, unless `force` skips the users that cannot be invited."""
        with self._lock:
            channel = self._channels[channel_id]
            if channel.is_im:
                raise SlackMethodError("method_not_supported_for_channel_type")
            if channel.is_archived:
                raise SlackMethodError("is_archived")
            if not channel.is_member:
                raise SlackMethodError("not_in_channel")
            welcome: list[str] = []
            for user_id in users:
                error = self._invite_error(channel, user_id)
                if error is None:
                    welcome.append(user_id)
                elif not force:
                    raise SlackMethodError(error)
            channel.members.extend(dict.fromkeys(u for u in welcome if u not in channel.members))
            return copy.deepcopy(channel)

    def archive(self, channel_id: str) -> None:
        """conversations.archive: nothing can be posted or edited there afterwards."""
        with self._lock:
            channel = self._channels[channel_id]
            if channel.is_im:
                raise SlackMethodError("method_not_supported_for_channel_type")
            if channel.is_archived:
                raise SlackMethodError("already_archived")
            if not channel.is_member:
                raise SlackMethodError("not_in_channel")
            channel.is_archived = True

    def _invite_error(self, channel: SlackChannel, user_id: str) -> str | None:
        user = self._users.get(user_id)
        if user is None or user.deleted:
            return "user_not_found"
        if user_id == self.bot_user_id:
            return "cant_invite_self"
        if user.is_ultra_restricted:
            return "cant_invite"
        if user_id in channel.members:
            return "already_in_channel"
        return None

    # -- internals ---------------------------------------------------------------------------------

    def _refuse_archived(self, channel_id: str) -> None:
        channel = self._channels.get(channel_id)
        if channel is not None and channel.is_archived:
            raise SlackMethodError("is_archived")

    def _find(self, channel_id: str, ts: str, *, include_deleted: bool = False) -> SlackMessage | None:
        for message in self._messages.get(channel_id, []):
            if message.ts == ts and (include_deleted or not message.deleted):
                return message
        return None

    def _require(self, channel_id: str, ts: str, error: str) -> SlackMessage:
        message = self._find(channel_id, ts)
        if message is None:
            raise SlackMethodError(error)
        return message

    def _thread_root(self, channel_id: str, thread_ts: str) -> str:
        """The parent ts a reply hangs under: replying to a reply joins its thread; an unknown but
        well-formed ts is accepted and the reply is then seen nowhere in the channel, as in Slack."""
        if not is_valid_ts(thread_ts):
            raise SlackMethodError("invalid_thread_ts", [f"[ERROR] {thread_ts} is not a valid thread_ts"])
        for message in self._messages.get(channel_id, []):
            if message.ts == thread_ts and message.thread_ts is not None:
                return message.thread_ts
        return thread_ts

    def _new_hash(self) -> str:
        return f"{int(self._clock())}.{next(self._serial):08x}"
