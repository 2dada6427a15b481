"""A tiny protobuf wire encoder/decoder written from the encoding spec, independent of generated code."""

from __future__ import annotations

Value = int | bytes


def varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3 | 0) + varint(value)


def field_bytes(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(data)) + data


def string_value(number: int, text: str) -> bytes:
    """A google.protobuf.StringValue field: a message whose field 1 is the string."""
    return field_bytes(number, field_bytes(1, text))


def decode(data: bytes) -> list[tuple[int, int, Value]]:
    """(field number, wire type, value) in order; length-delimited values stay bytes."""
    fields: list[tuple[int, int, Value]] = []
    i = 0

    def read_varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            byte = data[i]
            i += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while i < len(data):
        key = read_varint()
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            fields.append((number, 0, read_varint()))
        elif wire_type == 2:
            length = read_varint()
            fields.append((number, 2, data[i : i + length]))
            i += length
        elif wire_type == 1:
            fields.append((number, 1, data[i : i + 8]))
            i += 8
        elif wire_type == 5:
            fields.append((number, 5, data[i : i + 4]))
            i += 4
        else:
            raise ValueError(f"wire type {wire_type}")
    return fields


def unwrap_string(value: Value) -> str:
    """The text inside an encoded StringValue."""
    assert isinstance(value, bytes)
    inner = decode(value)
    assert [n for n, _, _ in inner] in ([1], [])
    return inner[0][2].decode() if inner else ""  # type: ignore[union-attr]
