"""Numba kernels for PatchMatch-based hole filling (nearest-neighbour field search and voting).

Why numba: PatchMatch propagation is inherently sequential along a scan line; a compiled loop does
it at C speed, where pure NumPy would need many more, weaker jump-flood passes. Every kernel is
deterministic whatever the thread count: randomness comes from a hash of (seed, pass, row), and
parallel work is split into fixed row bands that never read each other's state while running.

Conventions: `P` is the current image padded by r = psz // 2 on every side (edge replicated), so a
patch centred at unpadded (y, x) is P[y:y + psz, x:x + psz]. `valid[y, x]` says a source patch
centred there holds no hole pixel. `tmask[y, x]` marks target centres (patches touching the hole).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_MASK32 = 0xFFFFFFFF


@nb.njit(cache=True, inline="always")
def _mix(a: int) -> int:
    """32-bit integer hash (lowbias32), kept inside int64 so numba never widens to float."""
    a &= _MASK32
    a ^= a >> 16
    a = (a * 0x7FEB352D) & _MASK32
    a ^= a >> 15
    a = (a * 0x846CA68B) & _MASK32
    a ^= a >> 16
    return a


@nb.njit(cache=True, inline="always")
def _next(state: int) -> int:
    """xorshift32 step; state must be non-zero."""
    state ^= (state << 13) & _MASK32
    state ^= state >> 17
    state ^= (state << 5) & _MASK32
    return state & _MASK32


@nb.njit(cache=True, inline="always")
def _row_state(seed: int, salt: int, row: int) -> int:
    s = _mix(_mix(_mix(seed) ^ (salt * 0x9E3779B1)) ^ (row * 0x85EBCA77 + 1))
    if s == 0:
        s = 0x1234567
    return s


@nb.njit(cache=True, inline="always")
def _dist(P, ty: int, tx: int, sy: int, sx: int, psz: int, best: float) -> float:
    """Sum of squared differences between two padded patches, stopping once above `best`."""
    nc = P.shape[2]
    d = 0.0
    for i in range(psz):
        for j in range(psz):
            for c in range(nc):
                v = P[ty + i, tx + j, c] - P[sy + i, sx + j, c]
                d += v * v
        if d >= best:
            return d
    return d


@nb.njit(cache=True, inline="always")
def _cost(pen, lam: float, y: int, x: int, sy: int, sx: int) -> float:
    """What matching target (y, x) to source (sy, sx) costs besides the patch difference: the
    source's own cost `pen` (over-use, salience) plus `lam` per px of distance between the two."""
    c = pen[sy, sx]
    if lam > 0.0:
        c += lam * np.sqrt(float((sy - y) * (sy - y) + (sx - x) * (sx - x)))
    return c


@nb.njit(cache=True, parallel=True)
def compute_dist(P, tmask, ny, nx, psz: int, dist, pen, lam: float = 0.0) -> None:
    """Exact patch distances for the current field (the image changed since they were stored).

    `pen[sy, sx]` is added to every distance to source (sy, sx): a cost on over-used sources;
    `lam` per px of target-to-source distance (0: none).
    """
    H, W = tmask.shape
    for y in nb.prange(H):
        for x in range(W):
            if tmask[y, x]:
                dist[y, x] = _dist(P, y, x, ny[y, x], nx[y, x], psz, np.inf) + _cost(pen, lam, y, x, ny[y, x], nx[y, x])


@nb.njit(cache=True)
def _try(P, valid, pen, lam: float, y: int, x: int, cy: int, cx: int, psz: int, ny, nx, dist) -> None:
    if cy == ny[y, x] and cx == nx[y, x]:
        return
    if not valid[cy, cx]:
        return
    p = _cost(pen, lam, y, x, cy, cx)
    if p >= dist[y, x]:
        return
    d = _dist(P, y, x, cy, cx, psz, dist[y, x] - p) + p
    if d < dist[y, x]:
        dist[y, x] = d
        ny[y, x] = cy
        nx[y, x] = cx


@nb.njit(cache=True)
def _band(
    P,
    valid,
    pen,
    lam: float,
    tmask,
    ny,
    nx,
    dist,
    psz: int,
    y0: int,
    y1: int,
    forward: bool,
    seed: int,
    salt: int,
    radius: int,
) -> None:
    H, W = valid.shape
    if forward:
        ys, ye, step = y0, y1, 1
    else:
        ys, ye, step = y1 - 1, y0 - 1, -1
    for y in range(ys, ye, step):
        state = _row_state(seed, salt, y)
        if forward:
            xs, xe = 0, W
        else:
            xs, xe = W - 1, -1
        for x in range(xs, xe, step):
            if not tmask[y, x]:
                continue
            # propagation: the neighbour already visited in this scan, shifted by one pixel
            px = x - step
            if 0 <= px < W and tmask[y, px]:
                cx = nx[y, px] + step
                if 0 <= cx < W:
                    _try(P, valid, pen, lam, y, x, ny[y, px], cx, psz, ny, nx, dist)
            py = y - step
            if y0 <= py < y1 and tmask[py, x]:
                cy = ny[py, x] + step
                if 0 <= cy < H:
                    _try(P, valid, pen, lam, y, x, cy, nx[py, x], psz, ny, nx, dist)
            # random search in exponentially shrinking windows around the current best
            r = radius
            while r >= 1:
                state = _next(state)
                oy = (state % (2 * r + 1)) - r
                state = _next(state)
                ox = (state % (2 * r + 1)) - r
                cy = min(max(ny[y, x] + oy, 0), H - 1)
                cx = min(max(nx[y, x] + ox, 0), W - 1)
                _try(P, valid, pen, lam, y, x, cy, cx, psz, ny, nx, dist)
                r //= 2


@nb.njit(cache=True, parallel=True)
def patchmatch_pass(
    P,
    valid,
    pen,
    tmask,
    ny,
    nx,
    dist,
    psz: int,
    bounds,
    forward: bool,
    seed: int,
    salt: int,
    radius: int,
    lam: float = 0.0,
) -> None:
    """One PatchMatch sweep: each row band scans on its own (race-free, hence deterministic)."""
    for b in nb.prange(bounds.shape[0] - 1):
        _band(P, valid, pen, lam, tmask, ny, nx, dist, psz, bounds[b], bounds[b + 1], forward, seed, salt, radius)


@nb.njit(cache=True, parallel=True)
def vote(P, hole, tmask, ny, nx, weight, kern, psz: int, out, sharp: bool = False) -> None:
    """Wexler voting, as a gather: each hole pixel averages what the patches covering it propose.

    `kern[i, j]` weights a proposal by the pixel's place in its patch (centre pixels trusted more).
    With `sharp`, `weight` is the patch distance and each hole pixel takes the single best-matching
    patch's proposal instead: a weighted mean of many proposals averages away grain and fine texture,
    the best patch keeps it (Kaspar et al. 2015 do the same at their finest scale).
    """
    H, W = hole.shape
    r = psz // 2
    nc = out.shape[2]
    for y in nb.prange(H):
        acc = np.zeros(nc, dtype=np.float64)
        for x in range(W):
            if not hole[y, x]:
                continue
            acc[:] = 0.0
            wsum = 0.0
            best = np.inf
            by = -1
            bx = -1
            for i in range(psz):
                ty = y - i + r
                if ty < 0 or ty >= H:
                    continue
                for j in range(psz):
                    tx = x - j + r
                    if tx < 0 or tx >= W or not tmask[ty, tx]:
                        continue
                    sy = ny[ty, tx] + i
                    sx = nx[ty, tx] + j
                    if sharp:
                        if weight[ty, tx] < best:
                            best = weight[ty, tx]
                            by = sy
                            bx = sx
                        continue
                    w = weight[ty, tx] * kern[i, j]
                    for c in range(nc):
                        acc[c] += w * P[sy, sx, c]
                    wsum += w
            if sharp and by >= 0:
                for c in range(nc):
                    out[y, x, c] = P[by, bx, c]
            elif not sharp and wsum > 0.0:
                for c in range(nc):
                    out[y, x, c] = acc[c] / wsum


@nb.njit(cache=True)
def random_init(valid_y, valid_x, tmask, ny, nx, seed: int) -> None:
    """Point every target at a uniformly drawn valid source centre."""
    H, W = tmask.shape
    n = valid_y.shape[0]
    for y in range(H):
        state = _row_state(seed, 7777, y)
        for x in range(W):
            if tmask[y, x]:
                state = _next(state)
                k = state % n
                ny[y, x] = valid_y[k]
                nx[y, x] = valid_x[k]
