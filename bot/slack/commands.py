"""The slash command's grammar: text in, a parsed command or the usage text of one sub-command out.

Pure and total: `parse_command` never raises, whatever the text; anything it cannot make sense of comes
back as `Usage` naming the problem, so the listener always has something to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from bot.domain import (
    MIN_PREFIX,
    Action,
    AssignTarget,
    CoralogixUserTarget,
    GroupField,
    Me,
    Severity,
    SlackUserTarget,
    Status,
)
from bot.domain import OPEN_STATUSES as OPEN_STATUSES  # noqa: PLC0414 (re-export: the listener reads it here)
from bot.slack.text import mrkdwn_text

MAX_REF: Final = 200
DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 50
MAX_PAGE: Final = 10
"""Pages are walked with page tokens, one call each: the cap bounds what one command costs."""
MAX_IDS: Final = 50

# `<@U123|name>` or `<@U123>`: how Slack sends a user mention in slash-command text.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_EMAIL = re.compile(r"^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_TOKEN = re.compile(r"<[^<>]*>|\S+")
_ESCAPED = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
_INCIDENT_LINK = "/incidents/"


# ------------------------------------------------------------------------------------------ commands


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
    | ActCommand
    | AssignCommand
    | StatsCommand
    | WhoAmICommand
    | ConnectCommand
    | DisconnectCommand
)
Parsed = Command | Usage


# --------------------------------------------------------------------------------------------- usage

_SYNOPSIS: Final[dict[str, str]] = {
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
    "stats": "`{cmd} stats [by=severity|status|app|subsystem|assignee] [status=…]` — incident counts",
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
    "stats": "Counts open incidents unless `status=` says otherwise (as in `list`).",
}

_ID_NOTE: Final = (
    f"ID is an incident id, or its first {MIN_PREFIX} or more characters when no other incident "
    "starts the same way."
)
_NEEDS_IDS: Final = frozenset({"show", "ack", "resolve", "close", "assign", "unassign"})

SUBCOMMANDS: Final = tuple(_SYNOPSIS)

_ALIASES: Final = {
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
    if subcommand in _SYNOPSIS:
        lines.append(_SYNOPSIS[subcommand].format(cmd=command))
        if subcommand in _DETAILS:
            lines.append(_DETAILS[subcommand])
        if subcommand in _NEEDS_IDS:
            lines.append(_ID_NOTE)
        return "\n".join(lines)
    lines.append(f"*Usage of {command}*")
    lines.extend("• " + synopsis.format(cmd=command) for synopsis in _SYNOPSIS.values())
    lines.append(_ID_NOTE)
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------- parser


class _Malformed(Exception):  # noqa: N818 - internal control flow, never leaves this module
    """Raised inside the parser only; `parse_command` turns it into `Usage`."""


def parse_command(text: str, command: str = "/cx") -> Parsed:
    """The command in `text` (what Slack sends after the command name). Never raises."""
    try:
        return _parse(text if isinstance(text, str) else "", command)
    except _Malformed as malformed:
        subcommand, problem = _subcommand_of(text), str(malformed)
        return Usage(usage_text(command, subcommand, problem), subcommand, problem)
    except Exception:  # a parser bug must still answer with help, never with silence
        unreadable = "I could not read that command."
        return Usage(usage_text(command, None, unreadable), None, unreadable)


def tokenize(text: str) -> list[str]:
    """Words, keeping a Slack mention or link (`<@U1|bob>`, `<https://…>`) whole.

    Slack sends what the person typed with `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, so a real `<`
    only opens one of Slack's own tokens: those are found in the text as sent, and every other word is
    un-escaped here, once, into what was typed.
    """
    return [word if word.startswith("<") else unescape(word) for word in _TOKEN.findall(text)]


def unescape(text: str) -> str:
    """Slack's three entities back into the characters typed (`&amp;lt;` is the text `&lt;`)."""
    return _ESCAPED.sub(lambda entity: _UNESCAPED[entity.group(1)], text)


def _subcommand_of(text: object) -> str | None:
    words = tokenize(text) if isinstance(text, str) else []
    if not words:
        return None
    name = words[0].lower()
    name = _ALIASES.get(name, name)
    return name if name in _SYNOPSIS else None


def _parse(text: str, command: str) -> Parsed:
    words = tokenize(text)
    if not words:
        return HelpCommand()
    name = _ALIASES.get(words[0].lower(), words[0].lower())
    args = words[1:]
    if name == "help":
        return _help(args, command)
    if name == "list":
        return _list(args)
    if name == "show":
        refs = _refs(args)
        if len(refs) != 1:
            raise _Malformed("`show` takes exactly one incident ID.")
        return ShowCommand(refs[0])
    if name in ("ack", "resolve", "close", "unassign"):
        refs = _refs(args)
        if not refs:
            raise _Malformed(f"`{name}` needs at least one incident ID.")
        return ActCommand(Action(name), tuple(refs))
    if name == "assign":
        return _assign(args)
    if name == "stats":
        return _stats(args)
    if name in ("whoami", "connect", "disconnect"):
        if args:
            raise _Malformed(f"`{name}` takes no arguments.")
        if name == "whoami":
            return WhoAmICommand()
        return ConnectCommand() if name == "connect" else DisconnectCommand()
    shown = _shown(words[0])
    problem = f"I don't know the command `{shown}`."
    return Usage(usage_text(command, None, problem), None, problem)


def _help(args: list[str], command: str) -> Parsed:
    if not args:
        return HelpCommand()
    topic = _ALIASES.get(args[0].lower(), args[0].lower())
    if topic not in _SYNOPSIS or len(args) > 1:
        problem = f"There is no command `{_shown(' '.join(args))}`."
        return Usage(usage_text(command, None, problem), None, problem)
    return HelpCommand(topic)


def _shown(word: str) -> str:
    """A word of the user's, safe to quote back inside backticks (mrkdwn)."""
    cleaned = word.replace("`", "'")
    return mrkdwn_text(cleaned if len(cleaned) <= 40 else cleaned[:39] + "…", code=True)


def incident_ref(word: str) -> str | None:
    """The incident id (or prefix) a word names: the word itself, or the id at the end of a link."""
    candidate = word.strip()
    if candidate.startswith("<") and candidate.endswith(">"):
        candidate = candidate[1:-1].split("|", 1)[0]
    if _INCIDENT_LINK in candidate:
        candidate = candidate.rsplit(_INCIDENT_LINK, 1)[1].split("?", 1)[0].strip("/")
    candidate = candidate.strip("`'\",;")
    if len(candidate) > MAX_REF or not _REF.match(candidate):
        return None
    return candidate


def _refs(args: list[str]) -> list[str]:
    refs: list[str] = []
    for word in args:
        ref = incident_ref(word)
        if ref is None:
            raise _Malformed(f"`{_shown(word)}` is not an incident ID.")
        if len(ref) < MIN_PREFIX:
            raise _Malformed(
                f"`{_shown(ref)}` is too short: give the incident ID or at least its first "
                f"{MIN_PREFIX} characters."
            )
        if ref not in refs:
            refs.append(ref)
    if len(refs) > MAX_IDS:
        raise _Malformed(f"At most {MAX_IDS} incidents at a time.")
    return refs


def _assign(args: list[str]) -> AssignCommand:
    if len(args) < 2:
        raise _Malformed("`assign` needs at least one incident ID, then @user or me.")
    target = _target(args[-1])
    return AssignCommand(tuple(_refs(args[:-1])), target)


def _target(word: str) -> AssignTarget:
    if word.lower() in ("me", "@me", "myself"):
        return Me()
    mention = _MENTION.match(word)
    if mention:
        return SlackUserTarget(mention.group(1))
    email = word[1:-1].split("|", 1)[-1] if word.startswith("<mailto:") else word
    if _EMAIL.match(email):
        return CoralogixUserTarget(email.lower())
    if word.startswith("@"):
        raise _Malformed(
            f"`{_shown(word)}` is a name, not a mention: pick the person from Slack's list as you type @, "
            "so Slack sends who it is."
        )
    raise _Malformed(f"The last word must say who: @user, me or an e-mail; got `{_shown(word)}`.")


# -- list and stats filters ----------------------------------------------------------------------------

_STATUS_WORDS: Final = {
    "triggered": (Status.TRIGGERED,),
    "acknowledged": (Status.ACKNOWLEDGED,),
    "ack": (Status.ACKNOWLEDGED,),
    "resolved": (Status.RESOLVED,),
    "open": OPEN_STATUSES,
    "all": (),
}
_SEVERITY_WORDS: Final = {s.value: s for s in Severity if s is not Severity.UNSPECIFIED}
_GROUP_WORDS: Final = {
    "severity": GroupField.SEVERITY,
    "status": GroupField.STATUS,
    "state": GroupField.STATE,
    "app": GroupField.APPLICATION,
    "application": GroupField.APPLICATION,
    "subsystem": GroupField.SUBSYSTEM,
    "assignee": GroupField.ASSIGNEE,
}


@dataclass
class _ListArgs:
    statuses: tuple[Status, ...] = OPEN_STATUSES
    severities: list[Severity] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    subsystems: list[str] = field(default_factory=list)
    assignee: str | None = None
    limit: int = DEFAULT_LIMIT
    page: int = 1


def _list(args: list[str]) -> ListCommand:
    parsed = _ListArgs()
    for word in args:
        if word.lower() == "mine":
            _set_assignee(parsed, "me")
            continue
        key, value = _key_value(word, "list")
        if key == "status":
            parsed.statuses = _statuses(value)
        elif key == "severity":
            parsed.severities = _severities(value)
        elif key in ("app", "application"):
            parsed.applications = _values(value, key)
        elif key == "subsystem":
            parsed.subsystems = _values(value, key)
        elif key == "assignee":
            _set_assignee(parsed, _assignee(value))
        elif key == "limit":
            parsed.limit = _number(value, key, 1, MAX_LIMIT)
        elif key == "page":
            parsed.page = _number(value, key, 1, MAX_PAGE)
        else:
            raise _Malformed(f"`list` has no filter `{_shown(key)}`.")
    return ListCommand(
        statuses=parsed.statuses,
        severities=tuple(parsed.severities),
        applications=tuple(parsed.applications),
        subsystems=tuple(parsed.subsystems),
        assignee=parsed.assignee,
        limit=parsed.limit,
        page=parsed.page,
    )


def _stats(args: list[str]) -> StatsCommand:
    by = GroupField.SEVERITY
    statuses: tuple[Status, ...] = OPEN_STATUSES
    for word in args:
        key, value = _key_value(word, "stats")
        if key == "by":
            if value.lower() not in _GROUP_WORDS:
                raise _Malformed(f"`stats` cannot count by `{_shown(value)}`.")
            by = _GROUP_WORDS[value.lower()]
        elif key == "status":
            statuses = _statuses(value)
        else:
            raise _Malformed(f"`stats` has no option `{_shown(key)}`.")
    return StatsCommand(by=by, statuses=statuses)


def _key_value(word: str, subcommand: str) -> tuple[str, str]:
    key, sep, value = word.partition("=")
    if not sep or not key:
        raise _Malformed(f"`{_shown(word)}` is not an option of `{subcommand}` (they look like key=value).")
    if not value:
        raise _Malformed(f"`{_shown(key)}=` needs a value.")
    return key.lower(), value


def _values(value: str, key: str) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise _Malformed(f"`{_shown(key)}=` needs a value.")
    return list(dict.fromkeys(items))


def _statuses(value: str) -> tuple[Status, ...]:
    chosen: list[Status] = []
    for item in _values(value.lower(), "status"):
        if item not in _STATUS_WORDS:
            raise _Malformed(
                f"`{_shown(item)}` is not a status; use triggered, acknowledged, resolved, open or all."
            )
        if item == "all":
            return ()
        chosen.extend(s for s in _STATUS_WORDS[item] if s not in chosen)
    return tuple(chosen)


def _severities(value: str) -> list[Severity]:
    chosen: list[Severity] = []
    for item in _values(value.lower(), "severity"):
        if item not in _SEVERITY_WORDS:
            raise _Malformed(f"`{_shown(item)}` is not a severity; use {', '.join(_SEVERITY_WORDS)}.")
        if _SEVERITY_WORDS[item] not in chosen:
            chosen.append(_SEVERITY_WORDS[item])
    return chosen


def _assignee(value: str) -> str:
    if value.lower() in ("me", "@me"):
        return "me"
    email = value[1:-1].split("|", 1)[-1] if value.startswith("<mailto:") else value
    if _EMAIL.match(email):
        return email.lower()
    raise _Malformed(f"`assignee=` takes me or an e-mail address, not `{_shown(value)}`.")


def _set_assignee(parsed: _ListArgs, assignee: str) -> None:
    if parsed.assignee is not None and parsed.assignee != assignee:
        raise _Malformed("Give one assignee (`mine` is `assignee=me`).")
    parsed.assignee = assignee


def _number(value: str, key: str, lowest: int, highest: int) -> int:
    if not value.isascii() or not value.isdigit() or not lowest <= int(value) <= highest:
        raise _Malformed(f"`{key}=` takes a whole number from {lowest} to {highest}.")
    return int(value)
