"""Sparse bright points (stars, specks of light): put back the point layer that patch voting loses.

Why a separate layer: in a star field most patches are empty, and an empty fill matches empty source
patches almost perfectly, so the patch energy of Wexler et al. has its minimum at a fill without
stars; voting then averages away the few points that remain. The positions of such points carry no
structure, only a density and a brightness distribution, so a stationary copy is as good a guess as
any: we split the picture into a point layer (what a small grey opening removes: features narrower
than POINT px) and the rest, let the patch fill handle the rest, and give the hole the point layer
of nearby known tiles, each shifted whole so that its points stay intact. Per pixel the brighter of
the fill's own layer and the copied one is kept, so points the patches did bring stay.

The copied layer goes in only where the surroundings really are a point field and the fill came out
short of it; anywhere else (textures, lattices, skies) the fill is left alone.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from plugin.engine.patch_pyramid import box_any

POINT = 3
"""Side (px) of the grey opening: features narrower than this form the point layer."""
BLOCK = 24
"""Side (px) of the blocks whose point energy tells a field spread all over from a few clusters."""
SPARSE = 0.7
"""A point field: the brightest 5 % of its layer's pixels hold at least this share of its energy
(sensor noise spreads its energy evenly and holds about a quarter there)."""
SPREAD = 0.5
"""A point field: its lower-quartile block holds at least this fraction of the median block's energy
(lattice corners and one bright lamp are clusters, not a field)."""
VISIBLE = 6.0
"""Least RMS point layer (8-bit levels) in the median block: fainter points are grain's business."""
SHORT = 0.8
"""The fill gets a new layer when its own point energy is below this fraction of the median block's."""
GAIN = 0.7
"""Brightness of the copied points: they are guesses at where points were, and one in the wrong place
costs twice (the point missed and the one invented), so they go in somewhat dimmer than found."""
TILE = 24
"""Side (px) of the pieces of the hole that each take their points from one shifted known tile."""


def point_layer(img: np.ndarray) -> np.ndarray:
    """Per channel, the image minus its grey opening by POINT px: small bright features only."""
    out = np.empty(img.shape, np.float32)
    for c in range(img.shape[2]):
        ch = img[..., c].astype(np.float32)
        out[..., c] = ch - ndimage.grey_opening(ch, size=(POINT, POINT))
    return out


def _block_energy(layer: np.ndarray, known: np.ndarray) -> np.ndarray:
    """RMS of the layer's luminance in each BLOCK x BLOCK block that is wholly known."""
    g = layer.mean(2)
    h, w = known.shape
    nby, nbx = h // BLOCK, w // BLOCK
    if nby == 0 or nbx == 0:
        return np.zeros(0, np.float32)
    gg = g[: nby * BLOCK, : nbx * BLOCK].reshape(nby, BLOCK, nbx, BLOCK)
    kk = known[: nby * BLOCK, : nbx * BLOCK].reshape(nby, BLOCK, nbx, BLOCK).all((1, 3))
    e = np.sqrt((gg**2).mean((1, 3)))
    return e[kk]


def field_level(layer: np.ndarray, known: np.ndarray) -> float:
    """The median block's point energy when the known part is a point field, else 0."""
    e = _block_energy(layer, known)
    if e.size < 8:
        return 0.0
    q25, q50 = np.percentile(e, (25, 50))
    if q50 < VISIBLE or q25 < SPREAD * q50:
        return 0.0
    v = layer.mean(2)[known] ** 2
    k = max(1, v.size // 20)
    top = np.partition(v, v.size - k)[v.size - k :].sum()
    return float(q50) if top >= SPARSE * max(float(v.sum()), 1e-9) else 0.0


def _shifts(rng: np.random.Generator, reach: int) -> list[tuple[int, int]]:
    """Candidate tile shifts, nearest first within each ring of TILE px, in random order per ring."""
    out = []
    for d in range(1, reach + 1):
        ring = [
            (dy * TILE, dx * TILE) for dy in range(-d, d + 1) for dx in range(-d, d + 1) if max(abs(dy), abs(dx)) == d
        ]
        rng.shuffle(ring)
        out += ring
    return out


def restore_points(fill: np.ndarray, given: np.ndarray, hole: np.ndarray, seed: int) -> None:
    """Give `fill` (HxWx3 float, the hole synthesised) the point layer of its surroundings, in place.

    `given` is the picture with the hole's own pixels unknown (what was there is never read).
    """
    known = ~box_any(hole, POINT)
    src = point_layer(given)
    level = field_level(src, known)
    if level <= 0:
        return
    inner = ~box_any(~hole, POINT // 2)
    if not inner.any():
        return
    own = point_layer(fill)
    if float(np.sqrt((own.mean(2)[inner] ** 2).mean())) >= SHORT * level:
        return
    h, w = hole.shape
    rng = np.random.default_rng(seed + 1)
    shifts = _shifts(rng, max(2, max(h, w) // TILE))
    add = np.zeros_like(own)
    for y0 in range(0, h, TILE):
        for x0 in range(0, w, TILE):
            y1, x1 = min(h, y0 + TILE), min(w, x0 + TILE)
            if not hole[y0:y1, x0:x1].any():
                continue
            for dy, dx in shifts:
                sy0, sx0, sy1, sx1 = y0 + dy, x0 + dx, y1 + dy, x1 + dx
                if sy0 < 0 or sx0 < 0 or sy1 > h or sx1 > w or not known[sy0:sy1, sx0:sx1].all():
                    continue
                add[y0:y1, x0:x1] = src[sy0:sy1, sx0:sx1]
                break
    fill[hole] += (np.maximum(own, GAIN * add) - own)[hole]
