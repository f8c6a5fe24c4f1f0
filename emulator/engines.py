"""The pixel engines behind the emulator's "real" answers, injectable so tests choose speed or fidelity.

An engine is `engine(task, rgb, mask, info) -> array`:
  "remove"     fill the mask's white area from its surroundings (H x W x 3, same size)
  "outpaint"   the same, for canvas extension (Imagen EDIT_MODE_OUTPAINT)
  "upscale"    a bigger picture, info["factor"] times each side (Imagen upscaler)
  "foreground" an H x W 0/255 subject mask (Imagen automatic masks)
The default is the plug-in's own local engine, so a Remove through the emulator looks like a removal;
quick_engine is a flat stand-in for tests that make many calls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

Engine = Callable[[str, np.ndarray, "np.ndarray | None", dict], np.ndarray]


def local_engine(task: str, rgb: np.ndarray, mask: np.ndarray | None, info: dict) -> np.ndarray:
    """plugin.engine: exemplar fill for removal and outpainting, its upscaler, its subject cut-out."""
    if task in ("remove", "outpaint"):
        hole = mask is not None and mask > 0
        if mask is None or not np.any(hole):
            return rgb
        from plugin.engine.inpaint import fill_hole

        return fill_hole(rgb, hole, seed=int(info.get("seed") or 0))
    if task == "upscale":
        factor = int(info["factor"])
        if factor in (2, 4):
            from plugin.engine.upscale import upscale

            rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
            return upscale(rgba, factor)[..., :3]
        return _bigger(rgb, factor)
    if task == "foreground":
        from plugin.engine.cutout import subject_mask

        return subject_mask(rgb)
    raise ValueError(f"unknown engine task {task!r}")


def quick_engine(task: str, rgb: np.ndarray, mask: np.ndarray | None, info: dict) -> np.ndarray:
    """Milliseconds per call: the hole takes the kept area's mean colour, upscaling is a plain resize,
    the "subject" is a centred ellipse."""
    if task in ("remove", "outpaint"):
        out = rgb.copy()
        if mask is None:
            return out
        hole = mask > 0
        kept = rgb[~hole]
        out[hole] = kept.mean(axis=0).astype(np.uint8) if kept.size else 128
        return out
    if task == "upscale":
        return _bigger(rgb, int(info["factor"]))
    if task == "foreground":
        h, w = rgb.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        inside = ((yy - h / 2) / (h / 3)) ** 2 + ((xx - w / 2) / (w / 3)) ** 2 <= 1
        return np.where(inside, 255, 0).astype(np.uint8)
    raise ValueError(f"unknown engine task {task!r}")


def _bigger(rgb: np.ndarray, factor: int) -> np.ndarray:
    size = (rgb.shape[1] * factor, rgb.shape[0] * factor)
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
