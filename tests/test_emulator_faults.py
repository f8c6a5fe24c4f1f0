"""Each injected fault, as the real google-genai client sees it: the transient errors, the odd 200
answers (blocked prompt, finish reasons without a picture, text only, broken JSON), the setup failures
on generateContent, countTokens and models.get, slow calls that block nobody and end at stop(), and
the per-call delay."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("google.genai")

from google.genai import errors, types  # noqa: E402

from emulator import Fault, quick_engine, start_in_thread  # noqa: E402
from tests.emulator_support import client, final_image, parts_of  # noqa: E402

FLASH, PRO = "gemini-3.1-flash-image", "gemini-3-pro-image"
IMAGES = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])


def draw(genai, model: str = FLASH):
    return genai.models.generate_content(model=model, contents="a fox", config=IMAGES)


def failure(call) -> errors.APIError:
    with pytest.raises(errors.APIError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    ("kind", "code", "status", "message", "kind_of_error"),
    [
        ("429", 429, "RESOURCE_EXHAUSTED", "Resource exhausted, please try again later.", errors.ClientError),
        ("500", 500, "INTERNAL", "Internal error encountered.", errors.ServerError),
        ("503", 503, "UNAVAILABLE", "The model is overloaded. Please try again later.", errors.ServerError),
    ],
)
def test_transient_errors_then_normal_service(genai, server, kind, code, status, message, kind_of_error):
    server.faults.append(Fault(kind, count=2))
    for _ in range(2):
        error = failure(lambda: draw(genai))
        assert isinstance(error, kind_of_error)
        assert (error.code, error.status, error.message) == (code, status, message)
    assert final_image(draw(genai)).size and server.faults[0].count == 0


def test_a_fault_can_target_one_model(genai, server):
    server.faults.append(Fault("503", model=PRO))
    assert final_image(draw(genai, FLASH)).size
    assert failure(lambda: draw(genai, PRO)).code == 503
    assert final_image(draw(genai, PRO)).size


def test_transient_faults_leave_the_setup_probes_alone(genai, server):
    server.faults.append(Fault("429"))
    assert genai.models.count_tokens(model=FLASH, contents="ping").total_tokens == 1
    assert genai.models.get(model=FLASH).version == "001"
    assert failure(lambda: draw(genai)).code == 429


def test_a_refused_request_does_not_use_up_a_work_fault(genai, server):
    server.faults.append(Fault("429"))
    bad = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"], candidate_count=2)
    assert failure(lambda: genai.models.generate_content(model=FLASH, contents="x", config=bad)).code == 400
    assert failure(lambda: genai.models.generate_content(model="gemini-2.5-flash", contents="x")).code == 404
    assert failure(lambda: draw(genai)).code == 429


def test_malformed_answers_200_with_broken_json(genai, server):
    server.faults.append(Fault("malformed"))
    with pytest.raises(ValueError):
        draw(genai)
    assert server.requests[-1].status == 200


def test_blocked_prompt_has_feedback_and_no_candidates(genai, server):
    server.faults.append(Fault("blocked"))
    response = draw(genai)
    assert response.candidates is None
    assert response.prompt_feedback.block_reason == types.BlockedReason.SAFETY
    assert response.prompt_feedback.block_reason_message


@pytest.mark.parametrize(
    "reason", ["IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER", "RECITATION"]
)
def test_finish_reasons_without_content(genai, server, reason):
    server.faults.append(Fault(reason))
    (candidate,) = draw(genai).candidates
    assert candidate.finish_reason == types.FinishReason(reason)
    assert candidate.finish_message and candidate.content is None


def test_no_image_carries_only_text(genai, server):
    server.faults.append(Fault.parse("no_image"))
    (candidate,) = draw(genai).candidates
    assert candidate.finish_reason == types.FinishReason.NO_IMAGE
    assert [p.inline_data for p in candidate.content.parts] == [None] and candidate.content.parts[0].text


def test_text_only_is_stop_without_a_picture(genai, server):
    server.faults.append(Fault("text-only"))
    response = draw(genai)
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    (part,) = parts_of(response)
    assert part.inline_data is None and part.text.startswith("I can't draw that, but here is a description")


def test_unauthenticated_on_every_route(genai, server):
    server.faults.append(Fault("401", count=3))
    for call in (
        lambda: draw(genai),
        lambda: genai.models.count_tokens(model=FLASH, contents="ping"),
        lambda: genai.models.get(model=FLASH),
    ):
        error = failure(call)
        assert (error.code, error.status) == (401, "UNAUTHENTICATED")
        assert error.message == (
            "Request had invalid authentication credentials. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential."
        )


def test_service_disabled_on_every_route(genai, server):
    server.faults.append(Fault("403-disabled", count=3))
    for call in (
        lambda: draw(genai),
        lambda: genai.models.count_tokens(model=FLASH, contents="ping"),
        lambda: genai.models.get(model=FLASH),
    ):
        error = failure(call)
        assert (error.code, error.status) == (403, "PERMISSION_DENIED")
        (info,) = error.details["error"]["details"]
        assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
        assert info["reason"] == "SERVICE_DISABLED"
        assert info["metadata"]["service"] == "aiplatform.googleapis.com"
    server.faults.append(Fault("403-disabled"))
    error = failure(lambda: draw(genai))
    assert error.message == (
        "Vertex AI API has not been used in project test-project before or it is disabled. Enable it by "
        "visiting https://console.developers.google.com/apis/api/aiplatform.googleapis.com/overview?"
        "project=test-project then retry."
    )
    assert error.details["error"]["details"][0]["metadata"]["consumer"] == "projects/test-project"


def test_missing_role_on_the_project_calls_but_not_the_catalogue(genai, server):
    server.faults.append(Fault("403-iam", count=2))
    resource = f"//aiplatform.googleapis.com/projects/test-project/locations/global/publishers/google/models/{FLASH}"
    assert genai.models.get(model=FLASH).version == "001"  # the catalogue needs no IAM role
    for call in (lambda: genai.models.count_tokens(model=FLASH, contents="ping"), lambda: draw(genai)):
        error = failure(call)
        assert error.code == 403 and error.message == (
            f"Permission 'aiplatform.endpoints.predict' denied on resource '{resource}' (or it may not exist)."
        )
        (info,) = error.details["error"]["details"]
        assert info["reason"] == "IAM_PERMISSION_DENIED"
        assert info["metadata"] == {
            "permission": "aiplatform.endpoints.predict",
            "resource": resource.removeprefix("//aiplatform.googleapis.com/"),
        }


def test_a_404_fault_on_each_setup_probe(genai, server):
    server.faults.append(Fault("404", count=3, model=PRO))
    for call in (
        lambda: genai.models.get(model=PRO),
        lambda: genai.models.count_tokens(model=PRO, contents="x"),
        lambda: draw(genai, PRO),
    ):
        assert failure(call).code == 404
    assert final_image(draw(genai, PRO)).size


def test_a_slow_call_blocks_no_one_and_ends_at_stop():
    server, url = start_in_thread(engine=quick_engine, faults=[Fault("slow", seconds=60)])
    held, quick = client(url), client(url)
    outcome: list = []

    def slow_call() -> None:
        outcome.append(draw(held))

    thread = threading.Thread(target=slow_call, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert final_image(draw(quick)).size  # answered while the first call is held
    assert thread.is_alive() and not outcome
    server.stop()
    thread.join(timeout=10)
    assert not thread.is_alive() and outcome and final_image(outcome[0]).size  # released, answered normally


def test_slow_holds_then_answers(genai, server):
    server.faults.append(Fault.parse("slow:1:0.2"))
    started = time.monotonic()
    assert final_image(draw(genai)).size
    assert time.monotonic() - started >= 0.2


def test_delay_applies_to_every_call():
    server, url = start_in_thread(engine=quick_engine, delay=0.15)
    try:
        api = client(url)
        for call in (
            lambda: api.models.get(model=FLASH),
            lambda: api.models.count_tokens(model=FLASH, contents="x"),
            lambda: draw(api),
        ):
            started = time.monotonic()
            call()
            assert time.monotonic() - started >= 0.15
    finally:
        server.stop()


def test_faults_given_at_start_and_stop_twice():
    server, url = start_in_thread(engine=quick_engine, faults=[Fault.parse("429:1@" + PRO)])
    api = client(url)
    assert final_image(draw(api, FLASH)).size
    assert failure(lambda: draw(api, PRO)).code == 429
    server.stop()
    server.stop()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("429", Fault("429", 1)),
        ("503:3", Fault("503", 3)),
        ("slow:2:1.5", Fault("slow", 2, seconds=1.5)),
        ("slow", Fault("slow", 1, seconds=5.0)),
        ("IMAGE_SAFETY:2", Fault("IMAGE_SAFETY", 2)),
        ("image_other", Fault("IMAGE_OTHER")),
        ("403-iam:1@gemini-3-pro-image", Fault("403-iam", model=PRO)),
        ("filter:1:2", Fault("filter", samples=2)),
    ],
)
def test_fault_parsing(text, expected):
    assert Fault.parse(text) == expected


@pytest.mark.parametrize("text", ["explode", "429:x", "429:1:5", "slow:1:soon", "401:-1"])
def test_bad_fault_specs(text):
    with pytest.raises(ValueError, match="fault"):
        Fault.parse(text)
