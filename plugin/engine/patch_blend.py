"""Seam removal: a smooth colour correction that makes the synthesised fill meet its surroundings.

Copied patches carry their own brightness; on a sky gradient or a softly lit wall that shows as a
step along the selection edge. We measure, on a thin ring of known pixels around the hole, how far
the patches' proposal is from the real image, and spread that difference into the hole as a
membrane (a harmonic function: smooth, no new detail), the gradient-domain blending of
Perez et al. 2003 in its cheap form.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from plugin.engine.patch_pyramid import pull_push


@nb.njit(cache=True)
def _relax(x, fixed, iters: int) -> None:
    """Red-black Gauss-Seidel sweeps of the Laplace equation on the free pixels (Neumann at edges)."""
    H, W, C = x.shape
    for _ in range(iters):
        for colour in range(2):
            for y in range(H):
                for xx in range((y + colour) % 2, W, 2):
                    if fixed[y, xx]:
                        continue
                    n = 0
                    for c in range(C):
                        s = 0.0
                        n = 0
                        if y > 0:
                            s += x[y - 1, xx, c]
                            n += 1
                        if y < H - 1:
                            s += x[y + 1, xx, c]
                            n += 1
                        if xx > 0:
                            s += x[y, xx - 1, c]
                            n += 1
                        if xx < W - 1:
                            s += x[y, xx + 1, c]
                            n += 1
                        if n:
                            x[y, xx, c] = s / n


def membrane(values: np.ndarray, fixed: np.ndarray, iters: int = 40) -> np.ndarray:
    """Harmonic interpolation of `values` (HxWxC) from the `fixed` pixels into all others.

    Coarse to fine: a half-size solution seeds each level, so a few sweeps per level suffice.
    """
    h, w = fixed.shape
    if not fixed.any():
        return np.zeros_like(values)
    if min(h, w) <= 16:
        x = pull_push(values.astype(np.float32), ~fixed)
        _relax(x, fixed, 4 * iters)
        return x
    ph, pw = h % 2, w % 2
    v = np.pad(values * fixed[..., None], ((0, ph), (0, pw), (0, 0)))
    f = np.pad(fixed, ((0, ph), (0, pw))).astype(np.float32)
    s = v.reshape(v.shape[0] // 2, 2, v.shape[1] // 2, 2, -1).sum((1, 3))
    n = f.reshape(f.shape[0] // 2, 2, f.shape[1] // 2, 2).sum((1, 3))
    coarse = membrane((s / np.maximum(n, 1)[..., None]).astype(np.float32), n > 0, iters)
    x = np.repeat(np.repeat(coarse, 2, 0), 2, 1)[:h, :w].astype(np.float32)
    x[fixed] = values[fixed]
    _relax(x, fixed, iters)
    return x


def ring(hole: np.ndarray, width: int) -> np.ndarray:
    """Known pixels within `width` px (chessboard distance) of the hole."""
    from plugin.engine.patch_pyramid import box_any

    return box_any(hole, width) & ~hole
