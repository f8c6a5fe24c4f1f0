"""Every cloud action on today's models, through plugin.pipeline.run and the real google-genai client
against the loopback emulator (which answers as Vertex AI does on 2026-12-01: thought drafts before the
final picture, tier-sized answers, a colour drift in the kept area). Each test checks the request (model,
location, aspectRatio, imageSize, thinking, parts) and the layers (the final picture, never a magenta
draft; nothing outside the feathered selection changed)."""

from __future__ import annotations

import numpy as np
import pytest

from plugin import crop, ops, pipeline
from plugin.backends import make_backend
from plugin.backends.base import UnsupportedOperation
from plugin.config import load_settings
from tests.conftest import photo
from tests.gemini_support import (
    box,
    draft_share,
    gemini_backend,
    gemini_records,
    gradient,
    mime,
    outside_feather,
    parts,
    picture,
    shown_over,
)

PATH = "/v1/projects/test-project/locations/{}/publishers/google/models/{}:generateContent"


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    return gemini_backend(emulator.url)


def only_body(emulator) -> dict:
    (record,) = gemini_records(emulator)
    return record.body


def config_of(body: dict) -> dict:
    return body["generationConfig"]


def assert_final_pictures(output, original=None, selection=None, op=None) -> None:
    """Layers hold the final picture: no draft magenta anywhere, and (for edits) outside untouched."""
    assert output.layers
    for layer in output.layers:
        assert draft_share(layer.shown()) < 0.001, layer.name
    if original is not None and selection is not None:
        keep = outside_feather(selection, op)
        for shown in shown_over(original, output.layers):
            assert np.array_equal(shown[keep], original[keep])
            assert not np.array_equal(shown[~keep], original[~keep])


def test_generate_on_standard_sends_the_tier_and_keeps_the_final_picture(backend, emulator):
    op = ops.Generate(
        prompt="a lighthouse at dawn", negative_prompt="people", variations=2, seed=42, aspect_ratio="16:9"
    )
    output = pipeline.run(op, None, None, backend)
    records = gemini_records(emulator)
    assert [r.path for r in records] == [PATH.format("global", "gemini-3.1-flash-image")] * 2
    bodies = sorted((r.body for r in records), key=lambda b: config_of(b)["seed"])
    assert parts(bodies[0]) == [{"text": "a lighthouse at dawn. Make sure the result shows none of this: people."}]
    config = config_of(bodies[0])
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["imageConfig"]["aspectRatio"] == "16:9" and config["imageConfig"]["imageSize"] == "1K"
    assert config["imageConfig"]["personGeneration"] == "ALLOW_ADULT"
    assert config["thinkingConfig"] == {"thinking_level": "HIGH"}
    assert [config_of(b)["seed"] for b in bodies] == [42, 43]
    assert bodies[0]["safetySettings"][0] == {
        "category": "HARM_CATEGORY_HATE_SPEECH",
        "threshold": "BLOCK_MEDIUM_AND_ABOVE",
    }
    assert [layer.pixels.shape for layer in output.layers] == [(768, 1376, 4)] * 2
    assert sorted(layer.provenance["seed"] for layer in output.layers) == [42, 43]
    assert_final_pictures(output)
    # the emulator did send two magenta drafts before each final picture
    drafts = [
        p for p in records[0].reply["candidates"][0]["content"]["parts"] if p.get("thought") and "inlineData" in p
    ]
    assert len(drafts) == 2
    assert output.model == "gemini-3.1-flash-image" and output.backend == "gemini"
    provenance = output.layers[0].provenance
    assert (
        provenance["tier"],
        provenance["size"],
        provenance["aspect_ratio"],
        provenance["location"],
        provenance["thinking"],
    ) == ("Standard", "1K", "16:9", "global", "HIGH")


@pytest.mark.parametrize(
    ("tier", "model", "size", "thinking"),
    [
        ("quality", "gemini-3-pro-image", "2K", None),
        ("standard", "gemini-3.1-flash-image", "2K", {"thinking_level": "HIGH"}),
        ("fast", "gemini-3.1-flash-lite-image", "1K", {"thinking_level": "MINIMAL"}),
    ],
)
def test_each_tier_is_its_model_with_its_limits(backend, emulator, tier, model, size, thinking):
    image = photo("rocket")
    selection = box(image.shape[1], image.shape[0], 100, 80, 500, 400)
    big = np.asarray(__import__("PIL.Image").Image.fromarray(image).resize((1920, 1280)))
    big_sel = np.asarray(__import__("PIL.Image").Image.fromarray(selection).resize((1920, 1280)))
    op = ops.InpaintInsert(prompt="a red kite", tier=tier, context=200)
    output = pipeline.run(op, big, big_sel, backend)
    (record,) = gemini_records(emulator)
    assert record.path == PATH.format("global", model)
    config = config_of(record.body)
    assert config["imageConfig"]["imageSize"] == size
    assert config.get("thinkingConfig") == thinking
    assert output.layers[0].provenance["model"] == model
    assert_final_pictures(output, big, big_sel, op)


def test_insert_sends_region_mask_and_instruction_and_keeps_outside(backend, emulator):
    image = photo("cat")
    height, width = image.shape[:2]
    selection = box(width, height, 200, 120, 320, 220)
    op = ops.InpaintInsert(prompt="a red woollen hat", negative_prompt="text", variations=1, seed=3)
    region, region_selection, origin = crop.plan_region(op, image, selection)  # as the CLI and GIMP plan it
    margin = op.grow + op.feather + op.context  # the selection's bounds, grown, with context around them
    assert origin == (200 - margin, 120 - margin)
    output = pipeline.run(op, region, region_selection, backend)
    body = only_body(emulator)
    sent, mask, text = parts(body)
    assert mime(sent) == "image/png" and mime(mask) == "image/png"
    assert picture(sent).shape[:2] == picture(mask).shape[:2]
    assert set(np.unique(picture(mask))) <= {0, 255}
    assert "white in the second picture" in text["text"] and "a red woollen hat" in text["text"]
    assert "none of this: text" in text["text"]
    # region + context only: the photo's other pixels never left the computer
    assert picture(sent).shape[0] * picture(sent).shape[1] < height * width * 0.6
    assert_final_pictures(output, region, region_selection, op)


def test_remove_and_expand_send_the_mask_and_their_instruction(backend, emulator):
    image = photo("coffee")
    height, width = image.shape[:2]
    selection = box(width, height, 50, 60, 150, 140)
    output = pipeline.run(ops.InpaintRemove(prompt="the saucer"), image, selection, backend)
    text = parts(only_body(emulator))[-1]["text"]
    assert text.startswith("Using the first picture, remove what lies") and "the saucer" in text
    assert_final_pictures(output, image, selection, ops.InpaintRemove())
    emulator.requests.clear()
    op = ops.Outpaint(left=120, right=120)
    output = pipeline.run(op, image, None, backend)
    body = only_body(emulator)
    sent, mask, text = parts(body)
    assert "empty canvas" in text["text"]
    assert picture(mask).max() == 255 and picture(mask).min() == 0
    (layer,) = output.layers
    assert layer.x == -120 and layer.pixels.shape[1] == width + 240
    assert np.array_equal(layer.pixels[:, 120 : 120 + width], image)  # the original is never repainted
    assert draft_share(layer.pixels) < 0.001


def test_a_wide_region_is_padded_to_an_offered_ratio_not_stretched(backend, emulator):
    image = gradient(900, 200)
    selection = box(900, 200, 300, 50, 600, 150)
    pipeline.run(ops.InpaintInsert(prompt="a bird", context=400, grow=0, feather=0), image, selection, backend)
    body = only_body(emulator)
    ratio = config_of(body)["imageConfig"]["aspectRatio"]
    assert ratio == "4:1"  # 900x200 is closest to 4:1 among gemini-3.1-flash-image's shapes
    sent = picture(parts(body)[0])
    assert abs(sent.shape[1] / sent.shape[0] - 2064 / 512) < 0.01
    mask = picture(parts(body)[1])
    assert mask[:, :20].max() == 0 and mask[:, -20:].max() == 0  # the padding is never marked for change


def test_a_large_selection_is_not_painted_from_a_1k_answer(backend, emulator):
    image = np.asarray(__import__("PIL.Image").Image.fromarray(photo("rocket")).resize((3200, 2134)))
    selection = box(3200, 2134, 100, 100, 3100, 2034)
    pipeline.run(ops.Edit(prompt="make it dusk"), image, selection, backend)
    assert config_of(only_body(emulator))["imageConfig"]["imageSize"] == "4K"
    emulator.requests.clear()
    pipeline.run(ops.Edit(prompt="make it dusk", max_size="2K"), image, selection, backend)
    assert config_of(only_body(emulator))["imageConfig"]["imageSize"] == "2K"


def test_the_picture_is_sent_resized_at_most_once_and_never_enlarged(backend, emulator):
    image = gradient(300, 200)
    pipeline.run(ops.Edit(prompt="winter"), image, None, backend)
    sent = picture(parts(only_body(emulator))[0])
    assert 200 <= sent.shape[0] <= 202 and 300 <= sent.shape[1] <= 302  # padded to the answer's shape, not scaled
    assert np.array_equal(sent[:200, :300], image[:200, :300, :3]) or np.array_equal(
        sent[1:201, :300], image[:200, :300, :3]
    )


def test_background_from_a_prompt_keeps_the_subject_bit_for_bit(backend, emulator):
    """Held-out case: the subject's colours must not move (the old colour match shifted them ~96 levels)."""
    image = photo("astronaut")
    height, width = image.shape[:2]
    subject = box(width, height, 150, 60, 350, 380)
    op = ops.Background(mode="prompt", prompt="a beach at sunset", grow=0, feather=0)
    output = pipeline.run(op, image, subject, backend)
    sent, mask, text = parts(only_body(emulator))
    assert "replace its background, the area that is white in the second picture" in text["text"]
    sent_mask = picture(mask)
    sent_mask = sent_mask[..., 0] if sent_mask.ndim == 3 else sent_mask
    assert sent_mask[sent_mask.shape[0] // 2, sent_mask.shape[1] // 2] == 0  # the subject: kept (black)
    assert sent_mask[5, 5] == 255  # the background: replaced (white), as in every masked action
    layer = output.layers[0]
    inside = subject == 255
    assert np.array_equal(layer.pixels[inside], image[inside])
    assert not np.array_equal(layer.pixels[~inside], image[~inside])
    assert draft_share(layer.pixels) < 0.001


def test_background_other_modes_run_locally_without_a_call(backend, emulator):
    pipeline.run(ops.Background(mode="blur"), gradient(), None, backend)
    assert gemini_records(emulator) == []


def test_edit_through_a_selection_blends_back(backend, emulator):
    image = gradient()
    selection = box(400, 300, 100, 100, 200, 200)
    output = pipeline.run(ops.Edit(prompt="make it autumn"), image, selection, backend)
    (layer,) = output.layers
    assert (layer.x, layer.y) == (100, 100) and layer.pixels.shape[:2] == (100, 100)
    assert draft_share(layer.pixels) < 0.001


@pytest.mark.parametrize(
    ("kind", "words"),
    [("subject", "keep its identity"), ("style", "in the style of"), ("scribble", "sketch"), ("canny", "outlines")],
)
def test_generate_from_references_sends_them_as_pictures(backend, emulator, kind, words):
    reference = photo("coffee")
    op = ops.Customize(prompt="a mug on a beach", kind=kind, description="a white mug", aspect_ratio="4:3")
    output = pipeline.run(op, None, None, backend, references=[reference])
    body = only_body(emulator)
    sent = parts(body)
    assert len(sent) == 2 and words in sent[1]["text"] and "a mug on a beach" in sent[1]["text"]
    assert picture(sent[0]).shape[:2] == reference.shape[:2]
    assert config_of(body)["imageConfig"]["aspectRatio"] == "4:3"
    assert output.layers[0].pixels.shape == (896, 1200, 4)
    assert_final_pictures(output)


def test_edges_drawn_from_a_photo_are_sent_instead_of_the_photo(backend, emulator):
    reference = photo("cat")
    op = ops.Customize(prompt="a cat in ink", kind="canny", compute_control=True)
    output = pipeline.run(op, None, None, backend, references=[reference])
    edges = picture(parts(only_body(emulator))[0])
    assert set(np.unique(edges)) <= {0, 255} and 0.01 < (edges == 255).mean() < 0.5
    assert any("drawn from the reference photo" in note for note in output.notes)


def test_several_subject_references_go_in_one_request(backend, emulator):
    refs = [photo("coffee"), photo("cat"), photo("rocket")]
    pipeline.run(ops.Customize(prompt="a mug", kind="subject"), None, None, backend, references=refs)
    assert len(parts(only_body(emulator))) == 4


def test_upscale_rerenders_at_the_tier_of_the_target_and_says_generative(backend, emulator):
    image = gradient(500, 400)
    output = pipeline.run(ops.Upscale(factor=2), image, None, backend)
    body = only_body(emulator)
    assert config_of(body)["imageConfig"]["imageSize"] == "1K"
    assert "Preserve everything" in parts(body)[-1]["text"]
    (layer,) = output.layers
    assert layer.pixels.shape == (800, 1000, 4)
    assert "(generative)" in layer.name and layer.provenance["label"] == "generative"
    assert draft_share(layer.pixels) < 0.001


def test_upscale_past_the_largest_answer_offers_the_offline_upscale(backend, emulator):
    image = gradient(1600, 1200)
    with pytest.raises(UnsupportedOperation, match="x4 of this 1600x1200 area is 6400x4800.*Local engine"):
        pipeline.run(ops.Upscale(factor=4), image, None, backend)
    assert gemini_records(emulator) == []


def test_describe_runs_on_a_current_text_model(backend, emulator):
    output = pipeline.run(ops.Describe(question="What colour is the mug?"), photo("coffee"), None, backend)
    (record,) = gemini_records(emulator)
    assert record.path == PATH.format("global", "gemini-3.5-flash")
    config = config_of(record.body)
    assert config["responseModalities"] == ["TEXT"] and "imageConfig" not in config
    assert parts(record.body)[1] == {"text": "What colour is the mug?"}
    assert len(output.texts) == 1 and "What colour is the mug?" in output.texts[0]
    assert not output.layers


def test_describe_without_a_question_asks_for_a_caption(backend, emulator):
    pipeline.run(ops.Describe(tier="fast"), photo("coffee"), None, backend)
    (record,) = gemini_records(emulator)
    assert record.path.endswith("gemini-3.5-flash-lite:generateContent")
    assert parts(record.body)[1]["text"].startswith("Describe this picture in one or two sentences")


def test_a_model_served_only_at_global_is_called_there_from_a_regional_setting(emulator):
    emulator.requests.clear()
    backend = gemini_backend(emulator.url, location="us-central1")
    output = pipeline.run(ops.Generate(prompt="a fox"), None, None, backend)
    assert gemini_records(emulator)[-1].path == PATH.format("global", "gemini-3.1-flash-image")
    assert any("served only at the global endpoint" in note for note in output.notes)
    pipeline.run(ops.Generate(prompt="a fox", tier="quality"), None, None, backend)
    assert gemini_records(emulator)[-1].path == PATH.format("us-central1", "gemini-3-pro-image")


def test_safety_and_people_come_from_the_settings(emulator, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        f'project = "test-project"\nendpoint = "{emulator.url}"\n[gemini]\nsafety_setting = '
        '"block_only_high"\nperson_generation = "allow_none"\nprominent_people = "block"\n'
    )
    settings = load_settings(path, environ={})
    emulator.requests.clear()
    pipeline.run(ops.Generate(prompt="a crowd"), None, None, make_backend("gemini", settings))
    body = gemini_records(emulator)[-1].body
    assert {s["threshold"] for s in body["safetySettings"]} == {"BLOCK_ONLY_HIGH"}
    assert config_of(body)["imageConfig"]["personGeneration"] == "ALLOW_NONE"
    assert config_of(body)["imageConfig"]["prominentPeople"] == "BLOCK_PROMINENT_PEOPLE"


def test_a_fresh_install_sends_nothing_to_a_shut_down_model(emulator, tmp_path, monkeypatch):
    """Only GOOGLE_CLOUD_PROJECT (and the loopback endpoint), no settings file: every action, Automatic."""
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path / "none.toml"))
    settings = load_settings(environ={"GOOGLE_CLOUD_PROJECT": "fresh", "IMAGEN_GIMP_ENDPOINT": emulator.url})
    backend = make_backend("auto", settings)
    assert backend.name == "gemini"
    emulator.requests.clear()
    image = photo("cat")
    selection = box(image.shape[1], image.shape[0], 100, 100, 220, 200)
    for op, sel, refs in [
        (ops.Generate(prompt="a fox"), None, None),
        (ops.InpaintInsert(prompt="a hat"), selection, None),
        (ops.InpaintRemove(), selection, None),
        (ops.Outpaint(top=64), None, None),
        (ops.Background(mode="prompt", prompt="a beach"), selection, None),
        (ops.Edit(prompt="night"), None, None),
        (ops.Customize(prompt="a cat toy"), None, [image]),
        (ops.Upscale(), None, None),
        (ops.Describe(), None, None),
    ]:
        output = pipeline.run(
            op, None if op.action in ("generate", "customize") else image, sel, backend, references=refs
        )
        assert output.layers or output.texts, op.action
        for layer in output.layers:
            assert draft_share(layer.shown()) < 0.001, op.action
    records = emulator.requests
    assert len(records) == 9 and all(r.status == 200 for r in records), [(r.model, r.status) for r in records]
    assert {r.location for r in records} == {"global"}
