"""The Dockerfile agrees with the code: entry point, command, port, health check, user, build context.

No Docker engine runs here, so the Dockerfile is parsed; what can run without one does run: the health
check's command against the bot's real HTTP server, and a wheel build from exactly the files the
Dockerfile copies.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from bot.cli import build_parser
from bot.config import SETTING_NAMES, Settings, load_settings
from bot.web import HttpServer, build_wsgi_app

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DEFAULT_PORT = Settings.model_fields["bot_http_port"].default
HEALTH_PATH = "/healthz"
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int


def instructions() -> list[Instruction]:
    """The Dockerfile's instructions with continuation lines joined and comments dropped."""
    found: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stage += 1
        found.append(Instruction(keyword.upper(), " ".join(args.split()), stage))
    return found


def final_stage() -> list[Instruction]:
    everything = instructions()
    last = max(instruction.stage for instruction in everything)
    return [instruction for instruction in everything if instruction.stage == last]


def only(keyword: str, stage: list[Instruction] | None = None) -> Instruction:
    matching = [i for i in (stage if stage is not None else final_stage()) if i.keyword == keyword]
    assert len(matching) == 1, f"expected one {keyword} in the runtime stage, found {len(matching)}"
    return matching[0]


def exec_form(args: str) -> list[str]:
    """A JSON-array argument (exec form); the shell form is refused (signals would go to a shell)."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(item, str) for item in value)
    return value


def env_values(stage: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for name, value in re.findall(r"(\w+)=(\S+)", instruction.args):
                values[name] = value
    return values


def healthcheck_command() -> list[str]:
    args = only("HEALTHCHECK").args
    _, _, command = args.partition("CMD ")
    return exec_form(command)


# ---------------------------------------------------------------------------------------------- stages


def test_a_builder_stage_and_a_slim_runtime_stage() -> None:
    froms = [i.args for i in instructions() if i.keyword == "FROM"]
    assert len(froms) >= 2
    assert froms[-1].split()[0] == "python:3.11-slim"
    builder = froms[0].split()
    assert builder[1:2] == ["AS"] or builder[1:2] == ["as"], "the builder stage has a name"
    copied_from = [i.args for i in final_stage() if i.keyword == "COPY" and "--from=" in i.args]
    assert copied_from, "the runtime stage takes the build result from the builder"
    assert all(args.split()[0] == f"--from={builder[2]}" for args in copied_from)


# ---------------------------------------------------------------------------------------------- command


def test_the_entry_point_is_the_console_script_of_the_package() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    entrypoint = exec_form(only("ENTRYPOINT").args)
    assert entrypoint == ["incident-bot"]
    assert scripts[entrypoint[0]] == "bot.cli:main"


def test_the_default_command_is_run() -> None:
    command = exec_form(only("CMD").args)
    assert command == ["run"]
    args = build_parser().parse_args(command)
    assert args.command == "run"
    assert args.handler.__name__ == "_run"


# ---------------------------------------------------------------------------------------------- port


def test_the_exposed_port_is_the_bots_default_http_port() -> None:
    assert only("EXPOSE").args.split() == [str(DEFAULT_PORT)]
    environment = env_values(final_stage())
    assert environment.get("BOT_HTTP_PORT", str(DEFAULT_PORT)) == str(DEFAULT_PORT)
    assert environment.get("BOT_HTTP_HOST", "0.0.0.0") == "0.0.0.0", "reachable from outside the container"


def test_the_health_check_asks_healthz_on_the_default_port() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    code = command[2]
    assert HEALTH_PATH in code
    default = re.search(r"""environ\.get\(\s*['"]BOT_HTTP_PORT['"]\s*,\s*['"](\d+)['"]\s*\)""", code)
    assert default is not None, "the port follows BOT_HTTP_PORT, defaulting to the bot's default"
    assert int(default.group(1)) == DEFAULT_PORT


@pytest.fixture
def bot_http() -> Iterator[HttpServer]:
    """The bot's own WSGI app on a free port: `/healthz` as `incident-bot run` serves it."""
    app = build_wsgi_app(slack_handler=None, readiness_problems=lambda: ["not yet"], metrics=lambda: b"")
    server = HttpServer(app, "127.0.0.1", 0)
    server.start()
    yield server
    server.stop()


def _run_health_check(port: int) -> int:
    command = healthcheck_command()
    env = {"BOT_HTTP_PORT": str(port), "PATH": str(Path(sys.executable).parent)}
    completed = subprocess.run(
        [sys.executable, *command[1:]], env=env, capture_output=True, timeout=20, check=False
    )
    return completed.returncode


def test_the_health_check_passes_against_the_running_server_and_fails_without_it(
    bot_http: HttpServer,
) -> None:
    port = bot_http.port
    assert _run_health_check(port) == 0
    bot_http.stop()
    assert _run_health_check(port) != 0


# ---------------------------------------------------------------------------------------------- user


def test_the_bot_runs_as_an_unprivileged_user() -> None:
    users = [i.args for i in final_stage() if i.keyword == "USER"]
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    created = " ".join(i.args for i in final_stage() if i.keyword == "RUN")
    assert re.search(rf"useradd\b.*--uid {user}\b", created), "the USER exists in the image"


# ---------------------------------------------------------------------------------------------- settings


def test_the_images_environment_is_valid_settings_with_the_database_in_the_volume() -> None:
    stage = final_stage()
    environment = env_values(stage)
    bot_settings = {k: v for k, v in environment.items() if k.startswith(("BOT_", "SLACK_", "CORALOGIX_"))}
    assert {name.lower() for name in bot_settings} <= set(SETTING_NAMES)
    settings = load_settings(
        env={
            **bot_settings,
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "CORALOGIX_API_KEY": "k",
        }
    )
    volumes = [json.loads(i.args) for i in stage if i.keyword == "VOLUME"]
    volume_dirs = [PurePosixPath(v) for vs in volumes for v in vs]
    assert settings.bot_database_url.startswith("sqlite:////")
    database_file = PurePosixPath(settings.bot_database_url.removeprefix("sqlite:///"))
    assert any(database_file.parent == volume for volume in volume_dirs)
    assert f"chown incidentbot:incidentbot {database_file.parent}" in " ".join(
        i.args for i in stage if i.keyword == "RUN"
    ), "the unprivileged user can write the database directory"


# ---------------------------------------------------------------------------------------------- context


def _ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def ignored(relative: str) -> bool:
    """Docker's .dockerignore matching, for the plain patterns used there (no `!` exceptions)."""
    parts = PurePosixPath(relative).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in _ignore_patterns():
        assert not pattern.startswith("!"), "exceptions are not modelled here"
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatchcase(part, tail) for part in parts):
                return True
        elif any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


def copied_sources() -> list[str]:
    """What the Dockerfile COPYs from the build context (not from another stage)."""
    sources: list[str] = []
    for instruction in instructions():
        if instruction.keyword != "COPY" or "--from=" in instruction.args:
            continue
        words = [word for word in instruction.args.split() if not word.startswith("--")]
        sources.extend(words[:-1])
    return sources


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    sources = copied_sources()
    assert "pyproject.toml" in sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such path"
        assert not ignored(source), f"COPY {source}: excluded by .dockerignore"


def test_the_dockerignore_keeps_local_state_and_tests_out() -> None:
    for path in (".venv/bin/python", ".git/config", "tests/test_manifest.py", "incident-bot.db", ".env"):
        assert ignored(path), path
    assert ignored("bot/__pycache__/cli.cpython-311.pyc")
    assert not ignored("bot/cli.py")


def test_the_readme_the_build_needs_is_copied() -> None:
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["readme"]
    assert readme in copied_sources()


def _context_files(source: str) -> Iterator[Path]:
    path = ROOT / source
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for candidate in candidates:
        if not ignored(candidate.relative_to(ROOT).as_posix()):
            yield candidate


def test_the_copied_context_builds_a_wheel_holding_every_bot_file(tmp_path: Path) -> None:
    """The image runs the installed wheel, not the source tree: a file left out of it is missing there."""
    context = tmp_path / "context"
    for source in copied_sources():
        for file in _context_files(source):
            target = context / file.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(wheels), str(context)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    expected = {p.relative_to(context).as_posix() for p in (context / "bot").rglob("*") if p.is_file()}
    missing = sorted(expected - names)
    assert not missing, f"files of bot/ the wheel (and so the image) lacks: {missing}"
    assert re.search(r"^incident-bot\s*=\s*bot\.cli:main$", entry_points, re.MULTILINE)
