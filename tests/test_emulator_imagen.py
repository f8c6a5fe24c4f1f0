"""The legacy :predict side (a server started with imagen=True) is as strict as the Imagen API documents:
each bad request gets HTTP 400 in Google's error shape with the field named; valid wire quirks (doubles,
%40, v1beta1, upper-case enums, google-genai's snake_case configs) are accepted. Ported from
tests/test_emulator_validation.py (which pinned plugin/backends/emulator.py), plus the real
google-cloud-aiplatform PredictionServiceClient (REST) and the Imagen-only faults."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from emulator import Fault, quick_engine, start_in_thread

V1 = "/v1/projects/p/locations/us-central1/publishers/google/models/"


@pytest.fixture(scope="module")
def emulator():
    server, _ = start_in_thread(engine=quick_engine, imagen=True)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh(emulator):
    emulator.faults.clear()
    emulator.requests.clear()


def post(
    emulator, model: str, body, path: str = V1, raw: bytes | None = None, method: str = "POST", verb: str = "predict"
) -> tuple[int, dict]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    url = f"{emulator.url}{path}{model}:{verb}" if model else f"{emulator.url}{path}"
    request = urllib.request.Request(
        url, data, {"Content-Type": "application/json", "Authorization": "Bearer secret"}, method=method
    )
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def b64(array: np.ndarray, fmt: str = "PNG") -> dict:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return {"bytesBase64Encoded": base64.b64encode(buffer.getvalue()).decode()}


RGB = np.full((64, 96, 3), 120, np.uint8)
MASK = np.zeros((64, 96), np.uint8)
MASK[10:30, 20:50] = 255


def edit_body(mask=MASK, **params) -> dict:
    return {
        "instances": [
            {
                "prompt": "a ball",
                "referenceImages": [
                    {"referenceType": "REFERENCE_TYPE_RAW", "referenceId": 1.0, "referenceImage": b64(RGB)},
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "referenceId": 2.0,
                        "referenceImage": b64(mask),
                        "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": 0.01},
                    },
                ],
            }
        ],
        "parameters": {"editMode": "EDIT_MODE_INPAINT_INSERTION", "sampleCount": 1.0, **params},
    }


def rejected(emulator, model: str, body, field: str) -> str:
    status, reply = post(emulator, model, body)
    assert status == 400, reply
    error = reply["error"]
    assert set(error) == {"code", "message", "status"} and error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert f"'{field}'" in error["message"], error["message"]
    return error["message"]


GEN = "imagen-4.0-generate-001"


def gen(**params) -> dict:
    return {"instances": [{"prompt": "a fox"}], "parameters": {"sampleCount": 1.0, **params}}


def test_valid_generate_with_doubles_and_upper_case_enums(emulator):
    body = gen(
        safetySetting="BLOCK_MEDIUM_AND_ABOVE", personGeneration="ALLOW_ADULT", sampleImageSize="2k", aspectRatio="9:16"
    )
    status, reply = post(emulator, GEN, body)
    assert status == 200 and len(reply["predictions"]) == 1
    assert "authorization" not in {k.lower() for k in emulator.requests[-1].headers}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instances": [{"prompt": "a fox"}], "extra": 1}, "extra"),
        (gen(colour="red"), "parameters.colour"),
        ({"instances": [{"prompt": "a fox", "style": "x"}]}, "instances[0].style"),
        ({"instances": [{"prompt": "a"}, {"prompt": "b"}]}, "instances"),
        ({"instances": [{"prompt": "  "}]}, "instances[0].prompt"),
        (gen(aspectRatio="2:1"), "parameters.aspectRatio"),
        (gen(aspectRatio="5:4"), "parameters.aspectRatio"),
        (gen(sampleCount=5.0), "parameters.sampleCount"),
        (gen(sampleCount=1.5), "parameters.sampleCount"),
        (gen(sampleCount=True), "parameters.sampleCount"),
        (gen(seed=3.0), "parameters.seed"),  # watermark is on by default: the API refuses a seed
        (gen(seed=-1.0, addWatermark=False), "parameters.seed"),
        (gen(negativePrompt="blur"), "parameters.negativePrompt"),
        (gen(sampleImageSize="4K"), "parameters.sampleImageSize"),
        (gen(safetySetting="block_everything"), "parameters.safetySetting"),
        (gen(personGeneration="allow_children"), "parameters.personGeneration"),
        (gen(language="xx"), "parameters.language"),
        (gen(enhancePrompt="yes"), "parameters.enhancePrompt"),
        (gen(outputOptions={"mimeType": "image/gif"}), "parameters.outputOptions.mimeType"),
        (
            gen(outputOptions={"mimeType": "image/jpeg", "compressionQuality": 101.0}),
            "parameters.outputOptions.compressionQuality",
        ),
        (gen(storageUri="/tmp/out"), "parameters.storageUri"),
        ({"instances": [{"prompt": " ".join(["word"] * 500)}]}, "instances[0].prompt"),
    ],
)
def test_generate_rejections(emulator, body, field):
    rejected(emulator, GEN, body, field)


def test_seed_with_watermark_off_is_fine(emulator):
    assert post(emulator, GEN, gen(seed=3.0, addWatermark=False))[0] == 200


def test_model_specific_rules(emulator):
    rejected(emulator, "imagen-3.0-generate-002", gen(sampleImageSize="1K"), "parameters.sampleImageSize")
    rejected(emulator, "imagen-3.0-generate-001", gen(enhancePrompt=True), "parameters.enhancePrompt")
    ultra = "imagen-4.0-ultra-generate-preview-06-06"
    rejected(emulator, ultra, gen(sampleCount=2.0), "parameters.sampleCount")
    assert post(emulator, "imagen-3.0-generate-001", gen(negativePrompt="blur"))[0] == 200
    assert post(emulator, "imagegeneration@002", gen(sampleCount=8.0))[0] == 200


def test_valid_mask_edit(emulator):
    status, reply = post(emulator, "imagen-3.0-capability-001", edit_body(editConfig={"baseSteps": 35.0}))
    assert status == 200
    data = base64.b64decode(reply["predictions"][0]["bytesBase64Encoded"])
    picture = np.asarray(Image.open(io.BytesIO(data)))
    assert picture.shape[:2] == (64, 96)


CAP = "imagen-3.0-capability-001"


def test_mask_size_must_equal_image_size(emulator):
    message = rejected(
        emulator, CAP, edit_body(mask=np.zeros((32, 48), np.uint8)), "instances[0].referenceImages.referenceImage"
    )
    assert "48x32" in message and "96x64" in message


def refs_body(refs: list, **params) -> dict:
    return {"instances": [{"prompt": "x", "referenceImages": refs}], "parameters": params}


RAW = {"referenceType": "REFERENCE_TYPE_RAW", "referenceId": 1, "referenceImage": b64(RGB)}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (edit_body(editMode="EDIT_MODE_MAGIC"), "parameters.editMode"),
        (edit_body(editConfig={"baseSteps": 200.0}), "parameters.editConfig.baseSteps"),
        (edit_body(editConfig={"steps": 20.0}), "parameters.editConfig.steps"),
        (edit_body(baseSteps=35.0), "parameters.baseSteps"),
        (edit_body(aspectRatio="1:1"), "parameters.aspectRatio"),
        (edit_body(seed=1.0), "parameters.seed"),
        (refs_body([RAW, RAW]), "instances[0].referenceImages"),
        (refs_body([RAW] * 5), "instances[0].referenceImages"),
        (refs_body([]), "instances[0].referenceImages"),
        (
            refs_body([{**RAW, "referenceType": "REFERENCE_TYPE_PHOTO"}]),
            "instances[0].referenceImages[0].referenceType",
        ),
        (refs_body([RAW], editMode="EDIT_MODE_INPAINT_INSERTION"), "parameters.editMode"),
        (refs_body([RAW], editMode="EDIT_MODE_CONTROLLED_EDITING"), "parameters.editMode"),
        (
            refs_body(
                [{"referenceType": "REFERENCE_TYPE_MASK", "maskImageConfig": {"maskMode": "MASK_MODE_BACKGROUND"}}]
            ),
            "instances[0].referenceImages",
        ),
        (
            refs_body(
                [
                    RAW,
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "maskImageConfig": {"maskMode": "MASK_MODE_SEMANTIC", "maskClasses": [1, 2, 3, 4, 5, 6]},
                    },
                ]
            ),
            "instances[0].referenceImages[1].maskImageConfig.maskClasses",
        ),
        (
            refs_body(
                [
                    RAW,
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "maskImageConfig": {"maskMode": "MASK_MODE_SEMANTIC", "maskClasses": [500]},
                    },
                ]
            ),
            "instances[0].referenceImages[1].maskImageConfig.maskClasses[0]",
        ),
        (
            refs_body(
                [RAW, {"referenceType": "REFERENCE_TYPE_MASK", "maskImageConfig": {"maskMode": "MASK_MODE_SEMANTIC"}}]
            ),
            "instances[0].referenceImages[1].maskImageConfig.maskClasses",
        ),
        (
            refs_body(
                [
                    RAW,
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "maskImageConfig": {"maskMode": "MASK_MODE_FOREGROUND", "maskClasses": [1]},
                    },
                ]
            ),
            "instances[0].referenceImages[1].maskImageConfig.maskClasses",
        ),
        (
            refs_body(
                [
                    RAW,
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "maskImageConfig": {"maskMode": "MASK_MODE_FOREGROUND", "dilation": 1.5},
                    },
                ]
            ),
            "instances[0].referenceImages[1].maskImageConfig.dilation",
        ),
        (
            refs_body(
                [
                    RAW,
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED"},
                    },
                ]
            ),
            "instances[0].referenceImages[1].referenceImage",
        ),
        (refs_body([{**RAW, "styleImageConfig": {}}]), "instances[0].referenceImages[0].styleImageConfig"),
        (
            refs_body(
                [
                    {
                        "referenceType": "REFERENCE_TYPE_SUBJECT",
                        "referenceId": 1,
                        "referenceImage": b64(RGB),
                        "subjectImageConfig": {"subjectType": "SUBJECT_TYPE_CAR"},
                    }
                ]
            ),
            "instances[0].referenceImages[0].subjectImageConfig.subjectType",
        ),
        (
            refs_body(
                [
                    {
                        "referenceType": "REFERENCE_TYPE_CONTROL",
                        "referenceId": 1,
                        "referenceImage": b64(RGB),
                        "controlImageConfig": {"controlType": "CONTROL_TYPE_DEPTH"},
                    }
                ]
            ),
            "instances[0].referenceImages[0].controlImageConfig.controlType",
        ),
        (
            refs_body(
                [
                    {
                        "referenceType": "REFERENCE_TYPE_STYLE",
                        "referenceId": 1,
                        "referenceImage": {"bytesBase64Encoded": "not base64!"},
                    }
                ]
            ),
            "instances[0].referenceImages[0].referenceImage.bytesBase64Encoded",
        ),
        (
            refs_body(
                [
                    {
                        "referenceType": "REFERENCE_TYPE_STYLE",
                        "referenceId": 1,
                        "referenceImage": {"gcsUri": "gs://bucket/x.png"},
                    }
                ]
            ),
            "instances[0].referenceImages[0].referenceImage.gcsUri",
        ),
        (
            refs_body([{"referenceType": "REFERENCE_TYPE_STYLE", "referenceId": 1, "referenceImage": b64(RGB, "GIF")}]),
            "instances[0].referenceImages[0].referenceImage.bytesBase64Encoded",
        ),
    ],
)
def test_capability_rejections(emulator, body, field):
    rejected(emulator, CAP, body, field)


def test_google_genai_wire_quirks_are_accepted(emulator):
    """google-genai sends snake_case inside subject/style configs and computeControl (reference §5)."""
    subject = {
        "referenceType": "REFERENCE_TYPE_SUBJECT",
        "referenceId": 1,
        "referenceImage": b64(RGB),
        "subjectImageConfig": {"subject_type": "SUBJECT_TYPE_PERSON", "subject_description": "a man"},
    }
    control = {
        "referenceType": "REFERENCE_TYPE_CONTROL",
        "referenceId": 2,
        "referenceImage": b64(RGB),
        "controlImageConfig": {"controlType": "CONTROL_TYPE_CANNY", "computeControl": True},
    }
    status, reply = post(emulator, CAP, refs_body([subject, control], sampleCount=1.0))
    assert status == 200 and reply["predictions"][0]["emulatorNote"].startswith("Emulator output")


def test_oversize_image_payload(emulator):
    noise = np.random.default_rng(1).integers(0, 256, size=(1900, 1900, 3), dtype=np.uint8)
    body = {"instances": [{"image": b64(noise)}], "parameters": {"sampleCount": 1.0}}
    message = rejected(emulator, "imagetext@001", body, "instances[0].image.bytesBase64Encoded")
    assert "10 MB" in message


def test_upscale_rules(emulator):
    def up(image, **config):
        params = {"mode": "upscale", "sampleCount": 1.0, "upscaleConfig": config}
        return {"instances": [{"image": b64(image)}], "parameters": params}

    model = "imagen-4.0-upscale-preview"
    rejected(emulator, model, up(RGB, upscaleFactor="x8"), "parameters.upscaleConfig.upscaleFactor")
    rejected(emulator, model, up(RGB), "parameters.upscaleConfig.upscaleFactor")
    rejected(
        emulator,
        model,
        up(np.zeros((1100, 1000, 3), np.uint8), upscaleFactor="x4"),
        "parameters.upscaleConfig.upscaleFactor",
    )
    zoom = {**up(RGB, upscaleFactor="x2"), "parameters": {"mode": "zoom"}}
    rejected(emulator, model, zoom, "parameters.mode")
    status, reply = post(emulator, model, up(RGB, upscaleFactor="x3"))
    assert status == 200


def test_imagetext_and_verification_rules(emulator):
    image = {"image": b64(RGB)}
    rejected(
        emulator, "imagetext@001", {"instances": [image], "parameters": {"sampleCount": 4.0}}, "parameters.sampleCount"
    )
    rejected(
        emulator,
        "imagetext@001",
        {"instances": [{**image, "prompt": "why?"}], "parameters": {"language": "de"}},
        "parameters.language",
    )
    rejected(emulator, "imagetext@001", {"instances": [image], "parameters": {"language": "ja"}}, "parameters.language")
    verify = "imageverification@001"
    rejected(emulator, verify, {"instances": [image], "parameters": {"x": 1}}, "parameters.x")
    rejected(emulator, "imageverification@001", {"instances": [{}]}, "instances[0].image")
    status, reply = post(emulator, "imageverification@001", {"instances": [image], "parameters": {}})
    assert status == 200 and reply["predictions"][0]["decision"] == "REJECT"


def test_broken_json_and_unknown_paths(emulator):
    status, reply = post(emulator, GEN, None, raw=b"{not json")
    assert status == 400 and reply["error"]["status"] == "INVALID_ARGUMENT"
    status, reply = post(emulator, GEN, gen(), path="/v2/projects/p/locations/l/publishers/google/models/")
    assert status == 404 and reply["error"]["status"] == "NOT_FOUND"
    status, reply = post(emulator, "imagen-9-unknown", gen())
    assert status == 404 and "imagen-9-unknown" in reply["error"]["message"]


def test_faults_apply_in_order_per_request_count(emulator):
    emulator.faults[:] = [Fault("429", count=2), Fault("500", count=1, model="imagetext@001")]
    codes = [post(emulator, GEN, gen())[0] for _ in range(3)]
    assert codes == [429, 429, 200]
    assert post(emulator, "imagetext@001", {"instances": [{"image": b64(RGB)}]})[0] == 500
    assert emulator.faults[0].count == 0 and emulator.faults[1].count == 0


def test_fault_parsing():
    assert Fault.parse("429:3") == Fault("429", 3)
    assert Fault.parse("slow:1:2.5").seconds == 2.5
    assert Fault.parse("filter:2:1").samples == 1
    with pytest.raises(ValueError, match="fault kind"):
        Fault.parse("explode:1")


def test_loopback_only(emulator):
    assert emulator.server_address[0] == "127.0.0.1"


def test_imagen_only_faults(emulator):
    emulator.faults[:] = [Fault.parse("filter:1:1"), Fault("403-person"), Fault("blocked"), Fault("malformed")]
    status, reply = post(emulator, GEN, gen(sampleCount=2.0, includeRaiReason=True))
    assert status == 200 and len(reply["predictions"]) == 2  # one picture, one raiFilteredReason
    assert "filtered out 1 generated images" in reply["predictions"][1]["raiFilteredReason"]
    status, reply = post(emulator, GEN, gen(personGeneration="allow_all"))
    assert status == 403 and "allowlisted" in reply["error"]["message"]
    status, reply = post(emulator, GEN, gen())
    assert status == 400 and "Responsible AI practices" in reply["error"]["message"]
    request = urllib.request.Request(
        f"{emulator.url}{V1}{GEN}:predict", json.dumps(gen()).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as answer, pytest.raises(ValueError):
        json.loads(answer.read())


def test_the_catalogue_lists_imagen_and_generate_content_points_to_predict(emulator):
    status, reply = post(emulator, "", None, path=f"/v1/publishers/google/models/{GEN}", method="GET")
    assert status == 200 and reply["name"] == f"publishers/google/models/{GEN}"
    status, reply = post(
        emulator,
        GEN,
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
        path=V1,
        method="POST",
        verb="generateContent",
    )
    assert status == 400 and ":predict" in reply["error"]["message"]
    status, reply = post(emulator, "imagen-9-unknown", gen())
    assert status == 404


def test_the_real_prediction_client(emulator):
    """google-cloud-aiplatform's PredictionServiceClient over REST, as the legacy backend calls it."""
    pytest.importorskip("google.cloud.aiplatform_v1")
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1
    from google.protobuf import json_format, struct_pb2

    predictor = aiplatform_v1.PredictionServiceClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )

    def value(obj: dict) -> struct_pb2.Value:
        return json_format.ParseDict(obj, struct_pb2.Value())

    name = f"projects/test-project/locations/us-central1/publishers/google/models/{GEN}"
    response = predictor.predict(
        endpoint=name,
        instances=[value({"prompt": "a fox"})],
        parameters=value({"sampleCount": 2, "aspectRatio": "16:9"}),
    )
    assert len(response.predictions) == 2
    data = base64.b64decode(response.predictions[0]["bytesBase64Encoded"])
    assert Image.open(io.BytesIO(data)).size == (1408, 768)
    record = emulator.requests[-1]
    assert record.body["parameters"]["sampleCount"] == 2.0 and emulator.predict_bodies() == [record.body]
    with pytest.raises(exceptions.BadRequest, match="parameters.aspectRatio"):
        predictor.predict(
            endpoint=name, instances=[value({"prompt": "a fox"})], parameters=value({"aspectRatio": "2:1"})
        )
    legacy = "projects/test-project/locations/us-central1/publishers/google/models/imagegeneration@006"
    assert (
        len(
            predictor.predict(
                endpoint=legacy, instances=[value({"prompt": "a fox"})], parameters=value({"sampleCount": 1})
            ).predictions
        )
        == 1
    )
    assert emulator.requests[-1].model == "imagegeneration@006"  # %40 decoded
    emulator.faults.append(Fault("429"))
    with pytest.raises(exceptions.TooManyRequests):
        predictor.predict(endpoint=name, instances=[value({"prompt": "a fox"})])


def test_removal_uses_the_engine(emulator):
    rgb = np.full((64, 96, 3), 120, np.uint8)
    rgb[10:30, 20:50] = (250, 0, 0)
    body = {
        "instances": [
            {
                "prompt": "",
                "referenceImages": [
                    {"referenceType": "REFERENCE_TYPE_RAW", "referenceId": 1, "referenceImage": b64(rgb)},
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "referenceId": 2,
                        "referenceImage": b64(MASK),
                        "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED"},
                    },
                ],
            }
        ],
        "parameters": {"editMode": "EDIT_MODE_INPAINT_REMOVAL", "sampleCount": 1},
    }
    status, reply = post(emulator, CAP, body)
    assert status == 200 and reply["predictions"][0]["emulatorNote"].startswith("Emulator output: computed")
    data = base64.b64decode(reply["predictions"][0]["bytesBase64Encoded"])
    out = np.asarray(Image.open(io.BytesIO(data)))
    assert np.abs(out[15, 30].astype(int) - 120).max() <= 2


def test_a_wrong_product_table_fails_against_the_emulators_own(emulator, monkeypatch):
    """The emulator checks :predict bodies against its own tables (emulator/imagen_tables.py), not the
    product's: a product table claiming a field the model does not take sends it, and the emulator
    refuses it, as the service would."""
    import dataclasses

    from plugin import ops
    from plugin.backends.base import EditRequest
    from plugin.config import Settings
    from plugin.legacy.imagen import models, requests

    model = "imagen-4.0-generate-001"
    settings = Settings(models={"imagen_generate": model})
    op = ops.Generate(prompt="a kite", negative_prompt="blur")
    right = requests.build_call(EditRequest(op=op, image=None), settings)
    assert "negativePrompt" not in right.parameters
    assert post(emulator, model, {"instances": [right.instance], "parameters": right.parameters})[0] == 200

    wrong = dataclasses.replace(models.KNOWN_MODELS[model], negative_prompt=True)
    monkeypatch.setitem(models.KNOWN_MODELS, model, wrong)
    call = requests.build_call(EditRequest(op=op, image=None), settings)
    status, reply = post(emulator, model, {"instances": [call.instance], "parameters": call.parameters})
    assert status == 400 and "negativePrompt" in reply["error"]["message"]
