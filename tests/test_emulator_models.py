"""Which ids are served where: Google's exact 404 for shut-down ids, unknown ids and wrong locations, on
generateContent, countTokens and models.get; the setup probes (countTokens, models.get) for served
ids; a model shut down on request; the Imagen side off by default."""

from __future__ import annotations

import pytest

pytest.importorskip("google.genai")

from google.genai import errors, types  # noqa: E402

from emulator import quick_engine, start_in_thread  # noqa: E402
from tests.emulator_support import client, gradient, image_part, model_path, post  # noqa: E402

SERVED_IMAGE = ("gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.1-flash-lite-image", "gemini-2.5-flash-image")
SERVED_TEXT = ("gemini-3.5-flash", "gemini-3.5-flash-lite", "gemini-3.1-flash-lite", "gemini-3.8-flash")
SHUT_DOWN = (
    "imagen-4.0-generate-001",
    "imagen-4.0-fast-generate-001",
    "imagen-4.0-ultra-generate-001",
    "imagen-3.0-generate-002",
    "imagen-3.0-capability-001",
    "imagen-4.0-upscale-preview",
    "imagegeneration@006",
    "imagegeneration@002",
    "imagetext@001",
    "imageverification@001",
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-2.5-flash-lite",
    "gemini-2.0-flash-001",
    "gemini-2.0-flash-lite",
    "gemini-3.1-flash-image-preview",
    "gemini-3-pro-image-preview",
    "gemini-2.5-flash-image-preview",
    "gemini-nano-banana-2.1",
    "gemini-3.5-flash-image",
    "no-such-model",
)
URL = "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"


def google_404(project: str, location: str, model: str) -> dict:
    return {
        "error": {
            "code": 404,
            "message": (
                f"Publisher Model `projects/{project}/locations/{location}/publishers/google/models/{model}` was not "
                "found or your project does not have access to it. Please ensure you are using a valid model "
                f"version. For more information, see: {URL}"
            ),
            "status": "NOT_FOUND",
        }
    }


@pytest.mark.parametrize("model", SHUT_DOWN)
def test_shut_down_and_unknown_ids_answer_googles_404(genai, server, model):
    with pytest.raises(errors.ClientError) as caught:
        genai.models.generate_content(model=model, contents="a fox")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert caught.value.details == google_404("test-project", "global", model)
    with pytest.raises(errors.ClientError) as caught:
        genai.models.count_tokens(model=model, contents="ping")
    assert caught.value.details == google_404("test-project", "global", model)
    with pytest.raises(errors.ClientError) as caught:
        genai.models.get(model=model)
    assert caught.value.code == 404


@pytest.mark.parametrize(
    ("model", "location"),
    [
        ("gemini-3.1-flash-image", "us-central1"),
        ("gemini-3.1-flash-lite-image", "europe-west4"),
        ("gemini-3-pro-image", "asia-northeast1"),
        ("gemini-2.5-flash-image", "europe-west4"),
        ("gemini-3.5-flash", "europe-west1"),
        ("gemini-3.1-flash-image", "us"),
    ],
)
def test_a_served_model_in_the_wrong_location_is_the_same_404(server, model, location):
    api = client(server.url, location=location)  # kept: a dropped Client closes its connection pool
    with pytest.raises(errors.ClientError) as caught:
        api.models.generate_content(model=model, contents="a fox")
    assert caught.value.details == google_404("test-project", location, model)


@pytest.mark.parametrize("model", SERVED_IMAGE + SERVED_TEXT)
def test_count_tokens_is_the_cheap_usability_probe(genai, model):
    assert genai.models.count_tokens(model=model, contents="ping").total_tokens == 1
    counted = genai.models.count_tokens(model=model, contents=[image_part(gradient(40, 30)), "what is it?"])
    assert counted.total_tokens > 3


def test_count_tokens_counts_pictures_at_the_models_rate(genai):
    picture = image_part(gradient(40, 30))
    pro = genai.models.count_tokens(model="gemini-3-pro-image", contents=[picture, picture, "merge them"])
    flash = genai.models.count_tokens(model="gemini-3.1-flash-image", contents=[picture, picture, "merge them"])
    assert (pro.total_tokens, flash.total_tokens) == (2 * 560 + 3, 2 * 1120 + 3)


def test_count_tokens_refuses_bad_bodies(server):
    status, reply = post(server.url, model_path("gemini-3.1-flash-image", "countTokens"), {"contents": []})
    assert status == 400 and "contents" in reply["error"]["message"]
    status, reply = post(
        server.url,
        model_path("gemini-3.1-flash-image", "countTokens"),
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}], "prompt": "x"},
    )
    assert status == 400 and 'Unknown name "prompt"' in reply["error"]["message"]
    status, reply = post(
        server.url,
        model_path("gemini-3.1-flash-image", "countTokens"),
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
    )
    assert status == 200 and reply == {"totalTokens": 1, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1}]}


@pytest.mark.parametrize("model", SERVED_IMAGE + SERVED_TEXT)
def test_models_get_lists_the_served_ids(genai, server, model):
    found = genai.models.get(model=model)
    assert found.name == f"publishers/google/models/{model}" and found.version == "001"
    record = server.requests[-1]
    assert (record.method, record.path) == ("GET", f"/v1/publishers/google/models/{model}")
    assert record.reply["launchStage"] == "GA" and record.reply["openSourceCategory"] == "PROPRIETARY"


def test_models_get_on_v1beta1_as_the_sdk_defaults(server):
    api = client(server.url, api_version="v1beta1")
    assert api.models.get(model="gemini-3-pro-image").version == "001"
    assert server.requests[-1].path == "/v1beta1/publishers/google/models/gemini-3-pro-image"


def test_a_model_shut_down_on_request(genai, server):
    server.shut_down.add("gemini-3-pro-image")
    for call in (
        lambda: genai.models.generate_content(model="gemini-3-pro-image", contents="x"),
        lambda: genai.models.count_tokens(model="gemini-3-pro-image", contents="x"),
        lambda: genai.models.get(model="gemini-3-pro-image"),
    ):
        with pytest.raises(errors.ClientError) as caught:
            call()
        assert caught.value.code == 404
    assert genai.models.count_tokens(model="gemini-3.1-flash-image", contents="x").total_tokens == 1


def test_shut_down_list_at_start():
    server, url = start_in_thread(engine=quick_engine, shut_down=["gemini-2.5-flash-image"])
    try:
        api = client(url, location="us-central1")
        with pytest.raises(errors.ClientError) as caught:
            api.models.generate_content(model="gemini-2.5-flash-image", contents="x")
        assert caught.value.details == google_404("test-project", "us-central1", "gemini-2.5-flash-image")
    finally:
        server.stop()


def test_imagen_predict_is_404_by_default(server):
    pytest.importorskip("google.cloud.aiplatform_v1")
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1
    from google.protobuf import json_format, struct_pb2

    predictor = aiplatform_v1.PredictionServiceClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": server.url}
    )
    instance = json_format.ParseDict({"prompt": "a fox"}, struct_pb2.Value())
    name = "projects/test-project/locations/us-central1/publishers/google/models/imagen-4.0-generate-001"
    with pytest.raises(exceptions.NotFound) as caught:
        predictor.predict(endpoint=name, instances=[instance])
    assert "was not found or your project does not have access to it" in caught.value.message
    status, reply = post(
        server.url, model_path("imagegeneration@006", "predict", "us-central1"), {"instances": [{"prompt": "a fox"}]}
    )
    assert status == 404 and reply == google_404("test-project", "us-central1", "imagegeneration@006")


def test_the_server_binds_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1" and server.url.startswith("http://127.0.0.1:")


def test_text_config_on_a_served_text_model_is_fine(genai):
    config = types.GenerateContentConfig(
        system_instruction="Be brief.", temperature=0.2, max_output_tokens=200, stop_sequences=["END"]
    )
    response = genai.models.generate_content(model="gemini-3.8-flash", contents="hello", config=config)
    assert response.text.startswith("Emulator answer to 'hello'")
