"""Object removal: fill a selection with texture synthesised from the rest of the image."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from plugin.engine.grain import add_grain
from plugin.engine.lowband import blend_low_band
from plugin.engine.patch_fill import synthesize
from plugin.engine.points import restore_points

Progress = Callable[[float, str], None]

CONTEXT_MIN = 48
"""Least context (px) kept around the hole's bounding box when cropping the working region."""


def _check(rgb: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.asarray(rgb)
    hole = np.asarray(hole).astype(bool)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"rgb must be an HxWx3 array, got shape {rgb.shape!r}")
    if hole.shape != rgb.shape[:2]:
        raise ValueError(f"hole shape {hole.shape!r} does not match image {rgb.shape[:2]!r}")
    return rgb.astype(np.uint8, copy=False), hole


def work_region(hole: np.ndarray) -> tuple[slice, slice]:
    """Hole bounding box plus as much context again (at least CONTEXT_MIN): the source to copy from.

    Nearby texture is the likeliest match, and searching a bounded window keeps huge layers fast.
    """
    ys = np.flatnonzero(hole.any(1))
    xs = np.flatnonzero(hole.any(0))
    y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    m = max(CONTEXT_MIN, y1 - y0, x1 - x0)
    h, w = hole.shape
    return slice(max(0, y0 - m), min(h, y1 + m)), slice(max(0, x0 - m), min(w, x1 + m))


def fill_hole(rgb: np.ndarray, hole: np.ndarray, seed: int = 0, progress: Progress | None = None) -> np.ndarray:
    """rgb: HxWx3 uint8; hole: HxW bool (True = pixels to synthesise).

    Returns HxWx3 uint8 where pixels outside `hole` are identical to the input. progress(fraction,
    stage) is called as work advances. Raises ValueError("nothing left to sample from") when the
    hole covers the whole image.
    """
    rgb, hole = _check(rgb, hole)
    out = rgb.copy()
    if not hole.any():
        return out
    if hole.all():
        from plugin.engine.patch_fill import NothingToSampleFrom

        raise NothingToSampleFrom()
    sy, sx = work_region(hole)
    sub_hole = hole[sy, sx]
    if sub_hole.all():
        sy, sx = slice(0, hole.shape[0]), slice(0, hole.shape[1])
        sub_hole = hole
    filled = synthesize(rgb[sy, sx].astype(np.float32), sub_hole, seed, progress)
    blend_low_band(filled, rgb[sy, sx], sub_hole)
    restore_points(filled, rgb[sy, sx], sub_hole, seed)
    add_grain(filled, sub_hole, seed)
    region = out[sy, sx]
    region[sub_hole] = np.clip(np.rint(filled[sub_hole]), 0, 255).astype(np.uint8)
    if progress is not None:
        progress(1.0, "done")
    return out
