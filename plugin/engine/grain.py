"""Grain matching: give a synthesised fill the fine noise of the photo around it.

Patch voting averages several copied patches, and the average of noisy patches is smoother than
any of them, so a fill in a grainy photo looks plastic next to its surroundings. We measure the
grain level block by block (a robust spread of the Laplacian, which edges hardly move), carry the
surroundings' level into the hole, and add luminance noise for the part the fill is missing.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from plugin.engine.patch_metrics import gray, laplacian
from plugin.engine.patch_pyramid import pull_push

BLOCK = 8
"""Side (px) of the blocks the grain level is measured on."""
MAX_SIGMA = 3.0
"""Most noise (8-bit levels, standard deviation) ever added: grain, never texture."""
_LAPLACE_GAIN = float(np.sqrt(20.0))
"""The 4-neighbour Laplacian of white noise of deviation s has deviation sqrt(20) s."""
SLACK = 1.2
"""A fill counts as smoother only when its level is below the target by more than this factor:
block readings scatter, and a fill already as grainy as the photo must not get more."""
QUANTILE = 25.0
_QUANTILE_TO_SIGMA = 1.0 / 0.3186
"""The 25th percentile of |N(0, s)| is 0.3186 s. A low quantile, not the median: an edge or a
textured block (fur, woven cloth) raises the upper values of |Laplacian| far more than its lower
ones, so the level read is that of the noise, not of the structure."""


def _block_noise(lap: np.ndarray, where: np.ndarray, least: int) -> tuple[np.ndarray, np.ndarray]:
    """Per block: noise deviation (levels) read from the QUANTILE of |Laplacian| over its `where`
    pixels, and whether it holds at least `least` of them."""
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


def _smooth(level: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Mean over the 3x3 neighbouring blocks that have a level: one block's reading scatters by about
    a quarter, and a low reading would ask for noise where there is grain enough."""
    w = ok.astype(np.float32)
    num = ndimage.uniform_filter(level * w, 3, mode="constant")
    den = ndimage.uniform_filter(w, 3, mode="constant")
    return np.where(ok, num / np.maximum(den, 1e-6), 0.0).astype(np.float32)


def _ring_blocks(inside: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Known blocks within two blocks of the hole's blocks."""
    return ndimage.binary_dilation(inside, np.ones((5, 5), bool)) & known


def grain_deficit(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """HxW: the noise deviation (8-bit levels) to add in the hole so it matches its surroundings."""
    lap = laplacian(gray(image))
    # a block mostly of photo sets the level to match; any block touching the hole gets one
    known_level, known_ok = _block_noise(lap, ~hole, BLOCK * BLOCK // 2)
    fill_level, fill_ok = _block_noise(lap, hole, 1)
    known_level, fill_level = _smooth(known_level, known_ok), _smooth(fill_level, fill_ok)
    target = pull_push(known_level[..., None], ~known_ok)[..., 0]
    # no more than the typical level right around the hole: one grainy neighbour (a textured
    # sleeve beside a smooth wall) must not speckle the whole fill
    near = _ring_blocks(fill_ok, known_ok)
    if near.any():
        target = np.minimum(target, float(np.median(known_level[near])))
    missing = np.sqrt(np.maximum(target**2 - (SLACK * fill_level) ** 2, 0.0))
    missing = np.where(fill_ok, np.minimum(missing, MAX_SIGMA), 0.0).astype(np.float32)
    full = np.repeat(np.repeat(missing, BLOCK, 0), BLOCK, 1)[: hole.shape[0], : hole.shape[1]]
    full = ndimage.uniform_filter(full, BLOCK, mode="nearest")  # no block edges in the noise strength
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
