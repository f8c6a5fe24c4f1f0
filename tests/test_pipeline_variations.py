"""Variations side by side: a backend that answers one picture per call gets its calls at once (bounded),
each layer is handed on as it arrives, and one failed variation is a note while the others stay."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from plugin import ops, pipeline
from plugin.backends.base import Backend, BackendResult, Capabilities, SafetyFiltered, UnsupportedOperation
from plugin.backends.vertex_errors import QuotaExhausted
from tests.conftest import photo


class SlowBackend(Backend):
    """Each call waits until `release` lets it go; counts how many calls wait at the same time."""

    name = "slow"

    def __init__(self, parallel: int, fail: dict | None = None):
        self.parallel = parallel
        self.fail = fail or {}
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started = threading.Event()
        self.release: dict[int, threading.Event] = {}
        self.order: list[int] = []
        self.finished: set[int] = set()

    def capabilities(self) -> Capabilities:
        return Capabilities(actions=frozenset({"remove", "generate"}), parallel=self.parallel)

    def run(self, request, progress=None) -> BackendResult:
        seed = request.op.seed
        gate = self.release.setdefault(seed, threading.Event())
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if self.parallel > 1:
                gate.wait(10)
            if seed in self.fail:
                raise self.fail[seed]
            picture = request.image.copy() if request.image is not None else np.zeros((8, 8, 4), np.uint8)
            picture[..., 0] = seed % 256
            with self.lock:
                self.order.append(seed)
            return BackendResult(images=[picture], model="slow-1", details={"tier": "Standard"})
        finally:
            with self.lock:
                self.running -= 1
                self.finished.add(seed)


def selection_for(image):
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[60:120, 80:160] = 255
    return mask


def run_releasing(backend, op, image, selection, order):
    """Run the pipeline while a helper releases the calls in `order`, each once the one before it was
    handed on (a layer) or failed, so the arrival order is known without timing anything."""
    seen = []

    def releaser():
        for _ in range(2000):  # first let every call that may run at once get going
            if backend.most >= min(backend.parallel, len(order)):
                break
            threading.Event().wait(0.005)
        for seed in order:
            expected = len(seen) + (0 if seed in backend.fail else 1)
            backend.release.setdefault(seed, threading.Event()).set()
            for _ in range(2000):
                if len(seen) >= expected and seed in backend.finished:
                    break
                threading.Event().wait(0.005)

    threading.Thread(target=releaser, daemon=True).start()
    return pipeline.run(op, image, selection, backend, on_layer=lambda layer, out: seen.append(layer.name)), seen


def test_four_variations_wait_at_the_same_time_and_arrive_in_their_own_order():
    image = photo("cat")
    backend = SlowBackend(parallel=4)
    op = ops.InpaintRemove(variations=4, seed=10)
    output, seen = run_releasing(backend, op, image, selection_for(image), [13, 11, 10, 12])
    assert backend.most == 4  # all four calls were out at once
    assert [layer.provenance["seed"] for layer in output.layers] == [13, 11, 10, 12]  # as they came back
    assert (
        seen
        == [layer.name for layer in output.layers]
        == [
            "Remove Object #1 (seed 13)",
            "Remove Object #2 (seed 11)",
            "Remove Object #3 (seed 10)",
            "Remove Object #4 (seed 12)",
        ]
    )
    assert all(layer.provenance["tier"] == "Standard" for layer in output.layers)


def test_parallel_calls_are_bounded():
    image = photo("cat")
    backend = SlowBackend(parallel=2)
    op = ops.InpaintRemove(variations=4, seed=0)
    output, _ = run_releasing(backend, op, image, selection_for(image), [0, 1, 2, 3])
    assert backend.most == 2 and len(output.layers) == 4


def test_a_blocked_variation_is_a_note_and_the_others_stay():
    image = photo("cat")
    backend = SlowBackend(parallel=4, fail={21: SafetyFiltered("blocked by the filter [IMAGE_SAFETY]")})
    op = ops.InpaintRemove(variations=3, seed=20)
    output, _ = run_releasing(backend, op, image, selection_for(image), [20, 21, 22])
    assert sorted(layer.provenance["seed"] for layer in output.layers) == [20, 22]
    assert "1 of 3 variations failed: blocked by the filter [IMAGE_SAFETY]" in output.notes
    assert "1 of 3 variations did not come back (see notes above)." in output.notes


def test_when_every_variation_fails_the_first_failure_is_raised():
    image = photo("cat")
    backend = SlowBackend(parallel=4, fail={s: QuotaExhausted(f"no capacity {s}") for s in (5, 6)})
    with pytest.raises(QuotaExhausted, match="no capacity"):
        run_releasing(backend, ops.InpaintRemove(variations=2, seed=5), image, selection_for(image), [5, 6])


def test_a_failure_every_call_would_meet_stops_the_job():
    image = photo("cat")
    backend = SlowBackend(parallel=4, fail={s: UnsupportedOperation("cannot") for s in (1, 2, 3)})
    with pytest.raises(UnsupportedOperation):
        run_releasing(backend, ops.InpaintRemove(variations=3, seed=1), image, selection_for(image), [1, 2, 3])


def test_one_at_a_time_backends_are_called_in_order():
    image = photo("cat")
    backend = SlowBackend(parallel=1)
    output = pipeline.run(ops.InpaintRemove(variations=3, seed=7), image, selection_for(image), backend)
    assert backend.most == 1 and backend.order == [7, 8, 9]
    assert [layer.provenance["seed"] for layer in output.layers] == [7, 8, 9]


def test_progress_is_one_bar_for_all_calls():
    image = photo("cat")
    backend = SlowBackend(parallel=4)
    reports = []
    lock = threading.Lock()

    def progress(fraction, stage):
        with lock:
            reports.append((fraction, stage))

    for seed in range(30, 34):
        backend.release.setdefault(seed, threading.Event()).set()
    pipeline.run(ops.InpaintRemove(variations=4, seed=30), image, selection_for(image), backend, progress)
    fractions = [f for f, _ in reports]
    assert fractions[-1] == 1.0 and all(0 <= f <= 1 for f in fractions)
    assert any("4 of 4 ready" in stage for _, stage in reports)
