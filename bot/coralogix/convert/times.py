"""Protobuf Timestamp and Duration <-> aware datetimes and timedeltas, at microsecond precision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import duration_pb2, timestamp_pb2

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_from_pb(ts: timestamp_pb2.Timestamp) -> datetime:
    """An aware UTC datetime (microsecond precision; Python has no nanoseconds)."""
    return _EPOCH + timedelta(0, ts.seconds, ts.nanos // 1000)


def datetime_to_pb(value: datetime) -> timestamp_pb2.Timestamp:
    """A Timestamp; a naive datetime is taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(
        seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000
    )


def timedelta_from_pb(d: duration_pb2.Duration) -> timedelta:
    nanos = d.nanos
    micros = nanos // 1000 if nanos >= 0 else -(-nanos // 1000)
    return timedelta(0, d.seconds, micros)


def timedelta_to_pb(value: timedelta) -> duration_pb2.Duration:
    micros = value // timedelta(microseconds=1)
    seconds = abs(micros) // 1_000_000
    nanos = abs(micros) % 1_000_000 * 1000
    if micros < 0:
        seconds, nanos = -seconds, -nanos
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)
