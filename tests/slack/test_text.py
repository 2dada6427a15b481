"""Text from Coralogix shows as text: no mrkdwn formatting, no mention, no reordering, no controls."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import (
    ALERT_NAME_LABEL,
    APPLICATION_LABEL,
    SUBSYSTEM_LABEL,
    AggregationGroup,
    Assignment,
    EventKind,
    GroupField,
    Incident,
    IncidentEvent,
    Severity,
    State,
    Status,
)
from bot.slack.blocks import (
    MessagePayload,
    describe_event,
    digest_message,
    incident_card,
    incident_details_modal,
    incident_line,
    incident_list,
    stats_message,
)
from bot.slack.text import BIDI_CONTROLS, LOOKALIKES, mrkdwn_text, plain_text, strip_controls

HOSTILE = "*bold* _it_ ~s~ `c` \u202egnp.exe <!channel>"
FORMATTED = ("*bold*", "_it_", "~s~", "`c`")


def test_formatting_characters_become_lookalikes() -> None:
    shown = mrkdwn_text("*bold* _it_ ~s~ `c`")
    assert shown == "\u2217bold\u2217 \u02cdit\u02cd \u223cs\u223c \u02cbc\u02cb"
    assert not set("*_~`") & set(shown)
    assert len(shown) == len("*bold* _it_ ~s~ `c`")  # Slack's limits hold as before


def test_mentions_and_links_stay_text() -> None:
    assert mrkdwn_text("<!channel> <@U0ALICE> <https://evil|ok> a & b") == (
        "&lt;!channel&gt; &lt;@U0ALICE&gt; &lt;https://evil|ok&gt; a &amp; b"
    )


def test_bidi_controls_and_control_characters_are_dropped() -> None:
    assert mrkdwn_text("invoice\u202egnp.exe") == "invoicegnp.exe"
    assert plain_text("invoice\u202egnp.exe") == "invoicegnp.exe"
    every_bidi = "".join(sorted(BIDI_CONTROLS))
    assert plain_text(f"a{every_bidi}b\x00\x07\x1b[31m\x7f\x85c") == "ab[31mc"


def test_line_breaks_stay_only_where_text_may_span_lines() -> None:
    assert plain_text("one\ntwo\r\n\tthree") == "one two three"
    assert mrkdwn_text("one\ntwo") == "one two"
    assert mrkdwn_text("one\r\ntwo\rthree\u2028four\tfive", multiline=True) == "one\ntwo\nthree\nfour\tfive"


def test_plain_text_keeps_formatting_characters() -> None:
    assert plain_text("*bold* _it_ <!channel> & `c`") == "*bold* _it_ <!channel> & `c`"


def test_code_spans_keep_what_is_copied() -> None:
    assert mrkdwn_text("a_b*c~d`e<f>&", code=True) == "a_b*c~d\u02cbe&lt;f&gt;&amp;"


def test_strip_controls_is_quick_when_there_is_nothing_to_drop() -> None:
    text = "checkout 5xx on shop/checkout"
    assert strip_controls(text) is text


@given(st.text())
def test_any_text_is_inert_in_mrkdwn(raw: str) -> None:
    shown = mrkdwn_text(raw, multiline=True)
    assert not set("*_~`<>") & set(shown)
    assert re.sub(r"&(amp|lt|gt);", "", shown).count("&") == 0
    assert not BIDI_CONTROLS & set(shown)
    assert all(unicodedata.category(c) != "Cc" for c in shown if c not in "\n\t")
    one_line = plain_text(raw)
    assert not BIDI_CONTROLS & set(one_line)
    assert all(unicodedata.category(c) != "Cc" for c in one_line)


# ------------------------------------------------------------------------------------ every builder


def _hostile_incident(**overrides: Any) -> Incident:
    fields: dict[str, Any] = {
        "id": "inc_1*x",
        "name": HOSTILE,
        "severity": Severity.ERROR,
        "status": Status.TRIGGERED,
        "state": State.TRIGGERED,
        "description": f"line one {HOSTILE}\nline two",
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "assignments": (Assignment(f"x_y*z@{HOSTILE}"),),
        "display_labels": {
            APPLICATION_LABEL: HOSTILE,
            SUBSYSTEM_LABEL: HOSTILE,
            ALERT_NAME_LABEL: HOSTILE,
            f"team {HOSTILE}": HOSTILE,
        },
    }
    fields.update(overrides)
    return Incident(**fields)


def _texts(node: object, kind: str | None = None) -> Iterator[tuple[str, str]]:
    """Every (type, text) of the text objects in a payload, plus the fallback text as mrkdwn."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["type"], node["text"]
        for value in node.values():
            yield from _texts(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value, kind)


def _payload_texts(payload: MessagePayload | dict[str, Any]) -> list[tuple[str, str]]:
    if isinstance(payload, MessagePayload):
        return [("mrkdwn", payload.text), *_texts(payload.blocks)]
    return list(_texts(payload))


def _assert_inert(texts: list[tuple[str, str]]) -> None:
    assert texts
    for kind, text in texts:
        assert not BIDI_CONTROLS & set(text), (kind, text)
        assert all(unicodedata.category(c) != "Cc" for c in text if c not in "\n\t"), (kind, text)
        if kind == "mrkdwn":
            for formatted in FORMATTED:
                assert formatted not in text, (formatted, text)
            assert "<!channel>" not in text, text


def _incident_payloads() -> Iterator[MessagePayload | dict[str, Any]]:
    incident = _hostile_incident()
    yield incident_card(incident, team_url="https://acme.app.coralogix.com", now=datetime.now(UTC))
    yield incident_card(incident)
    events = [
        IncidentEvent("e1", EventKind.OPEN, system=HOSTILE),
        IncidentEvent("e2", EventKind.ASSIGN, assigned_to=HOSTILE, assigned_by=HOSTILE),
        IncidentEvent(HOSTILE, EventKind.UNSPECIFIED),
    ]
    yield incident_details_modal(incident, events)
    yield incident_list([incident], title="Incidents", total=1, has_more=True, more_hint="/cx list page=2")
    yield incident_list(
        [incident], title="Incidents", total=1, has_more=False, team_url="https://acme.app.coralogix.com"
    )
    yield digest_message([incident, _hostile_incident(id="other")])
    yield digest_message([incident], team_url="https://acme.app.coralogix.com")
    group = AggregationGroup(key={"application": HOSTILE}, total=3)
    yield stats_message([group], GroupField.APPLICATION)


@pytest.mark.parametrize("payload", list(_incident_payloads()))
def test_builders_show_coralogix_text_literally(payload: MessagePayload | dict[str, Any]) -> None:
    _assert_inert(_payload_texts(payload))


def test_the_card_shows_the_name_in_full_and_the_rest_neutralised() -> None:
    card = incident_card(_hostile_incident())
    header = card.blocks[0]["text"]["text"]
    assert header.endswith("*bold* _it_ ~s~ `c` gnp.exe <!channel>")  # plain_text: shown as is
    mrkdwn = "\n".join(text for kind, text in _payload_texts(card) if kind == "mrkdwn")
    assert "\u2217bold\u2217 \u02cdit\u02cd \u223cs\u223c \u02cbc\u02cb gnp.exe &lt;!channel&gt;" in mrkdwn
    assert "line one" in mrkdwn and "\nline two" in mrkdwn  # the description keeps its lines
    footer = card.blocks[-1]["elements"][0]["text"]
    assert "`inc_1*x`" in footer  # an id in a code span copies as it is


def test_lines_and_events_go_through_the_door() -> None:
    line = incident_line(_hostile_incident())
    assert "*bold*" not in line and "\u202e" not in line
    sentence = describe_event(IncidentEvent("e", EventKind.OPEN, system="*sys*"))
    assert sentence == f"Opened by {LOOKALIKES['*']}sys{LOOKALIKES['*']} (system)"
