"""The slash command's grammar: text in, a parsed command or the usage text of one sub-command out.

Pure and total: `parse_command` never raises, whatever the text; anything it cannot make sense of comes
back as `Usage` naming the problem, so the listener always has something to say.

`records` (what a parsed command is), `usage` (the help text and aliases), `words` (the tokenizer and
incident ids), `filters` (the key=value options of `list` and `stats`) and `parser` (the sub-commands).
This module re-exports the names callers use.
"""

from bot.domain import OPEN_STATUSES
from bot.slack.commands.parser import parse_command
from bot.slack.commands.records import (
    DEFAULT_LIMIT,
    MAX_IDS,
    MAX_LIMIT,
    MAX_PAGE,
    ActCommand,
    AssignCommand,
    Command,
    ConnectCommand,
    DisconnectCommand,
    HelpCommand,
    ListCommand,
    Parsed,
    ReportCommand,
    ResponseStatsCommand,
    RoomCommand,
    ShowCommand,
    StatsCommand,
    Usage,
    WhoAmICommand,
)
from bot.slack.commands.usage import SUBCOMMANDS, usage_text
from bot.slack.commands.words import MAX_REF, incident_ref, tokenize, unescape

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_IDS",
    "MAX_LIMIT",
    "MAX_PAGE",
    "MAX_REF",
    "OPEN_STATUSES",
    "SUBCOMMANDS",
    "ActCommand",
    "AssignCommand",
    "Command",
    "ConnectCommand",
    "DisconnectCommand",
    "HelpCommand",
    "ListCommand",
    "Parsed",
    "ReportCommand",
    "ResponseStatsCommand",
    "RoomCommand",
    "ShowCommand",
    "StatsCommand",
    "Usage",
    "WhoAmICommand",
    "incident_ref",
    "parse_command",
    "tokenize",
    "unescape",
    "usage_text",
]
