"""The Block Kit builders: every payload round-trips through slack_sdk.models and passes our own limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

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
    ActionValue,
    MessagePayload,
    card_status,
    connect_modal,
    date_token,
    describe_event,
    digest_message,
    error_message,
    escape,
    fit,
    incident_card,
    incident_details_modal,
    incident_list,
    notice_message,
    stats_message,
    thread_note,
    usage_message,
)
from bot.slack.ids import METADATA_EVENT_TYPE, ActionId, BlockId, CallbackId, InputId
from bot.slack.limits import check_payload, check_view

CREATED = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
ID = "cdfaf78b-27ee-401f-8d13-ebd2daa08232"
TEAM_URL = "https://myteam.app.coralogix.com"


def make_incident(**overrides: Any) -> Incident:
    fields: dict[str, Any] = {
        "id": ID,
        "name": "checkout 5xx",
        "severity": Severity.CRITICAL,
        "status": Status.TRIGGERED,
        "state": State.TRIGGERED,
        "description": "More than 5% of checkout requests fail.",
        "created_at": CREATED,
        "display_labels": {APPLICATION_LABEL: "shop", SUBSYSTEM_LABEL: "checkout"},
    }
    fields.update(overrides)
    return Incident(**fields)


def slack_ids(user: str) -> str | None:
    return {"alice@example.com": "U0ALICE", "bob@example.com": "U0BOB"}.get(user)


def assert_valid_message(payload: MessagePayload) -> None:
    parsed = [block.to_dict() for block in Block.parse_all(payload.blocks)]  # validates Slack's limits
    assert parsed == payload.blocks, "slack_sdk dropped or changed something"
    assert check_payload(payload) == []
    json.dumps({"text": payload.text, "blocks": payload.blocks, "metadata": payload.metadata})


def assert_valid_view(view: dict[str, Any]) -> None:
    assert View(**view).to_dict() == view
    assert check_view(view) == []


def actions_block(payload: MessagePayload) -> dict[str, Any]:
    [block] = [b for b in payload.blocks if b["type"] == "actions"]
    return block


def action_ids(payload: MessagePayload) -> list[str]:
    return [element["action_id"] for element in actions_block(payload)["elements"]]


def all_text(payload: MessagePayload) -> str:
    return json.dumps(payload.blocks, ensure_ascii=False)


# ------------------------------------------------------------------------------------------ buttons

OPEN_ACTIONS = [
    ActionId.ACK,
    ActionId.RESOLVE,
    ActionId.ASSIGN_ME,
    ActionId.ASSIGN,
    ActionId.CLOSE,
    ActionId.DETAILS,
]
ASSIGNED = (Assignment("bob@example.com", "alice@example.com"),)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"status": Status.TRIGGERED}, OPEN_ACTIONS, id="triggered"),
        pytest.param({"status": Status.UNSPECIFIED}, OPEN_ACTIONS, id="unknown-status-like-triggered"),
        pytest.param(
            {"status": Status.TRIGGERED, "assignments": ASSIGNED},
            [*OPEN_ACTIONS[:4], ActionId.UNASSIGN, ActionId.CLOSE, ActionId.DETAILS],
            id="triggered-assigned",
        ),
        pytest.param({"status": Status.ACKNOWLEDGED}, OPEN_ACTIONS[1:], id="acknowledged"),
        pytest.param(
            {"status": Status.ACKNOWLEDGED, "assignments": ASSIGNED},
            [*OPEN_ACTIONS[1:4], ActionId.UNASSIGN, ActionId.CLOSE, ActionId.DETAILS],
            id="acknowledged-assigned",
        ),
        pytest.param(
            {"status": Status.RESOLVED, "assignments": ASSIGNED},
            [ActionId.CLOSE, ActionId.DETAILS],
            id="resolved",
        ),
        pytest.param(
            {"status": Status.RESOLVED, "closed_at": CREATED + timedelta(hours=1), "assignments": ASSIGNED},
            [ActionId.DETAILS],
            id="closed",
        ),
        pytest.param(
            {"status": Status.TRIGGERED, "closed_at": CREATED + timedelta(hours=1)},
            [ActionId.DETAILS],
            id="closed-while-triggered",
        ),
    ],
)
def test_buttons_follow_the_status(overrides: dict[str, Any], expected: list[ActionId]) -> None:
    incident = make_incident(**{"severity": Severity.WARNING, **overrides})  # no war room below error
    payload = incident_card(incident)
    assert action_ids(payload) == [a.value for a in expected]
    assert_valid_message(payload)
    with_link = incident_card(incident, team_url=TEAM_URL)
    assert action_ids(with_link) == [*[a.value for a in expected], ActionId.LINK.value]
    assert_valid_message(with_link)


def test_button_values_carry_the_incident_and_rendered_status() -> None:
    for incident, status in [
        (make_incident(status=Status.ACKNOWLEDGED), "acknowledged"),
        (make_incident(status=Status.RESOLVED, closed_at=CREATED), "closed"),
    ]:
        block = actions_block(incident_card(incident, team_url=TEAM_URL))
        buttons = [e for e in block["elements"] if e["type"] == "button" and "url" not in e]
        assert buttons
        for button in buttons:
            assert len(button["value"]) < 2000
            assert ActionValue.decode(button["value"]) == ActionValue(ID, status)
        assert ActionValue.from_click({"block_id": block["block_id"]}) == ActionValue(ID, status)
        assert card_status(incident) == status


def test_assign_is_a_user_picker_and_styles_are_sparing() -> None:
    elements = actions_block(incident_card(make_incident(assignments=ASSIGNED)))["elements"]
    by_id = {e["action_id"]: e for e in elements}
    assert by_id[ActionId.ASSIGN]["type"] == "users_select"
    styled = {e["action_id"]: e["style"] for e in elements if "style" in e}
    assert styled == {ActionId.RESOLVE: "primary", ActionId.CLOSE: "danger"}
    confirm = by_id[ActionId.CLOSE]["confirm"]
    assert confirm["style"] == "danger"
    assert confirm["confirm"]["text"] and confirm["deny"]["text"]
    assert {e["text"]["text"] for e in elements if e["type"] == "button"} == {
        "Acknowledge",
        "Resolve",
        "Assign to me",
        "Unassign",
        "Close",
        "War room",
        "Details",
    }


def test_link_button_only_with_team_url() -> None:
    incident = make_incident()
    assert not [e for e in actions_block(incident_card(incident))["elements"] if "url" in e]
    for team_url in (TEAM_URL, TEAM_URL + "/"):
        [link] = [
            e for e in actions_block(incident_card(incident, team_url=team_url))["elements"] if "url" in e
        ]
        assert link["url"] == f"{TEAM_URL}/#/incidents/{ID}"
        assert link["action_id"] == ActionId.LINK
        assert "value" not in link


def test_action_value_rejects_what_is_not_ours() -> None:
    for raw in ("", "nope", "[]", '{"status": "triggered"}', '{"incident_id": 5, "status": "x"}', "null"):
        assert ActionValue.decode(raw) is None
    value = ActionValue("id-1", "acknowledged")
    assert ActionValue.decode(value.encode()) == value


# ---------------------------------------------------------------------------------------- contents


def test_fallback_text_and_metadata() -> None:
    payload = incident_card(make_incident())
    assert payload.text == ":red_circle: [CRITICAL] checkout 5xx — triggered (shop/checkout)"
    assert payload.metadata == {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"incident_id": ID, "status": "triggered", "severity": "critical"},
    }
    closed = incident_card(make_incident(status=Status.RESOLVED, closed_at=CREATED, is_muted=True))
    assert closed.text.endswith("— closed (shop/checkout) (muted)")
    assert closed.metadata is not None
    assert closed.metadata["event_payload"]["status"] == "closed"


def test_header_has_severity_emoji_and_name() -> None:
    header = incident_card(make_incident(severity=Severity.WARNING)).blocks[0]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": ":large_yellow_circle: checkout 5xx", "emoji": True},
    }
    unnamed = incident_card(make_incident(name="", contextual_labels={ALERT_NAME_LABEL: "cpu"})).blocks[0]
    assert unnamed["text"]["text"].endswith(" cpu")
    nameless = incident_card(make_incident(name="   ")).blocks[0]
    assert nameless["text"]["text"].endswith(ID)


def test_fields_show_severity_status_place_and_labels() -> None:
    incident = make_incident(
        status=Status.ACKNOWLEDGED,
        state=State.RESOLVED,
        display_labels={APPLICATION_LABEL: "shop", SUBSYSTEM_LABEL: "checkout", "team": "payments"},
    )
    fields = [f["text"] for f in incident_card(incident).blocks[1]["fields"]]
    assert fields[0] == "*Severity*\n:red_circle: Critical"
    assert fields[1] == "*Status*\n:eyes: Acknowledged · alert cleared"
    assert fields[2] == "*Assignee*\n_nobody_"
    assert "*Application / Subsystem*\nshop / checkout" in fields
    assert "*team*\npayments" in fields


def test_closed_status_has_a_marker_and_time() -> None:
    closed_at = CREATED + timedelta(hours=2)
    fields = incident_card(make_incident(status=Status.RESOLVED, closed_at=closed_at)).blocks[1]["fields"]
    assert fields[1]["text"] == f"*Status*\n:lock: Closed {date_token(closed_at)}\n(was resolved)"


def test_created_time_is_a_slack_date_token() -> None:
    token = "<!date^1704110400^{date_short_pretty} {time}|Jan 1, 2024 12:00 UTC>"
    assert date_token(CREATED) == token
    assert date_token(datetime(2024, 1, 1, 12, 0)) == token  # naive means UTC
    assert date_token(datetime(2024, 1, 1, 14, 0, 0, 999, tzinfo=timezone(timedelta(hours=2)))) == token
    assert f"*Created*\n{token}" in all_text(incident_card(make_incident())).replace("\\n", "\n")


def test_assignee_is_a_mention_when_mapped_else_the_coralogix_id() -> None:
    mapped = make_incident(assignments=(Assignment("alice@example.com"), Assignment("bob@example.com")))
    assert "*Assignee*\\n<@U0BOB>" in all_text(incident_card(mapped, slack_user_of=slack_ids))
    unmapped = make_incident(assignments=(Assignment("carol<x>@example.com"),))
    assert "*Assignee*\\ncarol&lt;x&gt;@example.com" in all_text(
        incident_card(unmapped, slack_user_of=slack_ids)
    )


def test_mentions_lead_the_text_and_section() -> None:
    mentions = ["<!subteam^S0ONCALL>", "<@U0LEAD>"]
    payload = incident_card(make_incident(), mentions=mentions)
    assert payload.text.startswith("<!subteam^S0ONCALL> <@U0LEAD> :red_circle:")
    assert payload.blocks[1]["text"]["text"].startswith("<!subteam^S0ONCALL> <@U0LEAD>\n")
    plain = incident_card(make_incident())
    assert plain.blocks[1]["text"]["text"] == "More than 5% of checkout requests fail."
    assert "subteam" not in all_text(plain)


def test_no_description_and_no_mentions_leave_only_fields() -> None:
    section = incident_card(make_incident(description="  ")).blocks[1]
    assert "text" not in section
    assert section["fields"]


def test_muted_marker_and_updated_stamp() -> None:
    now = datetime(2024, 1, 2, tzinfo=UTC)
    footer = incident_card(make_incident(is_muted=True), now=now).blocks[-1]["elements"][0]["text"]
    assert footer == f"ID `{ID}` · :mute: Muted · Updated {date_token(now)}"
    assert incident_card(make_incident()).blocks[-1]["elements"][0]["text"] == f"ID `{ID}`"


def test_coralogix_text_is_escaped() -> None:
    payload = incident_card(make_incident(name="a <b> & c", description="<!channel> & <https://x|y>"))
    assert payload.blocks[1]["text"]["text"] == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    assert "a &lt;b&gt; &amp; c" in payload.text
    assert payload.blocks[0]["text"]["text"].endswith("a <b> & c")  # plain_text needs no escaping


def test_huge_incident_still_fits() -> None:
    labels = {f"label-{n:02d}-" + "k" * 300: "v<&>" * 800 for n in range(40)}
    labels |= {APPLICATION_LABEL: "a" * 3000, SUBSYSTEM_LABEL: "s" * 3000}
    incident = make_incident(
        name="N" * 5000,
        description="<&>" * 40_000,
        display_labels=labels,
        assignments=(Assignment("x" * 3000),),
        id="i" * 100,
    )
    payload = incident_card(incident, team_url=TEAM_URL, mentions=["<!subteam^S0ONCALL>"] * 200)
    assert_valid_message(payload)
    section = payload.blocks[1]
    assert len(section["fields"]) == 10
    assert section["fields"][-1]["text"].startswith("*Other labels (36)*")
    assert section["text"]["text"].endswith("…")
    assert not re.search(r"&[a-z]{0,3}…", section["text"]["text"]), "a cut entity"
    assert len(payload.blocks[0]["text"]["text"]) == 150
    assert_valid_view(incident_details_modal(incident, []))


def test_card_is_well_formed_for_many_labels_that_fit() -> None:
    labels = {f"k{n}": f"v{n}" for n in range(5)}
    fields = incident_card(make_incident(display_labels=labels)).blocks[1]["fields"]
    assert [f["text"] for f in fields[4:]] == [f"*k{n}*\nv{n}" for n in range(5)]


text_st = st.text(max_size=400)
incident_st = st.builds(
    Incident,
    id=st.text(min_size=1, max_size=40).filter(str.strip),
    name=text_st,
    severity=st.sampled_from(Severity),
    status=st.sampled_from(Status),
    state=st.sampled_from(State),
    description=st.text(max_size=5000),
    created_at=st.none() | st.datetimes(timezones=st.just(UTC)),
    closed_at=st.none() | st.datetimes(timezones=st.just(UTC)),
    is_muted=st.booleans(),
    assignments=st.lists(st.builds(Assignment, st.none() | text_st), max_size=3).map(tuple),
    display_labels=st.dictionaries(text_st, text_st, max_size=15),
    contextual_labels=st.dictionaries(text_st, text_st, max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    incident=incident_st,
    mapped=st.booleans(),
    mentions=st.lists(st.text(min_size=1, max_size=60), max_size=5),
)
def test_any_incident_renders_a_valid_card_and_modal(
    incident: Incident, mapped: bool, mentions: list[str]
) -> None:
    slack_user_of = (lambda _user: "U0X") if mapped else (lambda _user: None)
    assert_valid_message(
        incident_card(incident, team_url=TEAM_URL, slack_user_of=slack_user_of, mentions=mentions)
    )
    assert_valid_view(incident_details_modal(incident, [], slack_user_of=slack_user_of))


def test_fit_escapes_and_never_cuts_an_entity() -> None:
    assert fit("a<b", 10) == "a&lt;b"
    assert fit("abcdef", 4) == "abc…"
    assert fit("ab<cd", 5) == "ab…"
    assert escape("&<>") == "&amp;&lt;&gt;"


# -------------------------------------------------------------------------------- details modal


def test_details_modal_lists_events_in_order() -> None:
    events = [
        IncidentEvent("e1", EventKind.OPEN, system="alerts"),
        IncidentEvent("e2", EventKind.ACKNOWLEDGE, acknowledged_by="alice@example.com"),
        IncidentEvent("e3", EventKind.ASSIGN, assigned_to="bob@example.com", assigned_by="alice@example.com"),
    ]
    view = incident_details_modal(make_incident(), events, slack_user_of=slack_ids)
    assert_valid_view(view)
    assert view["callback_id"] == CallbackId.INCIDENT_DETAILS
    assert json.loads(view["private_metadata"]) == {"incident_id": ID}
    timeline = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"][1:]
    assert timeline == [
        "Opened by alerts (system)",
        "Acknowledged by <@U0ALICE>",
        "Assigned to <@U0BOB> by <@U0ALICE>",
    ]


def test_details_modal_keeps_the_newest_events_when_cut() -> None:
    events = [IncidentEvent(f"e{n}", EventKind.ASSIGN, assigned_to=f"user{n}") for n in range(250)]
    view = incident_details_modal(make_incident(description="d" * 10_000), events)
    assert_valid_view(view)
    assert len(view["blocks"]) == 100
    texts = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"]
    [cut] = [t for t in texts if t.startswith("…")]
    shown = [t for t in texts if t.startswith("Assigned")]
    assert cut == f"… {250 - len(shown)} earlier events"
    assert shown[-1] == "Assigned to user249"
    assert shown[0] == f"Assigned to user{250 - len(shown)}"


def test_details_modal_without_events() -> None:
    view = incident_details_modal(make_incident(), [])
    assert_valid_view(view)
    assert view["blocks"][-1]["elements"][0]["text"] == "No events recorded."


@pytest.mark.parametrize(
    ("event", "sentence"),
    [
        (IncidentEvent("e", EventKind.ACKNOWLEDGE, actor="alice@example.com"), "Acknowledged by <@U0ALICE>"),
        (
            IncidentEvent(
                "e", EventKind.ASSIGN, assigned_to="bob@example.com", assigned_by="alice@example.com"
            ),
            "Assigned to <@U0BOB> by <@U0ALICE>",
        ),
        (
            IncidentEvent("e", EventKind.UNASSIGN, actor="carol@example.com"),
            "Unassigned by carol@example.com",
        ),
        (IncidentEvent("e", EventKind.CLOSE, closed_by="alice@example.com"), "Closed by <@U0ALICE>"),
        (
            IncidentEvent("e", EventKind.UPSERT_STATE, actor="alice@example.com", state=State.RESOLVED),
            "Resolved by <@U0ALICE>",
        ),
        (
            IncidentEvent("e", EventKind.UPSERT_STATE, system="alerts", state=State.RESOLVED),
            "Alert condition cleared by alerts (system)",
        ),
        (
            IncidentEvent("e", EventKind.UPSERT_STATE, state=State.TRIGGERED, is_muted=True),
            "Alert triggered (muted)",
        ),
        (
            IncidentEvent("e", EventKind.SNOOZE, actor="bob@example.com", snooze_minutes=30),
            "Muted for 30 minutes by <@U0BOB>",
        ),
        (IncidentEvent("e", EventKind.OPEN), "Opened"),
        (IncidentEvent("e<1>", EventKind.UNSPECIFIED), "Event e&lt;1&gt;"),
    ],
)
def test_describe_event(event: IncidentEvent, sentence: str) -> None:
    assert describe_event(event, slack_ids) == sentence


# ------------------------------------------------------------------------------- other messages


def test_connect_modal() -> None:
    view = connect_modal(private_metadata='{"channel":"C1"}')
    assert_valid_view(view)
    assert view["callback_id"] == CallbackId.CONNECT
    [input_block] = [b for b in view["blocks"] if b["type"] == "input"]
    assert input_block["block_id"] == BlockId.API_KEY
    assert input_block["element"]["action_id"] == InputId.API_KEY
    assert "private_metadata" not in connect_modal()


def test_thread_note() -> None:
    payload = thread_note(["Acknowledged by <@U0ALICE>", "Severity changed from error to critical"])
    assert_valid_message(payload)
    assert payload.text == "Acknowledged by <@U0ALICE>\nSeverity changed from error to critical"
    assert payload.blocks[0]["text"]["text"] == payload.text
    assert payload.metadata is None
    many = thread_note([f"line {n} " + "x" * 2990 for n in range(80)])
    assert_valid_message(many)
    assert len(many.blocks) == 50
    assert many.blocks[-1]["elements"][0]["text"] == "… and 31 more"


def test_incident_list_is_compact_and_bounded() -> None:
    incidents = [
        make_incident(id=f"id-{n}", name=f"alert {n} " + "n" * 400, assignments=ASSIGNED) for n in range(700)
    ]
    payload = incident_list(
        incidents, title="Open incidents", total=1000, page=2, has_more=True, slack_user_of=slack_ids
    )
    assert_valid_message(payload)
    assert len(payload.blocks) <= 50
    lines = "\n".join(b["text"]["text"] for b in payload.blocks if b["type"] == "section").splitlines()
    footer = payload.blocks[-1]["elements"][0]["text"]
    assert footer.startswith(f"Page 2 · {len(lines)} shown of 1000 · {700 - len(lines)} more did not fit")
    assert lines[0].startswith(":red_circle: *alert 0 ")
    assert "`id-0`" in lines[0] and "<@U0BOB>" in lines[0] and "shop/checkout" in lines[0]


def test_incident_list_links_and_hint() -> None:
    payload = incident_list(
        [make_incident()],
        title="Mine",
        total=None,
        has_more=True,
        team_url=TEAM_URL,
        more_hint="/cx list page=2",
    )
    assert_valid_message(payload)
    assert f"<{TEAM_URL}/#/incidents/{ID}|checkout 5xx>" in payload.blocks[1]["text"]["text"]
    assert payload.blocks[-1]["elements"][0]["text"] == "Page 1 · 1 shown · more: `/cx list page=2`"
    assert payload.text == "Mine: 1+ incidents"


def test_empty_incident_list() -> None:
    payload = incident_list([], title="Open incidents", total=0, has_more=False)
    assert_valid_message(payload)
    assert payload.blocks[1]["text"]["text"] == "No incidents match."


def test_stats_message() -> None:
    groups = [
        AggregationGroup({"severity": "error"}, 3, by_status={Status.TRIGGERED: 2, Status.RESOLVED: 1}),
        AggregationGroup({"severity": "critical"}, 5, by_status={Status.ACKNOWLEDGED: 5}),
    ]
    payload = stats_message(groups, GroupField.SEVERITY)
    assert_valid_message(payload)
    assert payload.blocks[0]["text"]["text"] == "Incidents by severity"
    assert payload.blocks[1]["text"]["text"] == (
        ":red_circle: *critical* — 5 (acknowledged 5)\n"
        ":large_orange_circle: *error* — 3 (triggered 2 · resolved 1)"
    )
    assert payload.blocks[-1]["elements"][0]["text"] == "8 incidents in 2 groups"


def test_stats_message_many_groups_and_breakdown_by_severity() -> None:
    groups = [
        AggregationGroup(
            {"app": f"app-{n}-" + "x" * 500}, n, by_severity={Severity.INFO: 1, Severity.CRITICAL: 2}
        )
        for n in range(1000)
    ]
    payload = stats_message(groups, GroupField.APPLICATION)
    assert_valid_message(payload)
    first = payload.blocks[1]["text"]["text"].splitlines()[0]
    assert first.startswith("*app-999-") and first.endswith("— 999 (critical 2 · info 1)")
    assert "smaller groups not shown" in payload.blocks[-1]["elements"][0]["text"]
    assert_valid_message(stats_message([], GroupField.STATUS))
    assert "(none)" in stats_message([AggregationGroup({}, 1)], GroupField.ASSIGNEE).blocks[1]["text"]["text"]


def test_short_replies() -> None:
    for payload in (
        error_message("Coralogix rejected the API key."),
        notice_message("Acknowledged 2 incidents."),
    ):
        assert_valid_message(payload)
    assert error_message("boom").blocks[0]["text"]["text"] == ":warning: boom"
    usage = usage_message("\n".join(f"`/cx cmd{n}` — " + "does things " * 40 for n in range(400)))
    assert_valid_message(usage)
    assert len(usage.blocks) == 50
    assert_valid_message(error_message("x" * 50_000))


def test_digest_groups_by_alert_application_and_severity() -> None:
    def storm(n: int, alert: str, app: str, severity: Severity) -> Incident:
        return make_incident(
            id=f"{alert}-{n}",
            severity=severity,
            contextual_labels={ALERT_NAME_LABEL: alert},
            display_labels={APPLICATION_LABEL: app},
        )

    incidents = [storm(n, "cpu", "shop", Severity.WARNING) for n in range(7)]
    incidents += [storm(n, "5xx", "shop", Severity.CRITICAL) for n in range(2)]
    incidents += [storm(n, "cpu", "api", Severity.WARNING) for n in range(1)]
    payload = digest_message(incidents, title="Incident storm in #payments", team_url=TEAM_URL)
    assert_valid_message(payload)
    lines = payload.blocks[1]["text"]["text"].splitlines()
    assert lines[0].startswith(":red_circle: *5xx* · shop · *2* incidents · ")
    assert lines[1].startswith(":large_yellow_circle: *cpu* · shop · *7* incidents · ")
    assert lines[1].endswith("+2 more")
    assert f"<{TEAM_URL}/#/incidents/cpu-0|cpu-0>" in lines[1]
    assert lines[2].startswith(":large_yellow_circle: *cpu* · api · *1* incident · ")
    assert payload.blocks[-1]["elements"][0]["text"] == "10 incidents in 3 groups"
    big = digest_message([storm(n, f"alert-{n}-" + "a" * 300, "x", Severity.INFO) for n in range(1000)])
    assert_valid_message(big)
    assert "groups not shown" in big.blocks[-1]["elements"][0]["text"]
