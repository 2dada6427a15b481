"""Live unfurls follow an incident wherever the bot shows it: on its card, and as a line of a storm digest."""

from __future__ import annotations

from bot.coralogix.client import IncidentsClient
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.store import Store
from tests.cards.conftest import replica

CHANNEL = "C0INCIDENTS"


def test_the_unfurl_of_a_digest_line_follows_its_incident(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    ids = [coralogix.sim.create_incident(name=f"storm {n}", application="shop") for n in range(3)]
    incidents = client.batch_get_incidents(ids).found
    sender = replica("r1", store, client, slack).sender
    assert sender.post_digest(CHANNEL, [incidents[i] for i in ids])
    [digest] = [m for m in slack.workspace.messages(CHANNEL) if "storm 0" in str(m.blocks)]
    url = f"https://acme.coralogix.invalid/#/incidents/{ids[0]}"
    pasted = slack.workspace.post_message(
        CHANNEL, text=f"look {url}", blocks=[], metadata=None, user="U0ALICE"
    )
    sender.unfurls.unfurl(CHANNEL, pasted.ts, {url: incidents[ids[0]]})
    assert "incident_ack" in str(slack.workspace.message(CHANNEL, pasted.ts).unfurls[url])

    coralogix.sim.acknowledge(ids[0], "alice@example.com")
    acknowledged = client.batch_get_incidents([ids[0]]).found
    assert sender.update_digest(CHANNEL, digest.ts, dict(acknowledged))

    shown = str(slack.workspace.message(CHANNEL, pasted.ts).unfurls[url])
    assert "incident_ack" not in shown and "acknowledged" in shown.lower()
