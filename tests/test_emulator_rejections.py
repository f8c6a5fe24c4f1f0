"""Each served model refuses what the service refuses, with a 400 INVALID_ARGUMENT that names the field
(in the message, and in the BadRequest details google-genai keeps on the error); requests the SDK
cannot produce are sent as plain HTTP."""

from __future__ import annotations

import base64
import warnings

import numpy as np
import pytest

pytest.importorskip("google.genai")

from google.genai import errors, types  # noqa: E402

from tests.emulator_support import encoded, gradient, image_part, model_path, post, violation  # noqa: E402

FLASH, PRO, LITE, NANO = (
    "gemini-3.1-flash-image",
    "gemini-3-pro-image",
    "gemini-3.1-flash-lite-image",
    "gemini-2.5-flash-image",
)
RATIO = "generation_config.image_config.aspect_ratio"
SIZE = "generation_config.image_config.image_size"
LEVEL = "generation_config.thinking_config.thinking_level"


def refused(genai, model: str, contents, **config) -> errors.ClientError:
    with pytest.raises(errors.ClientError) as caught:
        genai.models.generate_content(
            model=model, contents=contents, config=types.GenerateContentConfig(**config) if config else None
        )
    error = caught.value
    assert (error.code, error.status) == (400, "INVALID_ARGUMENT"), error.details
    return error


def images(**kw) -> dict:
    return {"response_modalities": ["TEXT", "IMAGE"], "image_config": types.ImageConfig(**kw)}


def test_the_wrong_ratio_gets_googles_message(genai):
    error = refused(genai, FLASH, "a fox", **images(aspect_ratio="9:21"))
    assert error.message == (
        "* GenerateContentRequest.generation_config.image_config.aspect_ratio: aspect_ratio must be one of "
        "'1:1', '1:4', '1:8', '2:3', '3:2', '3:4', '4:1', '4:3', '4:5', '5:4', '8:1', '9:16', '16:9', or "
        "'21:9'."
    )
    assert violation(error) == RATIO


@pytest.mark.parametrize(
    ("model", "ratio"), [(PRO, "1:4"), (PRO, "8:1"), (NANO, "1:8"), (NANO, "4:1"), (LITE, "2:1"), (FLASH, "16:10")]
)
def test_ratios_not_offered(genai, model, ratio):
    error = refused(genai, model, "a fox", **images(aspect_ratio=ratio))
    assert RATIO in error.message and violation(error) == RATIO


@pytest.mark.parametrize(
    ("model", "tier"),
    [(FLASH, "1k"), (FLASH, "512px"), (FLASH, "8K"), (PRO, "512"), (LITE, "2K"), (LITE, "512"), (NANO, "1K")],
)
def test_image_sizes_not_offered(genai, model, tier):
    error = refused(genai, model, "a fox", **images(image_size=tier))
    assert SIZE in error.message and violation(error) == SIZE


@pytest.mark.parametrize(("model", "limit"), [(FLASH, 14), (PRO, 14), (LITE, 14), (NANO, 3)])
def test_more_pictures_than_the_model_takes(genai, model, limit):
    small = image_part(gradient(16, 12))
    genai.models.generate_content(
        model=model, contents=[small] * limit + ["merge"], config=types.GenerateContentConfig(**images())
    )
    error = refused(genai, model, [small] * (limit + 1) + ["merge"], **images())
    assert error.message.startswith("* GenerateContentRequest.contents:") and violation(error) == "contents"


def test_an_inline_picture_over_7_mb(genai):
    data = b"\x89PNG\r\n\x1a\n" + bytes(7 * 1024 * 1024 - 7)
    error = refused(genai, FLASH, [types.Part.from_bytes(data=data, mime_type="image/png"), "x"], **images())
    assert violation(error) == "contents[0].parts[0].inline_data" and "7340032" in error.message


def test_an_inline_picture_just_under_7_mb_is_taken(genai):
    noise = np.random.default_rng(3).integers(0, 256, size=(1400, 1700, 3), dtype=np.uint8)
    data = encoded(noise)
    assert 6 * 1024 * 1024 < len(data) <= 7 * 1024 * 1024
    response = genai.models.generate_content(
        model=PRO,
        contents=[types.Part.from_bytes(data=data, mime_type="image/png"), "x"],
        config=types.GenerateContentConfig(**images()),
    )
    assert response.candidates


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"not a picture", "image/png"),
        (encoded(gradient(20, 20), "JPEG"), "image/png"),
        (encoded(gradient(20, 20)), "image/webp"),
    ],
)
def test_pictures_that_are_not_what_they_say(genai, data, mime):
    error = refused(genai, FLASH, ["x", types.Part.from_bytes(data=data, mime_type=mime)], **images())
    assert error.message == "Provided image is not valid."
    assert violation(error) == "contents[0].parts[1].inline_data"


def test_an_unsupported_mime_type(genai):
    error = refused(
        genai,
        FLASH,
        [types.Part.from_bytes(data=encoded(gradient(20, 20), "GIF"), mime_type="image/gif"), "x"],
        **images(),
    )
    assert "image/gif" in error.message and violation(error) == "contents[0].parts[0].inline_data.mime_type"


@pytest.mark.parametrize(
    ("model", "level"), [(FLASH, "LOW"), (FLASH, "MEDIUM"), (LITE, "MEDIUM"), (PRO, "MINIMAL"), (PRO, "LOW")]
)
def test_thinking_levels_not_offered(genai, model, level):
    thinking = types.ThinkingConfig(thinking_level=level)
    error = refused(genai, model, "a fox", thinking_config=thinking, **images())
    assert LEVEL in error.message and violation(error) == LEVEL


def test_level_and_budget_never_together(genai):
    config = types.ThinkingConfig(thinking_level="HIGH", thinking_budget=512)
    error = refused(genai, FLASH, "a fox", thinking_config=config, **images())
    assert violation(error) == "generation_config.thinking_config"
    error = refused(genai, "gemini-3.5-flash", "hi", thinking_config=config)
    assert violation(error) == "generation_config.thinking_config"


def test_thinking_on_models_that_do_not_think_or_cannot_stop(genai):
    thinking = types.ThinkingConfig(include_thoughts=True)
    error = refused(genai, NANO, "a fox", thinking_config=thinking, **images())
    assert violation(error) == "generation_config.thinking_config"
    error = refused(genai, PRO, "a fox", thinking_config=types.ThinkingConfig(thinking_budget=0), **images())
    assert violation(error) == "generation_config.thinking_config.thinking_budget"


@pytest.mark.parametrize(
    "model", ["gemini-3.5-flash", "gemini-3.5-flash-lite", "gemini-3.1-flash-lite", "gemini-3.8-flash"]
)
def test_text_models_draw_nothing(genai, model):
    error = refused(genai, model, "a fox", response_modalities=["TEXT", "IMAGE"])
    assert violation(error) == "generation_config.response_modalities"
    error = refused(genai, model, "a fox", image_config=types.ImageConfig(aspect_ratio="1:1"))
    assert violation(error) == "generation_config.image_config"


@pytest.mark.parametrize("model", [FLASH, PRO, LITE, NANO])
def test_one_candidate_for_image_models(genai, model):
    error = refused(genai, model, "a fox", candidate_count=2, **images())
    assert error.message.endswith(f"Multiple candidates is not enabled for {model}")
    assert violation(error) == "generation_config.candidate_count"


def odd_values() -> list:
    """Values the SDK only warns about and sends anyway (built quietly: the warning is expected)."""

    def safety(category: str, threshold: str) -> dict:
        return {"safety_settings": [types.SafetySetting(category=category, threshold=threshold)]}

    options = "generation_config.image_config.image_output_options"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return [
            (
                {"image_config": types.ImageConfig(person_generation="DONT_ALLOW")},
                "generation_config.image_config.person_generation",
            ),
            ({"image_config": types.ImageConfig(output_mime_type="image/webp")}, f"{options}.mime_type"),
            (
                {"image_config": types.ImageConfig(output_mime_type="image/jpeg", output_compression_quality=101)},
                f"{options}.compression_quality",
            ),
            (safety("HARM_CATEGORY_CIVIC_INTEGRITY", "OFF"), "safety_settings[0].category"),
            (safety("HARM_CATEGORY_JAILBREAK", "OFF"), "safety_settings[0].category"),
            (safety("HARM_CATEGORY_HARASSMENT", "BLOCK_MOST"), "safety_settings[0].threshold"),
            ({"response_modalities": ["TEXT", "AUDIO"]}, "generation_config.response_modalities"),
            ({"temperature": 2.5}, "generation_config.temperature"),
            ({"max_output_tokens": 40000}, "generation_config.max_output_tokens"),
            ({"thinking_config": types.ThinkingConfig(thinking_level="XHIGH")}, LEVEL),
        ]


@pytest.mark.parametrize(("config", "field"), odd_values())
def test_values_out_of_the_documented_sets(genai, config, field):
    error = refused(genai, FLASH, "a fox", **{"response_modalities": ["TEXT", "IMAGE"], **config})
    assert violation(error) == field


def test_lite_caps_output_tokens_at_4096(genai):
    genai.models.generate_content(
        model=LITE, contents="a fox", config=types.GenerateContentConfig(max_output_tokens=4096, **images())
    )
    error = refused(genai, LITE, "a fox", max_output_tokens=4097, **images())
    assert "maxOutputTokens value of 4097" in error.message


def test_a_history_image_without_its_signature(genai):
    picture = image_part(gradient(32, 32))
    history = [
        types.Content(role="user", parts=[types.Part(text="a bird")]),
        types.Content(role="model", parts=[picture]),
        types.Content(role="user", parts=[types.Part(text="make it red")]),
    ]
    error = refused(genai, FLASH, history, **images())
    assert "missing a thought_signature in content position 2, part position 1" in error.message
    genai.models.generate_content(model=PRO, contents=history, config=types.GenerateContentConfig(**images()))


# --- bodies no client library sends ---------------------------------------------------------------------

PNG = base64.b64encode(encoded(gradient(24, 16))).decode()


def body(*parts: dict, **config) -> dict:
    return {
        "contents": [{"role": "user", "parts": list(parts) or [{"text": "a fox"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], **config},
    }


def raw_refused(server, request: dict, model: str = FLASH) -> dict:
    status, reply = post(server.url, model_path(model), request)
    assert status == 400 and reply["error"]["status"] == "INVALID_ARGUMENT", reply
    return reply["error"]


def test_the_captured_wire_body_is_taken(server):
    """What google-genai 2.34 sent on loopback (the brief's capture), byte for byte."""
    captured = {
        "contents": [
            {"parts": [{"inlineData": {"data": PNG, "mime_type": "image/png"}}, {"text": "hello"}], "role": "user"}
        ],
        "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}],
        "generationConfig": {
            "seed": 3,
            "responseModalities": ["TEXT", "IMAGE"],
            "thinkingConfig": {"thinking_level": "HIGH"},
            "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K", "personGeneration": "ALLOW_ADULT"},
        },
    }
    status, reply = post(server.url, model_path(FLASH), captured)
    assert status == 200 and reply["candidates"][0]["finishReason"] == "STOP"


def test_camel_case_spellings_are_taken_too(server):
    request = body(
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
        {"text": "x"},
        thinkingConfig={"thinkingLevel": "MINIMAL", "includeThoughts": True},
    )
    assert post(server.url, model_path(FLASH), request)[0] == 200


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({**body(), "prompt": "x"}, 'Invalid JSON payload received. Unknown name "prompt": Cannot find field.'),
        (
            body(size="1K"),
            "Invalid JSON payload received. Unknown name \"size\" at 'generation_config': Cannot find field.",
        ),
        (
            body(imageConfig={"numberOfImages": 2}),
            "Unknown name \"numberOfImages\" at 'generation_config.image_config'",
        ),
        (body(thinkingConfig={"thinkingLevel": "HIGH", "thinking_level": "HIGH"}), "set twice"),
        (body(responseModalities=[1, 2]), "the emulator takes enum names"),
        (body(responseModalities=["TEXT", "VIDEO"]), "Invalid value at 'generation_config.response_modalities[1]'"),
        (body({"inlineData": {"mimeType": "image/png", "data": "!!!"}}), "Base64 decoding failed"),
        (
            body({"text": "a", "inlineData": {"mimeType": "image/png", "data": PNG}}),
            "Oneof field 'data' is already set",
        ),
        (body({"thought": True}), "required oneof field 'data'"),
        (body({"inlineData": {"data": PNG}}), "mime_type is required"),
        (body({"fileData": {"mimeType": "image/png", "fileUri": "gs://b/o.png"}}), "Cloud Storage"),
        ({"contents": []}, "contents is not specified"),
        ({"contents": [{"role": "system", "parts": [{"text": "a"}]}]}, "Please use a valid role: user, model."),
        ({"contents": [{"role": "user", "parts": []}]}, "contents.parts must not be empty."),
        (
            {"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "model", "parts": [{"text": "b"}]}]},
            "must come from the user",
        ),
        ({**body(), "safetySettings": [{"category": 1, "threshold": 3}]}, "the emulator takes enum names"),
        (
            {**body(), "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}] * 2},
            "set more than once",
        ),
        ({**body(), "tools": [{"codeExecution": {}}]}, "codeExecution is not supported"),
        (body(seed="3"), "Invalid value at 'generation_config.seed' (TYPE_INT32), \"3\""),
        (body(responseMimeType="application/json"), "response_mime_type"),
    ],
)
def test_bodies_google_refuses(server, request_body, message):
    error = raw_refused(server, request_body)
    assert message in error["message"]


def test_broken_json_and_unknown_routes(server):
    status, reply = post(server.url, model_path(FLASH), raw=b"{not json")
    assert status == 400 and reply["error"]["message"].startswith("Invalid JSON payload received.")
    status, reply = post(
        server.url, "/v2/projects/p/locations/global/publishers/google/models/x:generateContent", body()
    )
    assert status == 404 and reply["error"]["status"] == "NOT_FOUND"
    status, _ = post(server.url, model_path(FLASH, "streamRawPredict"), body())
    assert status == 404
