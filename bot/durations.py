"""Time spans in words for log lines and messages: "1 day", "1 hour 30 minutes", not "1 day, 0:00:00"."""

from __future__ import annotations

from datetime import timedelta

_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def in_words(span: timedelta) -> str:
    """`span` in its largest two units, whole seconds (rounded down); negative spans keep their sign."""
    seconds = int(span.total_seconds())
    if seconds < 0:
        return "minus " + in_words(-span)
    parts: list[str] = []
    for name, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 seconds"
