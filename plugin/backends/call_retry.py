"""One Vertex AI call under google-api-core's Retry: 429/5xx retried with capped exponential backoff,
one overall deadline shared by all attempts, and a stop flag (cancel or deadline) checked between attempts.

Both model families (Imagen's :predict and Gemini's :generateContent) go through here (by way of
transport.VertexTransport), so they retry, give up and stop on cancel the same way; `predicate` says
which failures are temporary (vertex_errors.retryable reads either client's errors).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from plugin.backends.base import Cancelled

T = TypeVar("T")


def retrying(
    attempt: Callable[[float], T],
    *,
    timeout: float,
    backoff: Any,
    stop: threading.Event,
    max_retries: int,
    predicate: Callable[[BaseException], bool],
) -> tuple[Callable[[], T], dict]:
    """A nullary function running `attempt(remaining_seconds)` under Retry, and its retry counter.

    `backoff` has initial/maximum/multiplier (vertex.Backoff). The counter dict is read by the waiting
    thread for progress text ("retry 2").
    """
    from google.api_core.retry import Retry

    deadline = time.monotonic() + timeout
    retries = {"count": 0}

    def on_error(exc: Exception) -> None:
        if stop.is_set():
            raise Cancelled("Cancelled; nothing was changed.")
        retries["count"] += 1
        if retries["count"] > max_retries:
            raise exc

    def once() -> T:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or stop.is_set():
            raise TimeoutError("overall deadline")
        return attempt(remaining)

    retry = Retry(
        predicate=predicate,
        initial=backoff.initial,
        maximum=backoff.maximum,
        multiplier=backoff.multiplier,
        timeout=timeout,
        on_error=on_error,
    )
    return retry(once), retries
