"""A loopback HTTP server that speaks Vertex AI's Imagen `:predict` REST API (and, through
gemini_emulator, Gemini's `:generateContent`).

Tests point the real google-cloud-aiplatform client at it (REST transport, endpoint
`http://127.0.0.1:PORT`), and it serves offline demos. It validates every request strictly
(emulator_validation), answers from the local engine or with deterministic patterns
(emulator_answers), records what it received, and injects faults on request.

    python -m plugin.backends.emulator --port 8080 --fault 429:2 --retired imagen-3.0-generate-001
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from plugin.backends.emulator_answers import Engine, answer, local_engine
from plugin.backends.emulator_validation import Invalid, check
from plugin.backends.imagen_models import KNOWN_MODELS

PATH = re.compile(r"^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)"
                  r"/publishers/google/models/([^/:]+):(predict|generateContent)$")
MAX_BODY_BYTES = 64 * 1024 * 1024
FAULT_KINDS = ("429", "500", "503", "slow", "filter", "malformed", "blocked", "403", "403-person", "404")
STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
          500: "INTERNAL", 503: "UNAVAILABLE", 413: "INVALID_ARGUMENT", 411: "INVALID_ARGUMENT"}
MESSAGES = {
    "429": (429, "Resource exhausted, please try again later."),
    "500": (500, "Internal error encountered."),
    "503": (503, "The service is currently unavailable."),
    "403": (403, "Permission 'aiplatform.endpoints.predict' denied on resource "
                 "'//aiplatform.googleapis.com/projects/{project}/locations/{location}/publishers/google/models/"
                 "{model}' (or it may not exist)."),
    "403-person": (403, "Person Generation with allow_all is not available for this project: your project "
                        "must be allowlisted (approval needed) for people and child generation."),
    "blocked": (400, "Image generation failed with the following error: The prompt could not be submitted. "
                     "This prompt contains sensitive words that violate Google's Responsible AI practices. "
                     "Try rephrasing the prompt. Support codes: 42876398"),
}


@dataclass
class Fault:
    """Applies to the next `count` matching requests: kind 429/500/503/403/403-person/404/blocked
    (an error), slow (wait `seconds`, then answer), filter (drop `samples` samples, 0 = all),
    malformed (a broken JSON body with status 200)."""

    kind: str
    count: int = 1
    seconds: float = 0.0
    samples: int = 0
    model: str = ""  # only requests to this model ID; "" = any

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r}; choose one of {', '.join(FAULT_KINDS)}")

    @classmethod
    def parse(cls, text: str) -> Fault:
        """'429:2' (first 2 requests), 'slow:1:5' (5 s), 'filter:1:2' (drop 2 samples)."""
        kind, _, rest = text.partition(":")
        count_text, _, arg = rest.partition(":")
        fault = cls(kind, int(count_text or 1))
        if arg:
            if kind == "slow":
                fault.seconds = float(arg)
            elif kind == "filter":
                fault.samples = int(arg)
        elif kind == "slow":
            fault.seconds = 5.0
        return fault


@dataclass
class Recorded:
    """One request as the emulator saw it (no Authorization header is kept)."""

    method: str
    path: str
    version: str = ""
    project: str = ""
    location: str = ""
    model: str = ""
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    status: int = 0
    reply: Any = None


class EmulatorServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with the emulator's state: faults, retired models, engine, log."""

    daemon_threads = True

    def __init__(self, port: int = 0, faults: Iterable[Fault] = (), retired: Iterable[str] = (),
                 retired_code: int = 404, engine: Engine = local_engine):
        super().__init__(("127.0.0.1", port), Handler)
        self.faults: list[Fault] = list(faults)
        self.retired = set(retired)
        self.retired_code = retired_code
        self.engine = engine
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def take_fault(self, model: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.model in ("", model):
                    fault.count -= 1
                    return fault
        return None

    def predict_bodies(self) -> list[dict]:
        """Bodies of the :predict requests received, oldest first (for test assertions)."""
        return [r.body for r in self.requests
                if r.model and r.path.endswith(":predict") and isinstance(r.body, dict)]

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet by default; the CLI turns logging on."""
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        record = Recorded("GET", self.path)
        self.server.requests.append(record)
        self._error(record, 404, "Only POST ...:predict and ...:generateContent are emulated.")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        parts = urlsplit(self.path)
        record = Recorded("POST", unquote(parts.path), query=unquote(parts.query),
                          headers={k: v for k, v in self.headers.items() if k.lower() != "authorization"})
        self.server.requests.append(record)
        match = PATH.match(record.path)
        if not match:
            self._drain()
            return self._error(record, 404, f"The requested URL {record.path} was not found on this server.")
        record.version, record.project, record.location, record.model, method = match.groups()
        length = self.headers.get("Content-Length")
        if length is None:
            return self._error(record, 411, "Content-Length is required.")
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            return self._error(record, 413,
                               f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes.")
        raw = self.rfile.read(int(length))
        try:
            record.body = json.loads(raw)
        except ValueError as exc:
            return self._error(record, 400, f"Invalid JSON payload received. {exc}")
        if method == "generateContent":
            from plugin.backends.gemini_emulator import handle

            return handle(self, record)
        self._predict(record)

    def _predict(self, record: Recorded) -> None:
        model = record.model
        fault = self.server.take_fault(model)
        if fault and fault.kind == "slow":
            self.server.stopping.wait(fault.seconds)
            fault = None
        info = KNOWN_MODELS.get(model)
        name = f"projects/{record.project}/locations/{record.location}/publishers/google/models/{model}"
        if model in self.server.retired or info is None:
            code = self.server.retired_code if model in self.server.retired else 404
            text = (f"Publisher Model `{name}` not found." if code == 404 else
                    f"Model {model} is no longer available: it has been retired. Use a newer model.")
            return self._error(record, code, text)
        if fault and fault.kind == "404":
            return self._error(record, 404, f"Publisher Model `{name}` not found.")
        if fault and fault.kind in MESSAGES:
            code, text = MESSAGES[fault.kind]
            return self._error(record, code, text.format(project=record.project, location=record.location,
                                                         model=model))
        if fault and fault.kind == "malformed":
            return self._send(record, 200, b'{"predictions": [{"bytesBase64Encoded": "iVBOR')
        try:
            checked = check(info, record.body)
        except Invalid as exc:
            return self._error(record, exc.code, str(exc), exc.status)
        filtered = 0
        if fault and fault.kind == "filter":
            wanted = int(checked.params.get("sampleCount", 4))
            filtered = wanted if fault.samples <= 0 else min(fault.samples, wanted)
        reply = answer(info, checked, self.server.engine, filtered)
        self._send(record, 200, json.dumps(reply).encode("utf-8"), reply)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= MAX_BODY_BYTES:
            self.rfile.read(length)

    def _error(self, record: Recorded, code: int, message: str, status: str = "") -> None:
        body = {"error": {"code": code, "message": message, "status": status or STATUS.get(code, "UNKNOWN")}}
        self._send(record, code, json.dumps(body).encode("utf-8"), body)

    def _send(self, record: Recorded, code: int, payload: bytes, reply: Any = None) -> None:
        record.status, record.reply = code, reply
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def start_in_thread(port: int = 0, faults: Iterable[Fault] = (), retired: Iterable[str] = (),
                    retired_code: int = 404, engine: Engine = local_engine) -> tuple[EmulatorServer, str]:
    """Serve in a daemon thread; returns (server, "http://127.0.0.1:PORT"). Stop with server.stop()."""
    server = EmulatorServer(port, faults, retired, retired_code, engine)
    threading.Thread(target=server.serve_forever, name="imagen-emulator", daemon=True).start()
    return server, server.url


def serve(port: int, faults: Iterable[Fault] = (), retired: Iterable[str] = (), retired_code: int = 404,
          verbose: bool = True) -> None:
    """Serve in the foreground until Ctrl+C."""
    server = EmulatorServer(port, faults, retired, retired_code)
    server.verbose = verbose  # type: ignore[attr-defined]
    print(f"Imagen emulator on {server.url} (loopback only). Point the plug-in at it with "
          f"IMAGEN_GIMP_ENDPOINT={server.url} or endpoint = \"{server.url}\" in the settings. Ctrl+C stops.",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="imagen-gimp emulator",
                                               description="Loopback emulator of Imagen on Vertex AI")
    parser.add_argument("--port", type=int, default=8080, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--fault", action="append", default=[], metavar="KIND[:COUNT[:ARG]]",
                        help="inject a fault into the next COUNT requests; KIND is one of "
                             f"{', '.join(FAULT_KINDS)} (slow:1:5 waits 5 s; filter:1:2 drops 2 samples)")
    parser.add_argument("--retired", action="append", default=[], metavar="MODEL",
                        help="answer this model ID as retired")
    parser.add_argument("--retired-code", type=int, choices=(400, 404), default=404)
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_from_args(build_parser().parse_args(argv))


def run_from_args(args: argparse.Namespace) -> int:
    """Serve with parsed options (also the `imagen-gimp emulator` subcommand)."""
    try:
        faults = [Fault.parse(text) for text in args.fault]
    except ValueError as exc:
        print(f"--fault: {exc}")
        return 2
    serve(args.port, faults, args.retired, args.retired_code, verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
