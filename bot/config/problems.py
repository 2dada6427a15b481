"""Validation errors as one line each, naming the setting or the place in the file, never echoing a secret."""

from __future__ import annotations

import difflib
from pathlib import Path

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.config.settings import SECRET_SETTINGS
from bot.routing_file import RoutingConfig

_NEVER_ECHOED = SECRET_SETTINGS | {"bot_database_url"}
_REQUIRED_HINTS = {
    "slack_bot_token": "the bot token, xoxb-…",
    "coralogix_api_key": "the team API key",
}


def routing_problems(exc: ValidationError) -> list[str]:
    """The file's routes/users/identity/permissions errors, each at its place in the file."""
    return [
        f"BOT_CONFIG: {_file_location(error['loc'])}: {_describe(error, echo=True, loc=error['loc'])}"
        for error in exc.errors()
    ]


def settings_problems(exc: ValidationError, from_file: set[str], path: Path | None) -> list[str]:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "settings"
        if error["type"] == "missing" and field in _REQUIRED_HINTS:
            detail = f"required ({_REQUIRED_HINTS[field]})"
        else:
            detail = _describe(error, echo=field not in _NEVER_ECHOED, loc=error["loc"])
        source = f" (set in {path})" if field in from_file else ""
        lines.append(f"{field.upper()}: {detail}{source}")
    return lines


def _describe(error: ErrorDetails, *, echo: bool, loc: tuple[int | str, ...]) -> str:
    """A pydantic error as a sentence; `echo=False` keeps the offending value out of it."""
    kind = error["type"]
    ctx = error.get("ctx", {})
    given = f" (got {error['input']!r})" if echo else ""
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return f"unknown key{_did_you_mean(str(loc[-1]), _allowed_keys(loc))}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"expected a whole number{given}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false{given}"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more{given}"
    if kind == "less_than_equal":
        return f"must be {ctx.get('le')} or less{given}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected', '')}{given}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list{given}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of key: value{given}"
    if kind in ("string_type", "string_sub_type"):
        return f"expected text{given}"
    return f"{error['msg']}{given}"


def _file_location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed where an unknown key was found, from the models of the file."""
    model: type[BaseModel] = RoutingConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation if str(part) in model.model_fields else None
        nested = _model_in(annotation)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; use one of {', '.join(known)}" if known else ""
