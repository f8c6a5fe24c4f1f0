"""`python -m emulator --port 8080` (also the `imagen-gimp-emulator` script): serve until Ctrl+C.

A port that is taken gives one line on stderr and exit status 2, not a traceback, so scripts and
people see at once what to change.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
from typing import Any

from emulator.faults import Fault, describe_kinds
from emulator.server import EmulatorServer

PROG = "imagen-gimp-emulator"


def fault_arg(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A loopback emulator of Vertex AI as Google serves it on 2026-12-01: "
        ":generateContent and :countTokens for today's Gemini models, models.get, "
        "Google's 404 for shut-down ids, strict 400s, and injectable faults. Point "
        "google-genai at it with HttpOptions(base_url='http://127.0.0.1:PORT/').",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="TCP port to listen on, on 127.0.0.1 only (default 8080; 0 = any free port)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        type=fault_arg,
        metavar="KIND[:COUNT[:ARG]]",
        help="make the next COUNT matching calls (default 1) fail or answer oddly; add "
        "@MODEL to match one model only; repeat for more. Kinds: " + describe_kinds(),
    )
    parser.add_argument(
        "--shut-down",
        action="append",
        default=[],
        metavar="MODEL",
        dest="shut_down",
        help="answer Google's 404 for this served model id, as if it were shut down (repeatable)",
    )
    parser.add_argument(
        "--imagen",
        action="store_true",
        help="keep a legacy Imagen endpoint: serve :predict for the Imagen ids (otherwise "
        "they answer 404 like every shut-down model)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="add this latency to every call, as a real round trip would (default 0)",
    )
    parser.add_argument(
        "--drafts",
        type=int,
        default=2,
        choices=(0, 1, 2),
        help="interim thought pictures (flat magenta) a thinking image model sends before "
        "its final picture (default 2)",
    )
    parser.add_argument(
        "--quick-engine",
        action="store_true",
        help="fill removals with a flat colour instead of the plug-in's local engine (faster)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each call on stderr")
    return parser


def _stop_on_term(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    engine = None
    if args.quick_engine:
        from emulator.engines import quick_engine

        engine = quick_engine
    try:
        server = EmulatorServer(
            args.port,
            args.fault,
            args.shut_down,
            imagen=args.imagen,
            engine=engine,
            delay=args.delay,
            drafts=args.drafts,
            verbose=not args.quiet,
            log_limit=100,
        )
    except OSError as exc:
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        print(
            f"{PROG}: cannot listen on 127.0.0.1:{args.port}: {reason} (choose another with --port, or 0 "
            "for any free port)",
            file=sys.stderr,
        )
        return 2
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    print(
        f'Vertex AI emulator on {server.url} (loopback only); google-genai: base_url="{server.url}/". Ctrl+C stops.',
        flush=True,
    )
    signal.signal(signal.SIGTERM, _stop_on_term)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
