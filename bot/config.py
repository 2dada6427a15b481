"""Settings, from the environment and the YAML file (whose routes/users/permissions model is routing_file).

`load_settings` is the one entry point: it gathers values from the file named by `BOT_CONFIG` and from
the environment (which wins), validates everything at once and raises `SettingsError` with one line per
problem, each naming the setting or the place in the file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from cryptography.fernet import Fernet
from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.coralogix.endpoint import resolve_endpoint
from bot.domain import Action
from bot.errors import SettingsError
from bot.routing_file import (
    MAPPED,
    ROUTABLE_SEVERITIES,
    ChannelId,
    Route,
    RouteMatch,
    RoutingConfig,
    UserMapping,
    not_blank,
    scalar_text,
)

__all__ = [  # the file's model is re-exported: callers know it as part of the settings
    "MAPPED",
    "REGIONS",
    "ROUTABLE_SEVERITIES",
    "SETTING_NAMES",
    "Action",
    "Route",
    "RouteMatch",
    "RoutingConfig",
    "Settings",
    "UserMapping",
    "load_settings",
    "mask_secret",
    "masked_summary",
]

REGIONS = ("EU1", "EU2", "US1", "US2", "US3", "AP1", "AP2", "AP3")
_TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xapp-")


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _known_unset(info: ValidationInfo, field: str) -> bool:
    """True when an earlier field validated as unset (an invalid field is absent from `info.data`)."""
    return field in info.data and info.data[field] is None


def _listing(names: Iterable[str]) -> str:
    return ", ".join(names)


# ---------------------------------------------------------------------------------------------------------
# Settings


class Settings(BaseSettings):
    """Every setting of the bot; field names are the environment variable names in lower case."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        env_prefix="",
        env_ignore_empty=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )

    slack_bot_token: SecretStr
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = Field(default=None, validate_default=True)
    slack_api_url: str = "https://slack.com/api/"
    coralogix_api_key: SecretStr
    coralogix_region: str = "EU1"
    coralogix_domain: str | None = None
    coralogix_grpc_endpoint: str | None = None
    coralogix_grpc_insecure: bool = False
    coralogix_api: Literal["incidents", "cases", "auto"] = "auto"
    coralogix_team_url: str | None = None
    bot_database_url: str = "sqlite:///incident-bot.db"
    bot_poll_interval_seconds: int = Field(default=30, ge=1)
    bot_http_host: str = "0.0.0.0"
    bot_http_port: int = Field(default=3000, ge=1, le=65535)
    bot_default_channel: ChannelId | None = None
    bot_slash_command: str = "/cx"
    bot_encryption_key: SecretStr | None = None
    bot_log_format: Literal["console", "json"] = "console"
    bot_backfill_minutes: int = Field(default=60, ge=0)
    bot_storm_threshold: int = Field(default=10, ge=1)
    bot_require_personal_key: bool = False
    bot_retention_days: int = Field(default=30, ge=1)
    bot_webhook_secret: SecretStr | None = None
    bot_config: Path | None = None
    routing: RoutingConfig = Field(default_factory=RoutingConfig)

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is set, HTTP otherwise."""
        return self.slack_app_token is not None

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        not_blank(token)
        if token.startswith("xapp-"):
            raise ValueError(
                "this is an app-level token (xapp-…): put it in SLACK_APP_TOKEN, and the bot token here"
            )
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("an app-level token starts with xapp- (Basic Information → App-Level Tokens)")
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None:
            not_blank(value.get_secret_value())
            return value
        if _known_unset(info, "slack_app_token"):
            raise ValueError(
                "required in HTTP mode (Basic Information → Signing Secret); "
                "or set SLACK_APP_TOKEN for Socket Mode"
            )
        return value

    @field_validator("coralogix_api_key")
    @classmethod
    def _api_key(cls, value: SecretStr) -> SecretStr:
        not_blank(value.get_secret_value())
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        _http_url(value)
        return value if value.endswith("/") else value + "/"

    @field_validator("coralogix_team_url")
    @classmethod
    def _team_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value).rstrip("/")

    @field_validator("coralogix_region", mode="before")
    @classmethod
    def _region(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        region = value.strip().upper()
        if region not in REGIONS:
            raise ValueError(f"{value!r} is not a region; use one of {_listing(REGIONS)}")
        return region

    @field_validator("coralogix_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None:
            resolve_endpoint(REGIONS[0], value, None)
        return value

    @field_validator("coralogix_grpc_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None:
            resolve_endpoint(REGIONS[0], None, value)
        return value

    @field_validator("coralogix_grpc_insecure")
    @classmethod
    def _insecure_only_locally(cls, value: bool, info: ValidationInfo) -> bool:
        if value and _known_unset(info, "coralogix_grpc_endpoint"):
            raise ValueError("plaintext is for a local endpoint only; set CORALOGIX_GRPC_ENDPOINT too")
        return value

    @field_validator("bot_database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a SQLAlchemy database URL (e.g. sqlite:///incident-bot.db or "
                "postgresql+psycopg://user:password@host/db)"
            ) from None
        return value

    @field_validator("bot_slash_command")
    @classmethod
    def _slash_command(cls, value: str) -> str:
        if not value.startswith("/") or len(value) < 2 or any(char.isspace() for char in value):
            raise ValueError(f"{value!r} is not a slash command (one word starting with /, e.g. /cx)")
        return value

    @field_validator("bot_encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        try:
            Fernet(value.get_secret_value())
        except (ValueError, TypeError):
            raise ValueError(
                "not a valid Fernet key (32 url-safe base64-encoded bytes); make one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from None
        return value

    @field_validator("coralogix_api", mode="before")
    @classmethod
    def _api(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("bot_log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("bot_require_personal_key")
    @classmethod
    def _personal_keys_storable(cls, value: bool, info: ValidationInfo) -> bool:
        if value and _known_unset(info, "bot_encryption_key"):
            raise ValueError("needs BOT_ENCRYPTION_KEY (without it personal keys are refused)")
        return value


SETTING_NAMES = tuple(name for name in Settings.model_fields if name != "routing")
"""The settings' field names; the environment variables are the same in upper case."""

_SECRET_SETTINGS = frozenset(
    {
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "coralogix_api_key",
        "bot_encryption_key",
        "bot_webhook_secret",
    }
)
_NEVER_ECHOED = _SECRET_SETTINGS | {"bot_database_url"}
_REQUIRED_HINTS = {
    "slack_bot_token": "the bot token, xoxb-…",
    "coralogix_api_key": "the team API key",
}
_FILE_SECTIONS = ("routes", "users", "identity", "permissions")


class _GatheredSettings(Settings):
    """Settings built only from the values `load_settings` gathered; the process environment is not read."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_settings(config_path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the YAML file (`config_path`, else `BOT_CONFIG`) and `env` (default: os.environ)."""
    env_values = _settings_from_env(os.environ if env is None else env)
    env_config = env_values.pop("bot_config", None)
    path = Path(config_path) if config_path is not None else _path_or_none(env_config)
    problems: list[str] = []
    file_values: dict[str, str] = {}
    routing = RoutingConfig()
    if path is not None:
        document = _read_yaml(path, problems)
        file_values, sections = _split_document(document, path, problems)
        routing = _routing_from(sections, problems)
    values: dict[str, object] = {**file_values, **env_values, "routing": routing}
    if path is not None:
        values["bot_config"] = path
    from_file = {name for name in file_values if name not in env_values}
    try:
        settings = _GatheredSettings.model_validate(values)
    except ValidationError as exc:
        problems.extend(_settings_problems(exc, from_file, path))
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


def _settings_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """Known settings from an environment, matched case-insensitively; blank values count as unset."""
    found: dict[str, str] = {}
    exact: set[str] = set()
    for key, raw in env.items():
        name = key.lower()
        if name not in SETTING_NAMES or not raw.strip():
            continue
        if name in exact and key != name.upper():
            continue
        found[name] = raw.strip()
        if key == name.upper():
            exact.add(name)
    return found


def _read_yaml(path: Path, problems: list[str]) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"BOT_CONFIG: {path} does not exist")
        return None
    except UnicodeDecodeError:
        problems.append(f"BOT_CONFIG: {path} is not UTF-8 text")
        return None
    except OSError as exc:
        problems.append(f"BOT_CONFIG: cannot read {path} ({exc.strerror or exc})")
        return None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problems.append(f"BOT_CONFIG: {path} is not valid YAML ({where}{exc.problem or exc})")
    except yaml.YAMLError as exc:
        problems.append(f"BOT_CONFIG: {path} is not valid YAML ({exc})")
    return None


def _split_document(
    document: object, path: Path, problems: list[str]
) -> tuple[dict[str, str], dict[str, object]]:
    """The file's settings (as text, like environment values) and its routes/users/permissions."""
    settings: dict[str, str] = {}
    sections: dict[str, object] = {}
    if document is None:
        return settings, sections
    if not isinstance(document, dict):
        problems.append(
            "BOT_CONFIG: the file must be a mapping of routes, users, identity, permissions and settings"
        )
        return settings, sections
    for key, value in document.items():
        name = str(key).lower()
        if name in _FILE_SECTIONS and key == name:
            sections[name] = value
        elif name == "bot_config":
            problems.append("BOT_CONFIG: cannot be set inside the file it names")
        elif name in SETTING_NAMES:
            if isinstance(value, dict | list):
                problems.append(
                    f"{name.upper()}: expected a single value, not a list or mapping (set in {path})"
                )
            elif value is not None:
                text = scalar_text(value)
                settings[name] = str(text).strip()
        else:
            close = difflib.get_close_matches(name, [*_FILE_SECTIONS, *SETTING_NAMES], n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else "use routes, users, identity, permissions or a setting name"
            )
            problems.append(f"BOT_CONFIG: unknown key {key!r}; {hint}")
    return settings, sections


def _routing_from(sections: dict[str, object], problems: list[str]) -> RoutingConfig:
    try:
        return RoutingConfig.model_validate(
            {key: value for key, value in sections.items() if value is not None}
        )
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            problems.append(f"BOT_CONFIG: {_file_location(loc)}: {_describe(error, echo=True, loc=loc)}")
    return RoutingConfig()


def _settings_problems(exc: ValidationError, from_file: set[str], path: Path | None) -> list[str]:
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


# ---------------------------------------------------------------------------------------------------------
# The effective configuration, safe to print


def masked_summary(settings: Settings) -> list[tuple[str, str]]:
    """Every setting by its environment name with its effective value, secrets masked; then the routes."""
    rows = [(name.upper(), _shown_value(name, getattr(settings, name))) for name in SETTING_NAMES]
    return rows + _routing_rows(settings.routing)


def mask_secret(secret: SecretStr | None) -> str:
    """`xoxb-…abcd`: a token's kind and at most its last 4 characters, only when it is long enough."""
    if secret is None:
        return "(unset)"
    value = secret.get_secret_value()
    head = next((prefix for prefix in _TOKEN_PREFIXES if value.startswith(prefix)), "")
    tail = value[-4:] if len(value) - len(head) >= 16 else ""
    return f"{head}…{tail}" if head or tail else "(set)"


def _shown_value(name: str, value: object) -> str:
    if name in _SECRET_SETTINGS:
        return mask_secret(value if isinstance(value, SecretStr) else None)
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "bot_database_url":
        return make_url(str(value)).render_as_string(hide_password=True)
    return str(value)


def _routing_rows(routing: RoutingConfig) -> list[tuple[str, str]]:
    rows = [("routes", f"{len(routing.routes)}" if routing.routes else "none")]
    for route in routing.routes:
        target = ", ".join(route.channels)
        mentions = f" mentioning {' '.join(route.mention)}" if route.mention else ""
        rows.append((f"route {route.name}", f"{_match_summary(route.match)} → {target}{mentions}"))
    return rows + authority_rows(routing)


def authority_rows(routing: RoutingConfig) -> list[tuple[str, str]]:
    """The effective authority model: how people map, who may do what, which routes name responders."""
    listed = f"{len(routing.users)} by the users list" if routing.users else "nobody by the users list"
    domains = routing.identity.email_domains
    by_email = (
        f"by Slack profile e-mail on {', '.join(domains)} (never guests, bots, deleted users "
        "or unconfirmed e-mails)"
        if domains
        else "e-mail mapping is OFF (no identity.email_domains)"
    )
    rows = [("who maps", f"{listed}; {by_email}")]
    for action in Action:
        allowed = routing.permissions.get(action)
        rows.append((f"may {action.value}", "any mapped user" if allowed is None else ", ".join(allowed)))
    owned = [route for route in routing.routes if route.responders]
    for route in owned:
        rows.append((f"responders of {route.name}", ", ".join(route.responders or ())))
    if not owned:
        rows.append(("responders", "no route names responders: the permissions alone decide"))
    return rows


def _match_summary(match: RouteMatch) -> str:
    parts = []
    if match.severity:
        parts.append(f"severity {'|'.join(severity.value for severity in match.severity)}")
    for key in ("application", "subsystem", "alert_name"):
        values: list[str] | None = getattr(match, key)
        if values:
            parts.append(f"{key} {'|'.join(values)}")
    if match.labels:
        parts.append("labels " + ", ".join(f"{key}={value}" for key, value in match.labels.items()))
    parts.append("muted only" if match.muted else "unmuted")
    return "; ".join(parts)
