"""The key=value options of `list` and `stats`: statuses, severities, values, an assignee, numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from bot.domain import OPEN_STATUSES, GroupField, Severity, Status
from bot.slack.commands.records import DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE, ListCommand, StatsCommand
from bot.slack.commands.words import EMAIL, Malformed, shown

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


def list_command(args: list[str]) -> ListCommand:
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
            raise Malformed(f"`list` has no filter `{shown(key)}`.")
    return ListCommand(
        statuses=parsed.statuses,
        severities=tuple(parsed.severities),
        applications=tuple(parsed.applications),
        subsystems=tuple(parsed.subsystems),
        assignee=parsed.assignee,
        limit=parsed.limit,
        page=parsed.page,
    )


def stats_command(args: list[str]) -> StatsCommand:
    by = GroupField.SEVERITY
    statuses: tuple[Status, ...] = OPEN_STATUSES
    for word in args:
        key, value = _key_value(word, "stats")
        if key == "by":
            if value.lower() not in _GROUP_WORDS:
                raise Malformed(f"`stats` cannot count by `{shown(value)}`.")
            by = _GROUP_WORDS[value.lower()]
        elif key == "status":
            statuses = _statuses(value)
        else:
            raise Malformed(f"`stats` has no option `{shown(key)}`.")
    return StatsCommand(by=by, statuses=statuses)


def _key_value(word: str, subcommand: str) -> tuple[str, str]:
    key, sep, value = word.partition("=")
    if not sep or not key:
        raise Malformed(f"`{shown(word)}` is not an option of `{subcommand}` (they look like key=value).")
    if not value:
        raise Malformed(f"`{shown(key)}=` needs a value.")
    return key.lower(), value


def _values(value: str, key: str) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise Malformed(f"`{shown(key)}=` needs a value.")
    return list(dict.fromkeys(items))


def _statuses(value: str) -> tuple[Status, ...]:
    chosen: list[Status] = []
    for item in _values(value.lower(), "status"):
        if item not in _STATUS_WORDS:
            raise Malformed(
                f"`{shown(item)}` is not a status; use triggered, acknowledged, resolved, open or all."
            )
        if item == "all":
            return ()
        chosen.extend(s for s in _STATUS_WORDS[item] if s not in chosen)
    return tuple(chosen)


def _severities(value: str) -> list[Severity]:
    chosen: list[Severity] = []
    for item in _values(value.lower(), "severity"):
        if item not in _SEVERITY_WORDS:
            raise Malformed(f"`{shown(item)}` is not a severity; use {', '.join(_SEVERITY_WORDS)}.")
        if _SEVERITY_WORDS[item] not in chosen:
            chosen.append(_SEVERITY_WORDS[item])
    return chosen


def _assignee(value: str) -> str:
    if value.lower() in ("me", "@me"):
        return "me"
    email = value[1:-1].split("|", 1)[-1] if value.startswith("<mailto:") else value
    if EMAIL.match(email):
        return email.lower()
    raise Malformed(f"`assignee=` takes me or an e-mail address, not `{shown(value)}`.")


def _set_assignee(parsed: _ListArgs, assignee: str) -> None:
    if parsed.assignee is not None and parsed.assignee != assignee:
        raise Malformed("Give one assignee (`mine` is `assignee=me`).")
    parsed.assignee = assignee


def _number(value: str, key: str, lowest: int, highest: int) -> int:
    if not value.isascii() or not value.isdigit() or not lowest <= int(value) <= highest:
        raise Malformed(f"`{key}=` takes a whole number from {lowest} to {highest}.")
    return int(value)
