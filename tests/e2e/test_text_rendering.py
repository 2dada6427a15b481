"""Issue 9, item 6, end to end: a hostile incident name from Coralogix reaches Slack as inert text."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from bot.sandbox.slack import RunningSlackSandbox, SlackMessage
from bot.slack.text import BIDI_CONTROLS
from tests.e2e.harness import bot_env, free_port, running_bot, wait_for
from tests.e2e.stand_in import StandIn

NAME = "*bold* _it_ \u202egnp.exe"


def _card(slack: RunningSlackSandbox, channel: str, incident_id: str) -> SlackMessage | None:
    for message in slack.workspace.messages(channel):
        payload = (message.metadata or {}).get("event_payload") or {}
        if payload.get("incident_id") == incident_id:
            return message
    return None


def _text_objects(node: Any) -> list[tuple[str, str]]:
    if isinstance(node, dict):
        found = [(node["type"], node["text"])] if node.get("type") in ("mrkdwn", "plain_text") else []
        return found + [pair for value in node.values() for pair in _text_objects(value)]
    if isinstance(node, list):
        return [pair for value in node for pair in _text_objects(value)]
    return []


def test_a_hostile_name_shows_literally_on_the_card(
    coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    incident = coralogix.sim.create_incident(
        name=NAME,
        severity="error",
        application="shop_*eu*",
        subsystem="`checkout`",
        description="~struck~ <!channel> \u2066isolated\u2069",
    )
    env = bot_env(
        coralogix,
        slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        config_path=None,
        port=free_port(),
        extra={"BOT_DEFAULT_CHANNEL": "C0INCIDENTS"},
    )
    with running_bot(env, tmp_path / "bot.log"):
        card = wait_for(lambda: _card(slack, "C0INCIDENTS", incident), 20, "the card")
    assert card is not None

    texts = [("mrkdwn", card.text), *_text_objects(card.blocks)]
    everything = "\n".join(text for _, text in texts)
    assert not BIDI_CONTROLS & set(everything)
    assert all(unicodedata.category(c) != "Cc" for c in everything if c not in "\n\t")
    mrkdwn = [text for kind, text in texts if kind == "mrkdwn"]
    for raw in ("*bold*", "_it_", "~struck~", "`checkout`", "*eu*", "<!channel>"):
        assert all(raw not in text for text in mrkdwn), raw
    header = card.blocks[0]["text"]
    assert header["type"] == "plain_text"
    assert header["text"].endswith("*bold* _it_ gnp.exe")  # plain text shows the characters themselves
    assert any("\u2217bold\u2217 \u02cdit\u02cd gnp.exe" in text for text in mrkdwn)  # the fallback text
    assert any("&lt;!channel&gt;" in text and "\u223cstruck\u223c" in text for text in mrkdwn)
