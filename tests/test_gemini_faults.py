"""Every fault the emulator injects on :generateContent, through the real client: the retries made and
the message the user gets (never a stack trace), including Gemini's in-band blocking."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("google.cloud.aiplatform_v1")

from plugin import ops, pipeline  # noqa: E402
from plugin.backends.base import BackendError, Cancelled, EditRequest  # noqa: E402
from plugin.backends.emulator import Fault  # noqa: E402
from plugin.backends.gemini_responses import PromptBlocked  # noqa: E402
from plugin.backends.imagen_responses import SafetyFiltered  # noqa: E402
from plugin.backends.vertex_errors import ModelUnavailable, QuotaExhausted, ServiceUnavailable  # noqa: E402
from tests.gemini_support import box, gemini_backend, gemini_records, gradient  # noqa: E402

GENERATE = EditRequest(op=ops.Generate(prompt="a red fox in snow", seed=11), image=None)


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    return gemini_backend(emulator.url)


def statuses(emulator) -> list[int]:
    return [r.status for r in gemini_records(emulator)]


def test_429_is_retried_then_succeeds(backend, emulator):
    emulator.faults.append(Fault("429", count=2))
    result = backend.run(GENERATE)
    assert statuses(emulator) == [429, 429, 200] and len(result.images) == 1


def test_429_that_persists_says_quota_and_what_to_do(backend, emulator):
    emulator.faults.append(Fault("429", count=10))
    with pytest.raises(QuotaExhausted) as caught:
        backend.run(GENERATE)
    assert len(gemini_records(emulator)) == 1 + backend.settings.imagen.max_retries
    assert "gemini-2.5-flash-image" in str(caught.value) and "Wait a minute" in str(caught.value)


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors_are_retried(backend, emulator, kind):
    emulator.faults.append(Fault(kind, count=1))
    assert backend.run(GENERATE).images
    assert statuses(emulator) == [int(kind), 200]


def test_server_error_that_persists(backend, emulator):
    emulator.faults.append(Fault("500", count=10))
    with pytest.raises(ServiceUnavailable, match="server problem.*Try again in a few minutes"):
        backend.run(GENERATE)


def test_prompt_block_names_the_reason_and_is_not_retried(backend, emulator):
    emulator.faults.append(Fault("blocked"))
    with pytest.raises(PromptBlocked) as caught:
        backend.run(GENERATE)
    message = str(caught.value)
    assert "blockReason SAFETY" in message and "sexually explicit" in message
    assert "Support codes: 42876398" in message and "Rephrase the prompt" in message
    assert statuses(emulator) == [200]


def test_candidate_blocked_for_image_safety(backend, emulator):
    emulator.faults.append(Fault("filter"))
    with pytest.raises(SafetyFiltered, match="finishReason IMAGE_SAFETY.*safety_setting"):
        backend.run(GENERATE)


def test_one_blocked_variation_becomes_a_note_and_the_others_arrive(backend, emulator):
    emulator.faults.append(Fault("filter"))
    image = gradient()
    selection = box(400, 300, 100, 100, 220, 200)
    output = pipeline.run(ops.InpaintInsert(prompt="a kite", variations=3, seed=1), image, selection, backend)
    assert len(output.layers) == 2 and len(gemini_records(emulator)) == 3
    assert any("1 of 3 calls were blocked" in note and "IMAGE_SAFETY" in note for note in output.notes)
    assert any("1 of 3 variations did not come back" in note for note in output.notes)


def test_malformed_answer(backend, emulator):
    emulator.faults.append(Fault("malformed"))
    with pytest.raises(ServiceUnavailable, match="could not read"):
        backend.run(GENERATE)


def test_deadline(backend, emulator):
    backend.settings.timeout_seconds = 1.0
    emulator.faults.append(Fault("slow", seconds=4))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="did not answer within 1 s"):
        backend.run(GENERATE)
    assert time.monotonic() - started < 3.5


def test_cancel_returns_at_once(backend, emulator):
    emulator.faults.append(Fault("slow", seconds=4))
    threading.Timer(0.3, backend.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        backend.run(GENERATE)
    assert time.monotonic() - started < 2


def test_unknown_gemini_model_gives_gemini_advice(backend, emulator):
    backend.settings.models["gemini"] = "gemini-9.9-imaginary-image"
    with pytest.raises(ModelUnavailable) as caught:
        backend.run(GENERATE)
    message = str(caught.value)
    assert "gemini-9.9-imaginary-image" in message and "named successor" not in message
    assert "default Gemini image model is gemini-2.5-flash-image" in message


def test_permission_denied(backend, emulator):
    emulator.faults.append(Fault("403"))
    with pytest.raises(BackendError, match="Permission denied.*roles/aiplatform.user"):
        backend.run(GENERATE)


def test_faults_for_another_model_leave_this_one_alone(backend, emulator):
    emulator.faults.append(Fault("500", count=5, model="imagen-4.0-generate-001"))
    assert backend.run(GENERATE).images and statuses(emulator) == [200]


def test_describe_blocked_prompt(backend, emulator):
    emulator.faults.append(Fault("blocked"))
    with pytest.raises(PromptBlocked):
        backend.run(EditRequest(op=ops.Describe(), image=np.full((64, 64, 4), 200, np.uint8)))
