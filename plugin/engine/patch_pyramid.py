"""Image/mask pyramids and the small NumPy helpers the coarse-to-fine fill needs."""

from __future__ import annotations

import numpy as np


def box_any(mask: np.ndarray, r: int) -> np.ndarray:
    """True where the (2r+1)^2 window (edge-replicated outside) contains any True: a dilation."""
    if r <= 0:
        return mask.copy()
    return box_count(mask, r) > 0


def box_count(mask: np.ndarray, r: int) -> np.ndarray:
    """Number of True pixels in each (2r+1)^2 window, the image edge-replicated outside."""
    m = np.pad(mask.astype(np.int32), r, mode="edge")
    s = np.zeros((m.shape[0] + 1, m.shape[1] + 1), np.int64)
    np.cumsum(np.cumsum(m, 0), 1, out=s[1:, 1:])
    k = 2 * r + 1
    h, w = mask.shape
    return s[k : k + h, k : k + w] - s[:h, k : k + w] - s[k : k + h, :w] + s[:h, :w]


def downsample(img: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Halve the image, averaging known pixels only; a coarse pixel is hole if any child is.

    Marking a coarse pixel hole when any child is keeps every coarse source patch made of pure
    known content, so patches copied at coarse scales carry no colour bled from the hole.
    """
    h, w = hole.shape
    ph, pw = h % 2, w % 2
    if ph or pw:
        img = np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="edge")
        hole = np.pad(hole, ((0, ph), (0, pw)), mode="edge")
    known = (~hole).astype(np.float32)[..., None]
    s = (img * known).reshape(img.shape[0] // 2, 2, img.shape[1] // 2, 2, -1).sum((1, 3))
    n = known.reshape(known.shape[0] // 2, 2, known.shape[1] // 2, 2, 1).sum((1, 3))
    coarse_hole = hole.reshape(hole.shape[0] // 2, 2, hole.shape[1] // 2, 2).any((1, 3))
    out = np.where(n > 0, s / np.maximum(n, 1), 0.0).astype(np.float32)
    return out, coarse_hole


def pull_push(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Smooth membrane-like fill of the hole from its surroundings (coarse-scale initial guess)."""
    if not hole.any():
        return img.copy()
    levels = [(img.astype(np.float32), (~hole).astype(np.float32))]
    while max(levels[-1][1].shape) > 1:
        im, wt = levels[-1]
        h, w = wt.shape
        ph, pw = h % 2, w % 2
        im = np.pad(im, ((0, ph), (0, pw), (0, 0)), mode="edge")
        wt = np.pad(wt, ((0, ph), (0, pw)), mode="constant")
        s = (im * wt[..., None]).reshape(im.shape[0] // 2, 2, im.shape[1] // 2, 2, -1).sum((1, 3))
        n = wt.reshape(wt.shape[0] // 2, 2, wt.shape[1] // 2, 2).sum((1, 3))
        levels.append((s / np.maximum(n, 1e-6)[..., None], np.minimum(n, 1.0)))
    filled = levels[-1][0]
    for im, wt in reversed(levels[:-1]):
        h, w = wt.shape
        up = np.repeat(np.repeat(filled, 2, 0), 2, 1)[:h, :w]
        filled = im * wt[..., None] + up * (1.0 - wt[..., None])
    out = img.astype(np.float32).copy()
    out[hole] = filled[hole]
    return out


def upsample_field(ny: np.ndarray, nx: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Carry a coarse nearest-neighbour field to the next finer level (offsets doubled)."""
    h, w = shape
    yy = np.arange(h)
    xx = np.arange(w)
    fy = 2 * ny[yy // 2][:, xx // 2] + (yy % 2)[:, None]
    fx = 2 * nx[yy // 2][:, xx // 2] + (xx % 2)[None, :]
    # C order like every other field: one compiled kernel signature, and row-wise memory access
    return (
        np.ascontiguousarray(np.clip(fy, 0, h - 1), np.int32),
        np.ascontiguousarray(np.clip(fx, 0, w - 1), np.int32),
    )
