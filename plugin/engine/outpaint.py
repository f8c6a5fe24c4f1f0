"""Canvas expansion: synthesise the new border area from the image itself."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from plugin.engine.patch_fill import synthesize

Progress = Callable[[float, str], None]


def extend_canvas(rgb: np.ndarray, margins: tuple[int, int, int, int], seed: int = 0,
                  progress: Progress | None = None) -> np.ndarray:
    """margins = (left, top, right, bottom) px, each >= 0.

    Returns (H+top+bottom)x(W+left+right)x3 uint8; the original sits at (left, top) unchanged.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"rgb must be an HxWx3 array, got shape {rgb.shape!r}")
    left, top, right, bottom = (int(m) for m in margins)
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"margins must be >= 0, got {margins!r}")
    rgb = rgb.astype(np.uint8, copy=False)
    h, w = rgb.shape[:2]
    H, W = h + top + bottom, w + left + right
    canvas = np.zeros((H, W, 3), np.float32)
    canvas[top:top + h, left:left + w] = rgb
    hole = np.ones((H, W), bool)
    hole[top:top + h, left:left + w] = False
    out = np.zeros((H, W, 3), np.uint8)
    out[top:top + h, left:left + w] = rgb
    if hole.any():
        filled = synthesize(canvas, hole, seed, progress)
        out[hole] = np.clip(np.rint(filled[hole]), 0, 255).astype(np.uint8)
    if progress is not None:
        progress(1.0, "done")
    return out
