"""The demo's "Post the payments shift report now" control: one POST, one report in #payments."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from bot.demo.stack import start_demo
from tests.e2e.harness import wait_for


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_report_button_posts_the_report_to_the_routes_channel() -> None:
    stack = start_demo(port=0, seed=4, incidents=30, live_changes=False)
    try:
        status, answer = _post(stack.url + "api/reports", {"route": "payments"})
        assert status == 200, answer
        assert answer["said"].startswith(
            "Posted the shift report of payments to 1 channel(s): Shift report: payments"
        )

        def reports() -> list[str]:
            return [
                m.text
                for m in stack.slack.workspace.messages("C0PAYMENTS")
                if m.text.startswith("Shift report")
            ]

        [text] = wait_for(reports, 10, "the report in #payments")
        assert "new" in text and "open" in text
        status, answer = _post(stack.url + "api/reports", {"route": "nosuch"})
        assert (status, answer["error"]) == (400, "there is no route called 'nosuch'")
    finally:
        stack.stop()
