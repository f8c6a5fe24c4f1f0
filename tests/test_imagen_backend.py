"""Every operation through the real google-cloud-aiplatform client (REST) against the emulator.

Each test checks both sides: the JSON the emulator received (field names and values as the Imagen
API documents them) and what the backend hands the pipeline (images at the request's size, texts,
notes).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("google.cloud.aiplatform_v1")

from google.auth.credentials import AnonymousCredentials  # noqa: E402

from emulator import start_in_thread  # noqa: E402
from plugin import ops  # noqa: E402
from plugin.backends.base import EditRequest  # noqa: E402
from plugin.backends.transport import Backoff  # noqa: E402
from plugin.config import Settings  # noqa: E402
from plugin.legacy.imagen import sizing  # noqa: E402
from plugin.legacy.imagen.backend import ImagenBackend  # noqa: E402
from plugin.legacy.imagen.ops import AutoMaskEdit, VerifyWatermark  # noqa: E402
from plugin.ops import Customize  # noqa: E402
from tests.gemini_support import gradient  # noqa: E402

EMULATOR_OPTIONS = {"imagen": True}  # a project that keeps an Imagen endpoint


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    settings = Settings(project="test-project", location="us-central1", endpoint=emulator.url)
    return ImagenBackend(settings, credentials=AnonymousCredentials(), backoff=Backoff(0.01, 0.05))


def box_mask(width: int = 400, height: int = 300) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[100:200, 150:250] = 255
    return mask


def last(emulator) -> tuple[dict, dict, object]:
    record = emulator.requests[-1]
    return record.body["instances"][0], record.body.get("parameters", {}), record


def test_generate_imagen4_sends_documented_fields(backend, emulator):
    result = backend.run(
        EditRequest(op=ops.Generate(prompt="a lighthouse at dawn", variations=3, aspect_ratio="16:9"), image=None)
    )
    instance, params, record = last(emulator)
    assert record.path == (
        "/v1/projects/test-project/locations/us-central1/publishers/google/models/imagen-4.0-generate-001:predict"
    )
    assert instance == {"prompt": "a lighthouse at dawn"}
    assert params["sampleCount"] == 3 and params["aspectRatio"] == "16:9"
    assert params["sampleImageSize"] == "1K" and params["enhancePrompt"] is True
    assert params["addWatermark"] is True and "seed" not in params
    assert params["safetySetting"] == "block_medium_and_above" and params["personGeneration"] == "allow_adult"
    assert params["includeRaiReason"] is True and params["outputOptions"] == {"mimeType": "image/png"}
    assert params["language"] == "auto" and "negativePrompt" not in params
    assert [image.shape for image in result.images] == [(768, 1408, 4)] * 3
    assert any(note.startswith("Enhanced prompt: a lighthouse at dawn") for note in result.notes)
    assert result.model == "imagen-4.0-generate-001"


def test_numbers_arrive_as_doubles_and_headers_name_the_endpoint(backend, emulator):
    backend.run(EditRequest(op=ops.Generate(prompt="a fox", variations=2), image=None))
    record = emulator.requests[-1]
    assert "enum-encoding=int" in record.query
    assert record.headers["x-goog-request-params"].startswith("endpoint=projects/test-project/")
    assert "authorization" not in {k.lower() for k in record.headers}


def test_seed_turns_watermark_off_and_enhancement_off(backend, emulator):
    result = backend.run(EditRequest(op=ops.Generate(prompt="a fox", seed=1234), image=None))
    _, params, _ = last(emulator)
    assert params["seed"] == 1234 and params["addWatermark"] is False and params["enhancePrompt"] is False
    assert any("watermark is off" in note for note in result.notes)


def test_same_seed_same_picture(backend):
    op = ops.Generate(prompt="a fox", seed=7)
    first = backend.run(EditRequest(op=op, image=None)).images[0]
    second = backend.run(EditRequest(op=op, image=None)).images[0]
    assert np.array_equal(first, second)


def test_imagen3_model_gets_negative_prompt_and_no_size(backend, emulator):
    backend.settings.models["imagen_generate"] = "imagen-3.0-generate-001"
    result = backend.run(EditRequest(op=ops.Generate(prompt="a bowl of fruit", negative_prompt="bananas"), image=None))
    _, params, record = last(emulator)
    assert record.model == "imagen-3.0-generate-001"
    assert params["negativePrompt"] == "bananas"
    assert "sampleImageSize" not in params and "enhancePrompt" not in params
    assert result.images[0].shape == (1024, 1024, 4)


def test_negative_prompt_dropped_with_a_note_where_unsupported(backend, emulator):
    result = backend.run(EditRequest(op=ops.Generate(prompt="a bowl of fruit", negative_prompt="bananas"), image=None))
    _, params, _ = last(emulator)
    assert "negativePrompt" not in params
    assert any("negative prompt was not sent" in note for note in result.notes)


def test_generate_options_from_settings(backend, emulator):
    imagen = backend.settings.imagen
    imagen.image_size, imagen.output_mime_type, imagen.compression_quality = "2K", "image/jpeg", 80
    imagen.safety_setting, imagen.person_generation, imagen.language = "block_only_high", "dont_allow", "ja"
    imagen.enhance_prompt, imagen.add_watermark = False, False
    result = backend.run(EditRequest(op=ops.Generate(prompt="a fox", aspect_ratio="3:4"), image=None))
    _, params, _ = last(emulator)
    assert params["sampleImageSize"] == "2K" and params["enhancePrompt"] is False
    assert params["outputOptions"] == {"mimeType": "image/jpeg", "compressionQuality": 80}
    assert (params["safetySetting"], params["personGeneration"], params["language"]) == (
        "block_only_high",
        "dont_allow",
        "ja",
    )
    assert params["addWatermark"] is False
    assert result.images[0].shape == (2560, 1792, 4)


def test_inpaint_insert(backend, emulator):
    image, mask = gradient(), box_mask()
    op = ops.InpaintInsert(prompt="a red ball", negative_prompt="blur", variations=2)
    result = backend.run(EditRequest(op=op, image=image, mask=mask))
    instance, params, record = last(emulator)
    assert record.model == "imagen-3.0-capability-001"
    raw, mask_ref = instance["referenceImages"]
    assert raw["referenceType"] == "REFERENCE_TYPE_RAW" and raw["referenceId"] == 1
    assert mask_ref["referenceType"] == "REFERENCE_TYPE_MASK"
    assert mask_ref["maskImageConfig"] == {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": 0.01}
    assert decode_png_size(raw["referenceImage"]) == (1024, 768)  # small regions go at model size
    assert decode_png_size(mask_ref["referenceImage"]) == (1024, 768)
    assert instance["prompt"] == "a red ball"
    assert params["editMode"] == "EDIT_MODE_INPAINT_INSERTION" and params["editConfig"] == {"baseSteps": 35}
    assert params["negativePrompt"] == "blur" and params["sampleCount"] == 2
    assert [img.shape for img in result.images] == [(300, 400, 4)] * 2
    outside = mask == 0
    # the emulator blends its pattern only into the (dilated) mask: far outside stays close to the input
    assert np.abs(result.images[0][..., :3].astype(int) - image[..., :3])[outside][:1000].mean() < 8


def test_remove_uses_recipe_and_local_engine():
    server, url = start_in_thread(imagen=True)  # default engine: the plug-in's local engine
    try:
        backend = ImagenBackend(Settings(project="p", endpoint=url), backoff=Backoff(0.01, 0.05))
        image = gradient(200, 150)
        mask = np.zeros((150, 200), np.uint8)
        mask[60:90, 80:120] = 255
        result = backend.run(EditRequest(op=ops.InpaintRemove(), image=image, mask=mask))
        instance, params = server.requests[-1].body["instances"][0], server.requests[-1].body["parameters"]
        assert instance["prompt"] == "" and "negativePrompt" not in params
        assert params["editMode"] == "EDIT_MODE_INPAINT_REMOVAL" and params["editConfig"] == {"baseSteps": 12}
        assert instance["referenceImages"][1]["maskImageConfig"]["dilation"] == 0.01
        assert result.images[0].shape == (150, 200, 4)
    finally:
        server.stop()


def test_outpaint(backend, emulator):
    image = gradient()
    image[:, :50, 3] = 0  # the padded new area arrives transparent
    mask = np.zeros((300, 400), np.uint8)
    mask[:, :50] = 255
    result = backend.run(EditRequest(op=ops.Outpaint(left=50, prompt=""), image=image, mask=mask))
    instance, params, _ = last(emulator)
    assert params["editMode"] == "EDIT_MODE_OUTPAINT" and params["editConfig"] == {"baseSteps": 35}
    assert instance["referenceImages"][1]["maskImageConfig"]["dilation"] == 0.03
    assert result.images[0].shape == (300, 400, 4)
    assert (result.images[0][:, :50, 3] == 255).all()  # new area comes back opaque


def test_background_swap_without_selection_uses_automatic_mask(backend, emulator):
    op = ops.Background(mode="prompt", prompt="a sunny beach")
    result = backend.run(EditRequest(op=op, image=gradient()))
    instance, params, _ = last(emulator)
    mask_ref = instance["referenceImages"][1]
    assert "referenceImage" not in mask_ref
    assert mask_ref["maskImageConfig"] == {"maskMode": "MASK_MODE_BACKGROUND", "dilation": 0.0}
    assert params["editMode"] == "EDIT_MODE_BGSWAP" and params["editConfig"] == {"baseSteps": 75}
    assert result.images[0].shape == (300, 400, 4)


def test_background_swap_with_subject_selection_sends_inverted_mask(backend, emulator):
    subject = box_mask()
    backend.run(EditRequest(op=ops.Background(mode="prompt", prompt="a sunny beach"), image=gradient(), mask=subject))
    instance, _, _ = last(emulator)
    mask_ref = instance["referenceImages"][1]
    assert mask_ref["maskImageConfig"]["maskMode"] == "MASK_MODE_USER_PROVIDED"
    sent = decode_png_pixels(mask_ref["referenceImage"])
    assert sent[0, 0] == 255 and sent[384, 512] == 0  # background white (replace), subject black (keep)


def test_background_non_prompt_modes_run_locally(backend, emulator):
    result = backend.run(EditRequest(op=ops.Background(mode="color", color="#00ff00"), image=gradient()))
    assert emulator.requests == []
    assert result.images and any("local engine" in note for note in result.notes)


def test_mask_free_edit(backend, emulator):
    result = backend.run(EditRequest(op=ops.Edit(prompt="make it winter"), image=gradient()))
    instance, params, _ = last(emulator)
    assert [r["referenceType"] for r in instance["referenceImages"]] == ["REFERENCE_TYPE_RAW"]
    assert params["editMode"] == "EDIT_MODE_DEFAULT" and "editConfig" not in params
    assert result.images[0].shape == (300, 400, 4)


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale(backend, emulator, factor):
    image = gradient(200, 150)
    image[:10, :10, 3] = 0
    result = backend.run(EditRequest(op=ops.Upscale(factor=factor), image=image))
    instance, params, record = last(emulator)
    assert record.model == "imagen-4.0-upscale-preview"
    assert set(instance) == {"image"}
    assert params["mode"] == "upscale" and params["sampleCount"] == 1
    assert params["upscaleConfig"] == {"upscaleFactor": f"x{factor}"}
    assert result.images[0].shape == (150 * factor, 200 * factor, 4)
    assert result.images[0][0, 0, 3] == 0 and result.images[0][-1, -1, 3] == 255  # alpha carried over


def test_upscale_over_17_megapixels_is_refused_before_sending(backend, emulator):
    """The request builder's own guard, for a picture sent at its own size (`call`); `run` first scales
    every picture to 1 MP (sizing.py), which an x4 upscale keeps under 17 MP."""
    from plugin.backends.base import BackendError

    with pytest.raises(BackendError, match="17"):
        backend.call(EditRequest(op=ops.Upscale(factor=4), image=gradient(1100, 1000)))
    assert emulator.requests == []
    backend.run(EditRequest(op=ops.Upscale(factor=4), image=gradient(1100, 1000)))
    assert decode_png_size(last(emulator)[0]["image"]) == sizing.working_size(1100, 1000, None, sizing.MAX_PIXELS)


def test_caption(backend, emulator):
    result = backend.run(EditRequest(op=ops.Describe(variations=2), image=gradient()))
    instance, params, record = last(emulator)
    assert record.model == "imagetext@001" and record.path.endswith("imagetext@001:predict")
    assert set(instance) == {"image"} and params == {"sampleCount": 2, "language": "en"}
    assert len(result.texts) == 2 and result.texts[0].startswith("emulator caption")


def test_visual_question_answering(backend, emulator):
    result = backend.run(
        EditRequest(op=ops.Describe(question="What colour is the sky?", variations=4), image=gradient())
    )
    instance, params, _ = last(emulator)
    assert instance["prompt"] == "What colour is the sky?" and params == {"sampleCount": 3}
    assert len(result.texts) == 3 and "at most 3" in result.notes[0]


def test_watermark_verification_accepts_watermarked_output(backend, emulator):
    generated = backend.run(EditRequest(op=ops.Generate(prompt="a fox"), image=None)).images[0]
    verdict = backend.run(EditRequest(op=VerifyWatermark(), image=generated))
    instance, params, record = last(emulator)
    assert record.model == "imageverification@001" and set(instance) == {"image"} and params == {}
    assert verdict.texts[0].startswith("SynthID watermark detected")
    plain = backend.run(EditRequest(op=VerifyWatermark(), image=gradient()))
    assert plain.texts[0].startswith("No SynthID watermark detected")


def test_subject_customization_with_reference_layers(backend, emulator):
    refs = [gradient(600, 500), gradient(300, 300)]
    op = Customize(
        prompt="a mug on a marble table",
        kind="subject",
        subject_type="product",
        description="a red mug",
        aspect_ratio="4:3",
        variations=2,
    )
    result = backend.run(EditRequest(op=op, image=None, references=refs))
    instance, params, _ = last(emulator)
    assert instance["prompt"] == "a mug on a marble table featuring a red mug [1]"
    assert [r["referenceType"] for r in instance["referenceImages"]] == ["REFERENCE_TYPE_SUBJECT"] * 2
    assert {r["referenceId"] for r in instance["referenceImages"]} == {1}
    assert instance["referenceImages"][0]["subjectImageConfig"] == {
        "subjectType": "SUBJECT_TYPE_PRODUCT",
        "subjectDescription": "a red mug",
    }
    assert params["editMode"] == "EDIT_MODE_DEFAULT" and params["aspectRatio"] == "4:3"
    assert [img.shape for img in result.images] == [(896, 1280, 4)] * 2


def test_style_customization(backend, emulator):
    op = Customize(prompt="a city street [1]", kind="style", description="watercolor")
    backend.run(EditRequest(op=op, image=gradient()))
    instance, params, _ = last(emulator)
    ref = instance["referenceImages"][0]
    assert instance["prompt"] == "a city street [1]"
    assert ref["referenceType"] == "REFERENCE_TYPE_STYLE"
    assert ref["styleImageConfig"] == {"styleDescription": "watercolor"}
    assert params["editMode"] == "EDIT_MODE_DEFAULT"


@pytest.mark.parametrize("kind", ["scribble", "canny"])
def test_control_customization(backend, emulator, kind):
    op = Customize(prompt="a cottage", kind=kind, compute_control=kind == "canny")
    result = backend.run(EditRequest(op=op, image=gradient()))
    instance, params, _ = last(emulator)
    ref = instance["referenceImages"][0]
    assert ref["referenceType"] == "REFERENCE_TYPE_CONTROL"
    assert ref["controlImageConfig"] == {
        "controlType": f"CONTROL_TYPE_{kind.upper()}",
        "enableControlImageComputation": kind == "canny",
    }
    assert params["editMode"] == "EDIT_MODE_CONTROLLED_EDITING"
    assert result.images


@pytest.mark.parametrize("mode", ["background", "foreground", "semantic"])
def test_automatic_mask_modes(backend, emulator, mode):
    op = AutoMaskEdit(
        edit="insert", mask_mode=mode, classes="car, bicycle" if mode == "semantic" else "", prompt="a vintage truck"
    )
    result = backend.run(EditRequest(op=op, image=gradient()))
    instance, params, _ = last(emulator)
    config = instance["referenceImages"][1]["maskImageConfig"]
    assert config["maskMode"] == f"MASK_MODE_{mode.upper()}"
    if mode == "semantic":
        assert config["maskClasses"] == [176, 175]  # wire name maskClasses, IDs from Google's table
    else:
        assert "maskClasses" not in config
    assert params["editMode"] == "EDIT_MODE_INPAINT_INSERTION"
    assert result.images[0].shape == (300, 400, 4)


def test_automatic_mask_removal_sends_empty_prompt(backend, emulator):
    op = AutoMaskEdit(edit="remove", mask_mode="foreground", dilation=0.1)
    backend.run(EditRequest(op=op, image=gradient()))
    instance, params, _ = last(emulator)
    assert instance["prompt"] == "" and instance["referenceImages"][1]["maskImageConfig"]["dilation"] == 0.1
    assert params["editMode"] == "EDIT_MODE_INPAINT_REMOVAL"


def test_v1beta1_and_escaped_at_sign_are_understood(emulator):
    """A path as google-genai sends it, with the model's @ percent-encoded as the REST client does."""
    import json
    import urllib.request

    body = json.dumps(
        {
            "instances": [{"image": {"bytesBase64Encoded": _png_b64(gradient(64, 64))}}],
            "parameters": {"sampleCount": 1.0},
        }
    ).encode()
    url = f"{emulator.url}/v1beta1/projects/p/locations/us-central1/publishers/google/models/imagetext%40001:predict"
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as reply:
        assert json.loads(reply.read())["predictions"]


def test_capabilities_keep_requests_under_limits(backend, emulator):
    caps = backend.capabilities()
    assert sizing.MAX_PIXELS * 16 <= 17_000_000 and caps.batch_variations
    image, mask = gradient(1600, 1000), box_mask(1600, 1000)  # 1.6 MP: sent at 1 MP, answered at the request's size
    result = backend.run(EditRequest(op=ops.InpaintRemove(), image=image, mask=mask))
    sent_w, sent_h = decode_png_size(last(emulator)[0]["referenceImages"][0]["referenceImage"])
    assert sent_w * sent_h <= sizing.MAX_PIXELS and abs(sent_w / sent_h - 1.6) < 0.01
    assert result.images[0].shape == (1000, 1600, 4)
    assert {
        "generate",
        "insert",
        "remove",
        "outpaint",
        "background",
        "edit",
        "upscale",
        "describe",
        "customize",
        "auto_mask",
        "verify",
    } <= caps.actions


def test_it_needs_the_network_and_says_so_when_vertex_cannot_be_reached():
    """What `needs_network` meant, as the user sees it: no service, no picture, and a message naming why."""
    from plugin.backends.vertex_errors import ServiceUnavailable

    backend = ImagenBackend(Settings(project="p", endpoint="http://127.0.0.1:9"), backoff=Backoff(0.01, 0.05))
    with pytest.raises(ServiceUnavailable, match="Cannot reach Vertex AI"):
        backend.run(EditRequest(op=ops.Generate(prompt="a fox"), image=None))


def _png_b64(rgba: np.ndarray) -> str:
    from plugin.legacy.imagen.requests import wire_image

    return wire_image(rgba)["bytesBase64Encoded"]


def decode_png_pixels(image: dict) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(image["bytesBase64Encoded"]))))


def decode_png_size(image: dict) -> tuple[int, int]:
    pixels = decode_png_pixels(image)
    return pixels.shape[1], pixels.shape[0]
