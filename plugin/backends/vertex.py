"""Imagen on Vertex AI through google-cloud-aiplatform's PredictionServiceClient (REST transport).

Not built on vertexai.vision_models: that module is deprecated with removal announced. The call runs
in a helper thread so the caller's thread can report elapsed time, enforce one overall deadline
and return at once when the user cancels; 429 and 5xx answers are retried with google-api-core's
capped exponential backoff.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugin.backends.base import (
    Backend,
    BackendError,
    BackendResult,
    Cancelled,
    Capabilities,
    EditRequest,
    Progress,
    no_progress,
)
from plugin.backends.call_retry import retrying
from plugin.backends.imagen_requests import PredictCall, build_call
from plugin.backends.imagen_responses import read_predictions
from plugin.backends.vertex_errors import map_error
from plugin.config import CLOUD_SCOPE, Settings, config_path, is_local_endpoint, setup_problems
from plugin.ops import Background

ACTIONS = frozenset({"generate", "insert", "remove", "outpaint", "background", "edit", "upscale", "describe",
                     "customize", "auto_mask", "verify"})
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Backoff:
    """Retry timing for 429/5xx: Google asks for >= 1 s, doubling, a few retries at most."""

    initial: float = 1.0
    maximum: float = 16.0
    multiplier: float = 2.0


class VertexBackend(Backend):
    name = "vertex"

    def __init__(self, settings: Settings, *, credentials: Any = None, backoff: Backoff | None = None,
                 cancel_event: threading.Event | None = None):
        import plugin.ops_vertex  # noqa: F401  (registers customize / auto_mask / verify)

        self.settings = settings
        self.backoff = backoff or Backoff()
        self.cancel_event = cancel_event or threading.Event()
        self._credentials = credentials
        self._project = settings.project
        self._client: Any = None

    # --- Backend interface ---------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        # 1 MP keeps every input far below 10 MB and an x4 upscale under the 17 MP output limit;
        # the models work at about 1024 px, so more pixels would not add detail.
        return Capabilities(actions=ACTIONS, max_side=2048, max_pixels=1024 * 1024, batch_variations=True,
                            needs_network=True, model=self.settings.model_for("edit"))

    def cancel(self) -> None:
        """Stop waiting for the current call (safe from any thread)."""
        self.cancel_event.set()

    def run(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        self.check_supported(request.op)
        op = request.op
        if isinstance(op, Background) and op.mode != "prompt":
            from plugin.backends.local import LocalBackend

            result = LocalBackend().run(request, progress)
            result.notes.append("This background mode needs no cloud model; the local engine did it.")
            return result
        call = build_call(request, self.settings)
        progress(0.02, f"sending to {call.model}")
        predictions = self.predict(call, progress)
        progress(0.97, "reading the answer")
        return read_predictions(call, predictions)

    # --- the call ------------------------------------------------------------------------------

    def endpoint_path(self, model: str) -> str:
        return f"projects/{self._project}/locations/{self.settings.location}/publishers/google/models/{model}"

    def api_endpoint(self) -> str:
        if self.settings.endpoint:
            return self.settings.endpoint
        location = self.settings.location
        if location == "global":
            return "aiplatform.googleapis.com"
        return f"{location}-aiplatform.googleapis.com"

    def predict(self, call: PredictCall, progress: Progress = no_progress) -> list:
        """POST :predict with retries, one deadline and cancellation; returns plain predictions."""
        context = {"model": call.model, "role": call.role, "project": self._project,
                   "location": self.settings.location, "endpoint": self.api_endpoint(),
                   "where": self.settings.source or str(config_path()),
                   "timeout": self.settings.timeout_seconds}
        stop = threading.Event()  # tells this call's helper thread to give up (no more retries)
        try:
            client = self._get_client()
            context["project"] = self._project
            target, retries = self._attempts(client, call, stop)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            raise map_error(exc, **context) from exc
        outcome: dict[str, Any] = {}
        worker = threading.Thread(target=_run_into, args=(target, outcome), daemon=True,
                                  name=f"vertex-{call.model}")
        started = time.monotonic()
        reported = -1
        worker.start()
        try:
            while worker.is_alive():
                elapsed = time.monotonic() - started
                if self.cancel_event.is_set():
                    raise Cancelled("Cancelled; nothing was changed.")
                if elapsed > self.settings.timeout_seconds + 1.0:
                    raise map_error(TimeoutError("overall deadline"), **context)
                if int(elapsed) != reported:  # about once a second: Imagen sends no progress itself
                    reported = int(elapsed)
                    retry_text = f", retry {retries['count']}" if retries["count"] else ""
                    progress(0.05 + 0.9 * (1 - math.exp(-elapsed / 30)),
                             f"waiting for {call.model} ({reported} s{retry_text})")
                worker.join(POLL_SECONDS)
        except BaseException:
            stop.set()
            raise
        finally:
            self.cancel_event.clear()
        if "error" in outcome:
            raise map_error(_unwrap(outcome["error"]), **context) from outcome["error"]
        return outcome["predictions"]

    def _attempts(self, client: Any, call: PredictCall, stop: threading.Event):
        """A nullary function that runs the call under the shared retry policy, and its retry counter."""
        from google.protobuf import json_format, struct_pb2

        instance = json_format.ParseDict(call.instance, struct_pb2.Value())
        parameters = json_format.ParseDict(call.parameters, struct_pb2.Value())
        endpoint = self.endpoint_path(call.model)

        def attempt(remaining: float) -> list:
            response = client.predict(endpoint=endpoint, instances=[instance], parameters=parameters,
                                      timeout=remaining)
            return [json_format.MessageToDict(value) for value in response._pb.predictions]

        return retrying(attempt, timeout=self.settings.timeout_seconds, backoff=self.backoff, stop=stop,
                        max_retries=self.settings.imagen.max_retries)

    def _get_client(self) -> Any:
        if self._client is None:
            from google.cloud import aiplatform_v1

            credentials = self._resolve_credentials()
            options = {"api_endpoint": self.api_endpoint()}
            self._client = aiplatform_v1.PredictionServiceClient(
                transport="rest", credentials=credentials, client_options=options)
        return self._client

    def _resolve_credentials(self) -> Any:
        """Injected > emulator (anonymous, nothing sent over plain http) > key file > ADC."""
        settings = self.settings
        if self._credentials is not None:
            credentials, project = self._credentials, ""
        elif is_local_endpoint(settings.endpoint):
            from google.auth.credentials import AnonymousCredentials

            credentials, project = AnonymousCredentials(), "emulator"
        else:
            import google.auth

            try:
                if settings.credentials_file:  # a service-account key; load only that type
                    from google.oauth2 import service_account

                    path = str(Path(settings.credentials_file).expanduser())
                    credentials = service_account.Credentials.from_service_account_file(
                        path, scopes=[CLOUD_SCOPE])
                    project = credentials.project_id
                else:
                    credentials, project = google.auth.default(scopes=[CLOUD_SCOPE])
            except Exception as exc:  # noqa: BLE001 - explain with the setup check instead
                problems = setup_problems(settings) or [str(exc)]
                raise BackendError("Vertex AI is not set up: " + "; ".join(problems)) from exc
        self._project = settings.project or project or ""
        if not self._project:
            raise BackendError("Vertex AI is not set up: " + "; ".join(
                p for p in setup_problems(settings) if p.startswith("project")) or "no project set")
        return credentials


def _run_into(target, outcome: dict) -> None:
    """Helper-thread body: store predictions or the exception for the waiting thread."""
    try:
        outcome["predictions"] = target()
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
        outcome["error"] = exc


def _unwrap(exc: BaseException) -> BaseException:
    """RetryError hides the last real failure; show that one."""
    from google.api_core.exceptions import RetryError

    if isinstance(exc, RetryError) and exc.cause is not None:
        return exc.cause
    return exc
