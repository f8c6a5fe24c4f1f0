"""The low band of a removal fill: a harmonic guess, except where the copied patches carry an edge.

Why: copied patches bring the brightness of the place they came from. In a graded sky, on soft fur
or in grass the broad light-and-dark of a source somewhere else is a worse guess at what was behind
the object than the smooth (harmonic) continuation of the pixels around the hole, and the eye reads
the patches' mottling as blotches. Their fine detail, though, is what makes the fill look like the
picture. So the fill keeps its high band (the patches minus a Gaussian blur of SIGMA px) and takes
its low band from the membrane, except where structure says the membrane is wrong: where the
patches put a low-band step far above what the surroundings typically show (a sign's border or a
bar continued across the hole), and where much of the ring a pixel sees is such edges (the membrane
would smear them into a blotch). There the patches' own low band stays.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from plugin.engine.patch_blend import membrane, ring
from plugin.engine.patch_pyramid import box_any

SIGMA = 2.0
"""Gaussian (px) that splits low band from high band."""
SHARE = 0.9
"""How much of the low band the membrane takes where the patches show no edge."""
EDGE = 8.0
"""A low-band gradient this many times the surroundings' typical one counts as an edge (weight halves)."""
SEEN = 0.3
"""Where this share of the ring a pixel sees (harmonic measure) is edges, the membrane is not used:
it would smear a border or a bar, not continue a gradient."""
TYPICAL = 25.0
"""Percentile of the ring's low-band gradients taken as typical: a low one, so that on a brick wall
the flat faces set it and the mortar lines count as edges (a membrane smears them into a pale band)."""
RING = 8
"""Width (px) of the known ring whose gradients say what is typical."""


def _grad(low: np.ndarray) -> np.ndarray:
    """Magnitude of the gradient of the luminance of an HxWx3 low band."""
    g = low @ np.array([0.299, 0.587, 0.114], np.float32)
    gy, gx = np.gradient(g)
    return np.hypot(gy, gx)


def blend_low_band(fill: np.ndarray, given: np.ndarray, hole: np.ndarray) -> None:
    """Replace part of the low band of `fill` (HxWx3 float, hole synthesised) inside `hole`, in place.

    `given` supplies the known pixels; the hole's own pixels are never read.
    """
    rg = ring(hole, RING)
    if not rg.any() or not hole.any():
        return
    ys, xs = np.nonzero(box_any(hole, RING + 3 * int(SIGMA) + 2))
    sl = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    h, f, r = hole[sl], fill[sl], rg[sl]
    if min(h.shape) < 3:
        return
    known = ~h
    harm = membrane(np.where(known[..., None], given[sl].astype(np.float32), 0.0), known)
    s = (SIGMA, SIGMA, 0)
    low_fill = ndimage.gaussian_filter(f, s)
    low_harm = ndimage.gaussian_filter(harm, s)
    typical = float(np.percentile(_grad(low_harm)[r], TYPICAL))
    edge = _grad(low_fill) / max(EDGE * typical, 0.5)
    ring_edge = (_grad(low_harm) > EDGE * max(typical, 0.5 / EDGE)) & r
    seen = membrane(ring_edge.astype(np.float32)[..., None], r)[..., 0]
    trust = np.clip(1.0 - seen / SEEN, 0.0, 1.0)
    weight = ndimage.gaussian_filter(SHARE * trust / (1.0 + edge**2), SIGMA)
    f[h] -= (weight[..., None] * (low_fill - low_harm))[h]
