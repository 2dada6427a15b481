"""The `incident-bot` command line: parses arguments, builds what a command needs, runs it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, MutableMapping, Sequence
from typing import TextIO

from bot import __version__
from bot.errors import BotError, SettingsError

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bot.check import run_check
    from bot.config import load_settings
    from bot.probes import channels_probe, coralogix_probe, queue_probe, slack_probe, socket_mode_probe

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        for line in exc.problems:
            print(line, file=err)
        return 1
    return run_check(
        settings,
        coralogix_probe=coralogix_probe(settings),
        slack_probe=slack_probe(settings),
        socket_mode_probe=socket_mode_probe(settings),
        channels_probe=channels_probe(settings),
        queue_probe=queue_probe(settings),
        out=out,
    )


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bot.config import load_settings
    from bot.logs import configure_logging, route_uncaught_exceptions, secret_values
    from bot.runtime import build_runtime
    from bot.signals import StopSignals

    settings = load_settings(args.config)
    configure_logging(settings.bot_log_format, secret_values(settings))
    route_uncaught_exceptions()
    signals = StopSignals()  # before anything listens: a SIGTERM during start-up still stops cleanly
    log = logging.getLogger("bot")
    try:
        runtime = build_runtime(settings)
    except BotError as exc:  # e.g. the HTTP port is taken: one log line in the configured format
        log.error("%s", exc)
        signals.restore()
        return 1
    try:
        runtime.start()
    except BotError as exc:  # e.g. Slack or Coralogix refused the bot's credentials
        log.error("%s", exc)
        runtime.stop()
        signals.restore()
        return 1
    except Exception as exc:  # a bug or an unforeseen refusal: still one line (the traceback at DEBUG)
        log.error("the bot could not start: %s: %s", type(exc).__name__, exc)
        log.debug("the start-up failure in full", exc_info=True)
        runtime.stop()
        signals.restore()
        return 1
    try:
        if not signals.received:
            signals.wait()
    finally:
        signals.restore()
        runtime.stop()
    return 0


def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bot.demo.command import run_demo

    return run_demo(
        port=args.port, seed=args.seed, host=args.host, out=out, err=err, socket_mode=args.socket_mode
    )


def _sandbox_coralogix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bot.sandbox.coralogix import serve_forever

    return serve_forever(
        args.port,
        args.seed,
        api=args.api,
        incidents=args.incidents,
        churn_seconds=args.churn_seconds,
        out=out,
    )


def quiet_grpc_core(environ: MutableMapping[str, str]) -> None:
    """gRPC's C core writes to stderr, outside logging; unless the operator chose a verbosity, it prints
    errors only. Takes effect only before grpc is imported."""
    environ.setdefault("GRPC_VERBOSITY", "ERROR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="incident-bot",
        description="Coralogix incidents in Slack: live incident cards and one-click actions.",
    )
    parser.add_argument("--version", action="version", version=f"incident-bot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="the bot: Slack listener and the scheduled poller, until SIGTERM")
    run.add_argument("--config", metavar="PATH", help="the YAML settings/routing file (else BOT_CONFIG)")
    run.set_defaults(handler=_run)

    check = commands.add_parser(
        "check",
        help="validate settings, print the effective configuration, try Slack and Coralogix",
    )
    check.add_argument("--config", metavar="PATH", help="the YAML settings/routing file (else BOT_CONFIG)")
    check.set_defaults(handler=_check)

    demo = commands.add_parser(
        "demo",
        help="everything on this machine, no credentials: simulated Coralogix and Slack, the bot, a web page",
    )
    demo.add_argument("--port", type=int, default=8080, help="port of the demo page (0: any free port)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the simulated incidents")
    demo.add_argument(
        "--host",
        default="127.0.0.1",
        help="address the demo page listens on (default 127.0.0.1, this machine only; "
        "this machine's address or 0.0.0.0 lets other machines open it)",
    )
    demo.add_argument(
        "--socket-mode",
        action="store_true",
        help="the bot connects over Socket Mode (to a local stand-in) instead of answering HTTP requests",
    )
    demo.set_defaults(handler=_demo)

    sandbox = commands.add_parser("sandbox", help="run a stand-in service on this machine")
    sandboxes = sandbox.add_subparsers(dest="sandbox", metavar="SERVICE", required=True)
    coralogix = sandboxes.add_parser(
        "coralogix", help="the simulated Coralogix IncidentsService or CasesService (gRPC, plaintext)"
    )
    coralogix.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    coralogix.add_argument("--seed", type=int, default=0, help="seed of the generated incidents")
    coralogix.add_argument(
        "--api",
        choices=["incidents", "cases"],
        default="incidents",
        help="which API to serve: IncidentsService, or CasesService with CaseEventsService",
    )
    coralogix.add_argument("--incidents", type=int, default=25, help="incidents (or cases) to start with")
    coralogix.add_argument(
        "--churn-seconds",
        type=float,
        default=None,
        metavar="S",
        help="every S seconds, create or change an incident as Coralogix would",
    )
    coralogix.set_defaults(handler=_sandbox_coralogix)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    quiet_grpc_core(os.environ)  # before anything imports grpc
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        code = handler(args, sys.stdout, sys.stderr)
    except SettingsError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        code = 1
    except BotError as exc:
        print(str(exc), file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
