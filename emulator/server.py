"""The loopback HTTP server: Vertex AI's routes, the order Google checks things in, a request log.

Routes (both `v1` and `v1beta1`, as google-genai and google-cloud-aiplatform call them):
  POST /{v}/projects/{P}/locations/{L}/publishers/google/models/{M}:generateContent
  POST /{v}/projects/{P}/locations/{L}/publishers/google/models/{M}:countTokens
  GET  /{v}/publishers/google/models/{M}                   (models.get: the catalogue)
  POST /{v}/projects/{P}/locations/{L}/publishers/google/models/{M}:predict   (only with imagen=True)

Each call goes: latency (`delay`), credentials and API faults (401/403), the model's existence at
that location (404), the body (400), then the model's work (faults 429/500/503/slow/odd answers, or
the answer). A fault is used up only at the stage where it fires. One thread per connection, so a
held call never blocks the others; stop() releases held calls and closes the socket. State lives
only in memory.
"""

from __future__ import annotations

import json
import re
import secrets
import socketserver
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from emulator import answers, errors
from emulator.catalogue import MAX_REQUEST_BYTES, SERVED, is_imagen_family, served_at
from emulator.checks import check_count, check_generate
from emulator.engines import Engine, local_engine
from emulator.errors import ApiError
from emulator.faults import COUNT, FINISH_KINDS, GENERATE, GET, PREDICT, Fault

MODEL_PATH = re.compile(
    r"^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/publishers/google/models/"
    r"([^/:]+):(generateContent|countTokens|predict)$"
)
CATALOGUE_PATH = re.compile(r"^/(v1|v1beta1)/publishers/google/models/([^/:]+)$")
ROUTES = {"generateContent": GENERATE, "countTokens": COUNT, "predict": PREDICT}
MALFORMED = b'{"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {"data": "iVBORw0K'


@dataclass
class Recorded:
    """One call as the emulator saw it (the Authorization header is never kept)."""

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

    @property
    def route(self) -> str:
        if self.method == "GET":
            return GET if self.model else ""
        return ROUTES.get(self.path.rsplit(":", 1)[-1], "") if self.model else ""


class EmulatorServer(ThreadingHTTPServer):
    """Vertex AI on 127.0.0.1: faults, shut-down models, the Imagen switch, the engine, the log."""

    daemon_threads = True
    # A restart may reuse a port left in TIME_WAIT, but a port another program listens on still fails
    # (Linux and BSD refuse a second listener); Windows would let a second socket share it, so not there.
    allow_reuse_address = sys.platform != "win32"

    def __init__(
        self,
        port: int = 0,
        faults: Iterable[Fault] = (),
        shut_down: Iterable[str] = (),
        imagen: bool = False,
        engine: Engine | None = None,
        delay: float = 0.0,
        drafts: int = 2,
        verbose: bool = False,
        log_limit: int | None = None,
    ):
        if not 0 <= drafts <= 2:
            raise ValueError("drafts: Gemini 3 image models show at most two interim pictures (0-2)")
        if delay < 0:
            raise ValueError("delay cannot be negative")
        self.faults: list[Fault] = list(faults)
        self.shut_down: set[str] = set(shut_down)
        self.imagen = imagen
        self.engine: Engine = engine or local_engine
        self.delay = float(delay)
        self.drafts = drafts
        self.verbose = verbose
        self.log_limit = log_limit  # keep only the newest calls: a long demo session must not hoard pictures
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self._serving = False
        self._stopped = False
        super().__init__(("127.0.0.1", port), Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host name (slow on some machines)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving = True
        super().serve_forever(poll_interval)

    def stop(self) -> None:
        """Release held calls, stop serving and close the socket (safe to call twice)."""
        if self._stopped:
            return
        self._stopped = True
        self.stopping.set()
        if self._serving:
            self.shutdown()
        self.server_close()

    def pause(self, seconds: float) -> None:
        """Hold the calling thread (only it) for `seconds`, or until stop()."""
        if seconds > 0:
            self.stopping.wait(seconds)

    def take_fault(self, route: str, model: str, setup: bool = False) -> Fault | None:
        """The first fault that fires for this call at this stage, its count taken down by one."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(route, model, setup):
                    fault.count -= 1
                    return fault
        return None

    def record(self, record: Recorded) -> None:
        with self.lock:
            self.requests.append(record)
            if self.log_limit is not None and len(self.requests) > self.log_limit:
                del self.requests[: len(self.requests) - self.log_limit]

    def generate_bodies(self) -> list[Any]:
        """Bodies of the :generateContent calls received, oldest first."""
        return [r.body for r in list(self.requests) if r.route == GENERATE]

    def predict_bodies(self) -> list[Any]:
        """Bodies of the :predict calls received, oldest first."""
        return [r.body for r in list(self.requests) if r.route == PREDICT]

    def meta(self) -> dict[str, str]:
        now = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return {"createTime": now, "responseId": secrets.token_urlsafe(17)[:23]}


class Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "imagen-gimp-emulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        record = Recorded(
            method,
            unquote(parts.path),
            query=unquote(parts.query),
            headers={k: v for k, v in self.headers.items() if k.lower() != "authorization"},
        )
        self.server.record(record)
        try:
            raw = self._read_body() if method == "POST" else b""
            self.server.pause(self.server.delay)
            status, payload, reply = self._route(record, raw)
        except ApiError as exc:
            status, reply = exc.code, exc.body()
            payload = json.dumps(reply).encode("utf-8")
        record.status, record.reply = status, reply
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            raise ApiError(411, "POST requests require a Content-length header.")
        size = int(length)
        if size > MAX_REQUEST_BYTES:
            self.close_connection = True
            raise ApiError(413, f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
        return self.rfile.read(size)

    def _route(self, record: Recorded, raw: bytes) -> tuple[int, bytes, Any]:
        model_match = MODEL_PATH.match(record.path) if record.method == "POST" else None
        catalogue_match = CATALOGUE_PATH.match(record.path) if record.method == "GET" else None
        if model_match:
            record.version, record.project, record.location, record.model, _ = model_match.groups()
        elif catalogue_match:
            record.version, record.model = catalogue_match.groups()
        else:
            raise ApiError(404, f"The requested URL {record.path} was not found on this server.")
        route = record.route
        fault = self.server.take_fault(route, record.model, setup=True)
        self._setup_faults(record, fault)
        if route == GET:
            return self._catalogue(record, fault)
        self._available(record, route, fault)
        try:
            record.body = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, f"Invalid JSON payload received. {exc}.") from exc
        if route == PREDICT:
            from emulator.imagen import predict

            return predict(self.server, record)
        if route == COUNT:
            return self._json(answers.count_reply(check_count(SERVED[record.model], record.body)))
        return self._generate(record)

    def _setup_faults(self, record: Recorded, fault: Fault | None) -> None:
        kind = fault.kind if fault else ""
        project = record.project or self.headers.get("x-goog-user-project", "unknown")
        if kind == "401":
            raise errors.unauthenticated()
        if kind == "403-disabled":
            raise errors.service_disabled(project)
        if kind == "403-iam":
            raise errors.permission_denied(record.project, record.location, record.model)

    def _available(self, record: Recorded, route: str, fault: Fault | None) -> None:
        """Google's 404 unless the model is served at this location through this method."""
        model = record.model
        gone = model in self.server.shut_down or (fault is not None and fault.kind == "404")
        if route == PREDICT:
            from emulator.imagen import serves

            if gone or not (self.server.imagen and serves(model)):
                raise errors.not_found(record.project, record.location, model)
            return
        if gone or served_at(model, record.location) is None:
            if self.server.imagen and not gone and is_imagen_family(model):
                raise ApiError(
                    400, f"{model} is served through :predict; it does not support {record.path.rsplit(':', 1)[-1]}."
                )
            raise errors.not_found(record.project, record.location, model)

    def _catalogue(self, record: Recorded, fault: Fault | None) -> tuple[int, bytes, Any]:
        """models.get: a PublisherModel for what the catalogue lists (no project, no IAM check)."""
        from emulator.imagen import serves

        model = record.model
        listed = model in SERVED or (self.server.imagen and serves(model))
        if not listed or model in self.server.shut_down or (fault is not None and fault.kind == "404"):
            raise errors.catalogue_not_found(model)
        preview = "preview" in model
        return self._json(
            {
                "name": f"publishers/google/models/{model}",
                "versionId": "001",
                "openSourceCategory": "PROPRIETARY",
                "launchStage": "PUBLIC_PREVIEW" if preview else "GA",
                "versionState": "VERSION_STATE_STABLE",
                "publisherModelTemplate": f"projects/{{project}}/locations/{{location}}/publishers/google/models/"
                f"{model}@001",
            }
        )

    def _generate(self, record: Recorded) -> tuple[int, bytes, Any]:
        checked = check_generate(SERVED[record.model], record.body)
        server = self.server
        fault = server.take_fault(GENERATE, record.model)
        kind = fault.kind if fault else ""
        if kind in ("429", "500", "503"):
            raise {"429": errors.exhausted, "500": errors.internal, "503": errors.overloaded}[kind]()
        if kind == "slow":
            server.pause(fault.seconds)
        if kind == "malformed":
            return 200, MALFORMED, MALFORMED.decode()
        if kind == "blocked":
            return self._json(answers.blocked(checked, server.meta()))
        if kind in FINISH_KINDS:
            return self._json(answers.finished_without_image(checked, kind, server.meta()))
        if kind == "text-only":
            return self._json(answers.text_only(checked, server.meta()))
        return self._json(answers.answer(checked, server.engine, server.drafts, server.meta()))

    @staticmethod
    def _json(reply: Any) -> tuple[int, bytes, Any]:
        return 200, json.dumps(reply).encode("utf-8"), reply


def start_in_thread(**options: Any) -> tuple[EmulatorServer, str]:
    """Serve from a daemon thread; returns (server, "http://127.0.0.1:PORT"). Stop with server.stop().

    options: EmulatorServer's, by name (port, faults, shut_down, imagen, engine, delay, drafts, ...)."""
    server = EmulatorServer(**options)
    server._serving = True  # shutdown() must wait for the loop even if the thread has not started it yet
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="vertex-emulator", daemon=True
    ).start()
    return server, server.url
