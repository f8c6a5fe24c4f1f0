"""What the product sends through the real google-genai client (vertexai=True) is accepted, and the answer
has Gemini 3's shape: thought text, magenta thought drafts, the final picture at the tier's size with a
thoughtSignature, then text. Sizes are written out here from the reference's table (ref §3.3), not read
from the emulator's own table, so the two are checked against each other."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("google.genai")

from google.genai import types  # noqa: E402

from emulator import quick_engine, start_in_thread  # noqa: E402
from tests.emulator_support import (  # noqa: E402
    MAGENTA,
    box_mask,
    client,
    draft_images,
    final_image,
    gradient,
    image_part,
    parts_of,
    pixels,
)

GRID_1K = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
    "1:4": (512, 2064),
    "4:1": (2064, 512),
    "1:8": (352, 2928),
    "8:1": (2928, 352),
}
TEN = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
FLASH, PRO, LITE, NANO = (
    "gemini-3.1-flash-image",
    "gemini-3-pro-image",
    "gemini-3.1-flash-lite-image",
    "gemini-2.5-flash-image",
)
TEXT_MODELS = ("gemini-3.5-flash", "gemini-3.5-flash-lite", "gemini-3.1-flash-lite", "gemini-3.8-flash")


def image_config(**kw) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"], image_config=types.ImageConfig(**kw))


def size(picture: np.ndarray) -> tuple[int, int]:
    return picture.shape[1], picture.shape[0]


@pytest.mark.parametrize("ratio", sorted(GRID_1K))
def test_flash_offers_fourteen_ratios_on_the_1k_grid(genai, ratio):
    response = genai.models.generate_content(
        model=FLASH, contents="a lighthouse", config=image_config(aspect_ratio=ratio)
    )
    assert size(final_image(response)) == GRID_1K[ratio]


@pytest.mark.parametrize(
    ("model", "tier", "ratio", "expected"),
    [
        (FLASH, "512", "1:1", (512, 512)),
        (FLASH, "2K", "16:9", (2752, 1536)),
        (FLASH, "4K", "1:1", (4096, 4096)),
        (FLASH, "2K", "8:1", (5856, 704)),
        (PRO, "1K", "21:9", (1584, 672)),
        (PRO, "2K", "3:4", (1792, 2400)),
        (PRO, "4K", "9:16", (3072, 5504)),
        (LITE, "1K", "1:4", (512, 2064)),
    ],
)
def test_tiers_scale_the_grid(genai, model, tier, ratio, expected):
    response = genai.models.generate_content(
        model=model, contents="a fox", config=image_config(aspect_ratio=ratio, image_size=tier)
    )
    assert size(final_image(response)) == expected
    assert response.usage_metadata.candidates_tokens_details[0].modality == types.MediaModality.IMAGE


@pytest.mark.parametrize(
    ("model", "tier", "tokens"),
    [
        (FLASH, "512", 747),
        (FLASH, "1K", 1120),
        (FLASH, "2K", 1680),
        (FLASH, "4K", 2520),
        (PRO, "2K", 1120),
        (PRO, "4K", 2000),
        (LITE, "1K", 1120),
    ],
)
def test_output_tokens_per_tier(genai, model, tier, tokens):
    response = genai.models.generate_content(model=model, contents="a fox", config=image_config(image_size=tier))
    details = response.usage_metadata.candidates_tokens_details
    assert (details[0].modality, details[0].token_count) == (types.MediaModality.IMAGE, tokens)


GRID_25 = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}


@pytest.mark.parametrize("ratio", TEN)
def test_nano_banana_grid(genai, ratio):
    response = genai.models.generate_content(model=NANO, contents="a fox", config=image_config(aspect_ratio=ratio))
    assert size(final_image(response)) == GRID_25[ratio]


def test_nano_banana_edit_follows_the_picture_on_its_grid(genai):
    contents = [image_part(gradient(400, 300)), "autumn"]
    response = genai.models.generate_content(model=NANO, contents=contents, config=image_config())
    assert size(final_image(response)) == (1184, 864)


def test_nano_banana_has_its_own_grid_and_no_thoughts(genai):
    response = genai.models.generate_content(model=NANO, contents="a fox", config=image_config(aspect_ratio="16:9"))
    assert size(final_image(response)) == (1344, 768)
    assert not any(p.thought for p in parts_of(response))
    assert all(p.thought_signature is None for p in parts_of(response))
    assert response.usage_metadata.candidates_tokens_details[0].token_count == 1290
    assert response.usage_metadata.thoughts_token_count is None


@pytest.mark.parametrize("model", [FLASH, PRO, LITE])
def test_thinking_models_answer_thoughts_drafts_final_then_text(genai, model):
    response = genai.models.generate_content(
        model=model, contents="a red kite", config=image_config(aspect_ratio="3:2")
    )
    parts = parts_of(response)
    assert parts[0].thought is True and parts[0].text
    assert [p.thought for p in parts[1:3]] == [True, True] and all(p.inline_data for p in parts[1:3])
    final = parts[3]
    assert final.thought is None and final.inline_data is not None and final.thought_signature
    assert parts[4].text == "Here is the picture you asked for." and not parts[4].thought
    assert len(parts) == 5
    for sketch in draft_images(response):
        assert (sketch == MAGENTA).all()
    assert not (final_image(response) == MAGENTA).all(axis=-1).any()
    candidate = response.candidates[0]
    assert candidate.finish_reason == types.FinishReason.STOP
    assert response.model_version == model and response.response_id and response.create_time
    usage = response.usage_metadata
    assert usage.thoughts_token_count > 0
    assert (
        usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )


def test_too_few_output_tokens_for_the_picture(genai):
    config = image_config(image_size="2K")
    config.max_output_tokens = 1000  # a 2K picture needs 1680
    (candidate,) = genai.models.generate_content(model=FLASH, contents="a fox", config=config).candidates
    assert candidate.finish_reason == types.FinishReason.MAX_TOKENS
    parts = candidate.content.parts if candidate.content else []
    assert not any(p.inline_data and not p.thought for p in parts)


def test_image_only_modality_has_no_trailing_text(genai):
    config = types.GenerateContentConfig(response_modalities=["IMAGE"])
    response = genai.models.generate_content(model=FLASH, contents="a fox", config=config)
    assert parts_of(response)[-1].inline_data is not None


@pytest.mark.parametrize("drafts", [0, 1])
def test_number_of_drafts_is_configurable(drafts):
    server, url = start_in_thread(engine=quick_engine, drafts=drafts)
    try:
        api = client(url)
        response = api.models.generate_content(model=FLASH, contents="a fox", config=image_config())
        assert len(draft_images(response)) == drafts
        assert size(final_image(response)) == (1024, 1024)
    finally:
        server.stop()


def test_include_thoughts_false_hides_thought_parts(genai):
    config = image_config()
    config.thinking_config = types.ThinkingConfig(include_thoughts=False, thinking_level=types.ThinkingLevel.MINIMAL)
    response = genai.models.generate_content(model=FLASH, contents="a fox", config=config)
    assert not any(p.thought for p in parts_of(response))
    assert parts_of(response)[0].thought_signature


def test_a_composition_without_ratio_follows_the_last_picture(genai):
    """Google: "with multiple images of different ratios, the model adopts the aspect ratio of the last
    image" (ref/gemini-conversation.md section 2, [S5]); a picture and its mask follow the first."""
    pictures = [image_part(gradient(400, 300)), image_part(gradient(90, 160)), image_part(gradient(50, 50))]
    response = genai.models.generate_content(
        model=FLASH, contents=[*pictures, "put the others in the first"], config=image_config(image_size="2K")
    )
    assert size(final_image(response)) == (2048, 2048)  # the last, 50x50 -> 1:1, 2K
    response = genai.models.generate_content(
        model=FLASH,
        contents=[
            image_part(gradient(400, 300)),
            image_part(box_mask(400, 300, (10, 10, 50, 50))),
            "change the white area",
        ],
        config=image_config(image_size="2K"),
    )
    assert size(final_image(response)) == (2400, 1792)  # 400x300 -> 4:3, 2K
    assert parts_of(response)[-1].text == "Here is the edited picture."


def test_mask_edit_changes_the_white_area_and_drifts_the_rest(genai):
    rgb = gradient(400, 300)
    response = genai.models.generate_content(
        model=FLASH,
        contents=[
            image_part(rgb),
            image_part(box_mask(400, 300, (150, 100, 250, 200))),
            "Using the provided image, change only the white area to a balloon.",
        ],
        config=image_config(aspect_ratio="4:3"),
    )
    from PIL import Image

    out = np.asarray(Image.fromarray(final_image(response)).resize((400, 300))).astype(int)
    kept = out[:80, :120] - rgb[:80, :120].astype(int)
    assert 3 <= kept[..., 0].mean() <= 9 and abs(kept[..., 1].mean()) < 2 and abs(kept[..., 2].mean()) < 2
    assert np.abs(out[120:180, 170:230] - rgb[120:180, 170:230]).mean() > 10


def test_a_removal_fills_the_mask_through_the_engine():
    calls = []

    def engine(task, rgb, mask, info):
        calls.append((task, rgb.shape, None if mask is None else int(mask.max())))
        return quick_engine(task, rgb, mask, info)

    server, url = start_in_thread(engine=engine)
    try:
        rgb = np.full((120, 160, 3), (40, 120, 200), np.uint8)
        rgb[40:80, 60:100] = (250, 250, 0)
        api = client(url)
        response = api.models.generate_content(
            model=PRO,
            contents=[image_part(rgb), image_part(box_mask(160, 120, (55, 35, 105, 85))), "Remove the yellow square"],
            config=image_config(aspect_ratio="4:3"),
        )
        assert calls == [("remove", (120, 160, 3), 255)]
        out = final_image(response)
        centre = out[out.shape[0] // 2, out.shape[1] // 2].astype(int)
        assert np.abs(centre - (40, 120, 200)).max() <= 8  # filled from the blue surroundings
    finally:
        server.stop()


def test_the_default_engine_is_the_plugins_local_fill():
    server, url = start_in_thread()
    try:
        rgb = np.zeros((96, 128, 3), np.uint8)
        rgb[:, :, 2] = np.linspace(80, 220, 128, dtype=np.uint8)[None, :]
        rgb[36:60, 52:76] = (255, 255, 255)
        api = client(url)
        response = api.models.generate_content(
            model=FLASH,
            contents=[image_part(rgb), image_part(box_mask(128, 96, (48, 32, 80, 64))), "remove the white square"],
            config=image_config(aspect_ratio="4:3"),
        )
        from PIL import Image

        out = np.asarray(Image.fromarray(final_image(response)).resize((128, 96))).astype(int)
        assert out[40:56, 56:72].mean(axis=(0, 1))[:2].max() < 40  # no white left: filled from the blue
    finally:
        server.stop()


def test_every_option_the_product_sends_is_taken(genai, server):
    safety = [
        types.SafetySetting(category=c, threshold=t)
        for c, t in zip(
            [
                "HARM_CATEGORY_HATE_SPEECH",
                "HARM_CATEGORY_DANGEROUS_CONTENT",
                "HARM_CATEGORY_HARASSMENT",
                "HARM_CATEGORY_SEXUALLY_EXPLICIT",
                "HARM_CATEGORY_IMAGE_HATE",
                "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT",
                "HARM_CATEGORY_IMAGE_HARASSMENT",
                "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT",
            ],
            [
                "BLOCK_LOW_AND_ABOVE",
                "BLOCK_MEDIUM_AND_ABOVE",
                "BLOCK_ONLY_HIGH",
                "BLOCK_NONE",
                "OFF",
                "BLOCK_ONLY_HIGH",
                "BLOCK_MEDIUM_AND_ABOVE",
                "BLOCK_LOW_AND_ABOVE",
            ],
            strict=True,
        )
    ]
    config = types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        candidate_count=1,
        seed=7,
        temperature=1.0,
        top_p=0.95,
        max_output_tokens=32768,
        system_instruction="You retouch photographs.",
        safety_settings=safety,
        labels={"app": "imagen-gimp"},
        image_config=types.ImageConfig(
            aspect_ratio="21:9",
            image_size="1K",
            person_generation="ALLOW_NONE",
            prominent_people=types.ProminentPeople.BLOCK_PROMINENT_PEOPLE,
            output_mime_type="image/jpeg",
            output_compression_quality=85,
        ),
        thinking_config=types.ThinkingConfig(thinking_level=types.ThinkingLevel.HIGH, include_thoughts=True),
    )
    response = genai.models.generate_content(
        model=FLASH, contents=[image_part(gradient()), "make it dusk"], config=config
    )
    final = [p for p in parts_of(response) if p.inline_data and not p.thought][-1]
    assert final.inline_data.mime_type == "image/jpeg" and final.inline_data.data[:2] == b"\xff\xd8"
    assert size(pixels(final.inline_data.data)) == (1584, 672)
    body = server.generate_bodies()[-1]
    assert body["generationConfig"]["thinkingConfig"] == {"include_thoughts": True, "thinking_level": "HIGH"}
    assert body["contents"][0]["parts"][0]["inlineData"]["mime_type"] == "image/png"


@pytest.mark.parametrize(
    ("model", "level"), [(FLASH, "MINIMAL"), (FLASH, "HIGH"), (LITE, "MINIMAL"), (LITE, "HIGH"), (PRO, "HIGH")]
)
def test_offered_thinking_levels(genai, model, level):
    config = image_config()
    config.thinking_config = types.ThinkingConfig(thinking_level=level)
    assert final_image(genai.models.generate_content(model=model, contents="a fox", config=config)).size


@pytest.mark.parametrize("person", ["ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE"])
@pytest.mark.parametrize("model", [FLASH, PRO, LITE, NANO])
def test_person_generation_values(genai, model, person):
    response = genai.models.generate_content(
        model=model,
        contents="a crowd",
        config=image_config(person_generation=person, prominent_people="ALLOW_PROMINENT_PEOPLE"),
    )
    assert final_image(response).size


@pytest.mark.parametrize("model", TEXT_MODELS)
@pytest.mark.parametrize("level", ["MINIMAL", "LOW", "MEDIUM", "HIGH"])
def test_describe_on_text_models(genai, model, level):
    response = genai.models.generate_content(
        model=model,
        contents=[image_part(np.full((30, 40, 3), (200, 40, 40), np.uint8)), "What is shown?"],
        config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_level=level)),
    )
    assert "What is shown?" in response.text and "reddish" in response.text and "40x30" in response.text
    assert response.candidates[0].finish_reason == types.FinishReason.STOP


def test_text_models_give_several_candidates(genai):
    response = genai.models.generate_content(
        model="gemini-3.5-flash", contents="Describe nothing", config=types.GenerateContentConfig(candidate_count=2)
    )
    assert [c.content.parts[0].text[:3] for c in response.candidates] == ["(1)", "(2)"]


def test_chat_turns_resend_signatures_and_edit_the_latest_picture(genai, server):
    chat = genai.chats.create(model=FLASH, config=image_config(aspect_ratio="1:1"))
    chat.send_message("a blue bird")
    second = chat.send_message("now make it red")
    assert size(final_image(second)) == (1024, 1024)
    user, model_turn, again = server.generate_bodies()[-1]["contents"]
    assert (user["role"], model_turn["role"], again["role"]) == ("user", "model", "user")
    final = [p for p in model_turn["parts"] if "inlineData" in p and not p.get("thought")]
    assert final and all(p["thoughtSignature"] for p in final)
    assert parts_of(second)[-1].text == "Here is the edited picture."  # it edited the bird


def test_same_request_same_picture_and_seed_matters(genai):
    def make(seed: int) -> np.ndarray:
        config = image_config(aspect_ratio="1:1")
        config.seed = seed
        return final_image(genai.models.generate_content(model=PRO, contents="a fox", config=config))

    assert np.array_equal(make(1), make(1)) and not np.array_equal(make(1), make(2))


def test_the_log_keeps_the_call_but_not_the_credentials(genai, server):
    genai.models.generate_content(model=FLASH, contents="a fox", config=image_config())
    (record,) = server.requests
    assert (record.method, record.version, record.project, record.location, record.model) == (
        "POST",
        "v1",
        "test-project",
        "global",
        FLASH,
    )
    assert record.path.endswith(f"/models/{FLASH}:generateContent") and record.status == 200
    assert "authorization" not in {k.lower() for k in record.headers}
    assert record.headers["x-goog-api-client"].startswith("google-genai-sdk/")
    assert "X-Server-Timeout" in record.headers
    assert record.reply["modelVersion"] == FLASH and server.generate_bodies() == [record.body]


def test_a_log_limit_keeps_the_newest_calls(genai, server):
    server.log_limit = 2  # what the command line sets (100), so a long demo does not hoard pictures
    try:
        for prompt in ("one", "two", "three"):
            genai.models.count_tokens(model=FLASH, contents=prompt)
        assert [r.body["contents"][0]["parts"][0]["text"] for r in server.requests] == ["two", "three"]
    finally:
        server.log_limit = None


def test_v1beta1_is_served_too(server):
    api = client(server.url, api_version="v1beta1")
    response = api.models.generate_content(model=FLASH, contents="a fox", config=image_config())
    assert final_image(response).size and server.requests[-1].version == "v1beta1"


def test_regional_models_at_their_locations(server):
    for location in ("us-central1", "us-east4", "europe-west4"):
        api = client(server.url, location=location)
        response = api.models.generate_content(model=PRO, contents="a fox", config=image_config())
        assert final_image(response).size
    api = client(server.url, location="us-central1")
    response = api.models.generate_content(model=NANO, contents="a fox", config=image_config())
    assert size(final_image(response)) == (1024, 1024)
