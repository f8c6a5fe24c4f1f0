"""Canvas expansion: synthesise the new border area from the image itself.

Patches alone copy texture well but bring their own brightness: a band of sky above a photo gets
patches from lower, brighter sky, and a visible step appears along the old border. So the fill's
low frequencies are replaced, over the band, by a continuation of the photo's own: the blurred
border colour, carried straight out and extended by its (damped) gradient across the border, so a
sky that darkens upwards keeps darkening. The patches keep only their detail there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from plugin.engine.patch_blend import membrane, ring
from plugin.engine.patch_fill import synthesize

Progress = Callable[[float, str], None]

SIGMA = 10.0
"""Blur (px) that splits low frequencies (continued from the photo) from detail (from patches)."""
SLOPE_BASE = 12
"""Distance (px) inside the photo over which the border's gradient is measured."""
SLOPE_REACH = 60.0
"""The gradient's extrapolation levels off after about this many px."""
CLAMP = 48.0
"""Largest brightness change the extrapolated gradient may add, in 8-bit levels."""
NEAR = 1.5
"""Source patches come from within this many margin widths of the border."""


def _blur_known(img: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of the known pixels only (normalised convolution)."""
    k = known.astype(np.float32)
    num = ndimage.gaussian_filter(img * k[..., None], (sigma, sigma, 0))
    den = ndimage.gaussian_filter(k, sigma)[..., None]
    return (num / np.maximum(den, 1e-6)).astype(np.float32)


def continue_low_frequencies(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Low-frequency image over `hole`: the photo's blurred colours and their gradient across the
    border, each spread into the hole as a membrane (smooth, so a bright spot on the border does
    not streak outwards), the gradient's share levelling off with distance."""
    known = ~hole
    low = _blur_known(img, known, SIGMA / 2)
    base = membrane(np.where(known[..., None], low, 0.0).astype(np.float32), known)
    dist, (iy, ix) = ndimage.distance_transform_edt(hole, return_indices=True)
    rg = ring(hole, 2)
    ry, rx = np.nonzero(rg)
    # outward unit normal at each ring pixel: away from the hole, i.e. into the photo and back
    _, (jy, jx) = ndimage.distance_transform_edt(known, return_indices=True)
    ny, nx = ry - jy[ry, rx], rx - jx[ry, rx]
    n = np.maximum(np.hypot(ny, nx), 1e-6)
    h, w = hole.shape
    qy = np.clip(np.rint(ry + ny / n * SLOPE_BASE), 0, h - 1).astype(np.int64)
    qx = np.clip(np.rint(rx + nx / n * SLOPE_BASE), 0, w - 1).astype(np.int64)
    ok = known[qy, qx]
    slope = np.zeros_like(low)
    slope[ry[ok], rx[ok]] = (low[ry[ok], rx[ok]] - low[qy[ok], qx[ok]]) / SLOPE_BASE
    grad = membrane(np.where(rg[..., None], slope, 0.0).astype(np.float32), rg)
    reach = SLOPE_REACH * (1.0 - np.exp(-dist / SLOPE_REACH))
    base[hole] += np.clip(grad[hole] * reach[hole][:, None], -CLAMP, CLAMP)
    return base


def blend_low_frequencies(filled: np.ndarray, img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Keep the fill's detail, take its low frequencies from the continuation of the photo."""
    base = continue_low_frequencies(img, hole)
    # the fill's own blur, from fill pixels only: a step against the photo must not leak in as detail
    detail = filled - _blur_known(filled, hole, SIGMA)
    # patches voted right at the border disagree most with the photo: let their detail in gradually
    ramp = np.minimum(ndimage.distance_transform_edt(hole) / 4.0, 1.0)[..., None]
    out = filled.copy()
    out[hole] = (base + detail * ramp)[hole]
    return out


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
        near = NEAR * max(left, top, right, bottom)
        filled = synthesize(canvas, hole, seed, progress, blend=False, near=near)
        if min(h, w) > 2 * SLOPE_BASE:
            filled = blend_low_frequencies(filled, canvas, hole)
        out[hole] = np.clip(np.rint(filled[hole]), 0, 255).astype(np.uint8)
    if progress is not None:
        progress(1.0, "done")
    return out
