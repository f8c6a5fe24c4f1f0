"""The emulator's :generateContent side on the wire: strict validation (400 naming the field), enum
numbers or names as the client asks, answers at Gemini's own output sizes, retired models."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from tests.gemini_support import gradient

MODELS = "/v1/projects/p/locations/us-central1/publishers/google/models/"
MODEL_PATH = MODELS + "{}:generateContent"
FLASH = "gemini-2.5-flash-image"
MIME = "contents[0].parts[0].inlineData.mimeType"


EMULATOR_OPTIONS = {"retired": {"gemini-2.5-flash-image-preview"}}


def post(emulator, body: dict, model: str = "gemini-2.5-flash-image", query: str = "") -> tuple[int, dict]:
    request = urllib.request.Request(emulator.url + MODEL_PATH.format(model) + query,
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def png(rgb: np.ndarray, kind: str = "PNG") -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=kind)
    return base64.b64encode(buffer.getvalue()).decode()


def image_part(rgb: np.ndarray | None = None, mime: str = "image/png", kind: str = "PNG") -> dict:
    rgb = gradient(40, 30)[..., :3] if rgb is None else rgb
    return {"inlineData": {"mimeType": mime, "data": png(rgb, kind)}}


def body(*parts: dict, **config) -> dict:
    generation = {"responseModalities": ["TEXT", "IMAGE"], **config}
    return {"contents": [{"role": "user", "parts": list(parts) or [{"text": "a fox"}]}],
            "generationConfig": generation}


def decoded(reply: dict, candidate: int = 0) -> np.ndarray:
    parts = reply["candidates"][candidate]["content"]["parts"]
    data = next(p["inlineData"]["data"] for p in parts if "inlineData" in p)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def test_generate_answers_with_names_and_gemini_output_size(emulator):
    code, reply = post(emulator, body(imageConfig={"aspectRatio": "21:9"}, seed=3))
    assert code == 200
    (candidate,) = reply["candidates"]
    assert candidate["finishReason"] == "STOP" and candidate["content"]["role"] == "model"
    assert candidate["content"]["parts"][0]["text"].startswith("Emulator output")
    assert decoded(reply).shape == (672, 1536, 3)
    assert reply["modelVersion"] == "gemini-2.5-flash-image" and reply["usageMetadata"]["totalTokenCount"] > 0


def test_numbers_when_the_client_asks_for_int_enums(emulator):
    code, reply = post(emulator, body(responseModalities=[1, 2]), query="?%24alt=json%3Benum-encoding%3Dint")
    assert code == 200 and reply["candidates"][0]["finishReason"] == 1


def test_an_edit_comes_back_at_the_nearest_gemini_ratio(emulator):
    code, reply = post(emulator, body(image_part(gradient(400, 300)[..., :3]), {"text": "make it autumn"}))
    assert code == 200 and decoded(reply).shape == (864, 1184, 3)


def test_a_mask_limits_the_change(emulator):
    rgb = gradient(64, 48)[..., :3]
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 20:40] = 255
    code, reply = post(emulator, body(image_part(rgb), image_part(np.dstack([mask] * 3)), {"text": "paint"},
                                      imageConfig={"aspectRatio": "4:3"}))
    out = np.asarray(Image.fromarray(decoded(reply)).resize((64, 48), Image.Resampling.BICUBIC)).astype(int)
    assert code == 200
    assert np.abs(out[40:, :] - rgb[40:, :]).mean() < 6 < np.abs(out[12:28, 22:38] - rgb[12:28, 22:38]).mean()


def test_text_model_gives_several_candidates(emulator):
    code, reply = post(emulator, body(image_part(), {"text": "What is this?"}, responseModalities=["TEXT"],
                                      candidateCount=2), model="gemini-2.5-flash")
    assert code == 200 and len(reply["candidates"]) == 2
    assert reply["candidates"][1]["content"]["parts"][0]["text"].startswith("emulator answer 2")


@pytest.mark.parametrize("request_body,model,field,words", [
    ({**body(), "prompt": "x"}, "gemini-2.5-flash-image", "prompt", "Cannot find field"),
    ({"contents": []}, "gemini-2.5-flash-image", "contents", "must not be empty"),
    (body({"text": "a", "inlineData": {"mimeType": "image/png", "data": png(gradient(8, 8)[..., :3])}}),
     "gemini-2.5-flash-image", "contents[0].parts[0]", "exactly one"),
    (body({"inlineData": {"mimeType": "image/png", "data": "!!!"}}), "gemini-2.5-flash-image",
     "contents[0].parts[0].inlineData.data", "base64"),
    (body(image_part(mime="image/jpeg")), FLASH, MIME, "data is PNG"),
    (body(image_part(mime="image/gif")), FLASH, MIME, "not a supported image type"),
    (body({"fileData": {"mimeType": "image/png", "fileUri": "gs://b/o.png"}}), "gemini-2.5-flash-image",
     "contents[0].parts[0].fileData", "Cloud Storage"),
    (body(*[image_part()] * 4, {"text": "merge"}), "gemini-2.5-flash-image", "contents", "at most 3"),
    (body(candidateCount=2), "gemini-2.5-flash-image", "generationConfig.candidateCount",
     "Multiple candidates is not enabled"),
    (body(imageConfig={"aspectRatio": "7:4"}), FLASH, "generationConfig.imageConfig.aspectRatio",
     "is not one of"),
    (body(imageConfig={"size": "1K"}), "gemini-2.5-flash-image", "generationConfig.imageConfig.size",
     "Cannot find field"),
    (body(responseModalities=["TEXT", "VIDEO"]), "gemini-2.5-flash-image",
     "generationConfig.responseModalities[1]", "is not one of"),
    (body(), "gemini-2.5-flash", "generationConfig.responseModalities",
     "Multi-modal output is not supported"),
    (body(temperature=3), "gemini-2.5-flash-image", "generationConfig.temperature", "out of range"),
    ({**body(), "safetySettings": [{"category": "HARM_CATEGORY_CUTENESS", "threshold": "BLOCK_NONE"}]},
     "gemini-2.5-flash-image", "safetySettings[0].category", "is not one of"),
    ({**body(), "safetySettings": [{"category": 1, "threshold": 9}]}, "gemini-2.5-flash-image",
     "safetySettings[0].threshold", "is not one of"),
    ({**body(), "safetySettings": [{"category": 1, "threshold": 2}] * 2}, "gemini-2.5-flash-image",
     "safetySettings[1].category", "set twice"),
    ({"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "model", "parts": [{"text": "b"}]}]},
     "gemini-2.5-flash-image", "contents[1].role", "last turn"),
    ({"contents": [{"role": "system", "parts": [{"text": "a"}]}]}, "gemini-2.5-flash-image",
     "contents[0].role", "not a role"),
])
def test_invalid_requests_are_refused_naming_the_field(emulator, request_body, model, field, words):
    code, reply = post(emulator, request_body, model=model)
    assert code == 400 and reply["error"]["status"] == "INVALID_ARGUMENT"
    assert f"'{field}'" in reply["error"]["message"] and words in reply["error"]["message"]


def test_unknown_and_retired_models(emulator):
    code, reply = post(emulator, body(), model="gemini-9-imaginary")
    assert code == 404 and "gemini-9-imaginary` not found" in reply["error"]["message"]
    code, _ = post(emulator, body(), model="gemini-2.5-flash-image-preview")
    assert code == 404
    emulator.retired_code = 400
    try:
        code, reply = post(emulator, body(), model="gemini-2.5-flash-image-preview")
    finally:
        emulator.retired_code = 404
    assert code == 400 and "retired" in reply["error"]["message"]


def test_the_predict_side_is_unchanged(emulator):
    request = urllib.request.Request(
        emulator.url + MODELS + "imagen-4.0-generate-001:predict",
        data=json.dumps({"instances": [{"prompt": "a fox"}], "parameters": {"sampleCount": 1}}).encode(),
        method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert len(json.loads(response.read())["predictions"]) == 1
    assert len(emulator.predict_bodies()) == 1
