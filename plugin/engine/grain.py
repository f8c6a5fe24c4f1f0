"""Grain matching: give a synthesised fill the fine noise of the photo around it.

Patch voting averages several copied patches, and the average of noisy patches is smoother than
any of them, so a fill in a grainy photo looks plastic next to its surroundings. We measure the
grain level block by block (a robust spread of the Laplacian, which edges hardly move), carry the
surroundings' level into the hole, and add luminance noise for the part the fill is missing.
"""

from __future__ import annotations

import numpy as np

from plugin.engine.patch_metrics import gray, laplacian
from plugin.engine.patch_pyramid import pull_push

BLOCK = 8
"""Side (px) of the blocks the grain level is measured on."""
MAX_SIGMA = 3.0
"""Most noise (8-bit levels, standard deviation) ever added: grain, never texture."""
_LAPLACE_GAIN = float(np.sqrt(20.0))
"""The 4-neighbour Laplacian of white noise of deviation s has deviation sqrt(20) s."""
QUANTILE = 25.0
_QUANTILE_TO_SIGMA = 1.0 / 0.3186
"""The 25th percentile of |N(0, s)| is 0.3186 s. A low quantile, not the median: an edge or a
textured block (fur, woven cloth) raises the upper values of |Laplacian| far more than its lower
ones, so the level read is that of the noise, not of the structure."""


def _block_noise(lap: np.ndarray, where: np.ndarray, least: int) -> tuple[np.ndarray, np.ndarray]:
    """Per block: noise deviation (levels) from the median |Laplacian| of its `where` pixels, and
    whether it holds at least `least` of them."""
    h, w = where.shape
    ph, pw = -h % BLOCK, -w % BLOCK
    a = np.pad(np.abs(lap), ((0, ph), (0, pw)))
    m = np.pad(where, ((0, ph), (0, pw)))
    nby, nbx = a.shape[0] // BLOCK, a.shape[1] // BLOCK
    # excluded px sort last (inf); the quantile is then read at an index that depends on the count
    blocks = np.where(m, a, np.inf).reshape(nby, BLOCK, nbx, BLOCK).transpose(0, 2, 1, 3)
    blocks = np.sort(blocks.reshape(nby, nbx, -1), axis=-1)
    count = m.reshape(nby, BLOCK, nbx, BLOCK).sum((1, 3))
    enough = count >= least
    index = (np.maximum(count - 1, 0) * (QUANTILE / 100.0)).astype(np.int64)
    level = np.take_along_axis(blocks, index[..., None], axis=-1)[..., 0]
    level = np.where(enough, level, 0.0).astype(np.float32)
    return level * (_QUANTILE_TO_SIGMA / _LAPLACE_GAIN), enough


def _ring_blocks(inside: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Known blocks within two blocks of the hole's blocks."""
    p = np.pad(inside, 2)
    h, w = inside.shape
    grown = np.zeros_like(inside)
    for dy in range(5):
        for dx in range(5):
            grown |= p[dy:dy + h, dx:dx + w]
    return grown & known


def grain_deficit(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """HxW: the noise deviation (8-bit levels) to add in the hole so it matches its surroundings."""
    lap = laplacian(gray(image))
    # a block mostly of photo sets the level to match; any block touching the hole gets one
    known_level, known_ok = _block_noise(lap, ~hole, BLOCK * BLOCK // 2)
    fill_level, fill_ok = _block_noise(lap, hole, 1)
    target = pull_push(known_level[..., None], ~known_ok)[..., 0]
    # no more than the typical level right around the hole: one grainy neighbour (a textured
    # sleeve beside a smooth wall) must not speckle the whole fill
    near = _ring_blocks(fill_ok, known_ok)
    if near.any():
        target = np.minimum(target, float(np.median(known_level[near])))
    missing = np.sqrt(np.maximum(target ** 2 - fill_level ** 2, 0.0))
    missing = np.where(fill_ok, np.minimum(missing, MAX_SIGMA), 0.0).astype(np.float32)
    full = np.repeat(np.repeat(missing, BLOCK, 0), BLOCK, 1)[: hole.shape[0], : hole.shape[1]]
    return np.where(hole, full, 0.0).astype(np.float32)


def add_grain(image: np.ndarray, hole: np.ndarray, seed: int) -> None:
    """Add the missing grain to `image` (HxWx3 float, 0-255) inside `hole`, in place.

    Luminance noise (the same on all three channels), drawn from a generator seeded by `seed`, so
    one seed gives one result.
    """
    if not hole.any():
        return
    sigma = grain_deficit(image, hole)
    if not sigma.any():
        return
    noise = np.random.default_rng(seed).standard_normal(hole.shape).astype(np.float32)
    image[..., :3] += (noise * sigma)[..., None]
