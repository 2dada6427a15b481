"""Card-button clicks against the running bot: how fast Slack is acknowledged and the card redrawn.

Every party is a process of its own, as in production: the simulated Coralogix account (IncidentsService,
or with `--api cases` CasesService), the Slack sandbox and the real bot (`incident-bot run`, told the API
with CORALOGIX_API). This process only clicks. It posts one incident card per
channel (the bot's poller does), then clicks "Assign to me" and "Unassign" on every card (several cards
at a time, each card's two clicks one after the other, by two people), sending each click as Slack does:
a signed block_actions request, built by the Slack sandbox from the card as it is now (with a response
URL it will honour).

Every clicker has connected a personal Coralogix key (on Incidents, assigning needs one; the team key is
refused, as on the real service; on Cases the same keys make the same calls, one AssignCase or
UnassignCase per click), and each card has its own two clickers, so no one is held by the bot's
per-person pace and no click meets another's one-write-per-intent claim.

For every click it records
  - acknowledgement: from sending the request to the bot's HTTP answer (Slack allows 3 s);
  - card updated: from sending the request to the Slack sandbox receiving the chat.update of that card
    (the sandbox stamps its arrival and tells this process).
and prints p50/p99/max of both (goals: acknowledgement p99 <= 100 ms and none over 1 s, card updated
p99 <= 500 ms), with the machine's load average before and after.

    .venv/bin/python bench/interactions.py [--clicks 200] [--cards 20] [--concurrency 4]
    .venv/bin/python bench/interactions.py --in-flight 64   # 64 clicks in flight, 256 clicks on 128 cards
    .venv/bin/python bench/interactions.py --in-flight 32 --api cases   # the same on the Cases backend
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the e2e harness lives in tests/

from bench.stand_ins import SPAWN, StandIn, stand_in, take_orders  # noqa: E402
from bot.sandbox.slack import SANDBOX_BOT_TOKEN  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    SIGNING_SECRET,
    free_port,
    running_bot,
    seed_personal_keys,
    wait_for,
    write_config,
)
from tests.e2e.slack_requests import SlackSender  # noqa: E402

ACK_GOAL = 0.100
ACK_LIMIT = 1.0
CARD_GOAL = 0.500
UPDATE_TIMEOUT = 15.0


def channel_of(card: int) -> str:
    return f"C0BENCH{card:03d}"


def clickers(card: int) -> tuple[str, str]:
    """The two people who click one card: the first mapped by the settings file, the second by e-mail."""
    return f"U0BENCH{card:03d}F", f"U0BENCH{card:03d}E"


def coralogix_user(slack_id: str) -> str:
    """Who a clicker is in Coralogix: `users:` maps the F ones; the E ones map by profile e-mail."""
    return f"{slack_id.lower()}@example.com"


def personal_key(slack_id: str) -> str:
    return f"cx-{slack_id.lower()}-key"


# ------------------------------------------------------------------------------------ the stand-ins


def serve_coralogix(port: int, orders: Connection, stop: Event, cards: int, api: str) -> None:
    """The simulated account on `api`, one incident (or case) per card and a personal key per clicker;
    says their ids when ready."""
    from bot.sandbox.coralogix import (
        DEFAULT_API_KEYS,
        SimulatedCases,
        SimulatedCoralogix,
        start_cases_sandbox,
        start_coralogix_sandbox,
    )

    keys = dict(DEFAULT_API_KEYS)
    for card in range(cards):
        for slack_id in clickers(card):
            keys[personal_key(slack_id)] = coralogix_user(slack_id)
    sim = (
        SimulatedCases(seed=7, api_keys=keys) if api == "cases" else SimulatedCoralogix(seed=7, api_keys=keys)
    )
    ids = [
        sim.create_incident(name=f"bench incident {n}", severity="error", application=f"bench{n}")
        for n in range(cards)
    ]
    serve: Any = start_cases_sandbox if isinstance(sim, SimulatedCases) else start_coralogix_sandbox
    with serve(sim, port=port):
        take_orders(orders, stop, greeting=ids)


def serve_slack(port: int, orders: Connection, stop: Event, cards: int, updates: Any) -> None:
    """The Slack sandbox: tells `updates` of every chat.update (channel, ts, arrival time) and, on an
    order over `orders`, builds a click on a card as Slack would send it."""
    from bot.sandbox.slack import RecordedCall, SlackWorkspace, start_slack_sandbox
    from tests.e2e.slack_requests import block_actions

    class Watched(SlackWorkspace):
        def record_call(self, call: RecordedCall) -> None:
            super().record_call(call)
            if call.method == "chat.update" and call.ok:
                updates.put((call.params.get("channel"), call.params.get("ts"), call.at))

    workspace = Watched.with_defaults()
    for card in range(cards):
        workspace.add_channel(channel_of(card), f"bench-{card}")
        for slack_id in clickers(card):
            workspace.add_user(slack_id, slack_id.lower(), coralogix_user(slack_id))

    def obey(order: tuple[Any, ...]) -> Any:
        if order[0] == "cards":  # the first message of every bench channel, once all are there
            found = [workspace.messages(channel_of(card)) for card in range(cards)]
            return [(m[0].ts, m[0].metadata) for m in found] if all(found) else None
        if order[0] == "click":
            _, card, action, user = order
            message = workspace.messages(channel_of(card))[0]
            return block_actions(workspace, message, action, user=user)[0]
        # "answers": what the bot told people: nothing, when every click worked
        return [r for r in workspace.responses()] + [e.text for e in workspace.ephemerals()]

    with start_slack_sandbox(workspace, port=port):
        take_orders(orders, stop, obey)


# ------------------------------------------------------------------------------------------ the run


class SlackSide:
    """The Slack sandbox process as seen from here: clicks built on order, card updates as they arrive."""

    def __init__(self, stand_in: StandIn, updates: Any) -> None:
        self._stand_in = stand_in
        self._lock = threading.Lock()
        self._updates = updates
        self._seen: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._changed = threading.Condition()
        self._listening = True
        self._listener = threading.Thread(target=self._listen, name="updates", daemon=True)
        self._listener.start()

    def ask(self, *order: object) -> Any:
        with self._lock:
            return self._stand_in.ask(order)

    def _listen(self) -> None:
        while self._listening:
            try:
                channel, ts, at = self._updates.get(timeout=0.2)
            except Exception:  # queue.Empty
                continue
            with self._changed:
                self._seen[(channel, ts)].append(at)
                self._changed.notify_all()

    def wait_for_update(self, channel: str, ts: str, since: float, timeout: float = UPDATE_TIMEOUT) -> float:
        """When (time.time(), in the sandbox) the sandbox received the first chat.update after `since`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for at in self._seen[(channel, ts)]:
                    if at >= since:
                        return at
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no update of {ts} in {channel} within {timeout} s")
                self._changed.wait(left)

    def close(self) -> None:
        self._listening = False
        self._listener.join(1)


@dataclass
class Click:
    ack: float
    card: float


def click_card(sender: SlackSender, slack: SlackSide, card: int, ts: str, clicks: int) -> list[Click]:
    """`clicks` clicks on one card, each once the previous one has redrawn it."""
    results = []
    for n in range(clicks):
        action = "incident_assign_me" if n % 2 == 0 else "incident_unassign"
        body: bytes = slack.ask("click", card, action, clickers(card)[n % 2])
        started = time.time()
        answer = sender.post(body)
        if answer.status != 200:
            raise RuntimeError(f"the bot answered {answer.status}: {answer.body}")
        updated_at = slack.wait_for_update(channel_of(card), ts, started)
        results.append(Click(ack=answer.seconds, card=updated_at - started))
    return results


def bot_settings(tmp: Path, cards: int, coralogix_port: int, slack_port: int, api: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    config = {
        "routes": [
            {"name": f"bench-{n}", "match": {"application": f"bench{n}"}, "channels": [channel_of(n)]}
            for n in range(cards)
        ],
        "users": [
            {"slack": "U0ALICE", "coralogix": "alice@example.com"},
            *({"slack": clickers(n)[0], "coralogix": coralogix_user(clickers(n)[0])} for n in range(cards)),
        ],
        "identity": {"email_domains": ["example.com"]},
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CORALOGIX_", "BOT_"))}
    return env | {
        "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "CORALOGIX_API_KEY": "cx-team-key",
        "CORALOGIX_API": api,
        "CORALOGIX_GRPC_ENDPOINT": f"127.0.0.1:{coralogix_port}",
        "CORALOGIX_GRPC_INSECURE": "true",
        "BOT_CONFIG": str(write_config(tmp / "bot.yaml", config)),
        "BOT_DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        "BOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BOT_POLL_INTERVAL_SECONDS": "5",
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(free_port()),
        "BOT_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }


def cpu_seconds(pid: int, stat: Path | None = None) -> float:
    """User + system CPU time the process `pid` has used so far (all its threads)."""
    fields = (stat or Path(f"/proc/{pid}/stat")).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_thread_name(pid: int) -> dict[str, float]:
    """CPU seconds of the process's threads, summed by thread name (gRPC's C threads have their own)."""
    found: dict[str, float] = defaultdict(float)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            found[name] += cpu_seconds(int(task.name), task / "stat")
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
    return found


@contextmanager
def profiled(py_spy: str | None, pid: int, out: str) -> Iterator[None]:
    """py-spy (from PyPI; not a dependency of the bot) sampling the bot while the clicks run.

    With `--py-spy signal`, the bot is sent SIGUSR1 before and after the clicks instead: a profiler the bot
    was started with (e.g. yappi, from a sitecustomize on PYTHONPATH) can start and stop on it.
    """
    if py_spy is None:
        yield
        return
    if py_spy == "signal":
        os.kill(pid, signal.SIGUSR1)
        try:
            yield
        finally:
            os.kill(pid, signal.SIGUSR1)
            time.sleep(1.0)  # the profiler writes its figures
        return
    command = [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--output",
        out,
        "--format",
        "raw",
        "--rate",
        "200",
        "--gil",
    ]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches before the first click
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(30)


@dataclass
class Run:
    clicks: list[Click]
    elapsed: float
    troubles: list[str]
    answers: list[Any]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    cpu: dict[str, float]
    bot_threads: dict[str, float]


def run(args: argparse.Namespace, per_card: list[int]) -> Run:
    updates = SPAWN.Queue()
    with (
        stand_in(serve_coralogix, args.cards, args.api) as coralogix,
        stand_in(serve_slack, args.cards, updates) as slack_stand_in,
    ):
        incident_ids = coralogix.greeting
        slack = SlackSide(slack_stand_in, updates)
        with tempfile.TemporaryDirectory() as tmp:
            env = bot_settings(Path(tmp), args.cards, coralogix.port, slack_stand_in.port, args.api)
            seed_personal_keys(
                env["BOT_DATABASE_URL"],
                env["BOT_ENCRYPTION_KEY"],
                {
                    slack_id: (coralogix_user(slack_id), personal_key(slack_id))
                    for card in range(args.cards)
                    for slack_id in clickers(card)
                },
            )
            with running_bot(env, Path(tmp) / "bot.log") as bot:
                cards = wait_for(lambda: slack.ask("cards"), 120, "every card posted", interval=0.5)
                shown = [metadata["event_payload"]["incident_id"] for _, metadata in cards]
                assert shown == incident_ids, "a card shows another incident than its channel's"
                sender = SlackSender(bot.url + "/slack/events")
                # Bolt's first request runs auth.test once: keep it out of the figures
                sender.post(slack.ask("click", 0, "incident_details", "U0ALICE"))
                pids = {
                    "bot": bot.process.pid,
                    "Coralogix stand-in": coralogix.process.pid or 0,
                    "Slack stand-in": slack_stand_in.process.pid or 0,
                    "bench (clicks)": os.getpid(),
                }
                with profiled(args.py_spy, bot.process.pid, args.profile_out):
                    load_before = os.getloadavg()
                    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                    threads_before = cpu_by_thread_name(bot.process.pid)
                    started = time.monotonic()
                    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                        batches = pool.map(
                            lambda card: click_card(sender, slack, card, cards[card][0], per_card[card]),
                            range(args.cards),
                        )
                        clicks = [click for batch in batches for click in batch]
                    elapsed = time.monotonic() - started
                    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
                    threads = {
                        name: seconds - threads_before.get(name, 0.0)
                        for name, seconds in cpu_by_thread_name(bot.process.pid).items()
                    }
                    load_after = os.getloadavg()
                answers = slack.ask("answers")
                lines = bot.log().splitlines()
                troubles = [line for line in lines if '"level": "error"' in line or "Traceback" in line]
        slack.close()
    return Run(clicks, elapsed, troubles, answers, load_before, load_after, cpu, threads)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--cards", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4, help="cards clicked at the same time")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=None,
        help="clicks in flight at once: sets --concurrency and at least as many --cards (4 clicks each)",
    )
    parser.add_argument(
        "--api", choices=["incidents", "cases"], default="incidents", help="the API the account speaks"
    )
    parser.add_argument("--py-spy", default=None, help="path of py-spy: sample the bot during the clicks")
    parser.add_argument("--profile-out", default="interactions.pyspy.txt", help="where py-spy writes")
    args = parser.parse_args()
    if args.in_flight is not None:
        args.concurrency = args.in_flight
        args.clicks = max(args.clicks, 4 * args.in_flight)
    # a card takes "Assign to me" then "Unassign": the bot holds a second click of the same action on
    # the same incident for 10 s (one write per intent), so no card is clicked more than twice
    args.cards = max(args.cards, args.concurrency, -(-args.clicks // 2))
    per_card = [
        args.clicks // args.cards + (1 if n < args.clicks % args.cards else 0) for n in range(args.cards)
    ]
    result = run(args, per_card)

    acks = [c.ack for c in result.clicks]
    redraws = [c.card for c in result.clicks]
    print(
        f"{args.api}: {len(result.clicks)} clicks on {args.cards} cards, {args.concurrency} at a time, in "
        f"{result.elapsed:.1f} s; load average {result.load_before[0]:.2f} before, "
        f"{result.load_after[0]:.2f} after ({os.cpu_count()} cores)"
    )
    for name, values, goal in (("acknowledgement", acks, ACK_GOAL), ("card updated", redraws, CARD_GOAL)):
        p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
        verdict = "meets" if p99 <= goal else "MISSES"
        print(
            f"{name:16s} p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
            f"max {max(values) * 1000:7.1f} ms   mean {statistics.fmean(values) * 1000:7.1f} ms   "
            f"({verdict} the p99 goal of {goal * 1000:.0f} ms)"
        )
    print(
        "CPU during the clicks: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.cpu.items())
        + f" ({sum(result.cpu.values()) * 1000 / len(result.clicks):.1f} ms a click in all)"
    )
    per_click = sum(result.cpu.values()) / len(result.clicks)
    cores = os.cpu_count() or 1
    print(
        f"  a floor at this cost: {args.concurrency} clicks in flight need {per_click * 1000:.1f} ms of CPU "
        f"each on {cores} cores, so a click's round (acknowledged, card updated, next click built) "
        f"averages at least {args.concurrency * per_click / cores * 1000:.0f} ms; "
        f"this run averaged {result.elapsed / len(result.clicks) * args.concurrency * 1000:.0f} ms"
    )
    busiest = sorted(result.bot_threads.items(), key=lambda item: -item[1])[:4]
    print(
        "  the bot's CPU by thread name: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in busiest)
    )
    over = sum(1 for ack in acks if ack > ACK_LIMIT)
    print(f"acknowledgements over {ACK_LIMIT:.0f} s: {over}")
    if result.answers:
        print(f"the bot told clickers {len(result.answers)} things, e.g. {str(result.answers[0])[:300]}")
    if result.troubles:
        print(f"the bot logged {len(result.troubles)} errors, e.g. {result.troubles[0][:300]}")
    met = percentile(acks, 0.99) <= ACK_GOAL and over == 0 and percentile(redraws, 0.99) <= CARD_GOAL
    return 0 if met and not result.troubles and not result.answers else 1


if __name__ == "__main__":
    raise SystemExit(main())
