"""Variations side by side: a backend that answers one variation per call gets its calls at once (up to
its `parallel`), each answer handed on in the caller's thread as it arrives, behind one progress bar.

Apart from the pipeline because it knows nothing of regions or layers: calls, answers and failures.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from plugin.backends.base import Backend, Progress, SafetyFiltered
from plugin.backends.vertex_errors import QuotaExhausted, ServiceUnavailable

VARIATION_FAILURES = (SafetyFiltered, QuotaExhausted, ServiceUnavailable)
"""Failures that cost one variation only: the others may still come back (a fatal one stops them all)."""


def side_by_side(one, deliver, count: int, workers: int, failures: list, backend: Backend) -> None:
    """Up to `workers` calls at once; results are delivered here, in this thread, as they arrive."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="variation") as pool:
        pending = {pool.submit(one, index): index for index in range(count)}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = pending.pop(future)
                    try:
                        delivered = future.result()
                    except VARIATION_FAILURES as exc:
                        failures.append(exc)
                        continue
                    deliver(index, *delivered)
        except BaseException:
            for future in pending:
                future.cancel()
            backend.cancel()  # the calls still waiting give up at once
            raise


class SharedProgress:
    """One progress bar for calls running side by side: the mean of their fractions, the latest stage,
    and how many variations are ready. Serialised, so the host gets one line at a time."""

    def __init__(self, progress: Progress, count: int):
        self.progress = progress
        self.fractions = [0.0] * count
        self.ready = 0
        self.count = count
        self.lock = threading.Lock()

    def part(self, index: int) -> Progress:
        def report(fraction: float, stage: str) -> None:
            with self.lock:
                self.fractions[index] = max(self.fractions[index], min(max(fraction, 0.0), 1.0))
                self._send(stage)

        return report

    def done(self, index: int, ready: int) -> None:
        with self.lock:
            self.fractions[index] = 1.0
            self.ready = ready
            self._send("variation ready")

    def _send(self, stage: str) -> None:
        overall = 0.05 + 0.9 * sum(self.fractions) / self.count
        if self.count > 1:
            stage = f"{stage} ({self.ready} of {self.count} ready)"
        self.progress(overall, stage)
