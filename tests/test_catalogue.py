"""The model catalogue (plugin/models.toml + the settings' changes) and the framing that picks an aspect
ratio and a size tier for a region: the numbers every Gemini request and the cost line are built from."""

from __future__ import annotations

import datetime

import pytest

from plugin import catalogue, framing
from plugin.config import ConfigError, load_settings

CAT = catalogue.load()
TODAY = datetime.date(2026, 12, 1)


def test_the_tiers_are_the_gemini_3_image_family():
    assert CAT.tier("image", "quality").model == "gemini-3-pro-image"
    assert CAT.tier("image", "standard") == catalogue.Tier("standard", "gemini-3.1-flash-image", "HIGH")
    assert CAT.tier("image", "fast") == catalogue.Tier("fast", "gemini-3.1-flash-lite-image", "MINIMAL")
    assert CAT.tier("text", "standard").model == "gemini-3.5-flash"
    with pytest.raises(catalogue.CatalogueError, match="quality, standard, fast"):
        CAT.tier("image", "ultra")


def test_no_default_model_is_shut_down_or_announced_to_be():
    """A fresh install must send nothing to a retired model: every tier's model is served on 2026-12-01."""
    for (kind, name), tier in CAT.tiers.items():
        model = CAT.get(tier.model, kind)
        assert model.known and not model.is_shut_down(TODAY) and model.shut_down is None, (kind, name)
        assert model.retires is None or model.retires > TODAY + datetime.timedelta(days=120)
        assert tier.thinking == "" or tier.thinking in model.thinking


@pytest.mark.parametrize(
    ("retired", "replacement"),
    [
        ("imagen-4.0-generate-001", "gemini-3.1-flash-image"),
        ("imagen-4.0-fast-generate-001", "gemini-3.1-flash-image"),
        ("imagen-4.0-ultra-generate-001", "gemini-3-pro-image"),
        ("imagen-3.0-capability-001", "gemini-3.1-flash-image"),
        ("imagetext@001", "gemini-3.5-flash"),
        ("gemini-2.5-flash", "gemini-3.5-flash"),
        ("gemini-3-pro-image-preview", "gemini-3-pro-image"),
        ("gemini-2.5-flash-image", "gemini-3.1-flash-lite-image"),  # announced for 2027-03-15
    ],
)
def test_google_migration_guide_maps_each_retired_model(retired, replacement):
    assert CAT.replacement_for(retired) == replacement


def test_lifecycle_is_said_in_words():
    assert CAT.get("imagen-4.0-generate-001").lifecycle(TODAY) == "shut down by Google on 2026-08-17"
    assert CAT.get("gemini-2.5-flash-image").lifecycle(TODAY) == "Google retires it on 2027-03-15"
    assert CAT.get("gemini-3.1-flash-image").lifecycle(TODAY) == ""


def test_output_sizes_follow_googles_grid():
    flash = CAT.get("gemini-3.1-flash-image")
    assert flash.output_size("16:9", "1K") == (1376, 768)
    assert flash.output_size("16:9", "2K") == (2752, 1536)
    assert flash.output_size("3:2", "4K") == (5056, 3392)
    assert flash.output_size("1:1", "512") == (512, 512)
    assert CAT.get("gemini-2.5-flash-image").output_size("16:9", "2K") == (1344, 768)  # one size only
    assert CAT.get("gemini-3-pro-image").price_for("4K") == 0.24


def test_an_unknown_model_is_assumed_like_the_standard_one():
    guess = CAT.get("gemini-9-ultra-image")
    assert not guess.known and guess.sizes == CAT.get("gemini-3.1-flash-image").sizes
    assert CAT.get("gemini-9-text", "text").family == catalogue.TEXT


def test_settings_change_and_add_catalogue_entries(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[models]\nstandard = "gemini-nano-banana-2.1"\nfast = "gemini-3.1-flash-image"\n'
        '[catalogue."gemini-nano-banana-2.1"]\nlike = "gemini-3.1-flash-image"\n'
        'sizes = ["1K", "2K", "4K"]\n'
        '[catalogue."gemini-3-pro-image"]\nlocations = ["global"]\n'
    )
    cat = load_settings(path, environ={}).load_catalogue()
    banana = cat.get("gemini-nano-banana-2.1")
    assert banana.known and banana.sizes == ("1K", "2K", "4K") and banana.max_images == 14
    assert cat.tier("image", "standard") == catalogue.Tier("standard", "gemini-nano-banana-2.1", "")
    assert cat.tier("image", "fast").thinking == ""  # the tier's thinking belongs to its own model
    assert cat.get("gemini-3-pro-image").locations == ("global",)
    assert cat.get("gemini-3-pro-image").sizes == ("1K", "2K", "4K")  # the rest stays


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[catalogue."m"]\nsizes = ["8K"]\n', "catalogue.m.sizes: '8K'"),
        ('[catalogue."m"]\nlike = "nothing"\n', "catalogue.m.like names 'nothing'"),
        ('[catalogue."m"]\nprise = 1\n', "catalogue.m.prise is not a catalogue field"),
        ('[catalogue."m"]\nfamily = "dalle"\n', "catalogue.m.family = 'dalle'"),
        ('[models]\nultra = "x"\n', "models.ultra is not a model role"),
    ],
)
def test_a_broken_catalogue_entry_names_the_file_and_the_field(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=str(path)) as caught:
        load_settings(path, environ={})
    assert message in str(caught.value)


def test_model_roles_of_earlier_versions_still_load(tmp_path):
    """The README of 2025 told users to write these; they now mean the legacy Imagen or today's roles."""
    path = tmp_path / "config.toml"
    path.write_text(
        'backend = "vertex"\n[models]\ngenerate = "imagen-4.0-ultra-generate-001"\ndescribe = '
        '"imagetext@001"\ngemini = "gemini-2.5-flash-image"\ngemini_describe = "gemini-3.1-flash-lite"\n'
    )
    settings = load_settings(path, environ={})
    assert settings.backend == "imagen"
    assert settings.imagen_model("generate") == "imagen-4.0-ultra-generate-001"
    assert settings.imagen_model("describe") == "imagetext@001"
    assert settings.models["standard"] == "gemini-2.5-flash-image"
    assert settings.models["text_standard"] == "gemini-3.1-flash-lite"


def test_the_default_location_is_global():
    assert load_settings(environ={}).location == "global"


# -- framing ---------------------------------------------------------------------------------------

FLASH = CAT.get("gemini-3.1-flash-image")
PRO = CAT.get("gemini-3-pro-image")
LITE = CAT.get("gemini-3.1-flash-lite-image")


@pytest.mark.parametrize(
    ("size", "model", "cap", "tier"),
    [
        ((300, 300), FLASH, "", "512"),
        ((1000, 1000), FLASH, "", "1K"),
        ((1800, 1200), FLASH, "", "2K"),
        ((3000, 2000), FLASH, "", "4K"),  # a 3000-pixel selection is not painted from a 1K answer
        ((3000, 2000), FLASH, "2K", "2K"),  # unless the user caps it
        ((300, 300), PRO, "", "1K"),  # Pro has no 512 tier
        ((3000, 2000), LITE, "", "1K"),  # Lite has 1K only
    ],
)
def test_the_smallest_tier_that_covers_the_region(size, model, cap, tier):
    assert framing.frame_region(model, *size, cap=cap).size == tier


def test_the_region_is_padded_to_the_answers_shape_never_stretched():
    frame = framing.frame_region(FLASH, 1000, 600)
    assert frame.ratio == "16:9" and frame.output == (1376, 768)
    pad_w, pad_h = frame.padded
    assert pad_h == 600 and abs(pad_w / pad_h - 1376 / 768) < 0.005
    x, y, w, h = frame.box
    assert (w, h) == (1000, 600) and y == 0 and x == (pad_w - 1000) // 2
    assert frame.send == frame.padded  # smaller than the answer: sent as it is, not enlarged
    assert frame.result == (1000, 600)


def test_a_region_larger_than_the_answer_is_sent_scaled_down_once():
    frame = framing.frame_region(FLASH, 6000, 4000, cap="2K")
    assert frame.ratio == "3:2" and frame.send == frame.output == (2528, 1696)
    assert frame.enlarged


def test_extreme_shapes_use_the_extreme_ratios_where_offered():
    assert framing.frame_region(FLASH, 400, 3000).ratio == "1:8"
    assert framing.frame_region(PRO, 400, 3000).ratio == "9:16"


def test_upscale_asks_for_the_target_size_and_refuses_past_the_largest():
    frame = framing.frame_region(FLASH, 800, 600, factor=2)
    assert frame.size == "2K" and frame.result == (1600, 1200)
    with pytest.raises(
        framing.FramingError, match="x4 of this 1600x1200 area is 6400x4800, more than gemini-3.1-flash-image's largest"
    ):
        framing.frame_region(FLASH, 1600, 1200, factor=4)
    with pytest.raises(framing.FramingError, match="your size limit"):
        framing.frame_region(FLASH, 800, 600, cap="1K", factor=2)


def test_new_pictures_default_to_1k():
    assert framing.frame_new(FLASH, "16:9").size == "1K"
    assert framing.frame_new(FLASH, "16:9", "4K").output == (5504, 3072)
    assert framing.frame_new(CAT.get("gemini-2.5-flash-image"), "16:9", "4K").size == ""  # not sent
