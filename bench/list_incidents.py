"""Listing 10,000 incidents: what the bot's client costs on its side, against protobuf's own floor.

The simulated IncidentsService runs in a process of its own with 10,000 incidents, so its work (sorting,
paging, encoding) is never counted as the client's.

The headline is the client side alone, on the same serialized pages fetched once from that service:
  - floor: decode each page with the generated protobuf classes and read every field the bot's
    conversion reads (ids, names, enums, timestamps, assignments, labels, events), building nothing;
  - client: decode each page and convert it into the bot's domain objects (`incidents_from_pb`), which
    is what `IncidentsClient` does with every page it receives.
Goal: the client at most 3x the floor.

Then the whole walk over the socket, in pages of 100: `IncidentsClient.iter_incidents` against the bare
generated stub reading the same fields, in wall time and in this process's CPU time (gRPC's threads
included; the service's CPU is in its own process and not counted).

    .venv/bin/python bench/list_incidents.py [--incidents N] [--page-size P] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from google.protobuf import wrappers_pb2  # noqa: E402

from bench.stand_ins import stand_in, take_orders  # noqa: E402
from bot.coralogix.channel import open_channel  # noqa: E402
from bot.coralogix.client import IncidentsClient  # noqa: E402
from bot.coralogix.convert import incidents_from_pb  # noqa: E402
from bot.coralogix.pb import incident_pb2  # noqa: E402
from bot.coralogix.pb import incidents_service_pb2 as svc  # noqa: E402
from bot.coralogix.pb.incidents_service_pb2_grpc import IncidentsServiceStub  # noqa: E402

API_KEY = "cx-team-key"
GOAL = 3.0


# ------------------------------------------------------------------------------------ the stand-in


def serve(port: int, orders: Connection, stop: Event, incidents: int) -> None:
    """The simulated IncidentsService with `incidents` incidents, until `stop` is set; says its address."""
    from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox

    sim = SimulatedCoralogix(seed=1)
    sim.generate(incidents)
    with start_coralogix_sandbox(sim, port=port) as running:
        take_orders(orders, stop, greeting=running.address)


# ---------------------------------------------------------------------------------------- the floor


def read_fields(m: incident_pb2.Incident) -> int:
    """Reads, through protobuf, every field `incident_from_pb` reads; builds nothing from them."""
    has = m.HasField
    n = len(m.id.value) + len(m.name.value) + len(m.description.value) + m.severity + m.status + m.state
    if has("created_at"):
        n += m.created_at.seconds + m.created_at.nanos
    if has("closed_at"):
        n += m.closed_at.seconds + m.closed_at.nanos
    if has("last_state_update_time"):
        n += m.last_state_update_time.seconds + m.last_state_update_time.nanos
    if has("last_state_update_key"):
        n += len(m.last_state_update_key.value)
    n += m.is_muted.value
    if has("duration"):
        n += m.duration.seconds + m.duration.nanos
    for assignment in m.assignments:
        n += len(assignment.assigned_to.user_id.value) + len(assignment.assigned_by.user_id.value)
    for key, value in m.contextual_labels.items():
        n += len(key) + len(value)
    for key, value in m.display_labels.items():
        n += len(key) + len(value)
    for label in m.meta_labels:
        n += len(label.key.value) + len(label.value.value)
    for event in m.events:  # the list carries none today; were it to, the floor reads them as well
        originator = event.WhichOneof("originator") or ""
        payload = event.WhichOneof("incident_event_payload") or ""
        n += len(event.id.value) + len(originator) + len(payload) + event.incident_event_type
    return n


def decode_and_read(payloads: list[bytes]) -> int:
    count = 0
    for payload in payloads:
        for incident in svc.ListIncidentsResponse.FromString(payload).incidents:
            read_fields(incident)
            count += 1
    return count


def decode_and_convert(payloads: list[bytes]) -> int:
    return sum(len(incidents_from_pb(svc.ListIncidentsResponse.FromString(p).incidents)) for p in payloads)


def bare_pages(stub: IncidentsServiceStub, page_size: int) -> list[svc.ListIncidentsResponse]:
    """Every page through the generated stub alone."""
    metadata = (("authorization", f"Bearer {API_KEY}"),)
    pages = []
    token = ""
    while True:
        request = svc.ListIncidentsRequest(
            pagination=svc.PaginationRequest(
                page_size=wrappers_pb2.UInt32Value(value=page_size),
                page_token=wrappers_pb2.StringValue(value=token) if token else None,
            )
        )
        response = stub.ListIncidents(request, timeout=60, metadata=metadata)
        pages.append(response)
        token = response.pagination.next_page_token.value
        if not token:
            return pages


# ------------------------------------------------------------------------------------------ timing


def best_of(rounds: int, run: Callable[[], int]) -> tuple[float, float, int]:
    """The fastest of `rounds` runs: (wall seconds, this process's CPU seconds, incidents seen)."""
    best: tuple[float, float, int] = (float("inf"), float("inf"), 0)
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        count = run()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu, count))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with stand_in(serve, args.incidents) as service:
        channel = open_channel(service.greeting, insecure=True)
        client = IncidentsClient(channel, API_KEY, timeout=60)
        stub = IncidentsServiceStub(channel)
        try:

            def through_client() -> int:
                return sum(1 for _ in client.iter_incidents(page_size=args.page_size))

            def through_stub() -> int:
                return sum(
                    sum(1 for m in page.incidents if read_fields(m) >= 0)
                    for page in bare_pages(stub, args.page_size)
                )

            through_client()  # warm both paths (and the service's sorted view) before timing
            through_stub()
            stub_wall, stub_cpu, stub_n = best_of(args.rounds, through_stub)
            client_wall, client_cpu, client_n = best_of(args.rounds, through_client)
            payloads = [page.SerializeToString() for page in bare_pages(stub, args.page_size)]
        finally:
            client.close_channel()

    floor_s, _, floor_n = best_of(args.rounds, lambda: decode_and_read(payloads))
    convert_s, _, convert_n = best_of(args.rounds, lambda: decode_and_convert(payloads))
    n = args.incidents
    assert floor_n == convert_n == stub_n == client_n == n, (floor_n, convert_n, stub_n, client_n)

    ratio = convert_s / floor_s
    verdict = "meets" if ratio <= GOAL else "MISSES"
    print(
        f"{n} incidents in pages of {args.page_size}, best of {args.rounds} rounds; the service in its own "
        f"process; load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)"
    )
    print("client side, on the same serialized pages (headline)")
    print(f"  floor: decode + read the fields:  {floor_s:7.3f} s  {n / floor_s:9.0f} incidents/s")
    print(f"  client: decode + convert:         {convert_s:7.3f} s  {n / convert_s:9.0f} incidents/s")
    print(f"  ratio client/floor:               {ratio:7.2f}   ({verdict} the goal of <= {GOAL:.0f}x)")
    print("the whole walk over the socket (this process only: wall time, and CPU time)")
    print(f"  bare stub, reading the fields:    {stub_wall:7.3f} s wall  {stub_cpu:7.3f} s CPU")
    print(f"  IncidentsClient.iter_incidents:   {client_wall:7.3f} s wall  {client_cpu:7.3f} s CPU")
    walls, cpus = client_wall / stub_wall, client_cpu / stub_cpu
    print(f"  ratio client/stub:                {walls:7.2f} wall  {cpus:7.2f} CPU")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
