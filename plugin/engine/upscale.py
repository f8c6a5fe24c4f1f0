"""Offline upscale x2 / x4: Lanczos, then alternating projections (POCS) onto two constraint sets.

Why this and not plain Lanczos: an interpolator only guesses. Iterative back-projection makes the
result *consistent* with the input (area-averaging it back down gives the input again), which
restores contrast that Lanczos/bicubic smear; projecting onto the local range of the input
neighbourhood (an edge-aware clamp) then removes the ringing and halos that back-projection and
Lanczos create at strong edges. The two projections alternate a few times. Everything is Pillow
resampling plus NumPy, deterministic, and a 1 MP image doubles in
about two seconds on two cores.

Alpha is handled premultiplied, so colour of fully transparent pixels (often black) cannot bleed
into the visible edge as a dark halo.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

Progress = Callable[[float, str], None]

_PASSES = 3  # outer POCS passes (back-projection block + clamp)
_ITERS = 2  # back-projection steps per pass; with the box model it converges within a pass or two
_MARGIN = 4.0  # grey levels the result may exceed its local input range by (keeps fine texture)


def _resize(channel: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """Resize one float32 plane with Pillow (mode 'F' keeps full precision, no 8-bit rounding)."""
    return np.array(Image.fromarray(channel, mode="F").resize(size, resample), dtype=np.float32)


def _local_range(plane: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """3x3 min and max of a plane, edge-replicated; the clamp's bounds before upsampling."""
    p = np.pad(plane, 1, mode="edge")
    h, w = plane.shape
    views = [p[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]
    return np.minimum.reduce(views), np.maximum.reduce(views)


def _upscale_plane(y: np.ndarray, factor: int) -> np.ndarray:
    """Upscale one float32 plane; see the module docstring for the method."""
    h, w = y.shape
    big, small = (w * factor, h * factor), (w, h)
    lo, hi = _local_range(y)
    lo = _resize(lo, big, Image.Resampling.BILINEAR) - _MARGIN
    hi = _resize(hi, big, Image.Resampling.BILINEAR) + _MARGIN
    x = _resize(y, big, Image.Resampling.LANCZOS)
    for _ in range(_PASSES):
        for _ in range(_ITERS):
            # BOX downscale = the area-averaging sensor model; the residual goes back up bicubic.
            residual = y - _resize(x, small, Image.Resampling.BOX)
            x += _resize(residual, big, Image.Resampling.BICUBIC)
        np.clip(x, lo, hi, out=x)
    return x


def upscale(rgba: np.ndarray, factor: int, progress: Progress | None = None) -> np.ndarray:
    """HxWx4 uint8 -> (H*factor)x(W*factor)x4 uint8, factor 2 or 4."""
    if factor not in (2, 4):
        raise ValueError(f"upscale factor must be 2 or 4, not {factor}")
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected HxWx4 uint8 RGBA, got {rgba.shape} {rgba.dtype}")
    h, w = rgba.shape[:2]
    alpha = rgba[..., 3].astype(np.float32)
    opaque = bool((rgba[..., 3] == 255).all())
    # Premultiply so transparent pixels contribute no colour to their visible neighbours.
    planes = [rgba[..., c].astype(np.float32) * (1.0 if opaque else alpha / 255.0) for c in range(3)]
    if not opaque:
        planes.append(alpha)
    if progress:
        progress(0.0, "upscaling")
    # Pillow releases the GIL while resampling, so planes run in parallel threads; order is fixed.
    with ThreadPoolExecutor(max_workers=min(len(planes), os.cpu_count() or 1)) as pool:
        out = []
        for i, plane in enumerate(pool.map(lambda p: _upscale_plane(p, factor), planes)):
            out.append(plane)
            if progress:
                progress((i + 1) / len(planes), "upscaling")
    if opaque:
        a = np.full((h * factor, w * factor), 255.0, np.float32)
        rgb = np.stack(out, axis=-1)
    else:
        a = np.clip(out[3], 0.0, 255.0)
        prem = np.clip(np.stack(out[:3], axis=-1), 0.0, a[..., None])
        with np.errstate(divide="ignore", invalid="ignore"):
            rgb = np.where(a[..., None] > 0, prem * 255.0 / a[..., None], 0.0)
    result = np.empty((h * factor, w * factor, 4), np.uint8)
    result[..., :3] = np.clip(rgb + 0.5, 0, 255)
    result[..., 3] = np.clip(a + 0.5, 0, 255)
    result[result[..., 3] == 0, :3] = 0  # no stray colour under pixels that round to transparent
    return result
