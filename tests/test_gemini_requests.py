"""Request building and answer reading without a network: ratios and padding, model choice, and every
way Gemini says "no picture" turned into a message."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from plugin import ops
from plugin.backends.base import BackendError, EditRequest
from plugin.backends.gemini_models import nearest_ratio
from plugin.backends.gemini_requests import Frame, GeminiCall, build_call, model_for, pad_to_ratio
from plugin.backends.gemini_responses import PromptBlocked, read_response
from plugin.backends.imagen_responses import SafetyFiltered
from plugin.config import Settings
from tests.gemini_support import box, gradient


def encoded(width: int, height: int, value: int = 128) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (value, value, value)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def image_call(**kw) -> GeminiCall:
    return GeminiCall("gemini", "gemini-2.5-flash-image", {}, **kw)


@pytest.mark.parametrize("size,ratio", [((400, 300), "4:3"), ((1000, 1000), "1:1"), ((900, 300), "21:9"),
                                        ((300, 900), "9:16"), ((1500, 1000), "3:2"), ((500, 400), "5:4")])
def test_nearest_ratio(size, ratio):
    assert nearest_ratio(*size) == ratio


def test_padding_mirrors_the_picture_and_never_marks_it_for_change():
    image = gradient(300, 100)
    mask = box(300, 100, 100, 20, 200, 80)
    padded, padded_mask, ratio, (x, y, w, h) = pad_to_ratio(image, mask, ("1:1", "16:9"))
    assert ratio == "16:9" and padded.shape[1] / padded.shape[0] == pytest.approx(16 / 9, abs=0.01)
    assert np.array_equal(padded[y:y + h, x:x + w], image)
    assert np.array_equal(padded_mask[y:y + h, x:x + w], mask)
    assert padded_mask.sum() == mask.sum()
    assert np.array_equal(padded[y - 1], image[0])  # symmetric: the first row mirrored outwards


def test_models_per_action_with_defaults():
    settings = Settings()
    assert model_for(ops.Generate(prompt="x"), settings)[1] == "gemini-2.5-flash-image"
    assert model_for(ops.Describe(), settings)[1] == "gemini-2.5-flash"
    settings.models.update(gemini="gemini-3-pro-image-preview", gemini_generate="gemini-2.5-flash-image")
    assert model_for(ops.InpaintRemove(), settings)[:2] == ("gemini", "gemini-3-pro-image-preview")
    assert model_for(ops.Generate(prompt="x"), settings)[:2] == ("gemini_generate", "gemini-2.5-flash-image")
    assert model_for(ops.Edit(prompt="x", model="gemini-2.5-flash-image-preview"), settings)[1] == \
        "gemini-2.5-flash-image-preview"
    assert model_for(ops.Edit(prompt="x", model="imagen-3.0-capability-001"), settings)[1] == \
        "gemini-3-pro-image-preview"  # an Imagen ID in the dialog means nothing to Gemini


def test_safety_setting_maps_to_every_category():
    settings = Settings()
    settings.imagen.safety_setting = "block_only_high"
    call = build_call(EditRequest(op=ops.Generate(prompt="x"), image=None), settings)
    assert {s["threshold"] for s in call.body["safetySettings"]} == {"BLOCK_ONLY_HIGH"}
    assert len(call.body["safetySettings"]) == 4


def test_an_answer_is_cut_back_to_the_frame_and_keeps_alpha():
    frame = Frame(sent=(160, 90), box=(20, 0, 120, 90), size=(60, 45))
    alpha = np.full((45, 60), 7, np.uint8)
    reply = {"candidates": [{"content": {"parts": [{"text": "Here you go"},
                                                   {"inlineData": {"mimeType": "image/png",
                                                                   "data": encoded(1344, 768)}}]},
                             "finishReason": 1}]}
    result = read_response(image_call(frame=frame, keep_alpha=alpha), reply)
    (image,) = result.images
    assert image.shape == (45, 60, 4) and (image[..., 3] == 7).all()
    assert "gemini-2.5-flash-image said: Here you go" in result.notes


@pytest.mark.parametrize("reason", ["SAFETY", 1])
def test_prompt_feedback_block_by_name_or_number(reason):
    reply = {"promptFeedback": {"blockReason": reason, "blockReasonMessage": "no."}}
    expected = r"Gemini's safety filter \[blockReason SAFETY\]. Gemini said: no."
    with pytest.raises(PromptBlocked, match=expected):
        read_response(image_call(), reply)


def test_prohibited_content_says_it_cannot_be_lowered():
    reply = {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}
    with pytest.raises(PromptBlocked, match="cannot be lowered") as caught:
        read_response(image_call(), reply)
    assert "safety_setting" not in str(caught.value)


@pytest.mark.parametrize("finish,words", [(11, "IMAGE_SAFETY"), ("IMAGE_PROHIBITED_CONTENT", "prohibited"),
                                          (4, "copyrighted"), (99, "VALUE_99")])
def test_candidate_finish_reasons(finish, words):
    reply = {"candidates": [{"finishReason": finish, "finishMessage": "stopped"}]}
    with pytest.raises(SafetyFiltered, match=words):
        read_response(image_call(), reply)


def test_words_instead_of_a_picture():
    reply = {"candidates": [{"content": {"parts": [{"text": "I cannot draw that, but here is a poem."},
                                                   {"text": "thinking...", "thought": True}]},
                             "finishReason": "STOP"}]}
    with pytest.raises(BackendError, match='answered only in words: "I cannot draw that') as caught:
        read_response(image_call(), reply)
    assert "thinking" not in str(caught.value)


def test_no_candidates_at_all():
    with pytest.raises(BackendError, match="returned no picture"):
        read_response(image_call(), {"usageMetadata": {}})


def test_texts_for_describe():
    call = GeminiCall("gemini_describe", "gemini-2.5-flash", {}, result="texts")
    reply = {"candidates": [{"content": {"parts": [{"text": " A cat on a sofa. "}]}, "finishReason": 1}]}
    assert read_response(call, reply).texts == ["A cat on a sofa."]
    with pytest.raises(BackendError, match="no text"):
        read_response(call, {"candidates": [{"finishReason": 1}]})
