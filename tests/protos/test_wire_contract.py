"""Our protos against Coralogix's published wire contract (a copy lives in protos/).

Every message and enum of the contract is parsed from its tables and compared with the descriptors that
`protos/` generates: field numbers, names, types, labels, maps and oneof membership.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

import bot.coralogix.pb.incidents_service_pb2  # noqa: F401  (registers every file in the pool)

CONTRACT = Path(__file__).resolve().parents[2] / "protos" / "coralogix-incidents-wire.md"
PACKAGE = "com.coralogixapis.incidents.v1"

SCALARS = {
    "string": FieldDescriptor.TYPE_STRING,
    "bool": FieldDescriptor.TYPE_BOOL,
    "int32": FieldDescriptor.TYPE_INT32,
    "int64": FieldDescriptor.TYPE_INT64,
    "uint32": FieldDescriptor.TYPE_UINT32,
    "uint64": FieldDescriptor.TYPE_UINT64,
    "double": FieldDescriptor.TYPE_DOUBLE,
    "bytes": FieldDescriptor.TYPE_BYTES,
}


@dataclass(frozen=True)
class ContractField:
    number: int
    name: str
    type: str
    label: str


def _parse_contract() -> tuple[dict[str, list[ContractField]], dict[str, dict[str, int]], list[str]]:
    messages: dict[str, list[ContractField]] = {}
    enums: dict[str, dict[str, int]] = {}
    rpcs: list[str] = []
    section = ""
    current: str | None = None
    for line in CONTRACT.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if line.startswith("### "):
            current = line[4:].strip()
            if section == "Messages":
                messages[current] = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if section.startswith("Service") and cells and cells[0] not in ("rpc", "---"):
            rpcs.append(cells[0])
        elif section == "Messages" and current and cells and cells[0].isdigit():
            messages[current].append(ContractField(int(cells[0]), cells[1], cells[2], cells[3]))
        elif section == "Enums" and current and "=" in line and not line.startswith("file:"):
            enums[current] = {
                name.strip(): int(value) for name, value in (pair.split("=") for pair in line.split(","))
            }
    return messages, enums, rpcs


MESSAGES, ENUMS, RPCS = _parse_contract()
POOL = descriptor_pool.Default()


def test_contract_was_read() -> None:
    assert len(MESSAGES) > 80
    assert len(ENUMS) >= 12
    assert "ListIncidents" in RPCS and len(RPCS) == 18


def _message(name: str) -> Descriptor:
    return POOL.FindMessageTypeByName(f"{PACKAGE}.{name}")


def _expected_type_name(type_text: str) -> str:
    return type_text if type_text.startswith("google.protobuf.") else f"{PACKAGE}.{type_text}"


def _check_single_type(field: FieldDescriptor, type_text: str) -> None:
    if type_text in SCALARS:
        assert field.type == SCALARS[type_text], field.full_name
        return
    if type_text in ENUMS:
        assert field.type == FieldDescriptor.TYPE_ENUM, field.full_name
        assert field.enum_type.full_name == f"{PACKAGE}.{type_text}"
        return
    assert field.type == FieldDescriptor.TYPE_MESSAGE, field.full_name
    assert field.message_type.full_name == _expected_type_name(type_text), field.full_name


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_message_matches_contract(name: str) -> None:
    descriptor = _message(name)
    expected = MESSAGES[name]
    assert sorted(f.number for f in descriptor.fields) == sorted(f.number for f in expected)
    for spec in expected:
        field = descriptor.fields_by_number[spec.number]
        assert field.name == spec.name
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if spec.label == "map":
            assert is_map, f"{name}.{spec.name} should be a map"
            key_type, value_type = re.fullmatch(r"map<(\w+),\s*([\w.]+)>", spec.type).groups()  # type: ignore[union-attr]
            _check_single_type(field.message_type.fields_by_name["key"], key_type)
            _check_single_type(field.message_type.fields_by_name["value"], value_type)
            continue
        assert not is_map
        repeated = field.is_repeated
        assert repeated == (spec.label == "repeated"), f"{name}.{spec.name} label"
        oneof = field.containing_oneof
        if spec.label.startswith("oneof "):
            assert oneof is not None and oneof.name == spec.label.split()[1], f"{name}.{spec.name} oneof"
        else:
            # proto3 `optional` creates synthetic oneofs; the contract has none
            assert oneof is None, f"{name}.{spec.name} must not be in a oneof"
        _check_single_type(field, spec.type)


@pytest.mark.parametrize("name", sorted(ENUMS))
def test_enum_matches_contract(name: str) -> None:
    descriptor: EnumDescriptor = POOL.FindEnumTypeByName(f"{PACKAGE}.{name}")
    assert {v.name: v.number for v in descriptor.values} == ENUMS[name]


def test_service_has_every_rpc() -> None:
    service = POOL.FindServiceByName(f"{PACKAGE}.IncidentsService")
    assert sorted(m.name for m in service.methods) == sorted(RPCS)
    table = {
        cells[0]: (cells[1], cells[2])
        for cells in (
            [c.strip() for c in line.strip().strip("|").split("|")]
            for line in CONTRACT.read_text().split("## Messages")[0].splitlines()
            if line.startswith("| ")
        )
        if len(cells) == 3 and cells[0] in RPCS
    }
    for method in service.methods:
        request, response = table[method.name]
        assert method.input_type.full_name == f"{PACKAGE}.{request}"
        assert method.output_type.full_name == f"{PACKAGE}.{response}"
