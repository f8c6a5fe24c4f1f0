"""One connection to Vertex AI, shared by composition: both backends (Gemini through google-genai, the
legacy Imagen through google-cloud-aiplatform) hold a VertexTransport for what they have in common.

That is: credentials (Application Default Credentials, a key file, or none for a plain-http
endpoint such as the loopback emulator) and the project they name; which location and host a model
is called at; and running one call in a helper thread so the caller can report elapsed time, keep one
overall deadline, retry 429/5xx with google-api-core's capped, jittered backoff, and return at once
when the user cancels. Several calls (the variations of one action) may wait at the same time.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from plugin.backends.base import BackendError, Cancelled, Progress, no_progress
from plugin.backends.call_retry import retrying
from plugin.backends.vertex_errors import CallContext, SetupProblem, map_error, retryable
from plugin.config import CLOUD_SCOPE, Settings, config_path, is_local_endpoint, setup_problems

T = TypeVar("T")
POLL_SECONDS = 0.1
LOOPBACK_TOKEN = "loopback-no-credentials"  # sent only to plain-http endpoints (never a real secret)


@dataclass(frozen=True)
class Backoff:
    """Retry timing for 429/5xx: Google asks for >= 1 s, doubling, a few retries at most."""

    initial: float = 1.0
    maximum: float = 16.0
    multiplier: float = 2.0


class VertexTransport:
    def __init__(
        self,
        settings: Settings,
        *,
        credentials: Any = None,
        backoff: Backoff | None = None,
        cancel_event: threading.Event | None = None,
        max_retries: int | None = None,
    ):
        self.settings = settings
        self.backoff = backoff or Backoff()
        self.cancel_event = cancel_event or threading.Event()
        self.max_retries = settings.gemini.max_retries if max_retries is None else max_retries
        self._injected = credentials
        self._resolved: tuple[Any, str] | None = None
        self._lock = threading.Lock()

    # -- who and where --------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop every call of this transport that is waiting now or starts later (safe from any thread)."""
        self.cancel_event.set()

    def credentials(self) -> tuple[Any, str]:
        """(credentials, project), found once: injected > plain-http endpoint > key file > ADC."""
        with self._lock:
            if self._resolved is None:
                self._resolved = self._resolve()
            return self._resolved

    @property
    def project(self) -> str:
        return self.credentials()[1]

    def _resolve(self) -> tuple[Any, str]:
        settings = self.settings
        if self._injected is not None:
            credentials, found = self._injected, ""
        elif is_local_endpoint(settings.endpoint):
            from google.oauth2.credentials import Credentials

            credentials, found = Credentials(token=LOOPBACK_TOKEN), ""
        else:
            try:
                if settings.credentials_file:  # a service-account key; load only that type
                    from google.oauth2 import service_account

                    path = str(Path(settings.credentials_file).expanduser())
                    credentials = service_account.Credentials.from_service_account_file(path, scopes=[CLOUD_SCOPE])
                    found = credentials.project_id
                else:
                    import google.auth

                    credentials, found = google.auth.default(scopes=[CLOUD_SCOPE])
            except Exception as exc:  # noqa: BLE001 - explain with the setup check instead
                problems = setup_problems(settings) or [f"credentials: {_said(exc)}"]
                raise SetupProblem(
                    "Vertex AI is not set up: " + "; ".join(problems) + ". Filters > Imagen > "
                    "Check Setup (or `imagen-gimp doctor`) shows every step."
                ) from exc
        project = settings.project or found or ""
        if not project:
            missing = [p for p in setup_problems(settings) if p.startswith("project")] or ["no project set"]
            raise SetupProblem("Vertex AI is not set up: " + "; ".join(missing))
        return credentials, project

    def location_for(self, served: tuple[str, ...], model: str) -> tuple[str, str]:
        """(location to call, note for the user): the settings' location when the model is served there,
        else "global" (said once in the note) unless [gemini] location_fallback is off."""
        wanted = self.settings.location or "global"
        if not served or wanted in served:
            return wanted, ""
        if "global" in served and self.settings.gemini.location_fallback:
            return "global", (
                f"{model} is served only at the global endpoint, not in {wanted}; it was called "
                "there. Set [gemini] location_fallback = false to refuse instead."
            )
        raise BackendError(
            f"{model} is not served in {wanted} (only {', '.join(served)}). Set location = "
            f'"{served[0]}" in the settings ({self.where}), or choose another tier.'
        )

    def host(self, location: str) -> str:
        """The API host for a location (the endpoint override wins): global has no region prefix."""
        if self.settings.endpoint:
            return self.settings.endpoint
        return "aiplatform.googleapis.com" if location == "global" else f"{location}-aiplatform.googleapis.com"

    @property
    def where(self) -> str:
        return self.settings.source or str(config_path())

    def context(self, model: str, role: str, location: str, replacement: str = "") -> CallContext:
        project = self._resolved[1] if self._resolved else self.settings.project
        return CallContext(
            model=model,
            role=role,
            project=project,
            location=location,
            endpoint=self.host(location),
            where=self.where,
            timeout=self.settings.timeout_seconds,
            replacement=replacement,
        )

    # -- one call -------------------------------------------------------------------------------

    def call(self, attempt: Callable[[float], T], context: CallContext, progress: Progress = no_progress) -> T:
        """Run `attempt(remaining_seconds)` with retries in a helper thread; wait for it here.

        Progress moves about once a second (the services send none themselves). Cancel and the
        deadline return at once; the helper thread is told to stop retrying and is left to finish.
        """
        timeout = self.settings.timeout_seconds
        stop = threading.Event()
        try:
            target, retries = retrying(
                attempt,
                timeout=timeout,
                backoff=self.backoff,
                stop=stop,
                max_retries=self.max_retries,
                predicate=retryable,
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            raise map_error(exc, context) from exc
        outcome: dict[str, Any] = {}
        worker = threading.Thread(target=_run_into, args=(target, outcome), daemon=True, name=f"vertex-{context.model}")
        started = time.monotonic()
        reported = -1
        worker.start()
        try:
            while worker.is_alive():
                elapsed = time.monotonic() - started
                if self.cancel_event.is_set():
                    raise Cancelled("Cancelled; nothing was changed.")
                if elapsed > timeout + 1.0:
                    raise map_error(TimeoutError("overall deadline"), context)
                if int(elapsed) != reported:
                    reported = int(elapsed)
                    retry_text = f", retry {retries['count']}" if retries["count"] else ""
                    progress(
                        0.05 + 0.9 * (1 - math.exp(-elapsed / 30)),
                        f"waiting for {context.model} ({reported} s{retry_text})",
                    )
                worker.join(POLL_SECONDS)
        except BaseException:
            stop.set()
            raise
        if "error" in outcome:
            raise map_error(_unwrap(outcome["error"]), context) from outcome["error"]
        return outcome["value"]


def _said(exc: BaseException) -> str:
    """An exception's own words: google.auth wraps its message and the cause in a tuple."""
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return " ".join(first.split())[:300].rstrip(".")


def _run_into(target: Callable[[], Any], outcome: dict) -> None:
    """Helper-thread body: store the value or the exception for the waiting thread."""
    try:
        outcome["value"] = target()
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
        outcome["error"] = exc


def _unwrap(exc: BaseException) -> BaseException:
    """RetryError hides the last real failure; show that one."""
    from google.api_core.exceptions import RetryError

    if isinstance(exc, RetryError) and exc.cause is not None:
        return exc.cause
    return exc
