"""Upscale with Real-ESRGAN x4plus on the CPU (ncnn), tiled: opt-in, for small regions only.

Why opt-in: on real JPEGs it restores texture and removes compression blocks better than waifu2x,
but its network (23 residual-in-residual blocks at 64 channels) costs about forty minutes and over
a gigabyte per input megapixel on two CPU cores (plugin/upscale_cost.py has the measured figures),
so the default stays waifu2x and this runs only when asked for, below plugin/upscale_cost.MAX_PIXELS.
Tiles bound its memory: each TILE x TILE piece is seen with MARGIN real neighbours, and only its
centre is kept. The model is natively x4; x2 is its x4 answer reduced by area averaging. Alpha, and
the colour under transparent pixels, are handled as for waifu2x (plugin/engine/ncnn_tiles.py). Without the model file
the classical upscale runs and the note says so.
"""

from __future__ import annotations

import cv2
import numpy as np

from plugin import upscale_cost
from plugin.backends.base import BackendError
from plugin.engine import ncnn_tiles
from plugin.engine import upscale as classical

TILE = 120  # input pixels per tile side: about 1 GB of working memory with the margin
MARGIN = 10  # real neighbours around each tile; the network reaches further, so a tile join differs from
# an untiled run by about 2/255 on average near it (measured with 20-pixel tiles: margins of 10 and 16 gave the
# same), which 120-pixel tiles make rare; a larger margin costs time in every tile for no measured gain
STAGE = "upscaling (Real-ESRGAN, slow)"


def _quadruple(rgb: np.ndarray, net: object, progress: classical.Progress | None) -> np.ndarray:
    """HxWx3 uint8 -> 4Hx4Wx3 uint8, tile by tile."""
    h, w = rgb.shape[:2]
    out = np.empty((4 * h, 4 * w, 3), np.uint8)
    for i, count, y, x, th, tw, up, _near in ncnn_tiles.tiles(
        rgb, net, 4, TILE, MARGIN, ("data", "output"), "Real-ESRGAN"
    ):
        out[4 * y : 4 * (y + th), 4 * x : 4 * (x + tw)] = np.clip(up * 255.0 + 0.5, 0, 255)
        if progress:
            progress(0.9 * (i + 1) / count, STAGE)
    return out


def upscale(rgba: np.ndarray, factor: int, progress: classical.Progress | None = None) -> tuple[np.ndarray, str]:
    """(HxWx4 uint8 upscaled by 2 or 4, a note: "" when Real-ESRGAN ran). Refuses regions over the limit."""
    if factor not in (2, 4):
        raise ValueError(f"upscale factor must be 2 or 4, not {factor}")
    h, w = rgba.shape[:2]
    refused = upscale_cost.refusal(w, h)
    if refused:
        raise BackendError(refused)
    net, reason = ncnn_tiles.open_model("realesrgan-x4plus", "Real-ESRGAN x4plus")
    if net is None:
        return classical.upscale(rgba, factor, progress), reason
    if progress:
        progress(0.0, STAGE)
    rgb = _quadruple(ncnn_tiles.bleed(rgba), net, progress)
    if factor == 2:
        rgb = cv2.resize(rgb, (2 * w, 2 * h), interpolation=cv2.INTER_AREA)
    out = np.empty((h * factor, w * factor, 4), np.uint8)
    out[..., :3] = rgb
    ncnn_tiles.finish_alpha(out, rgba, factor)
    if progress:
        progress(1.0, STAGE)
    return out, ""
