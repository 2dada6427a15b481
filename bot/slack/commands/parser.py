"""Text in, a parsed command or the usage text of one sub-command out; never raises."""

from __future__ import annotations

from bot.domain import MIN_PREFIX, Action, AssignTarget, CoralogixUserTarget, Me, SlackUserTarget
from bot.slack.commands.filters import list_command, stats_command
from bot.slack.commands.records import (
    MAX_IDS,
    ActCommand,
    AssignCommand,
    ConnectCommand,
    DisconnectCommand,
    HelpCommand,
    Parsed,
    RoomCommand,
    ShowCommand,
    Usage,
    WhoAmICommand,
)
from bot.slack.commands.report_args import report_command, response_stats_command
from bot.slack.commands.usage import ALIASES, SYNOPSIS, usage_text
from bot.slack.commands.words import EMAIL, MENTION, Malformed, incident_ref, shown, tokenize


def parse_command(text: str, command: str = "/cx") -> Parsed:
    """The command in `text` (what Slack sends after the command name). Never raises."""
    try:
        return _parse(text if isinstance(text, str) else "", command)
    except Malformed as malformed:
        subcommand, problem = _subcommand_of(text), str(malformed)
        return Usage(usage_text(command, subcommand, problem), subcommand, problem)
    except Exception:  # a parser bug must still answer with help, never with silence
        unreadable = "I could not read that command."
        return Usage(usage_text(command, None, unreadable), None, unreadable)


def _subcommand_of(text: object) -> str | None:
    words = tokenize(text) if isinstance(text, str) else []
    if not words:
        return None
    name = words[0].lower()
    name = ALIASES.get(name, name)
    return name if name in SYNOPSIS else None


def _parse(text: str, command: str) -> Parsed:
    words = tokenize(text)
    if not words:
        return HelpCommand()
    name = ALIASES.get(words[0].lower(), words[0].lower())
    args = words[1:]
    if name == "help":
        return _help(args, command)
    if name == "list":
        return list_command(args)
    if name == "show":
        refs = _refs(args)
        if len(refs) != 1:
            raise Malformed("`show` takes exactly one incident ID.")
        return ShowCommand(refs[0])
    if name == "room":
        refs = _refs(args)
        if len(refs) != 1:
            raise Malformed("`room` takes exactly one incident ID.")
        return RoomCommand(refs[0])
    if name in ("ack", "resolve", "close", "unassign"):
        refs = _refs(args)
        if not refs:
            raise Malformed(f"`{name}` needs at least one incident ID.")
        return ActCommand(Action(name), tuple(refs))
    if name == "assign":
        return _assign(args)
    if name == "stats":
        if args and args[0].lower() in ("mtta", "mttr"):
            return response_stats_command(args)
        return stats_command(args)
    if name == "report":
        return report_command(args)
    if name in ("whoami", "connect", "disconnect"):
        if args:
            raise Malformed(f"`{name}` takes no arguments.")
        if name == "whoami":
            return WhoAmICommand()
        return ConnectCommand() if name == "connect" else DisconnectCommand()
    problem = f"I don't know the command `{shown(words[0])}`."
    return Usage(usage_text(command, None, problem), None, problem)


def _help(args: list[str], command: str) -> Parsed:
    if not args:
        return HelpCommand()
    topic = ALIASES.get(args[0].lower(), args[0].lower())
    if topic not in SYNOPSIS or len(args) > 1:
        problem = f"There is no command `{shown(' '.join(args))}`."
        return Usage(usage_text(command, None, problem), None, problem)
    return HelpCommand(topic)


def _refs(args: list[str]) -> list[str]:
    refs: list[str] = []
    for word in args:
        ref = incident_ref(word)
        if ref is None:
            raise Malformed(f"`{shown(word)}` is not an incident ID.")
        if len(ref) < MIN_PREFIX:
            raise Malformed(
                f"`{shown(ref)}` is too short: give the incident ID or at least its first "
                f"{MIN_PREFIX} characters."
            )
        if ref not in refs:
            refs.append(ref)
    if len(refs) > MAX_IDS:
        raise Malformed(f"At most {MAX_IDS} incidents at a time.")
    return refs


def _assign(args: list[str]) -> AssignCommand:
    if len(args) < 2:
        raise Malformed("`assign` needs at least one incident ID, then @user or me.")
    target = _target(args[-1])
    return AssignCommand(tuple(_refs(args[:-1])), target)


def _target(word: str) -> AssignTarget:
    if word.lower() in ("me", "@me", "myself"):
        return Me()
    mention = MENTION.match(word)
    if mention:
        return SlackUserTarget(mention.group(1))
    email = word[1:-1].split("|", 1)[-1] if word.startswith("<mailto:") else word
    if EMAIL.match(email):
        return CoralogixUserTarget(email.lower())
    if word.startswith("@"):
        raise Malformed(
            f"`{shown(word)}` is a name, not a mention: pick the person from Slack's list as you type @, "
            "so Slack sends who it is."
        )
    raise Malformed(f"The last word must say who: @user, me or an e-mail; got `{shown(word)}`.")
