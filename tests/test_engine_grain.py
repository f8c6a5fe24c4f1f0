"""Grain matching: fills get the photo's fine noise, and only what they lack."""

from __future__ import annotations

import numpy as np

from plugin.engine.grain import add_grain, grain_deficit
from plugin.engine.patch_metrics import gray, laplacian


def _noise_level(img: np.ndarray, where: np.ndarray) -> float:
    return float(np.median(np.abs(laplacian(gray(img)))[where]))


def _hole(h: int, w: int) -> np.ndarray:
    hole = np.zeros((h, w), bool)
    hole[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = True
    return hole


def test_a_smooth_fill_in_a_grainy_photo_gets_its_grain() -> None:
    rng = np.random.default_rng(1)
    img = (120 + rng.normal(0, 3, (160, 200, 1))).repeat(3, 2).astype(np.float32)
    hole = _hole(160, 200)
    img[hole] = 120.0  # a fill as flat as averaged patches come out
    add_grain(img, hole, seed=0)
    inside, outside = _noise_level(img, hole), _noise_level(img, ~hole)
    assert 0.8 < inside / outside < 1.25


def test_flat_graphics_get_no_noise() -> None:
    """A screenshot or a logo has no grain: its fill stays exactly flat."""
    img = np.full((120, 160, 3), (30.0, 200.0, 90.0), np.float32)
    hole = _hole(120, 160)
    before = img.copy()
    add_grain(img, hole, seed=0)
    assert np.array_equal(img, before)


def test_a_fill_as_grainy_as_its_surroundings_is_left_alone() -> None:
    rng = np.random.default_rng(2)
    img = (100 + rng.normal(0, 4, (160, 200, 1))).repeat(3, 2).astype(np.float32)
    hole = _hole(160, 200)
    deficit = grain_deficit(img, hole)
    assert float(deficit[hole].mean()) < 0.3
    before = _noise_level(img, hole)
    add_grain(img, hole, seed=0)
    assert _noise_level(img, hole) / before < 1.05


def test_noise_stays_inside_the_hole_and_is_capped() -> None:
    rng = np.random.default_rng(3)
    img = (128 + rng.normal(0, 20, (160, 200, 1))).repeat(3, 2).astype(np.float32)  # very noisy
    hole = _hole(160, 200)
    img[hole] = 128.0
    before = img.copy()
    add_grain(img, hole, seed=5)
    assert np.array_equal(img[~hole], before[~hole])
    added = img[hole, 0] - 128.0
    assert 2.0 < added.std() <= 3.2  # MAX_SIGMA is 3 levels: grain, never texture
    assert np.array_equal(img[..., 0], img[..., 1])  # luminance noise: the same on every channel
