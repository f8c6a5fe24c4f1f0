"""What goes wrong on today's Vertex AI, as the emulator answers it, and what the user is told: retries,
finish reasons without a picture, words instead of a picture, shut-down models and their replacements,
setup failures, deadline and cancel."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from emulator import Fault
from plugin import ops, pipeline
from plugin.backends.base import BackendError, Cancelled, EditRequest, SafetyFiltered
from plugin.backends.model_memory import ModelMemory
from plugin.backends.vertex_errors import ModelUnavailable, QuotaExhausted, ServiceUnavailable, SetupProblem
from tests.gemini_support import box, draft_share, gemini_backend, gemini_records, gradient

GENERATE = EditRequest(op=ops.Generate(prompt="a lighthouse"), image=None)


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    emulator.shut_down.clear()
    return gemini_backend(emulator.url)


def test_429_is_retried_then_succeeds(backend, emulator):
    emulator.faults.append(Fault("429", count=2))
    result = backend.run(GENERATE)
    assert len(result.images) == 1 and len(gemini_records(emulator)) == 3


def test_429_that_persists_says_what_to_do(backend, emulator):
    emulator.faults.append(Fault("429", count=10))
    with pytest.raises(
        QuotaExhausted, match="no capacity or quota left for gemini-3.1-flash-image at global.*Wait a minute"
    ):
        backend.run(GENERATE)
    assert len(gemini_records(emulator)) == 1 + backend.settings.gemini.max_retries


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors_are_retried(backend, emulator, kind):
    emulator.faults.append(Fault(kind, count=1))
    assert len(backend.run(GENERATE).images) == 1


def test_a_prompt_block_is_a_plain_message_and_not_retried(backend, emulator):
    emulator.faults.append(Fault("blocked"))
    with pytest.raises(SafetyFiltered) as caught:
        backend.run(GENERATE)
    message = str(caught.value)
    assert message.startswith("gemini-3.1-flash-image made no picture: its safety filter blocked the answer")
    assert "lower safety_setting in the [gemini] settings" in message and "{" not in message
    assert len(gemini_records(emulator)) == 1


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("IMAGE_SAFETY", "its safety filter for pictures blocked the result [IMAGE_SAFETY]"),
        ("IMAGE_PROHIBITED_CONTENT", "content Google prohibits (this cannot be changed in the settings)"),
        ("IMAGE_RECITATION", "resembled existing, possibly copyrighted material"),
        ("RECITATION", "resembled existing, possibly copyrighted material"),
        ("IMAGE_OTHER", "an unspecified reason while making the picture [IMAGE_OTHER]"),
        ("NO_IMAGE", "it answered without a picture [NO_IMAGE]"),
    ],
)
def test_finish_reasons_without_a_picture_become_plain_messages(backend, emulator, kind, words):
    emulator.faults.append(Fault(kind))
    with pytest.raises(BackendError) as caught:
        backend.run(GENERATE)
    assert words in str(caught.value), str(caught.value)
    assert "finishReason" not in str(caught.value) and "Traceback" not in str(caught.value)


def test_words_instead_of_a_picture_are_shown(backend, emulator):
    emulator.faults.append(Fault("text-only"))
    with pytest.raises(BackendError, match="answered in words instead of a picture: \"I can't draw that, but"):
        backend.run(GENERATE)


def test_a_blocked_variation_is_a_note_and_the_others_arrive(backend, emulator):
    emulator.faults.append(Fault("IMAGE_SAFETY", count=1))
    image = gradient()
    selection = box(400, 300, 100, 100, 200, 200)
    output = pipeline.run(ops.InpaintInsert(prompt="a cat", variations=3), image, selection, backend)
    assert len(output.layers) == 2
    assert any(
        note.startswith("1 of 3 variations failed: gemini-3.1-flash-image made no picture") for note in output.notes
    )
    assert all(draft_share(layer.shown()) < 0.001 for layer in output.layers)


def test_malformed_answer(backend, emulator):
    emulator.faults.append(Fault("malformed"))
    with pytest.raises(ServiceUnavailable, match="could not read"):
        backend.run(GENERATE)


def test_deadline(backend, emulator):
    backend.settings.timeout_seconds = 1.0
    emulator.faults.append(Fault("slow", seconds=5))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="did not answer within 1 s"):
        backend.run(GENERATE)
    assert time.monotonic() - started < 4


def test_cancel_returns_at_once_for_every_waiting_variation(backend, emulator):
    emulator.faults.append(Fault("slow", count=4, seconds=30))
    threading.Timer(0.5, backend.cancel).start()
    with pytest.raises(Cancelled):
        pipeline.run(ops.Generate(prompt="x", variations=4), None, None, backend)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("401", "did not accept the credentials"),
        (
            "403-disabled",
            "The Vertex AI API is not enabled in project test-project. Enable it: `gcloud services enable "
            "aiplatform.googleapis.com --project test-project`",
        ),
        ("403-iam", "needs the role Vertex AI User (roles/aiplatform.user)"),
    ],
)
def test_setup_failures_name_their_fix(backend, emulator, kind, words):
    emulator.faults.append(Fault(kind))
    with pytest.raises(SetupProblem, match=words.replace("(", "\\(").replace(")", "\\)")):
        backend.run(GENERATE)
    assert len(gemini_records(emulator)) == 1  # never retried


def test_a_model_that_answers_404_gets_a_message_naming_what_to_use(backend, emulator):
    emulator.shut_down.add("gemini-3-pro-image")
    request = EditRequest(op=ops.Generate(prompt="x", model="gemini-3-pro-image"), image=None)
    with pytest.raises(ModelUnavailable) as caught:
        backend.run(request)
    message = str(caught.value)
    assert "Model gemini-3-pro-image is shut down, unknown, or not served to this project at location global" in message
    assert "use gemini-3.1-flash-image instead: clear the Model ID field" in message  # the tier's model stands in
    assert caught.value.replacement == "gemini-3.1-flash-image"
    emulator.shut_down.clear()
    with pytest.raises(ModelUnavailable, match="use gemini-3.1-flash-image instead"):  # the catalogue's successor
        backend.run(EditRequest(op=ops.Generate(prompt="x", model="gemini-3.1-flash-image-preview"), image=None))


def test_auto_uses_the_replacement_once_says_so_and_remembers(emulator, tmp_path):
    """A model that answers 404 under Automatic: the same request goes to the catalogue's replacement."""
    emulator.requests.clear()
    emulator.shut_down.clear()
    emulator.shut_down.add("gemini-3.1-flash-image")
    config = tmp_path / "config.toml"
    config.write_text('[catalogue."gemini-3.1-flash-image"]\nreplacement = "gemini-3-pro-image"\n')
    from plugin.config import load_settings

    settings = load_settings(
        config, environ={"GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": emulator.url}
    )
    memory = ModelMemory("https://aiplatform.googleapis.com", "test-project", tmp_path / "state.json")
    from plugin.backends.gemini import GeminiBackend
    from plugin.backends.transport import Backoff

    backend = GeminiBackend(settings, backoff=Backoff(0.01, 0.05), chosen_by_auto=True, memory=memory)
    output = pipeline.run(ops.Generate(prompt="a fox"), None, None, backend)
    assert [r.model for r in gemini_records(emulator)] == ["gemini-3.1-flash-image", "gemini-3-pro-image"]
    assert output.layers[0].provenance["model"] == "gemini-3-pro-image"
    assert output.layers[0].provenance["replaced"] == "gemini-3.1-flash-image"
    assert any(
        "gemini-3.1-flash-image answered that it is not available (404), so gemini-3-pro-image made this "
        "instead" in note
        for note in output.notes
    )
    saved = json.loads((tmp_path / "state.json").read_text())
    assert (
        saved["endpoints"]["https://aiplatform.googleapis.com test-project"]["gemini-3.1-flash-image"]["replacement"]
        == "gemini-3-pro-image"
    )
    emulator.requests.clear()  # the next job goes straight to the replacement
    again = GeminiBackend(
        settings,
        backoff=Backoff(0.01, 0.05),
        chosen_by_auto=True,
        memory=ModelMemory("https://aiplatform.googleapis.com", "test-project", tmp_path / "state.json"),
    )
    output = pipeline.run(ops.Generate(prompt="a fox"), None, None, again)
    assert [r.model for r in gemini_records(emulator)] == ["gemini-3-pro-image"]
    assert any("answered 404 before" in note for note in output.notes)
    emulator.shut_down.clear()


def test_auto_skips_a_model_the_catalogue_knows_is_shut_down(emulator):
    """A settings file from 2025 naming gemini-2.5-flash for Describe: no doomed request under Automatic."""
    emulator.requests.clear()
    backend = gemini_backend(emulator.url, chosen_by_auto=True)
    backend.settings.models["text_standard"] = "gemini-2.5-flash"
    backend.catalogue = backend.settings.load_catalogue()
    output = pipeline.run(ops.Describe(), gradient(), None, backend)
    assert [r.model for r in gemini_records(emulator)] == ["gemini-3.5-flash"]
    assert any(
        "gemini-2.5-flash is not available (shut down by Google on 2026-10-20); gemini-3.5-flash made this" in note
        for note in output.notes
    )


def test_a_local_endpoint_is_remembered_in_memory_only(tmp_path):
    memory = ModelMemory("http://127.0.0.1:8080", "demo", tmp_path / "state.json")
    memory.remember("a", "b")
    assert memory.replacement("a") == "b" and not (tmp_path / "state.json").exists()
    real = ModelMemory("https://aiplatform.googleapis.com", "p", tmp_path / "state.json")
    real.remember("a", "b")
    assert ModelMemory("https://aiplatform.googleapis.com", "other", tmp_path / "state.json").replacement("a") == ""


def test_an_imagen_id_in_the_model_field_is_refused_with_advice(backend, emulator):
    request = EditRequest(op=ops.Generate(prompt="x", model="imagen-4.0-generate-001"), image=None)
    with pytest.raises(BackendError, match="is an Imagen model, which Google shut down.*gemini-3.1-flash-image"):
        backend.run(request)
    assert gemini_records(emulator) == []


def test_a_text_model_for_pictures_is_refused_before_any_call(backend, emulator):
    request = EditRequest(op=ops.Generate(prompt="x", model="gemini-3.5-flash"), image=None)
    with pytest.raises(BackendError, match="answers with text only"):
        backend.run(request)
    assert gemini_records(emulator) == []


def test_automatic_masks_and_synthid_are_refused_with_the_reason(backend):
    from plugin.legacy.imagen.ops import AutoMaskEdit, VerifyWatermark

    with pytest.raises(BackendError, match="Google shut Imagen down"):
        backend.check_supported(AutoMaskEdit(prompt="x", classes="car"))
    with pytest.raises(BackendError, match="no SynthID check"):
        backend.check_supported(VerifyWatermark())


def test_an_answer_with_alpha_restored_and_the_frame_cut_back(backend, emulator):
    image = gradient(300, 200)
    image[:, :40, 3] = 0
    selection = box(300, 200, 100, 50, 200, 150)
    output = pipeline.run(ops.InpaintInsert(prompt="a star", grow=0, feather=0), image, selection, backend)
    layer = output.layers[0]
    assert layer.pixels.shape[:2] == (100, 100) and (layer.pixels[..., 3] == 255).all()
    assert np.array_equal(layer.mask, selection[50:150, 100:200])
