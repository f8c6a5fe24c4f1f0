"""Every action the gemini backend serves, through plugin.pipeline.run (crop, working size, blend) and
the real google-cloud-aiplatform REST client against the loopback emulator: the parts sent, and the
layers produced (pixels the feathered selection does not reach stay identical)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_erosion

pytest.importorskip("google.cloud.aiplatform_v1")

from plugin import ops, pipeline  # noqa: E402
from plugin.backends.base import UnsupportedOperation  # noqa: E402
from plugin.backends.gemini_models import ratio_value  # noqa: E402
from plugin.ops_imagen import VerifyWatermark  # noqa: E402
from tests.conftest import photo  # noqa: E402
from tests.gemini_support import (  # noqa: E402
    box,
    gemini_backend,
    gemini_records,
    gradient,
    outside_feather,
    parts,
    picture,
    shown_over,
)

PATH = "/v1/projects/test-project/locations/us-central1/publishers/google/models/{}:generateContent"


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    return gemini_backend(emulator.url)


def bodies(emulator) -> list[dict]:
    return [r.body for r in gemini_records(emulator)]


def assert_outside_identical(original, selection, op, output) -> None:
    keep = outside_feather(selection, op)
    for shown in shown_over(original, output.layers):
        assert np.array_equal(shown[keep], original[keep])
        assert not np.array_equal(shown[~keep], original[~keep])  # the inside did change


def test_generate_repeats_calls_with_consecutive_seeds(backend, emulator):
    op = ops.Generate(prompt="a lighthouse at dawn", negative_prompt="people", variations=2, seed=42,
                      aspect_ratio="16:9")
    output = pipeline.run(op, None, None, backend)
    records = gemini_records(emulator)
    assert [r.path for r in records] == [PATH.format("gemini-2.5-flash-image")] * 2
    assert all("enum-encoding=int" in r.query for r in records)
    first, second = (r.body for r in records)
    assert parts(first) == [{"text": "Create a picture: a lighthouse at dawn. Avoid: people."}]
    config = first["generationConfig"]
    assert config["responseModalities"] == [1, 2]  # TEXT, IMAGE as the REST client numbers them
    assert config["imageConfig"] == {"aspectRatio": "16:9"} and config["candidateCount"] == 1
    assert [config["seed"], second["generationConfig"]["seed"]] == [42, 43]
    assert first["safetySettings"] == [{"category": c, "threshold": 2} for c in (1, 2, 3, 4)]
    assert [layer.pixels.shape for layer in output.layers] == [(768, 1344, 4)] * 2
    assert [layer.provenance["seed"] for layer in output.layers] == [42, 43]
    assert not np.array_equal(output.layers[0].pixels, output.layers[1].pixels)
    assert output.model == "gemini-2.5-flash-image" and output.backend == "gemini"
    assert any(note.startswith("Emulator output") for note in output.notes)


def test_generate_same_seed_same_picture(backend):
    op = ops.Generate(prompt="a fox", seed=7)
    first = pipeline.run(op, None, None, backend).layers[0].pixels
    assert np.array_equal(first, pipeline.run(op, None, None, backend).layers[0].pixels)


def test_edit_with_prompt_sends_picture_and_instruction(backend, emulator):
    image = gradient()
    output = pipeline.run(ops.Edit(prompt="make it autumn", seed=1), image, None, backend)
    (body,) = bodies(emulator)
    sent, text = parts(body)
    assert picture(sent).shape == (768, 1024, 3)  # scaled to the model's ~1024 px working size
    assert text["text"].startswith("Edit this picture: make it autumn.")
    assert body["generationConfig"]["imageConfig"] == {"aspectRatio": "4:3"}
    (layer,) = output.layers
    assert (layer.x, layer.y, layer.pixels.shape) == (0, 0, (300, 400, 4))


def test_edit_through_a_selection_blends_back(backend):
    image, selection = gradient(), box(400, 300, 50, 60, 250, 220)
    op = ops.Edit(prompt="make it autumn", seed=1)
    output = pipeline.run(op, image, selection, backend)
    for shown in shown_over(image, output.layers):
        assert np.array_equal(shown[selection == 0], image[selection == 0])


def test_insert_sends_region_mask_and_instruction_and_keeps_outside(backend, emulator):
    image, selection = photo("cat"), None
    height, width = image.shape[:2]
    selection = box(width, height, width // 3, height // 3, width // 2, height // 2)
    op = ops.InpaintInsert(prompt="a small red ball", negative_prompt="text", variations=2, seed=5)
    output = pipeline.run(op, image, selection, backend)
    assert len(bodies(emulator)) == 2 and len(output.layers) == 2
    sent, mask, text = parts(bodies(emulator)[0])
    pixels, mask_pixels = picture(sent), picture(mask)
    assert mask["inlineData"]["mimeType"] == "image/png" and mask_pixels.ndim == 2
    assert pixels.shape[:2] == mask_pixels.shape and set(np.unique(mask_pixels)) == {0, 255}
    assert "paint: a small red ball" in text["text"] and "Avoid: text." in text["text"]
    assert "outside the white area of the mask exactly as it is" in text["text"]
    # the white area sits where the selection is within the region: centred, with context around
    ys, xs = np.nonzero(mask_pixels)
    height, width = mask_pixels.shape
    assert 0 < xs.min() < xs.max() < width - 1 and 0 < ys.min() < ys.max() < height - 1
    assert_outside_identical(image, selection, op, output)


def test_a_wide_region_is_padded_to_a_gemini_ratio_not_stretched(backend, emulator):
    image = gradient(900, 300)
    selection = box(900, 300, 100, 130, 800, 170)  # a thin strip: region about 5:1
    op = ops.InpaintInsert(prompt="a fence", seed=2, context=20)
    output = pipeline.run(op, image, selection, backend)
    sent, mask, _ = parts(bodies(emulator)[0])
    pixels, mask_pixels = picture(sent), picture(mask)
    assert bodies(emulator)[0]["generationConfig"]["imageConfig"] == {"aspectRatio": "21:9"}
    assert abs(pixels.shape[1] / pixels.shape[0] - ratio_value("21:9")) < 0.01
    assert not mask_pixels[0].any() and not mask_pixels[-1].any()  # the padding is never to change
    assert_outside_identical(image, selection, op, output)


def test_remove_sends_mask_and_removal_instruction(backend, emulator):
    image = photo("coffee")
    height, width = image.shape[:2]
    selection = box(width, height, width // 2, height // 2, width // 2 + 80, height // 2 + 60)
    op = ops.InpaintRemove(seed=3)
    output = pipeline.run(op, image, selection, backend)
    _, _, text = parts(bodies(emulator)[0])
    assert text["text"].startswith("The first picture is a photo") and "Remove what lies" in text["text"]
    assert "Fill it with" not in text["text"]
    assert_outside_identical(image, selection, op, output)


def test_outpaint_sends_padded_canvas_and_new_area_as_mask(backend, emulator):
    image = gradient(300, 200)
    op = ops.Outpaint(right=100, bottom=50, prompt="more meadow", seed=4, context=40)
    output = pipeline.run(op, image, None, backend)
    sent, mask, text = parts(bodies(emulator)[0])
    pixels, mask_pixels = picture(sent), picture(mask)
    assert "Extend the photo" in text["text"] and "Fill it with: more meadow." in text["text"]
    assert (mask_pixels > 0).any() and (mask_pixels == 0).any()
    inner = binary_erosion(mask_pixels > 0, np.ones((13, 13)))  # away from the resampled edge
    assert (pixels[inner] == 0).all()  # the empty canvas is sent black
    assert output.canvas == (0, 0, 100, 50)
    (layer,) = output.layers
    canvas = np.zeros((250, 400, 4), np.uint8)  # what the host makes: margins added right and bottom
    canvas[:200, :300] = image
    shown = layer.shown()
    canvas[layer.y:layer.y + shown.shape[0], layer.x:layer.x + shown.shape[1]] = shown
    assert np.array_equal(canvas[:200, :300], image)  # the original area is never repainted
    assert (canvas[200:, :, 3] == 255).all() and (canvas[:, 300:, 3] == 255).all()


def test_background_prompt_keeps_the_selected_subject(backend, emulator):
    image = gradient()
    subject = box(400, 300, 120, 80, 280, 260)
    op = ops.Background(mode="prompt", prompt="a beach at sunset", seed=6)
    output = pipeline.run(op, image, subject, backend)
    sent, mask, text = parts(bodies(emulator)[0])
    assert "white marks the subject" in text["text"] and "a beach at sunset" in text["text"]
    assert picture(mask)[picture(mask).shape[0] // 2, picture(mask).shape[1] // 2] == 255
    (layer,) = output.layers
    assert layer.pixels.shape == image.shape and (layer.x, layer.y) == (0, 0)
    assert np.array_equal(layer.pixels[subject == 255], image[subject == 255])
    assert not np.array_equal(layer.pixels[subject == 0], image[subject == 0])


def test_background_prompt_without_selection_finds_the_subject_locally(backend, emulator):
    image = photo("cat")
    output = pipeline.run(ops.Background(mode="prompt", prompt="a library", seed=1), image, None, backend)
    assert any("found by the local engine" in note for note in output.notes)
    assert len(parts(bodies(emulator)[0])) == 3
    assert output.layers[0].pixels.shape == image.shape


def test_background_other_modes_run_locally_without_a_call(backend, emulator):
    output = pipeline.run(ops.Background(mode="blur"), gradient(), None, backend)
    assert not gemini_records(emulator) and output.layers
    assert any("local engine" in note for note in output.notes)


def test_describe_uses_a_text_model(backend, emulator):
    output = pipeline.run(ops.Describe(question="What colour dominates?"), gradient(), None, backend)
    (record,) = gemini_records(emulator)
    assert record.path == PATH.format("gemini-2.5-flash")
    sent, question = parts(record.body)
    assert picture(sent).shape == (300, 400, 3) and question == {"text": "What colour dominates?"}
    assert record.body["generationConfig"]["responseModalities"] == [1]
    assert "imageConfig" not in record.body["generationConfig"]
    assert output.texts and output.texts[0].startswith("emulator answer 1 to 'What colour dominates?'")
    assert not output.layers


def test_describe_without_question_asks_for_a_caption(backend, emulator):
    output = pipeline.run(ops.Describe(), gradient(), None, backend)
    assert "caption" in parts(bodies(emulator)[0])[1]["text"] and output.texts


def test_per_action_models_from_settings_and_the_dialog(backend, emulator):
    backend.settings.models["gemini_edit"] = "gemini-3-pro-image-preview"
    backend.settings.models["gemini_describe"] = "gemini-2.5-pro"
    image, selection = gradient(), box(400, 300, 100, 100, 200, 200)
    pipeline.run(ops.InpaintInsert(prompt="a kite", seed=1), image, selection, backend)
    pipeline.run(ops.Describe(), image, None, backend)
    pipeline.run(ops.Generate(prompt="a kite"), None, None, backend)
    pipeline.run(ops.Generate(prompt="a kite", model="gemini-2.5-flash-image-preview"), None, None, backend)
    assert [r.model for r in gemini_records(emulator)] == [
        "gemini-3-pro-image-preview", "gemini-2.5-pro", "gemini-2.5-flash-image",
        "gemini-2.5-flash-image-preview"]


def test_a_text_model_for_pictures_is_refused_with_advice(backend):
    backend.settings.models["gemini"] = "gemini-2.5-flash"
    advice = 'answers with text only.*gemini = "gemini-2.5-flash-image"'
    with pytest.raises(UnsupportedOperation, match=advice):
        pipeline.run(ops.Generate(prompt="a kite"), None, None, backend)


@pytest.mark.parametrize("op,words", [
    (ops.Upscale(factor=2), "do not upscale"),
    (VerifyWatermark(), "imageverification"),
])
def test_actions_gemini_cannot_serve_say_so_before_any_call(backend, emulator, op, words):
    with pytest.raises(UnsupportedOperation, match=words):
        pipeline.run(op, gradient(), None, backend)
    assert not emulator.requests
