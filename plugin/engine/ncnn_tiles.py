"""What both offline upscalers (waifu2x, Real-ESRGAN) share: an ncnn network on the CPU, run tile by tile.

Why tiles: a super-resolution network's working memory grows with the picture, so it sees pieces with a
margin of real neighbours around them, and only each piece's centre is kept; a 24 MP layer then needs the
result array and a bounded amount more. Why the colour under transparent pixels is filled first: the
networks look across edges, and a transparent area's (often black) colour would enter the visible edge as
a dark fringe. A missing or broken model is not an error: the classical upscale runs and the note says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from plugin import model_files
from plugin.engine import upscale as classical

CLASSICAL = "upscale (Lanczos with back-projection)"
_nets: dict[tuple[Path, ...], object] = {}


def open_model(name: str, label: str) -> tuple[object | None, str]:
    """(the loaded network, "") or (None, the note saying why the classical upscale runs instead)."""
    files = model_files.paths(name)
    if files is None:
        return None, model_files.missing_note(label, CLASSICAL)
    try:
        return _load(files), ""
    except (ImportError, RuntimeError) as exc:
        return None, (
            f"{label.split()[0]} could not run ({exc}), so the classical upscale ran instead; run ./install.sh."
        )


def _load(files: list[Path]) -> object:
    """The network of a .param and .bin pair, loaded once per process (the warm worker keeps it)."""
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


def tiles(
    rgb: np.ndarray, net: object, scale: int, tile: int, margin: int, blobs: tuple[str, str], what: str
) -> Iterator[tuple[int, int, int, int, int, int, np.ndarray, np.ndarray]]:
    """For each tile of HxWx3 uint8 `rgb`: (index, count, y, x, th, tw, up, near).

    up: the network's answer for the tile's own th x tw pixels, scaled by `scale`, floats 0..1 (a copy:
    the Mat is freed with its extractor); near: the tile with its `margin` of neighbours, uint8. The
    picture's edges are padded by repeating them. blobs: the network's input and output names.
    """
    import ncnn

    h, w = rgb.shape[:2]
    padded = np.pad(rgb, ((margin, margin), (margin, margin), (0, 0)), mode="edge")
    spots = [(y, x) for y in range(0, h, tile) for x in range(0, w, tile)]
    for index, (y, x) in enumerate(spots):
        th, tw = min(tile, h - y), min(tile, w - x)
        near = padded[y : y + th + 2 * margin, x : x + tw + 2 * margin]
        chw = np.ascontiguousarray((near.astype(np.float32) / 255.0).transpose(2, 0, 1))  # the Mat borrows it
        extractor = net.create_extractor()
        extractor.input(blobs[0], ncnn.Mat(chw))
        status, result = extractor.extract(blobs[1])
        if status != 0:
            raise RuntimeError(f"{what} failed on a tile (ncnn status {status})")
        up = np.array(result).transpose(1, 2, 0)
        off_y, off_x = (up.shape[0] - scale * th) // 2, (up.shape[1] - scale * tw) // 2  # a padded answer
        yield index, len(spots), y, x, th, tw, up[off_y : off_y + scale * th, off_x : off_x + scale * tw], near


def bleed(rgba: np.ndarray) -> np.ndarray:
    """RGB with the colour under transparent pixels replaced by that of their visible neighbours."""
    rgb = rgba[..., :3]
    clear = rgba[..., 3] == 0
    if not clear.any() or clear.all():
        return rgb  # a view: np.pad copies it once, in tiles()
    weight = (~clear).astype(np.float32)
    filled = rgb.astype(np.float32)
    for sigma in (2.0, 8.0, 32.0, 128.0):
        den = cv2.GaussianBlur(weight, (0, 0), sigma)
        num = cv2.GaussianBlur(rgb.astype(np.float32) * weight[..., None], (0, 0), sigma)
        ok = clear & (den > 1e-4)
        filled[ok] = num[ok] / den[ok, None]
        clear = clear & ~ok
    return np.clip(filled + 0.5, 0, 255).astype(np.uint8)


def finish_alpha(out: np.ndarray, rgba: np.ndarray, factor: int) -> np.ndarray:
    """Alpha upscaled by the classical method (opaque stays exactly opaque); no colour where it is clear."""
    if (rgba[..., 3] == 255).all():
        out[..., 3] = 255
    else:
        out[..., 3] = np.clip(classical._upscale_plane(rgba[..., 3].astype(np.float32), factor) + 0.5, 0, 255)
        out[out[..., 3] == 0, :3] = 0
    return out
