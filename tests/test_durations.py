"""Time spans read as words in the log, never as Python's "1 day, 0:00:00"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.durations import in_words


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(days=1), "1 day"),
        (timedelta(minutes=60), "1 hour"),
        (timedelta(minutes=90), "1 hour 30 minutes"),
        (timedelta(days=2, hours=3, minutes=4, seconds=5), "2 days 3 hours"),
        (timedelta(seconds=45.9), "45 seconds"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(0), "0 seconds"),
        (timedelta(seconds=-90), "minus 1 minute 30 seconds"),
    ],
)
def test_in_words(span: timedelta, words: str) -> None:
    assert in_words(span) == words
