"""Upscale with Real-ESRGAN x4plus on the CPU (ncnn), tiled: opt-in, for small regions only.

Why opt-in: on real JPEGs it restores texture and removes compression blocks better than waifu2x,
but its network (23 residual-in-residual blocks at 64 channels) costs about forty minutes and over
a gigabyte per input megapixel on two CPU cores (plugin/upscale_cost.py has the measured figures),
so the default stays waifu2x and this runs only when asked for, below plugin/upscale_cost.MAX_PIXELS.
Tiles bound its memory: each TILE x TILE piece is seen with MARGIN real neighbours, and only its
centre is kept. The model is natively x4; x2 is its x4 answer reduced by area averaging. Alpha, and
the colour under transparent pixels, are handled as in upscale_neural.py. Without the model file
the classical upscale runs and the note says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from plugin import model_files, upscale_cost
from plugin.backends.base import BackendError
from plugin.engine import upscale as classical
from plugin.engine.upscale_neural import _bleed

TILE = 120  # input pixels per tile side: about 1 GB of working memory with the margin
MARGIN = 10  # real neighbours around each tile; the network reaches further, so a tile join differs from
# an untiled run by about 2/255 on average near it (measured with 20-pixel tiles: margins of 10 and 16 gave the
# same), which 120-pixel tiles make rare; a larger margin costs time in every tile for no measured gain
_nets: dict[tuple[Path, ...], object] = {}


def _net(files: list[Path]) -> object:
    import ncnn

    key = tuple(files)
    if key not in _nets:
        net = ncnn.Net()
        net.opt.use_vulkan_compute = False
        net.opt.num_threads = os.cpu_count() or 1
        if net.load_param(str(files[0])) != 0 or net.load_model(str(files[1])) != 0:
            raise RuntimeError(f"ncnn could not load {files[0].name}")
        _nets[key] = net
    return _nets[key]


def _quadruple(rgb: np.ndarray, net: object, progress: classical.Progress | None) -> np.ndarray:
    """HxWx3 uint8 -> 4Hx4Wx3 uint8, tile by tile."""
    import ncnn

    h, w = rgb.shape[:2]
    padded = np.pad(rgb, ((MARGIN, MARGIN), (MARGIN, MARGIN), (0, 0)), mode="edge")
    out = np.empty((4 * h, 4 * w, 3), np.uint8)
    tiles = [(y, x) for y in range(0, h, TILE) for x in range(0, w, TILE)]
    for i, (y, x) in enumerate(tiles):
        th, tw = min(TILE, h - y), min(TILE, w - x)
        piece = padded[y:y + th + 2 * MARGIN, x:x + tw + 2 * MARGIN].astype(np.float32) / 255.0
        chw = np.ascontiguousarray(piece.transpose(2, 0, 1))  # kept alive: the Mat borrows its memory
        extractor = net.create_extractor()
        extractor.input("data", ncnn.Mat(chw))
        status, result = extractor.extract("output")
        if status != 0:
            raise RuntimeError(f"Real-ESRGAN failed on a tile (ncnn status {status})")
        up = np.array(result).transpose(1, 2, 0)[4 * MARGIN:4 * (MARGIN + th), 4 * MARGIN:4 * (MARGIN + tw)]
        out[4 * y:4 * (y + th), 4 * x:4 * (x + tw)] = np.clip(up * 255.0 + 0.5, 0, 255)
        if progress:
            progress(0.9 * (i + 1) / len(tiles), "upscaling (Real-ESRGAN, slow)")
    return out


def upscale(rgba: np.ndarray, factor: int, progress: classical.Progress | None = None) -> tuple[np.ndarray, str]:
    """(HxWx4 uint8 upscaled by 2 or 4, a note: "" when Real-ESRGAN ran). Refuses regions over the limit."""
    if factor not in (2, 4):
        raise ValueError(f"upscale factor must be 2 or 4, not {factor}")
    h, w = rgba.shape[:2]
    refused = upscale_cost.refusal(w, h)
    if refused:
        raise BackendError(refused)
    files = model_files.paths("realesrgan-x4plus")
    reason = "" if files is not None else model_files.missing_note(
        "Real-ESRGAN x4plus", "upscale (Lanczos with back-projection)")
    net = None
    if files is not None:
        try:
            net = _net(files)
        except (ImportError, RuntimeError) as exc:
            reason = f"Real-ESRGAN could not run ({exc}), so the classical upscale ran instead; run ./install.sh."
    if net is None:
        return classical.upscale(rgba, factor, progress), reason
    if progress:
        progress(0.0, "upscaling (Real-ESRGAN, slow)")
    rgb = _quadruple(_bleed(rgba), net, progress)
    if factor == 2:
        rgb = cv2.resize(rgb, (2 * w, 2 * h), interpolation=cv2.INTER_AREA)
    out = np.empty((h * factor, w * factor, 4), np.uint8)
    out[..., :3] = rgb
    if (rgba[..., 3] == 255).all():
        out[..., 3] = 255
    else:
        out[..., 3] = np.clip(classical._upscale_plane(rgba[..., 3].astype(np.float32), factor) + 0.5, 0, 255)
        out[out[..., 3] == 0, :3] = 0
    if progress:
        progress(1.0, "upscaling (Real-ESRGAN, slow)")
    return out, ""
