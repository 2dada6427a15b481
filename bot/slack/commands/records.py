"""What the parser hands the listener: one frozen record per sub-command, or `Usage` instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from bot.domain import OPEN_STATUSES, Action, AssignTarget, GroupField, Severity, Status

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 50
MAX_PAGE: Final = 10
"""Pages are walked with page tokens, one call each: the cap bounds what one command costs."""
MAX_IDS: Final = 50


@dataclass(frozen=True)
class HelpCommand:
    topic: str | None = None


@dataclass(frozen=True)
class ListCommand:
    """`list`: open incidents by default (status=all lifts that), newest first, `limit` a page."""

    statuses: tuple[Status, ...] = OPEN_STATUSES
    severities: tuple[Severity, ...] = ()
    applications: tuple[str, ...] = ()
    subsystems: tuple[str, ...] = ()
    assignee: str | None = None
    """"me" (the caller) or a Coralogix user id (an e-mail)."""
    limit: int = DEFAULT_LIMIT
    page: int = 1

    def arguments(self, page: int | None = None) -> str:
        """The canonical argument text of this command (for "more: /cx list … page=N")."""
        parts: list[str] = []
        if self.statuses != OPEN_STATUSES:
            parts.append("status=" + (",".join(s.value for s in self.statuses) or "all"))
        if self.severities:
            parts.append("severity=" + ",".join(s.value for s in self.severities))
        if self.applications:
            parts.append("app=" + ",".join(self.applications))
        if self.subsystems:
            parts.append("subsystem=" + ",".join(self.subsystems))
        if self.assignee:
            parts.append(f"assignee={self.assignee}")
        if self.limit != DEFAULT_LIMIT:
            parts.append(f"limit={self.limit}")
        shown_page = self.page if page is None else page
        if shown_page != 1:
            parts.append(f"page={shown_page}")
        return " ".join(parts)


@dataclass(frozen=True)
class ShowCommand:
    ref: str


@dataclass(frozen=True)
class RoomCommand:
    """`room ID`: open the incident's war room, or join it."""

    ref: str


@dataclass(frozen=True)
class ActCommand:
    """ack, resolve, close or unassign, on one or more incidents."""

    action: Action
    refs: tuple[str, ...]


@dataclass(frozen=True)
class AssignCommand:
    refs: tuple[str, ...]
    target: AssignTarget


@dataclass(frozen=True)
class StatsCommand:
    by: GroupField = GroupField.SEVERITY
    statuses: tuple[Status, ...] = OPEN_STATUSES


@dataclass(frozen=True)
class ReportCommand:
    """`report [route] [since=24h|7d] [public]`: the shift report of a route (every incident when None)."""

    route: str | None
    since: timedelta
    public: bool = False


@dataclass(frozen=True)
class ResponseStatsCommand:
    """`stats mtta|mttr [by=severity|app|assignee|route] [since=7d]`."""

    measure: str
    by: str
    since: timedelta


@dataclass(frozen=True)
class WhoAmICommand:
    pass


@dataclass(frozen=True)
class ConnectCommand:
    pass


@dataclass(frozen=True)
class DisconnectCommand:
    pass


@dataclass(frozen=True)
class Usage:
    """What to tell the user instead: the usage of `subcommand` (all of them when None), and why."""

    text: str
    subcommand: str | None = None
    problem: str | None = None


Command = (
    HelpCommand
    | ListCommand
    | ShowCommand
    | RoomCommand
    | ActCommand
    | AssignCommand
    | StatsCommand
    | ReportCommand
    | ResponseStatsCommand
    | WhoAmICommand
    | ConnectCommand
    | DisconnectCommand
)
Parsed = Command | Usage
