"""Our protos against Coralogix's published wire contracts (copies live in protos/).

Every message and enum of each contract (Incidents and Cases) is parsed from its tables and compared with
the descriptors that `protos/` generates: field numbers, names, types, labels (proto3 `optional` too),
maps, oneof membership, and every service's rpcs with their request and response types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

import bot.coralogix.pb.cases.alert_event_case_service_pb2
import bot.coralogix.pb.cases.case_events_service_pb2
import bot.coralogix.pb.cases.cases_service_pb2
import bot.coralogix.pb.cases.team_config_service_pb2
import bot.coralogix.pb.incidents_service_pb2  # noqa: F401  (each registers its files in the pool)

PROTOS = Path(__file__).resolve().parents[2] / "protos"

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


@dataclass
class Contract:
    name: str
    package: str
    messages: dict[str, list[ContractField]] = field(default_factory=dict)
    enums: dict[str, dict[str, int]] = field(default_factory=dict)
    # service full name -> rpc name -> (request, response)
    services: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    @property
    def rpcs(self) -> list[str]:
        return [rpc for table in self.services.values() for rpc in table]


def _parse_contract(file_name: str, package: str) -> Contract:
    contract = Contract(file_name, package)
    section = ""
    service: dict[str, tuple[str, str]] | None = None
    current: str | None = None
    for line in (PROTOS / file_name).read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            service = None
            named = re.match(r"Service `([\w.]+)`", section)
            if named:
                service = contract.services.setdefault(named.group(1), {})
            continue
        if line.startswith("### "):
            current = line[4:].strip()
            if section == "Messages":
                contract.messages[current] = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if service is not None and len(cells) == 3 and cells[0] not in ("rpc", "---"):
            service[cells[0]] = (cells[1], cells[2])
        elif section == "Messages" and current and cells and cells[0].isdigit():
            contract.messages[current].append(ContractField(int(cells[0]), cells[1], cells[2], cells[3]))
        elif section == "Enums" and current and "=" in line and not line.startswith("file:"):
            contract.enums[current] = {
                name.strip(): int(value) for name, value in (pair.split("=") for pair in line.split(","))
            }
    return contract


INCIDENTS = _parse_contract("coralogix-incidents-wire.md", "com.coralogixapis.incidents.v1")
CASES = _parse_contract("coralogix-cases-wire.md", "com.coralogixapis.cases.v1")
CONTRACTS = {"incidents": INCIDENTS, "cases": CASES}
POOL = descriptor_pool.Default()


def test_contracts_were_read() -> None:
    assert len(INCIDENTS.messages) > 80
    assert len(INCIDENTS.enums) >= 12
    assert list(INCIDENTS.services) == ["com.coralogixapis.incidents.v1.IncidentsService"]
    assert "ListIncidents" in INCIDENTS.rpcs and len(INCIDENTS.rpcs) == 18
    assert len(CASES.messages) == 87
    assert len(CASES.enums) == 10
    assert sorted(CASES.services) == [
        f"com.coralogixapis.cases.v1.{name}"
        for name in ("AlertEventCaseService", "CaseEventsService", "CasesService", "TeamConfigService")
    ]
    assert len(CASES.rpcs) == 23 and {"ListCases", "AcknowledgeCase", "ListEvents"} <= set(CASES.rpcs)


def _expected_type_name(contract: Contract, type_text: str) -> str:
    return type_text if type_text.startswith("google.protobuf.") else f"{contract.package}.{type_text}"


def _check_single_type(contract: Contract, field: FieldDescriptor, type_text: str) -> None:
    if type_text in SCALARS:
        assert field.type == SCALARS[type_text], field.full_name
        return
    if type_text in contract.enums:
        assert field.type == FieldDescriptor.TYPE_ENUM, field.full_name
        assert field.enum_type is not None
        assert field.enum_type.full_name == f"{contract.package}.{type_text}"
        return
    assert field.type == FieldDescriptor.TYPE_MESSAGE, field.full_name
    assert field.message_type is not None
    assert field.message_type.full_name == _expected_type_name(contract, type_text), field.full_name


MESSAGE_CASES = [(api, name) for api, contract in CONTRACTS.items() for name in sorted(contract.messages)]
ENUM_CASES = [(api, name) for api, contract in CONTRACTS.items() for name in sorted(contract.enums)]
SERVICE_CASES = [(api, name) for api, contract in CONTRACTS.items() for name in contract.services]


@pytest.mark.parametrize(("api", "name"), MESSAGE_CASES)
def test_message_matches_contract(api: str, name: str) -> None:
    contract = CONTRACTS[api]
    descriptor: Descriptor = POOL.FindMessageTypeByName(f"{contract.package}.{name}")
    expected = contract.messages[name]
    assert sorted(f.number for f in descriptor.fields) == sorted(f.number for f in expected)
    for spec in expected:
        field = descriptor.fields_by_number[spec.number]
        assert field.name == spec.name
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if spec.label == "map":
            assert is_map and field.message_type is not None, f"{name}.{spec.name} should be a map"
            key_type, value_type = re.fullmatch(r"map<(\w+),\s*([\w.]+)>", spec.type).groups()  # type: ignore[union-attr]
            _check_single_type(contract, field.message_type.fields_by_name["key"], key_type)
            _check_single_type(contract, field.message_type.fields_by_name["value"], value_type)
            continue
        assert not is_map
        assert field.is_repeated == (spec.label == "repeated"), f"{name}.{spec.name} label"
        oneof = field.containing_oneof
        if spec.label.startswith("oneof "):
            assert oneof is not None and oneof.name == spec.label.split()[1], f"{name}.{spec.name} oneof"
        elif spec.label == "optional":
            # proto3 `optional`: presence tracked through a synthetic oneof of its own
            assert oneof is not None and oneof.name == f"_{spec.name}", f"{name}.{spec.name} optional"
            assert [f.name for f in oneof.fields] == [spec.name]
        else:
            assert oneof is None, f"{name}.{spec.name} must not be in a oneof"
            if field.type != FieldDescriptor.TYPE_MESSAGE and not field.is_repeated:
                assert not field.has_presence, f"{name}.{spec.name} must not be optional"
        _check_single_type(contract, field, spec.type)


@pytest.mark.parametrize(("api", "name"), ENUM_CASES)
def test_enum_matches_contract(api: str, name: str) -> None:
    contract = CONTRACTS[api]
    descriptor: EnumDescriptor = POOL.FindEnumTypeByName(f"{contract.package}.{name}")
    assert {v.name: v.number for v in descriptor.values} == contract.enums[name]


@pytest.mark.parametrize(("api", "service_name"), SERVICE_CASES)
def test_service_has_every_rpc(api: str, service_name: str) -> None:
    contract = CONTRACTS[api]
    table = contract.services[service_name]
    service = POOL.FindServiceByName(service_name)
    assert sorted(m.name for m in service.methods) == sorted(table)
    for method in service.methods:
        request, response = table[method.name]
        assert method.input_type.full_name == f"{contract.package}.{request}"
        assert method.output_type.full_name == f"{contract.package}.{response}"


def test_every_contract_message_is_in_a_file_the_contract_names() -> None:
    """Each Cases message lives in the generated file named after the contract's `file:` line."""
    text = (PROTOS / CASES.name).read_text()
    placed = re.findall(r"^### ([\w.]+)\n\nfile: `com/coralogixapis/cases/v1/(\w+)\.proto`", text, re.M)
    assert len(placed) == len(CASES.messages) + len(CASES.enums)
    for name, path in placed:
        top = name.split(".")[0]
        found = POOL.FindMessageTypeByName(f"{CASES.package}.{top}") if top in CASES.messages else None
        descriptor = found or POOL.FindEnumTypeByName(f"{CASES.package}.{top}")
        assert descriptor.file.name == f"bot/coralogix/pb/cases/{path}.proto", name
