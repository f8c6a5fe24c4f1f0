"""Request building, response reading and error mapping without a server: the rules that decide
what goes on the wire and what the user reads."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from plugin import ops
from plugin.backends.base import BackendError, EditRequest, UnsupportedOperation
from plugin.config import Settings
from plugin.legacy.imagen.classes import CLASS_NAMES, parse_classes
from plugin.legacy.imagen.ops import AutoMaskEdit
from plugin.legacy.imagen.requests import PredictCall, build_call, wire_image
from plugin.legacy.imagen.responses import SafetyFiltered, explain_codes, read_predictions
from plugin.ops import Customize, OperationError, from_dict


def rgba(width: int = 64, height: int = 48) -> np.ndarray:
    image = np.full((height, width, 4), 128, np.uint8)
    image[..., 3] = 255
    return image


def png_b64(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_wire_image_is_rgb_png_and_falls_back_to_jpeg_over_10_mb():
    small = wire_image(rgba())
    assert small["mimeType"] == "image/png"
    assert Image.open(io.BytesIO(base64.b64decode(small["bytesBase64Encoded"]))).mode == "RGB"
    noise = np.random.default_rng(0).integers(0, 256, size=(2000, 2000, 4), dtype=np.uint8)
    big = wire_image(noise)
    assert big["mimeType"] == "image/jpeg"
    assert len(base64.b64decode(big["bytesBase64Encoded"])) <= 10 * 1024 * 1024


def test_ultra_preview_clamps_samples_with_a_note():
    settings = Settings(models={"imagen_generate": "imagen-4.0-ultra-generate-preview-06-06"})
    call = build_call(EditRequest(op=ops.Generate(prompt="x", variations=4), image=None), settings)
    assert call.parameters["sampleCount"] == 1 and "at most 1" in call.notes[0]


def test_legacy_model_aspect_ratio_refused_with_choices():
    settings = Settings(models={"imagen_generate": "imagegeneration@005"})
    with pytest.raises(UnsupportedOperation, match="1:1, 9:16"):
        build_call(EditRequest(op=ops.Generate(prompt="x", aspect_ratio="16:9"), image=None), settings)


def test_unknown_generate_model_is_sent_leniently():
    settings = Settings(models={"imagen_generate": "imagen-5.0-generate-001"})
    call = build_call(EditRequest(op=ops.Generate(prompt="x"), image=None), settings)
    assert call.model == "imagen-5.0-generate-001" and call.parameters["sampleImageSize"] == "1K"


def test_edit_with_a_non_capability_model_explains_the_setting():
    settings = Settings(models={"imagen_edit": "imagegeneration@006"})
    request = EditRequest(op=ops.Edit(prompt="winter"), image=rgba())
    with pytest.raises(UnsupportedOperation, match='imagen_edit = "imagen-3.0-capability-001"'):
        build_call(request, settings)


def test_insert_without_selection_is_refused():
    with pytest.raises(UnsupportedOperation, match="selection"):
        build_call(EditRequest(op=ops.InpaintInsert(prompt="a ball"), image=rgba()), Settings())


def test_settings_base_steps_and_guidance_override_recipes():
    settings = Settings()
    settings.imagen.base_steps, settings.imagen.guidance_scale = 50, 15.0
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 10:20] = 255
    call = build_call(EditRequest(op=ops.InpaintInsert(prompt="a ball"), image=rgba(), mask=mask), settings)
    assert call.parameters["editConfig"] == {"baseSteps": 50} and call.parameters["guidanceScale"] == 15.0


def test_customize_needs_a_reference_and_caps_them():
    with pytest.raises(UnsupportedOperation, match="reference layer"):
        build_call(EditRequest(op=Customize(prompt="x"), image=None), Settings())
    call = build_call(
        EditRequest(op=Customize(prompt="x", kind="style"), image=None, references=[rgba(), rgba()]), Settings()
    )
    assert len(call.instance["referenceImages"]) == 1 and "first 1" in call.notes[0]


def test_customize_references_are_scaled_to_working_size():
    request = EditRequest(op=Customize(prompt="a mug [1]"), image=None, references=[rgba(3000, 1500)])
    call = build_call(request, Settings())
    data = base64.b64decode(call.instance["referenceImages"][0]["referenceImage"]["bytesBase64Encoded"])
    assert Image.open(io.BytesIO(data)).size == (1024, 512)


def test_caption_language_outside_the_caption_set_becomes_english():
    settings = Settings()
    settings.imagen.language = "ja"
    call = build_call(EditRequest(op=ops.Describe(), image=rgba()), settings)
    assert call.parameters["language"] == "en"


def test_ops_imagen_validation_and_registration():
    op = from_dict({"action": "customize", "prompt": "x", "kind": "canny", "reference_layers": ["edges"]})
    assert isinstance(op, Customize) and op.reference_layers == ("edges",)
    with pytest.raises(OperationError, match="kind"):
        Customize(prompt="x", kind="depth")
    with pytest.raises(OperationError, match="is not a segmentation class"):
        AutoMaskEdit(mask_mode="semantic", classes="unicorn", prompt="x")
    with pytest.raises(OperationError, match="at most 5"):
        AutoMaskEdit(mask_mode="semantic", classes="car, bus, train, truck, boat_ship, bicycle", prompt="x")
    with pytest.raises(OperationError, match="dilation"):
        AutoMaskEdit(mask_mode="foreground", prompt="x", dilation=2.0)
    assert from_dict({"action": "verify"}).action == "verify"


def test_class_names():
    assert len(CLASS_NAMES) == 194 and CLASS_NAMES[125] == "person" and CLASS_NAMES[193] == "window_blind"
    assert parse_classes("Cell phone; 8, cell_phone") == [41, 8]


def call(samples: int = 4, **kw) -> PredictCall:
    return PredictCall("generate", "m", {}, {}, samples=samples, **kw)


def test_read_predictions_counts_filtered_and_reports_enhanced_prompt():
    image = {
        "bytesBase64Encoded": png_b64(np.zeros((8, 8, 3), np.uint8)),
        "mimeType": "image/png",
        "prompt": "a better prompt",
    }
    reason = {"raiFilteredReason": "filtered out 3 generated images. Support codes: 58061214"}
    result = read_predictions(call(), [image, reason, {"contentType": "Positive Prompt"}])
    assert len(result.images) == 1 and result.images[0].shape == (8, 8, 4)
    assert "Enhanced prompt: a better prompt" in result.notes
    assert any(n.startswith("3 of 4 samples removed by the safety filter (child)") for n in result.notes)


def test_read_predictions_resizes_to_request_size_and_restores_alpha():
    alpha = np.zeros((4, 6), np.uint8)
    image = {"bytesBase64Encoded": png_b64(np.zeros((8, 12, 3), np.uint8))}
    result = read_predictions(call(1, size=(6, 4), keep_alpha=alpha), [image])
    assert result.images[0].shape == (4, 6, 4) and (result.images[0][..., 3] == 0).all()


def test_empty_answer_is_all_filtered():
    with pytest.raises(SafetyFiltered, match="All 2 sample"):
        read_predictions(call(2), [])


def test_undecodable_image_is_a_message():
    with pytest.raises(BackendError, match="could not read"):
        read_predictions(call(1), [{"bytesBase64Encoded": "bm90IGFuIGltYWdl"}])


def test_support_codes():
    assert explain_codes("Support codes: 29310472, 15236754, 90789179") == "celebrity, sexual content"
    assert explain_codes("no codes") == ""
