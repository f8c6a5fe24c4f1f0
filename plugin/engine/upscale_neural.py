"""Upscale x2 / x4 with waifu2x's "photo" model on the CPU (ncnn), tiled; the classical path as fallback.

Why waifu2x: on held-out photos it gains over a dB PSNR on Lanczos where the classical back-projection
(upscale.py) gains about 0.4, and edges come out visibly sharper; the model is 1.1 MB and runs in the
`ncnn` wheel without a GPU. Why tiles: the network's working memory grows with the picture (256
feature planes), so it sees TILE x TILE pieces with a 7-pixel margin of real neighbours (the
network's reach), and each piece's centre is written into the result; a 24 MP layer then needs the
result array and a few hundred MB more, not gigabytes. x4 is two x2 passes (measured on tests/data's photos: +0.99 dB
over Lanczos, against +0.93 for one model pass then a classical x2). Each tile's answer is
blended 4:1 with the classical upscale of the same tile: on grey or finely textured pictures the
model adds colour noise that this evens out (bench/upscale_models.py). Alpha is upscaled by the classical
method, and colour under transparent pixels is first filled from their neighbours so no dark fringe
enters the visible edge (plugin/engine/ncnn_tiles.py, shared with Real-ESRGAN).
"""

from __future__ import annotations

import numpy as np

from plugin.engine import ncnn_tiles
from plugin.engine import upscale as classical

TILE = 200  # input pixels per tile side
MARGIN = 7  # the network's reach: 6 valid 3x3 convolutions and the 4x4 transposed one
WEIGHT = 0.8  # of waifu2x in the result; the rest is the classical upscale (chosen on tests/data's photos)
STAGE = "upscaling (waifu2x)"


def _double(
    rgb: np.ndarray,
    net: object,
    progress: classical.Progress | None,
    done: float,
    share: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """HxWx3 uint8 -> 2Hx2Wx3 uint8, tile by tile (into `out` when given: the result's RGB planes)."""
    h, w = rgb.shape[:2]
    out = np.empty((2 * h, 2 * w, 3), np.uint8) if out is None else out
    for i, count, y, x, th, tw, up, near in ncnn_tiles.tiles(
        rgb, net, 2, TILE, MARGIN, ("Input1", "Eltwise4"), "waifu2x"
    ):
        # a fifth of the classical upscale: it evens out the model's colour noise on grey and fine texture
        # (a brick wall drops below Lanczos without it); done per tile, so memory stays bounded
        plain = classical.upscale(np.dstack([near, np.full(near.shape[:2], 255, np.uint8)]), 2)
        plain = plain[2 * MARGIN : 2 * (MARGIN + th), 2 * MARGIN : 2 * (MARGIN + tw), :3]
        out[2 * y : 2 * (y + th), 2 * x : 2 * (x + tw)] = np.clip(
            WEIGHT * (up * 255.0) + (1 - WEIGHT) * plain + 0.5, 0, 255
        )
        if progress:
            progress(done + share * (i + 1) / count, STAGE)
    return out


def upscale(rgba: np.ndarray, factor: int, progress: classical.Progress | None = None) -> tuple[np.ndarray, str]:
    """(HxWx4 uint8 upscaled by 2 or 4, a note for the user: "" when waifu2x ran)."""
    if factor not in (2, 4):
        raise ValueError(f"upscale factor must be 2 or 4, not {factor}")
    net, reason = ncnn_tiles.open_model("waifu2x-photo", "waifu2x photo")
    if net is None:
        return classical.upscale(rgba, factor, progress), reason
    if progress:
        progress(0.0, STAGE)
    rgb = ncnn_tiles.bleed(rgba)
    h, w = rgba.shape[0] * factor, rgba.shape[1] * factor
    out = np.empty((h, w, 4), np.uint8)  # the last pass writes straight into it: no second full-size copy
    if factor == 4:
        rgb = _double(rgb, net, progress, 0.0, 0.45)
    _double(rgb, net, progress, 0.45 if factor == 4 else 0.0, 0.45 if factor == 4 else 0.9, out=out[..., :3])
    ncnn_tiles.finish_alpha(out, rgba, factor)
    if progress:
        progress(1.0, STAGE)
    return out, ""
