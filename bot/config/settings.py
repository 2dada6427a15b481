"""Every setting of the bot, one validated field each; field names are the environment names in lower case."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import AwareDatetime, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.coralogix.endpoint import resolve_endpoint
from bot.routing_file import ChannelId, RoutingConfig, not_blank

REGIONS = ("EU1", "EU2", "US1", "US2", "US3", "AP1", "AP2", "AP3")


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
    bot_retention_days: int = Field(default=30, ge=0)  # 0: a closed incident goes once its card is final
    bot_webhook_secret: SecretStr | None = None
    bot_clock_start: AwareDatetime | None = None
    """Tests and demos only: the shift reports' clock starts at this time and runs at normal speed."""
    bot_snooze_seconds: int = Field(default=1800, ge=1)  # how long a reminder's Snooze button holds them
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

SECRET_SETTINGS = frozenset(
    {
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "coralogix_api_key",
        "bot_encryption_key",
        "bot_webhook_secret",
    }
)
"""The settings whose values are masked wherever they are shown."""
