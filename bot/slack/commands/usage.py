"""The help text: one synopsis per sub-command, the details of some, and the aliases people type."""

from __future__ import annotations

from typing import Final

from bot.domain import MIN_PREFIX
from bot.slack.commands.records import DEFAULT_LIMIT, MAX_LIMIT

SYNOPSIS: Final[dict[str, str]] = {
    "help": "`{cmd} help [command]` — this help, or the help of one command",
    "list": (
        "`{cmd} list [status=…] [severity=…] [app=…] [subsystem=…] [assignee=me|EMAIL] [mine] "
        "[limit=N] [page=N]` — incidents, newest first"
    ),
    "show": "`{cmd} show ID` — an incident's card and its latest events",
    "ack": "`{cmd} ack ID…` — acknowledge incidents",
    "resolve": "`{cmd} resolve ID…` — resolve incidents",
    "close": "`{cmd} close ID…` — close incidents",
    "assign": "`{cmd} assign ID… @user|me` — assign incidents to someone (or an e-mail Coralogix knows)",
    "unassign": "`{cmd} unassign ID…` — take the assignee off incidents",
    "stats": (
        "`{cmd} stats [by=severity|status|app|subsystem|assignee] [status=…]` — incident counts; "
        "`{cmd} stats mtta|mttr [by=severity|app|assignee|route] [since=7d]` — response times"
    ),
    "report": "`{cmd} report [route] [since=24h|7d] [public]` — a shift report now (to you, unless public)",
    "room": "`{cmd} room ID` — open the incident's war room (a channel of its own), or join it",
    "whoami": "`{cmd} whoami` — who you are in Coralogix, which API key acts for you, what you may do",
    "connect": "`{cmd} connect` — store your personal Coralogix API key, so actions are credited to you",
    "disconnect": "`{cmd} disconnect` — delete your stored personal API key",
}

_DETAILS: Final[dict[str, str]] = {
    "list": (
        "Filters take comma-separated values (`severity=critical,error`). `status=` takes triggered, "
        "acknowledged, resolved, open (the default) or all. `mine` is `assignee=me`. "
        f"`limit=` is 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); `page=2` shows the next page."
    ),
    "stats": (
        "Counts open incidents unless `status=` says otherwise (as in `list`). MTTA is the mean time from "
        "an incident's first trigger to its first acknowledge, MTTR to the resolve of its latest trigger, "
        "over the incidents that started within `since=` (1h to 30d)."
    ),
    "report": (
        "New and resolved incidents of the period, what is still open, MTTA and MTTR against the period "
        "before, and the noisiest alerts. Without a route: every incident. `since=` is 1h to 30d."
    ),
}

_ID_NOTE: Final = (
    f"ID is an incident id, or its first {MIN_PREFIX} or more characters when no other incident "
    "starts the same way."
)
_NEEDS_IDS: Final = frozenset({"show", "ack", "resolve", "close", "assign", "unassign", "room"})

SUBCOMMANDS: Final = tuple(SYNOPSIS)

ALIASES: Final = {
    "acknowledge": "ack",
    "ls": "list",
    "details": "show",
    "info": "show",
    "me": "whoami",
    "?": "help",
    "-h": "help",
    "--help": "help",
}


def usage_text(command: str = "/cx", subcommand: str | None = None, problem: str | None = None) -> str:
    """The help of one sub-command (or of all of them), after `problem` when there is one."""
    lines: list[str] = []
    if problem:
        lines.append(problem)
    if subcommand in SYNOPSIS:
        lines.append(SYNOPSIS[subcommand].format(cmd=command))
        if subcommand in _DETAILS:
            lines.append(_DETAILS[subcommand])
        if subcommand in _NEEDS_IDS:
            lines.append(_ID_NOTE)
        return "\n".join(lines)
    lines.append(f"*Usage of {command}*")
    lines.extend("• " + synopsis.format(cmd=command) for synopsis in SYNOPSIS.values())
    lines.append(_ID_NOTE)
    return "\n".join(lines)
