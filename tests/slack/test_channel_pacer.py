"""The per-channel pacer: a second apart from each write's start, and never at once after a held-up write."""

from __future__ import annotations

from bot.slack.gateway import ChannelPacer


def test_writes_are_an_interval_apart_and_a_late_return_pushes_the_next() -> None:
    now = [100.0]
    pacer = ChannelPacer(1.0, clock=lambda: now[0])
    pacer.wait("C1")  # the first goes at once
    assert pacer.ready_in("C1") == 1.0
    now[0] = 100.05
    pacer.landed("C1")  # a quick answer changes nothing: the next is still due a second after the first
    assert abs(pacer.ready_in("C1") - 0.95) < 1e-9
    # a write held up 1.5 s (a 429 the client retried after its Retry-After) lands late: the next waits
    # nine tenths of a second from then instead of going at once and being refused in turn
    now[0] = 101.6
    pacer.landed("C1")
    assert abs(pacer.ready_in("C1") - 0.9) < 1e-9
    assert pacer.ready_in("C2") == 0.0  # another channel is another queue
