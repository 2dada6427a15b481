"""The example files a real install starts from, and every reference the docs make to a file or section."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / "examples" / "bot.env"
ROUTING_FILE = ROOT / "examples" / "routing.yaml"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMENTED = [ROOT / "Dockerfile", ROOT / ".ci" / "run", ENV_FILE, ROUTING_FILE]
_ENV_LINE = re.compile(r"^[A-Z][A-Z0-9_]*=[^\s\"']*$")


def env_file_values(path: Path) -> dict[str, str]:
    """The variables of an env file as `docker run --env-file` reads them (checking the strict format)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        assert _ENV_LINE.match(line), f"{path.name}:{number}: not KEY=value without quotes or spaces"
        key, value = line.split("=", 1)
        values[key] = value
    return values


def test_the_example_files_make_valid_settings() -> None:
    settings = load_settings(ROUTING_FILE, env=env_file_values(ENV_FILE))
    assert settings.bot_default_channel == "C0INCIDENTS"
    assert settings.slack_bot_token.get_secret_value().startswith("xoxb-")


def test_a_shell_reads_the_env_file_the_same_way() -> None:
    shown = subprocess.run(
        ["bash", "-c", f"set -a && . {ENV_FILE} && set +a && env -0"],
        capture_output=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.decode()
    from_shell = dict(item.split("=", 1) for item in shown.split("\0") if "=" in item)
    for key, value in env_file_values(ENV_FILE).items():
        assert from_shell[key] == value


def test_the_example_routing_is_least_privilege() -> None:
    settings = load_settings(ROUTING_FILE, env=env_file_values(ENV_FILE))
    text = ROUTING_FILE.read_text()
    assert "email_domains:" in text  # e-mail mapping on for listed domains only
    assert "close:" in text and "unassign:" in text  # the irreversible actions are restricted
    assert all(route.responders for route in settings.routing.routes if route.name in ("payments", "search"))


def test_the_readme_install_steps_use_the_examples() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "cp examples/bot.env bot.env" in readme and "cp examples/routing.yaml bot.yaml" in readme


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _headings(path: Path) -> list[str]:
    inside_code = False
    found: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            inside_code = not inside_code
        elif not inside_code and line.startswith("#"):
            found.append(line.lstrip("#").strip())
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_links_in_the_docs_lead_somewhere(doc: Path) -> None:
    anchors = {_slug(h) for h in _headings(doc)}
    for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (doc.parent / path).exists(), f"{doc.name} links to {path}, which does not exist"
        elif anchor:
            assert anchor in anchors, f"{doc.name} links to #{anchor}, which is no heading"


@pytest.mark.parametrize("source", [*DOCS, *COMMENTED], ids=lambda p: p.name)
def test_files_and_readme_sections_named_anywhere_exist(source: Path) -> None:
    text = source.read_text()
    for named in re.findall(r"\b((?:docs|examples)/[\w./-]+\.(?:md|env|yaml))\b", text):
        assert (ROOT / named).exists(), f"{source.name} names {named}, which does not exist"
    readme_headings = set(_headings(ROOT / "README.md"))
    for section in re.findall(r"README(?:\.md)?[:,] \"([^\"]+)\"", text):
        assert section in readme_headings, f"{source.name} names the README section {section!r}"
