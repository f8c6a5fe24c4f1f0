"""Local-engine upscale: size, quality against bicubic on real photos, clean alpha edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugin.engine.upscale import upscale

DATA = Path(__file__).parent / "data"


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def _rgba(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA"))


@pytest.mark.parametrize("factor", [2, 4])
def test_output_size_and_dtype(factor: int) -> None:
    src = np.random.default_rng(0).integers(0, 256, (13, 21, 4), dtype=np.uint8)
    out = upscale(src, factor)
    assert out.shape == (13 * factor, 21 * factor, 4)
    assert out.dtype == np.uint8


def test_rejects_other_factors() -> None:
    with pytest.raises(ValueError):
        upscale(np.zeros((4, 4, 4), np.uint8), 3)


def test_deterministic_and_reports_progress() -> None:
    src = np.random.default_rng(1).integers(0, 256, (16, 16, 4), dtype=np.uint8)
    seen: list[float] = []
    a = upscale(src, 2, progress=lambda f, s: seen.append(f))
    assert np.array_equal(a, upscale(src, 2))
    assert seen and seen[-1] == 1.0


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
@pytest.mark.parametrize("factor", [2, 4])
def test_beats_bicubic_on_photos(name: str, factor: int) -> None:
    photo = Image.open(DATA / f"{name}.jpg").convert("RGB")
    w, h = photo.width // factor * factor, photo.height // factor * factor
    original = photo.crop((0, 0, w, h))
    small = original.resize((w // factor, h // factor), Image.Resampling.LANCZOS)
    truth = np.asarray(original)
    bicubic = np.asarray(small.resize((w, h), Image.Resampling.BICUBIC))
    ours = upscale(_rgba(small), factor)[..., :3]
    assert _psnr(ours, truth) > _psnr(bicubic, truth) + 0.1


def test_opaque_input_stays_opaque() -> None:
    src = _rgba(Image.open(DATA / "cat.jpg").resize((60, 40)))
    assert (upscale(src, 2)[..., 3] == 255).all()


def test_transparent_edge_has_no_dark_halo() -> None:
    # A white disc on fully transparent *black*: a non-premultiplied resampler would pull the black
    # into the visible edge. Every pixel with any coverage must stay (near) white.
    yy, xx = np.mgrid[0:48, 0:48]
    disc = (yy - 24) ** 2 + (xx - 24) ** 2 < 15**2
    src = np.zeros((48, 48, 4), np.uint8)
    src[disc] = (255, 255, 255, 255)
    out = upscale(src, 4)
    visible = out[..., 3] > 8
    assert visible.sum() > 0.5 * disc.sum() * 16
    assert out[visible, :3].min() >= 240
    assert out[~disc.repeat(4, 0).repeat(4, 1) & (out[..., 3] == 0), :3].max(initial=0) == 0
