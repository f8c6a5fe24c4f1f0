"""Every fault the emulator can inject, through the real client: the retries made, and the message
the user gets (never a stack trace)."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

pytest.importorskip("google.cloud.aiplatform_v1")

from emulator import Fault  # noqa: E402
from plugin import ops  # noqa: E402
from plugin.backends.base import BackendError, Cancelled, EditRequest  # noqa: E402
from plugin.backends.transport import Backoff  # noqa: E402
from plugin.backends.vertex_errors import (  # noqa: E402
    ApprovalNeeded,
    ModelUnavailable,
    QuotaExhausted,
    ServiceUnavailable,
)
from plugin.config import Settings  # noqa: E402
from plugin.legacy.imagen.backend import ImagenBackend  # noqa: E402
from plugin.legacy.imagen.requests import PredictCall  # noqa: E402
from plugin.legacy.imagen.responses import SafetyFiltered  # noqa: E402

GENERATE = EditRequest(op=ops.Generate(prompt="a red fox in snow", variations=4), image=None)


EMULATOR_OPTIONS = {"imagen": True, "shut_down": ["imagen-3.0-generate-001"]}


def make_backend(url: str, **settings_kw) -> ImagenBackend:
    settings = Settings(project="test-project", endpoint=url, **settings_kw)
    return ImagenBackend(settings, backoff=Backoff(0.01, 0.05))


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    return make_backend(emulator.url)


def test_429_is_retried_then_succeeds(backend, emulator):
    emulator.faults.append(Fault("429", count=2))
    result = backend.run(GENERATE)
    assert [r.status for r in emulator.requests] == [429, 429, 200]
    assert len(result.images) == 4


def test_429_that_persists_says_quota_and_what_to_do(backend, emulator):
    emulator.faults.append(Fault("429", count=10))
    with pytest.raises(QuotaExhausted) as caught:
        backend.run(GENERATE)
    assert len(emulator.requests) == 1 + backend.settings.imagen.max_retries
    message = str(caught.value)
    assert "quota" in message and "imagen-4.0-generate-001" in message and "try again" in message


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors_are_retried(backend, emulator, kind):
    emulator.faults.append(Fault(kind, count=1))
    result = backend.run(GENERATE)
    assert [r.status for r in emulator.requests] == [int(kind), 200]
    assert result.images


def test_server_error_that_persists(backend, emulator):
    emulator.faults.append(Fault("500", count=10))
    with pytest.raises(ServiceUnavailable, match="server problem.*Try again in a few minutes"):
        backend.run(GENERATE)


def test_backoff_grows(emulator):
    emulator.requests.clear()
    emulator.faults[:] = [Fault("503", count=3)]
    backend = ImagenBackend(Settings(project="p", endpoint=emulator.url), backoff=Backoff(0.2, 1.0))
    started = time.monotonic()
    backend.run(GENERATE)
    assert time.monotonic() - started >= 0.2  # slept between attempts (jittered exponential backoff)
    assert len(emulator.requests) == 4


def test_slow_answer_within_deadline_succeeds(backend, emulator):
    emulator.faults.append(Fault("slow", seconds=0.5))
    stages = []
    result = backend.run(GENERATE, lambda fraction, stage: stages.append(stage))
    assert result.images and any(stage.startswith("waiting for imagen-4.0-generate-001") for stage in stages)


def test_slow_answer_past_the_deadline(emulator):
    emulator.faults[:] = [Fault("slow", seconds=5)]
    backend = make_backend(emulator.url, timeout_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="did not answer within 1 s.*timeout_seconds"):
        backend.run(GENERATE)
    assert time.monotonic() - started < 4


def test_cancel_stops_the_wait(backend, emulator):
    emulator.faults.append(Fault("slow", seconds=10))
    threading.Timer(0.3, backend.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        backend.run(GENERATE)
    assert time.monotonic() - started < 2


def test_cancel_from_progress_callback(backend, emulator):
    emulator.faults.append(Fault("slow", seconds=10))

    def progress(fraction: float, stage: str) -> None:
        if stage.startswith("waiting"):
            raise Cancelled("user pressed Cancel")

    with pytest.raises(Cancelled):
        backend.run(GENERATE, progress)


def test_cancel_during_backoff_stops_retrying(emulator):
    emulator.requests.clear()
    emulator.faults[:] = [Fault("429", count=10)]
    backend = ImagenBackend(Settings(project="p", endpoint=emulator.url), backoff=Backoff(1.0, 1.0))
    threading.Timer(0.3, backend.cancel).start()
    with pytest.raises(Cancelled):
        backend.run(GENERATE)
    sent_by_cancel = len(emulator.requests)
    time.sleep(2.5)  # without the cancel, the 10 faults would be retried at least twice more by now
    assert len(emulator.requests) <= sent_by_cancel + 1  # at most the one already on the wire


def test_some_samples_filtered_are_counted_and_explained(backend, emulator):
    emulator.faults.append(Fault("filter", samples=2))
    result = backend.run(GENERATE)
    assert len(result.images) == 2
    note = next(n for n in result.notes if "removed by the safety filter" in n)
    assert note.startswith("2 of 4 samples removed by the safety filter (people/face)")
    assert "filtered out 2 generated images" in note


def test_all_samples_filtered_is_an_explained_error(backend, emulator):
    emulator.faults.append(Fault("filter", samples=0))
    with pytest.raises(SafetyFiltered, match="All 4 sample\\(s\\) were removed.*celebrity.*Rephrase"):
        backend.run(GENERATE)


def test_filtered_without_rai_reason_still_counted(backend, emulator):
    backend.settings.imagen.include_rai_reason = False
    emulator.faults.append(Fault("filter", samples=1))
    result = backend.run(GENERATE)
    assert emulator.requests[-1].body["parameters"]["includeRaiReason"] is False
    assert len(result.images) == 3 and any(n.startswith("1 of 4 samples removed") for n in result.notes)


def test_malformed_body(backend, emulator):
    emulator.faults.append(Fault("malformed"))
    with pytest.raises(ServiceUnavailable, match="could not read"):
        backend.run(GENERATE)
    assert len(emulator.requests) == 1  # not retried: the same request could be billed again


def test_prompt_blocked(backend, emulator):
    emulator.faults.append(Fault("blocked"))
    with pytest.raises(BackendError, match="safety filter blocked the request \\(other\\).*Rephrase"):
        backend.run(GENERATE)


def test_permission_denied(backend, emulator):
    emulator.faults.append(Fault("403-iam"))
    with pytest.raises(BackendError) as caught:
        backend.run(GENERATE)
    message = str(caught.value)
    assert "test-project" in message and "aiplatform.googleapis.com" in message
    assert "roles/aiplatform.user" in message


def test_person_generation_needs_approval(backend, emulator):
    emulator.faults.append(Fault("403-person"))
    with pytest.raises(ApprovalNeeded, match="approval.*person_generation"):
        backend.run(GENERATE)


def test_unknown_model_404(backend, emulator):
    backend.settings.models["imagen_generate"] = "imagen-9.9-imaginary"
    with pytest.raises(ModelUnavailable) as caught:
        backend.run(GENERATE)
    assert caught.value.model == "imagen-9.9-imaginary" and caught.value.role == "imagen_generate"
    assert "[models] imagen_generate" in str(caught.value)


def test_shut_down_model_names_its_gemini_successor(backend, emulator):
    backend.settings.models["imagen_generate"] = "imagen-3.0-generate-001"
    with pytest.raises(
        ModelUnavailable, match="Model imagen-3.0-generate-001 is shut down, unknown, or not served"
    ) as caught:
        backend.run(GENERATE)
    assert emulator.requests[-1].status == 404
    assert "use gemini-3.1-flash-image instead" in str(caught.value)
    assert caught.value.replacement == "gemini-3.1-flash-image"


def test_404_fault_on_edit_model(backend, emulator):
    emulator.faults.append(Fault("404", model="imagen-3.0-capability-001"))
    image = np.full((100, 100, 4), 200, np.uint8)
    with pytest.raises(ModelUnavailable, match="\\[models\\] imagen_edit"):
        backend.run(EditRequest(op=ops.Edit(prompt="make it winter"), image=image))


def test_bad_request_names_the_field(backend, emulator):
    call = PredictCall(
        "generate", "imagen-4.0-generate-001", {"prompt": "a fox"}, {"sampleCount": 9, "addWatermark": True}
    )
    with pytest.raises(BackendError, match="The field parameters.sampleCount was rejected"):
        backend.predict(call)
    assert emulator.requests[-1].status == 400
    assert len(emulator.requests) == 1  # 400 is never retried


def test_network_down():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = make_backend(f"http://127.0.0.1:{port}")
    with pytest.raises(ServiceUnavailable, match="Cannot reach Vertex AI.*emulator running"):
        backend.run(GENERATE)
