"""The demo end to end, as a person uses it: headless Chromium on the page, the real bot behind it.

An incident is created from the page's Coralogix side, its card appears in #search, Bob acknowledges it
with the card's button; the card then shows it acknowledged and its thread says Bob did it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.coralogix.pb import incident_event_pb2
from bot.demo.stack import DemoStack, start_demo
from bot.sandbox.coralogix.model import Status
from tests.demo.browser import chromium, require_browser

T = TypeVar("T")
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoStack]:
    require_browser()  # before starting anything
    stack = start_demo(port=0, seed=11, incidents=3, live_changes=False)
    yield stack
    stack.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "profile") as driver:
        yield driver


def wait_until(driver: Any, condition: Callable[[Any], T], what: str) -> T:
    """Polls `condition` until truthy; a card redrawn mid-look (stale element) is simply looked at again."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(
            driver, WAIT_SECONDS, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
        ).until(condition, what)
    except TimeoutException:
        raise AssertionError(f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}") from None


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def click(driver: Any, selector: str, what: str) -> None:
    """Clicks the element once it is there (again if the page redrew it under us)."""

    def clicked(d: Any) -> bool:
        found = css(d, selector)
        if not found:
            return False
        found[0].click()
        return True

    wait_until(driver, clicked, what)


def choose(driver: Any, selector: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(driver, selector)[0]).select_by_value(value)


def page_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def open_page(driver: Any, demo: DemoStack, user: str) -> None:
    driver.get(demo.url)
    wait_until(driver, lambda d: len(css(d, "#channel-list li")) == 4, "the channel list")
    choose(driver, "#user-picker", user)


def test_acknowledge_from_the_card_in_the_browser(demo: DemoStack, browser: Any) -> None:
    open_page(browser, demo, "U0BOB")

    choose(browser, "#cx-severity", "error")
    choose(browser, "#cx-application", "search")
    click(browser, "#cx-create-button", "the Create incident button")
    incident_id = wait_until(
        browser,
        lambda d: css(d, "#cx-last-created")[0].get_attribute("data-incident-id"),
        "the new incident's id on the Coralogix side",
    )

    click(browser, '#channel-list li[data-channel="C0SEARCH"]', "#search in the channel list")
    card = f'#messages .message[data-incident="{incident_id}"]'
    click(browser, f'{card} button[data-action-id="incident_ack"]', "the card's Acknowledge button")

    def acknowledged(d: Any) -> bool:
        found = css(d, card)
        return (
            bool(found)
            and "Acknowledged" in found[0].text
            and not css(d, f"{card} [data-action-id=incident_ack]")
        )

    wait_until(browser, acknowledged, "the card to show it acknowledged, without its Acknowledge button")

    click(browser, f"{card} .thread-link", "the card's replies link")
    wait_until(
        browser,
        lambda d: "Acknowledged by @bob" in css(d, "#thread-messages")[0].text,
        "the thread to say Bob acknowledged it",
    )
    mention = css(browser, '#thread-messages .mention[data-user="U0BOB"]')
    assert mention and mention[0].text == "@bob"

    incident = demo.coralogix.sim.incident(incident_id)
    assert incident.status == Status.INCIDENT_STATUS_ACKNOWLEDGED
    acks = [
        event
        for event in demo.coralogix.sim.events(incident_id)
        if event.incident_event_type == incident_event_pb2.INCIDENT_EVENT_TYPE_ACKNOWLEDGE
    ]
    # Bob has no personal key: Coralogix records the team key's user; the thread above says who it was
    assert len(acks) == 1
    assert page_errors(browser) == []


def test_slash_command_reply_is_only_visible_to_its_author(demo: DemoStack, browser: Any) -> None:
    open_page(browser, demo, "U0CAROL")
    click(browser, '#channel-list li[data-channel="C0PLATFORM"]', "#platform in the channel list")
    css(browser, "#composer-input")[0].send_keys("/cx help\n")
    wait_until(
        browser,
        lambda d: any("Only visible to you" in m.text for m in css(d, "#messages .message.ephemeral")),
        "the command's reply, only visible to Carol",
    )
    choose(browser, "#user-picker", "U0ALICE")
    wait_until(
        browser, lambda d: not css(d, "#messages .message.ephemeral"), "Alice not to see Carol's reply"
    )
    assert page_errors(browser) == []


def test_details_modal_and_the_close_confirmation(demo: DemoStack, browser: Any) -> None:
    incident_id = demo.feed.create(severity="warning", application="auth")  # routed to the default channel
    open_page(browser, demo, "U0ALICE")
    click(browser, '#channel-list li[data-channel="C0INCIDENTS"]', "#incidents in the channel list")
    card = f'#messages .message[data-incident="{incident_id}"]'

    click(browser, f'{card} button[data-action-id="incident_details"]', "the card's Details button")
    wait_until(browser, lambda d: css(d, "#modal-overlay")[0].is_displayed(), "the details modal")
    assert css(browser, "#modal-title")[0].text == "Incident details"
    # the modal opens at once with a waiting view; the timeline replaces it when Coralogix answers
    wait_until(browser, lambda d: "Timeline" in css(d, "#modal-body")[0].text, "the timeline in the modal")
    click(browser, "#modal-x", "the modal's close button")
    wait_until(browser, lambda d: not css(d, "#modal-overlay")[0].is_displayed(), "the modal to go away")

    click(browser, f'{card} button[data-action-id="incident_close"]', "the card's Close button")
    wait_until(browser, lambda d: css(d, "#confirm-overlay")[0].is_displayed(), "the confirmation dialog")
    assert css(browser, "#confirm-title")[0].text == "Close this incident?"
    click(browser, "#confirm-deny", "Cancel in the confirmation dialog")
    assert not css(browser, "#confirm-overlay")[0].is_displayed()
    assert not demo.coralogix.sim.incident(incident_id).HasField("closed_at")

    click(browser, f'{card} button[data-action-id="incident_close"]', "the card's Close button")
    click(browser, "#confirm-ok", "the dialog's confirm button")
    wait_until(browser, lambda d: "Closed" in css(d, card)[0].text, "the card to show it closed")
    assert demo.coralogix.sim.incident(incident_id).HasField("closed_at")
    assert page_errors(browser) == []


MRKDWN_CASES = [
    # (mrkdwn as the bot sends it, the text a person reads, the link's href or None)
    ("*Severity* and _nobody_ and ~gone~", "Severity and nobody and gone", None),
    ("`code with *stars*`", "code with *stars*", None),
    (
        "<https://acme.example/#/incidents/a?b=1&amp;c=2|the incident>",
        "the incident",
        "https://acme.example/#/incidents/a?b=1&c=2",
    ),
    ("<https://acme.example/x>", "https://acme.example/x", "https://acme.example/x"),
    ("<@U0BOB> and <@U0NOBODY>", "@bob and @U0NOBODY", None),
    ("<#C0SEARCH> <!here>", "#search @here", None),
    (  # noon UTC: the same day in every time zone from UTC-11 to UTC+11
        "Updated <!date^1700049600^{date_num}|Nov 15, 2023 12:00 UTC>",
        "Updated 2023-11-15",
        None,
    ),
    ("<!date^1700049600^{no_such_token}|Nov 15, 2023 12:00 UTC>", "Nov 15, 2023 12:00 UTC", None),
    (":red_circle: Critical :no_such_emoji:", "🔴 Critical :no_such_emoji:", None),
    (":large_orange_circle: *checkout 5xx*", "🟠error checkout 5xx", None),  # the label beside the colour
    ("&lt;script&gt;alert(1)&lt;/script&gt; 5 &amp; 6", "<script>alert(1)</script> 5 & 6", None),
    ("<javascript:alert(1)|click me>", "click me", None),
]


def test_mrkdwn_reads_as_in_slack_and_never_injects_markup(demo: DemoStack, browser: Any) -> None:
    open_page(browser, demo, "U0ALICE")
    rendered = browser.execute_script(
        """
        return arguments[0].map((text) => {
          const box = document.createElement("div");
          box.innerHTML = window.incidentBotDemo.mrkdwn(text);
          const link = box.querySelector("a");
          const styled = Array.from(box.querySelectorAll("b, i, s, code"));
          return [box.textContent, link ? link.getAttribute("href") : null,
                  box.querySelectorAll("script, img, iframe").length,
                  styled.map((node) => node.tagName + ":" + node.textContent)];
        });
        """,
        [case[0] for case in MRKDWN_CASES],
    )
    for (source, text, href), (shown, link, injected, _) in zip(MRKDWN_CASES, rendered, strict=True):
        assert (shown, link, injected) == (text, href, 0), source
    assert rendered[0][3] == ["B:Severity", "I:nobody", "S:gone"]
    assert rendered[1][3] == ["CODE:code with *stars*"]


def test_cards_label_severity_in_words_and_dates_read_as_dates(demo: DemoStack, browser: Any) -> None:
    incident_id = demo.feed.create(severity="warning", application="auth")  # routed to the default channel
    open_page(browser, demo, "U0ALICE")
    click(browser, '#channel-list li[data-channel="C0INCIDENTS"]', "#incidents in the channel list")
    card = f'#messages .message[data-incident="{incident_id}"]'
    wait_until(browser, lambda d: css(d, f"{card} .block-header .emoji-label"), "the card's severity label")

    [label] = css(browser, f"{card} .block-header .emoji-label")
    assert label.get_attribute("textContent") == "warning"
    assert label.is_displayed()
    fields = css(browser, f"{card} .fields .field")
    assert "Warning" in fields[0].text and not css(
        browser, f"{card} .fields .emoji-label"
    )  # already in words
    created = css(browser, f"{card} .fields .date")[0]
    assert re.fullmatch(r"(Today|Yesterday|Tomorrow|[A-Z][a-z]{2} \d{1,2}, \d{4}) \d{2}:\d{2}", created.text)
    assert created.get_attribute("title").endswith(" UTC")
    assert created.value_of_css_property("white-space") == "nowrap"
    assert page_errors(browser) == []


def _at_least(selector: str, count: int, driver: Any) -> bool:
    return len(css(driver, selector)) >= count


def test_own_reply_is_brought_into_view_and_the_composer_complaint_goes(
    demo: DemoStack, browser: Any
) -> None:
    browser.set_window_size(1200, 600)
    open_page(browser, demo, "U0LEAD")
    click(browser, '#channel-list li[data-channel="C0PAYMENTS"]', "#payments in the channel list")
    composer = css(browser, "#composer-input")[0]
    replies = "#messages .message.ephemeral"
    for sent in range(1, 30):  # fill the channel until it scrolls well beyond one screen
        composer.send_keys("/cx help\n")
        wait_until(browser, partial(_at_least, replies, sent), "the help answer")
        if browser.execute_script(
            "const b = arguments[0]; return b.scrollHeight > 3 * b.clientHeight;",
            css(browser, "#messages")[0],
        ):
            break
    before = len(css(browser, replies))
    browser.execute_script("document.getElementById('messages').scrollTop = 0;")

    composer.send_keys("/cx whoami\n")

    def newest_in_view(d: Any) -> bool:
        found = css(d, replies)
        if len(found) <= before:
            return False
        return bool(
            d.execute_script(
                "const r = arguments[0].getBoundingClientRect(), box = arguments[1].getBoundingClientRect();"
                "return r.top >= box.top - 1 && r.top < box.bottom;",
                found[-1],
                css(d, "#messages")[0],
            )
        )

    wait_until(browser, newest_in_view, "the answer to /cx whoami scrolled into view")

    composer.send_keys("hello\n")  # a plain message is posted as the person (links in it would unfurl)
    wait_until(
        browser,
        lambda d: any(m.text.endswith("hello") for m in css(d, "#messages .message:not(.ephemeral)")),
        "the person's own message in the channel",
    )
    error = css(browser, "#composer-error")[0]
    assert error.text == ""
    composer.send_keys("/nope\n")
    wait_until(browser, lambda d: "is not a valid command" in error.text, "the composer's complaint")
    click(browser, '#channel-list li[data-channel="C0SEARCH"]', "another channel")
    assert error.text == ""
    composer.send_keys("/nope\n")
    wait_until(browser, lambda d: "is not a valid command" in error.text, "the complaint again")
    choose(browser, "#user-picker", "U0ALICE")
    wait_until(browser, lambda d: error.text == "", "the complaint to go when someone else is picked")
    assert page_errors(browser) == []
