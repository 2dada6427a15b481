"""`load_settings`: values gathered from the YAML file and the environment, validated all at once."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.config.problems import routing_problems, settings_problems
from bot.config.settings import SETTING_NAMES, Settings
from bot.errors import SettingsError
from bot.routing_file import RoutingConfig, scalar_text

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
        problems.extend(settings_problems(exc, from_file, path))
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
        problems.extend(routing_problems(exc))
    return RoutingConfig()
