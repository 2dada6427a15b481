"""Incidents in JSON form -> domain objects.

Two shapes are read: what grpcurl and Coralogix's docs show (snake_case names, `{"value": ...}`
wrappers, `{"seconds": "...", "nanos": n}` timestamps, nulls, labels as key/value lists) and protobuf's
canonical JSON (camelCase, bare wrapper values, RFC 3339 timestamps, labels as objects). The input is
first normalised against the message descriptors, then parsed into the generated `Incident` and
converted like any wire message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from google.protobuf import descriptor, duration_pb2, json_format, timestamp_pb2
from google.protobuf.message import Message

from bot.coralogix.convert import incident_from_pb
from bot.coralogix.pb import incident_pb2
from bot.domain import Incident

_WRAPPER_DEFAULTS: dict[str, object] = {
    "google.protobuf.StringValue": "",
    "google.protobuf.BytesValue": "",
    "google.protobuf.BoolValue": False,
    "google.protobuf.Int32Value": 0,
    "google.protobuf.UInt32Value": 0,
    "google.protobuf.Int64Value": 0,
    "google.protobuf.UInt64Value": 0,
    "google.protobuf.FloatValue": 0,
    "google.protobuf.DoubleValue": 0,
}
_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"

_fields_by_key: dict[str, dict[str, descriptor.FieldDescriptor]] = {}

MessageT = TypeVar("MessageT", bound=Message)


def parse_json(obj: Mapping[str, Any], message: MessageT) -> MessageT:
    """Fill `message` from either JSON shape; unknown fields are ignored, bad values raise ValueError."""
    if not isinstance(obj, Mapping):
        raise ValueError(
            f"a {message.DESCRIPTOR.name} in JSON form must be an object, not {type(obj).__name__}"
        )
    try:
        json_format.ParseDict(
            _normalise_message(obj, cast(descriptor.Descriptor, message.DESCRIPTOR)),
            message,
            ignore_unknown_fields=True,
        )
    except json_format.ParseError as exc:
        raise ValueError(f"not a {message.DESCRIPTOR.name} in JSON form: {exc}") from exc
    return message


def incident_from_json(obj: Mapping[str, Any]) -> Incident:
    """One incident in either JSON shape."""
    return incident_from_pb(parse_json(obj, incident_pb2.Incident()))


def incidents_from_json_response(obj: Any) -> list[Incident]:
    """The incidents of a ListIncidents / BatchGetIncident / GetIncident response (or a bare list)."""
    if isinstance(obj, list):
        return [incident_from_json(item) for item in obj]
    if not isinstance(obj, Mapping):
        raise ValueError(f"an incidents response must be an object, not {type(obj).__name__}")
    incidents = obj.get("incidents")
    if isinstance(incidents, list):
        return [incident_from_json(item) for item in incidents]
    if isinstance(incidents, Mapping):
        return [incident_from_json(item) for item in incidents.values()]
    single = obj.get("incident")
    if isinstance(single, Mapping):
        return [incident_from_json(single)]
    if incidents is None and single is None:
        return []
    raise ValueError("an incidents response needs an `incidents` list or map, or an `incident` object")


def _fields(message: descriptor.Descriptor) -> dict[str, descriptor.FieldDescriptor]:
    """A message's fields by proto name and by JSON (camelCase) name."""
    fields = _fields_by_key.get(message.full_name)
    if fields is None:
        fields = {}
        for field in message.fields:
            fields[field.name] = field
            fields[field.json_name] = field
        _fields_by_key[message.full_name] = fields
    return fields


def _normalise_message(obj: Mapping[str, Any], message: descriptor.Descriptor) -> dict[str, Any]:
    fields = _fields(message)
    out: dict[str, Any] = {}
    for key, value in obj.items():
        field = fields.get(key)
        if field is None or value is None:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            out[field.name] = _normalise_map(value, field.message_type)
        elif field.is_repeated:
            if not isinstance(value, list):
                raise ValueError(f"`{key}` must be a list")
            items = (_normalise_value(item, field) for item in value if item is not None)
            out[field.name] = [item for item in items if item is not None]
        else:
            normalised = _normalise_value(value, field)
            if normalised is not None:
                out[field.name] = normalised
    return out


def _normalise_map(value: Any, entry: descriptor.Descriptor) -> dict[str, Any]:
    """A map given as an object, or as a list of `{"key": k, "value": v}` entries."""
    value_field = entry.fields_by_name["value"]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [(item.get("key"), item.get("value")) for item in value if isinstance(item, Mapping)]
    else:
        raise ValueError(
            f"a map must be an object or a list of key/value entries, not {type(value).__name__}"
        )
    out: dict[str, Any] = {}
    for key, item in pairs:
        if key is None or item is None:
            continue
        normalised = _normalise_value(item, value_field)
        if normalised is not None:
            out[str(key)] = normalised
    return out


def _normalise_value(value: Any, field: descriptor.FieldDescriptor) -> Any:
    """One field value in canonical JSON; None when the value means "not set"."""
    message = field.message_type
    if message is None:
        return value
    name = message.full_name
    if name in _WRAPPER_DEFAULTS:
        if isinstance(value, Mapping):
            return value.get("value", _WRAPPER_DEFAULTS[name])
        return value
    if name == _TIMESTAMP:
        if isinstance(value, Mapping):
            return timestamp_pb2.Timestamp(
                seconds=int(value.get("seconds") or 0), nanos=int(value.get("nanos") or 0)
            ).ToJsonString()
        return value
    if name == _DURATION:
        if isinstance(value, Mapping):
            return duration_pb2.Duration(
                seconds=int(value.get("seconds") or 0), nanos=int(value.get("nanos") or 0)
            ).ToJsonString()
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"`{field.name}` must be an object, not {type(value).__name__}")
    return _normalise_message(value, message)
