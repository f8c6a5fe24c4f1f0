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
enters the visible edge.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from plugin import model_files
from plugin.engine import upscale as classical

TILE = 200  # input pixels per tile side
MARGIN = 7  # the network's reach: 6 valid 3x3 convolutions and the 4x4 transposed one
WEIGHT = 0.8  # of waifu2x in the result; the rest is the classical upscale (chosen on tests/data's photos)
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


def _double(rgb: np.ndarray, net: object, progress: classical.Progress | None, done: float,
            share: float, out: np.ndarray | None = None) -> np.ndarray:
    """HxWx3 uint8 -> 2Hx2Wx3 uint8, tile by tile (into `out` when given: the result's RGB planes)."""
    import ncnn

    h, w = rgb.shape[:2]
    padded = np.pad(rgb, ((MARGIN, MARGIN), (MARGIN, MARGIN), (0, 0)), mode="edge")
    out = np.empty((2 * h, 2 * w, 3), np.uint8) if out is None else out
    tiles = [(y, x) for y in range(0, h, TILE) for x in range(0, w, TILE)]
    for i, (y, x) in enumerate(tiles):
        th, tw = min(TILE, h - y), min(TILE, w - x)
        piece = padded[y:y + th + 2 * MARGIN, x:x + tw + 2 * MARGIN].astype(np.float32) / 255.0
        chw = np.ascontiguousarray(piece.transpose(2, 0, 1))  # kept alive: the Mat borrows its memory
        extractor = net.create_extractor()
        extractor.input("Input1", ncnn.Mat(chw))
        status, result = extractor.extract("Eltwise4")
        if status != 0:
            raise RuntimeError(f"waifu2x failed on a tile (ncnn status {status})")
        up = np.array(result).transpose(1, 2, 0) * 255.0  # a copy: the Mat is freed with its extractor
        # a fifth of the classical upscale: it evens out the model's colour noise on grey and fine texture
        # (a brick wall drops below Lanczos without it); done per tile, so memory stays bounded
        near = padded[y:y + th + 2 * MARGIN, x:x + tw + 2 * MARGIN]
        plain = classical.upscale(np.dstack([near, np.full(near.shape[:2], 255, np.uint8)]), 2)
        plain = plain[2 * MARGIN:2 * (MARGIN + th), 2 * MARGIN:2 * (MARGIN + tw), :3]
        out[2 * y:2 * (y + th), 2 * x:2 * (x + tw)] = np.clip(WEIGHT * up + (1 - WEIGHT) * plain + 0.5, 0, 255)
        if progress:
            progress(done + share * (i + 1) / len(tiles), "upscaling (waifu2x)")
    return out


def _bleed(rgba: np.ndarray) -> np.ndarray:
    """RGB with the colour under transparent pixels replaced by that of their visible neighbours."""
    rgb = rgba[..., :3]
    clear = rgba[..., 3] == 0
    if not clear.any() or clear.all():
        return rgb  # a view: np.pad copies it once, in _double
    weight = (~clear).astype(np.float32)
    filled = rgb.astype(np.float32)
    for sigma in (2.0, 8.0, 32.0, 128.0):
        den = cv2.GaussianBlur(weight, (0, 0), sigma)
        num = cv2.GaussianBlur(rgb.astype(np.float32) * weight[..., None], (0, 0), sigma)
        ok = clear & (den > 1e-4)
        filled[ok] = num[ok] / den[ok, None]
        clear = clear & ~ok
    return np.clip(filled + 0.5, 0, 255).astype(np.uint8)


def upscale(rgba: np.ndarray, factor: int, progress: classical.Progress | None = None) -> tuple[np.ndarray, str]:
    """(HxWx4 uint8 upscaled by 2 or 4, a note for the user: "" when waifu2x ran)."""
    if factor not in (2, 4):
        raise ValueError(f"upscale factor must be 2 or 4, not {factor}")
    files = model_files.paths("waifu2x-photo")
    reason = "" if files is not None else model_files.missing_note("waifu2x photo", "upscale (Lanczos with "
                                                                   "back-projection)")
    net = None
    if files is not None:
        try:
            net = _net(files)
        except (ImportError, RuntimeError) as exc:
            reason = f"waifu2x could not run ({exc}), so the classical upscale ran instead; run ./install.sh."
    if net is None:
        return classical.upscale(rgba, factor, progress), reason
    if progress:
        progress(0.0, "upscaling (waifu2x)")
    rgb = _bleed(rgba)
    h, w = rgba.shape[0] * factor, rgba.shape[1] * factor
    out = np.empty((h, w, 4), np.uint8)  # the last pass writes straight into it: no second full-size copy
    if factor == 4:
        rgb = _double(rgb, net, progress, 0.0, 0.45)
    _double(rgb, net, progress, 0.45 if factor == 4 else 0.0, 0.45 if factor == 4 else 0.9, out=out[..., :3])
    if (rgba[..., 3] == 255).all():
        out[..., 3] = 255
    else:
        out[..., 3] = np.clip(classical._upscale_plane(rgba[..., 3].astype(np.float32), factor) + 0.5, 0, 255)
        out[out[..., 3] == 0, :3] = 0
    if progress:
        progress(1.0, "upscaling (waifu2x)")
    return out, ""
