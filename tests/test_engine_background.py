"""Local-engine cut-out and background replacement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugin.engine.background import parse_color, replace_background
from plugin.engine.cutout import subject_mask

DATA = Path(__file__).parent / "data"


def _disc_scene(h: int = 160, w: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """A textured orange disc on a textured green-grey background, and its true mask."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:h, 0:w]
    disc = (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (0.3 * min(h, w)) ** 2
    stripes = (20 * np.sin(xx / 3.0) + 15 * np.cos(yy / 5.0))[..., None]
    background = np.array([90, 120, 95]) + stripes + rng.normal(0, 12, (h, w, 3))
    subject = np.array([220, 120, 40]) + 0.5 * stripes + rng.normal(0, 12, (h, w, 3))
    rgb = np.where(disc[..., None], subject, background)
    return np.clip(rgb, 0, 255).astype(np.uint8), disc


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_auto_mask_finds_synthetic_disc() -> None:
    rgb, truth = _disc_scene()
    matte = subject_mask(rgb)
    assert matte.shape == truth.shape and matte.dtype == np.uint8
    assert _iou(matte >= 128, truth) > 0.9


def test_hint_box_refines_to_disc() -> None:
    rgb, truth = _disc_scene()
    hint = np.zeros(truth.shape, np.uint8)
    ys, xs = np.nonzero(truth)
    hint[ys.min() - 10 : ys.max() + 10, xs.min() - 10 : xs.max() + 10] = 255
    assert _iou(subject_mask(rgb, hint) >= 128, truth) > 0.9


def test_hint_outline_refines_to_disc() -> None:
    rgb, truth = _disc_scene()
    yy, xx = np.mgrid[0 : truth.shape[0], 0 : truth.shape[1]]
    rough = (yy - 80) ** 2 + (xx - 104) ** 2 < 52**2  # a sloppy, shifted, larger lasso
    matte = subject_mask(rgb, rough.astype(np.uint8) * 255)
    assert _iou(matte >= 128, truth) > 0.9


def test_matte_has_soft_edges_and_is_deterministic() -> None:
    rgb, _ = _disc_scene()
    matte = subject_mask(rgb)
    assert ((matte > 0) & (matte < 255)).any()
    assert np.array_equal(matte, subject_mask(rgb))


def test_cat_matte_covers_cat_not_background_corners() -> None:
    rgb = np.asarray(Image.open(DATA / "cat.jpg").convert("RGB"))
    matte = subject_mask(rgb)
    h, w = matte.shape
    assert matte[h // 2 - 10 : h // 2 + 10, w // 2 - 10 : w // 2 + 10].mean() > 200
    # Top-left, top-right and bottom-right are backdrop; the bottom-left corner is the cat's chest.
    for corner in (matte[:20, :20], matte[:20, -20:], matte[-20:, -20:]):
        assert corner.mean() < 30


@pytest.fixture
def scene() -> tuple[np.ndarray, np.ndarray]:
    rgb, disc = _disc_scene()
    rgba = np.dstack([rgb, np.full(disc.shape, 255, np.uint8)])
    return rgba, disc.astype(np.uint8) * 255


def test_transparent_keeps_subject_and_clears_background(scene) -> None:
    rgba, alpha = scene
    out = replace_background(rgba, alpha, "transparent")
    solid = alpha == 255
    assert np.array_equal(out[solid], rgba[solid])
    assert (out[~solid, 3] == 0).all()


def test_color_fills_background() -> None:
    rgba = np.full((10, 10, 4), 200, np.uint8)
    rgba[..., 3] = 255
    alpha = np.zeros((10, 10), np.uint8)
    alpha[3:7, 3:7] = 255
    alpha[2, 3:7] = 128
    out = replace_background(rgba, alpha, "color", color="#0020ff")
    assert (out[0, 0] == (0, 32, 255, 255)).all()
    assert np.array_equal(out[alpha == 255], rgba[alpha == 255])
    assert np.abs(out[2, 4, :3].astype(int) - (100, 116, 228)).max() <= 1  # half subject, half colour
    assert parse_color("#fff") == (255, 255, 255)
    with pytest.raises(ValueError):
        replace_background(rgba, alpha, "color", color="red")


def test_blur_does_not_bleed_subject_colour(scene) -> None:
    rgba, alpha = scene
    out = replace_background(rgba, alpha, "blur", blur_radius=8)
    assert (out[..., 3] == 255).all()
    solid = alpha == 255
    assert np.array_equal(out[solid], rgba[solid])
    background = alpha == 0
    ring = background & (np.abs(np.arange(alpha.shape[0])[:, None] - 80) < 60)
    # Just outside the orange disc the blur must stay green-grey: red below green everywhere.
    assert (out[ring, 0].astype(int) < out[ring, 1].astype(int) + 10).all()
    assert out[background, :3].std(axis=0).max() < rgba[background, :3].std(axis=0).max() / 2


def test_image_backdrop_covers_and_centres(scene) -> None:
    rgba, alpha = scene
    h, w = alpha.shape
    backdrop = np.zeros((50, 400, 4), np.uint8)  # wider than the frame: sides are cropped
    backdrop[..., 3] = 255
    backdrop[:, :200, 2] = 255  # left half blue
    backdrop[:, 200:, 1] = 255  # right half green
    out = replace_background(rgba, alpha, "image", backdrop=backdrop)
    assert out.shape == (h, w, 4)
    assert tuple(out[2, 2]) == (0, 0, 255, 255)
    assert tuple(out[-3, -3]) == (0, 255, 0, 255)
    solid = alpha == 255
    assert np.array_equal(out[solid], rgba[solid])
    with pytest.raises(ValueError):
        replace_background(rgba, alpha, "image")


def test_unknown_mode_rejected(scene) -> None:
    rgba, alpha = scene
    with pytest.raises(ValueError):
        replace_background(rgba, alpha, "sepia")
