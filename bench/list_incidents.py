"""Listing 10,000 incidents: the bot's client against bare grpcio decoding, both over a real socket.

Starts the simulated IncidentsService in-process with 10,000 incidents, then walks all of them in
pages of 100 twice per round: through `IncidentsClient.iter_incidents` (domain objects), and through
the generated stub alone (responses decoded into generated messages, nothing more) as the floor.
Prints incidents/second for each, and the ratio (goal: client at most 3x the floor's time).

Also prints the client-side share alone: decoding the same serialized pages into messages, against
decoding and converting them into domain objects, with no network or server in the way.

    .venv/bin/python bench/list_incidents.py [--incidents N] [--page-size P] [--rounds R]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from google.protobuf import wrappers_pb2

from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.coralogix.convert import incidents_from_pb
from bot.coralogix.pb import incidents_service_pb2 as svc
from bot.coralogix.pb.incidents_service_pb2_grpc import IncidentsServiceStub
from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox

API_KEY = "cx-team-key"


def bare_pages(stub: IncidentsServiceStub, page_size: int) -> list[svc.ListIncidentsResponse]:
    """Every page through the generated stub: the grpcio floor."""
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


def best_of(rounds: int, run: Callable[[], int]) -> tuple[float, int]:
    """The fastest of `rounds` runs (seconds) and the number of incidents it saw."""
    best = float("inf")
    count = 0
    for _ in range(rounds):
        started = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - started)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    sim = SimulatedCoralogix(seed=1)
    sim.generate(args.incidents)
    running = start_coralogix_sandbox(sim)
    channel = open_channel(running.address, insecure=True)
    client = IncidentsClient(channel, API_KEY, timeout=60)
    stub = IncidentsServiceStub(channel)
    try:

        def through_client() -> int:
            return sum(1 for _ in client.iter_incidents(page_size=args.page_size))

        def through_stub() -> int:
            return sum(len(page.incidents) for page in bare_pages(stub, args.page_size))

        through_client()  # warm both paths (and the simulator's sorted view) before timing
        through_stub()
        floor_s, floor_n = best_of(args.rounds, through_stub)
        client_s, client_n = best_of(args.rounds, through_client)
        assert floor_n == client_n == args.incidents, (floor_n, client_n)

        payloads = [page.SerializeToString() for page in bare_pages(stub, args.page_size)]
        decode_s, _ = best_of(
            args.rounds,
            lambda: sum(len(svc.ListIncidentsResponse.FromString(p).incidents) for p in payloads),
        )
        convert_s, _ = best_of(
            args.rounds,
            lambda: sum(
                len(incidents_from_pb(svc.ListIncidentsResponse.FromString(p).incidents)) for p in payloads
            ),
        )
    finally:
        client.close_channel()
        running.stop()

    n = args.incidents
    print(f"{n} incidents in pages of {args.page_size}, best of {args.rounds} rounds, over a real socket")
    print(f"  bare grpcio (floor): {floor_s:8.3f} s  {n / floor_s:10.0f} incidents/s")
    print(f"  IncidentsClient:     {client_s:8.3f} s  {n / client_s:10.0f} incidents/s")
    print(f"  ratio client/floor:  {client_s / floor_s:8.2f}   (goal <= 3.0)")
    print("client side only (same serialized pages, no network, no server)")
    print(f"  decode:              {decode_s:8.3f} s  {n / decode_s:10.0f} incidents/s")
    print(f"  decode + convert:    {convert_s:8.3f} s  {n / convert_s:10.0f} incidents/s")
    print(f"  ratio:               {convert_s / decode_s:8.2f}")


if __name__ == "__main__":
    main()
