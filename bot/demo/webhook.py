"""The demo's "Send Coralogix's webhook" control: what Coralogix's generic outbound webhook would send."""

from __future__ import annotations

import http.client
import json

from bot.web import WEBHOOK_PATH

SAMPLE_ALERT = {  # the shape of Coralogix's default webhook body; the bot reads none of it (a hint only)
    "alert_id": "demo-alert",
    "name": "checkout-5xx",
    "alert_action": "trigger",
    "application": "shop",
}


def send_webhook(port: int, secret: str) -> str:
    """POST the sample alert to the bot's webhook with the shared secret; says what the bot answered."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            WEBHOOK_PATH,
            body=json.dumps(SAMPLE_ALERT).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if response.status == 202:
        return "Coralogix's webhook reached the bot (202): the replica that polls polls now."
    return f"The bot answered the webhook with {response.status} {response.reason}."
