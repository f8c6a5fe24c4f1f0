"""Multi-scale exemplar-based hole synthesis (Wexler et al. 2007, with Barnes et al. 2009 PatchMatch).

Coarse to fine: at each level, expectation-maximisation alternates a PatchMatch nearest-neighbour
search (each patch touching the hole finds its most similar fully-known patch) with voting (each hole
pixel becomes the weighted mean of the pixels those patches propose). The coarsest level starts
from a smooth pull-push fill; each finer level starts from the coarser field, doubled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from plugin.engine import patch_kernels as K
from plugin.engine.patch_blend import membrane, ring
from plugin.engine.patch_pyramid import box_any, box_count, downsample, pull_push, upsample_field

Progress = Callable[[float, str], None]

PATCH = 7
MIN_COARSE_SOURCES = 64
CLAMP = 40.0
FADE = 48.0
SMOOTH = 0.0


@dataclass(frozen=True)
class Schedule:
    """How much work each level gets; coarse levels are cheap, so they get more iterations."""

    em_coarse: int = 12
    """Search-and-vote rounds on each coarse pyramid level."""
    em_fine: int = 4
    """Rounds on the finest level, the costly one."""
    pm_first: int = 4
    """PatchMatch sweeps in a level's first round (from the upsampled guess, far from converged)."""
    pm_next: int = 2
    """Sweeps in each later round, which only polish."""
    spatial: float = 0.0
    """Sigma (px) of the vote's preference for patch centres on the finest level; 0 votes flat."""
    quantile: float = 10.0
    """Percentile of patch distances that scales the vote's similarity weights."""
    texture: float = 4.0
    """Weight of the gradient-energy features beside colour (tells fur from a blur of its hue)."""
    sharp_levels: int = 1
    """How many of the finest levels end with sharp (best-patch) votes, which keep grain."""
    diversity: float = 0.0
    """Cost of reusing a source patch already copied elsewhere, in typical patch distances."""
    sharp_iters: int = 1
    """How many last rounds of those levels vote sharply."""
    proximity: float = 0.0
    """Cost per `near` px of a source patch's distance from the hole, in typical patch distances."""
    locality: float = 0.0
    """Cost per `near` px between a target patch and its source, in typical patch distances."""


def _valid(hole: np.ndarray, r: int) -> np.ndarray:
    """Source centres whose whole patch lies on known pixels inside the image.

    A patch reaching past the image edge would be made of replicated rows or columns: the
    smoothest patches there are, so a blurry first estimate matches them and the fill comes out
    streaked.
    """
    valid = box_count(hole, r) == 0
    if r > 0:
        valid[:r] = valid[-r:] = False
        valid[:, :r] = valid[:, -r:] = False
    return valid


class NothingToSampleFrom(ValueError):
    """The hole leaves no fully known patch to copy from (it covers, or nearly covers, the picture)."""

    def __init__(self) -> None:
        super().__init__("nothing left to sample from")


def _patch_size(hole: np.ndarray) -> int:
    """Largest odd patch that still leaves at least one fully known source patch."""
    for psz in (PATCH, 5, 3, 1):
        if _valid(hole, psz // 2).any():
            return psz
    raise NothingToSampleFrom()


def build_pyramid(img: np.ndarray, hole: np.ndarray, psz: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Halve until the hole is no thicker than a patch, or the context would become too small."""
    r = psz // 2
    full = (2 * r + 1) ** 2
    levels = [(img, hole)]
    while True:
        im, ho = levels[-1]
        if min(ho.shape) < 4 * psz or psz == 1:
            break
        if not (box_count(ho, r) == full).any():
            break
        cim, cho = downsample(im, ho)
        if np.count_nonzero(_valid(cho, r)) < MIN_COARSE_SOURCES:
            break
        levels.append((cim, cho))
    return levels


def _bounds(h: int, pass_no: int, psz: int) -> np.ndarray:
    """Row bands for one parallel sweep; the boundaries move every other sweep."""
    n = max(1, min(8, h // (4 * psz)))
    bh = -(-h // n)
    shift = (pass_no % 2) * (bh // 2)
    cuts = [0] + [min(h, shift + i * bh) for i in range(1, n + 1)] + [h]
    return np.unique(np.array(cuts, dtype=np.int64))


def _kernel(psz: int, sigma: float) -> np.ndarray:
    """Per-offset vote weights: flat, or a Gaussian of `sigma` px favouring patch centres."""
    if sigma <= 0:
        return np.ones((psz, psz), np.float32)
    g = np.exp(-0.5 * ((np.arange(psz) - psz // 2) / sigma) ** 2)
    return np.outer(g, g).astype(np.float32)


def _weights(dist: np.ndarray, tmask: np.ndarray, quantile: float = 75.0) -> np.ndarray:
    """Wexler's similarity weights exp(-d / 2 sigma^2), sigma^2 the 75th percentile distance."""
    d = dist[tmask]
    s2 = float(np.percentile(d, quantile)) if d.size else 1.0
    w = np.zeros_like(dist)
    w[tmask] = np.exp(-np.minimum(d / (2.0 * max(s2, 1e-3)), 30.0))
    return w.astype(np.float32)


def _redraw_invalid(ny, nx, valid, tmask, vy, vx, seed: int) -> None:
    bad = tmask & ~valid[ny, nx]
    n = int(np.count_nonzero(bad))
    if n:
        k = np.random.default_rng(seed).integers(0, vy.size, n)
        ny[bad] = vy[k]
        nx[bad] = vx[k]


def synthesize(
    img: np.ndarray,
    hole: np.ndarray,
    seed: int = 0,
    progress: Progress | None = None,
    schedule: Schedule = Schedule(),
    blend: bool = True,
    near: float = 0.0,
    source_cost: np.ndarray | None = None,
) -> np.ndarray:
    """Return a float32 copy of `img` (HxWx3) with `hole` filled by patch synthesis.

    near > 0 takes source patches only from within `near` px of the hole (canvas expansion: the
    context next to the border continues best, and a salient object far inside is not repeated).
    source_cost (HxW, in typical patch distances) is added to every match with a source patch
    centred there: a cost on copying, say, a badge or an eye.
    """
    hole = np.ascontiguousarray(hole, bool)  # a view of a larger mask would compile the kernels again
    psz = _patch_size(hole)
    r = psz // 2
    img = img.astype(np.float32)
    if schedule.texture > 0:
        img = np.concatenate([img, schedule.texture * texture_features(img, hole)], axis=2)
    levels = build_pyramid(img, hole, psz)
    nlev = len(levels)
    costs = [
        float(np.count_nonzero(ho)) * (schedule.em_fine if i == 0 else schedule.em_coarse)
        for i, (_, ho) in enumerate(levels)
    ]
    total, done = sum(costs) or 1.0, 0.0
    ny = nx = None
    cur = levels[-1][0]
    for li in range(nlev - 1, -1, -1):
        im, ho = levels[li]
        h, w = ho.shape
        tmask = box_any(ho, r)
        valid = _valid(ho, r)
        far, reach = None, 1.0
        if near > 0:
            reach = max(near / 2**li, 2 * psz)
            far = (ndimage.distance_transform_edt(~ho) / reach).astype(np.float32)
            band = valid & (far <= 1.0)
            if np.count_nonzero(band) >= MIN_COARSE_SOURCES:
                valid = band
        vy, vx = (a.astype(np.int32) for a in np.nonzero(valid))
        lcost = None if source_cost is None else _at_level(source_cost, li, (h, w))
        # sources lie within `reach` of the hole: a wider random search would only draw invalid ones
        radius = max(h, w) if far is None else int(min(max(h, w), 2 * reach + psz))
        lseed = seed * 1000003 + li * 7919
        if ny is None:
            cur = pull_push(im, ho)
            ny = np.zeros((h, w), np.int32)
            nx = np.zeros((h, w), np.int32)
            K.random_init(vy, vx, tmask, ny, nx, lseed)
        else:
            ny, nx = upsample_field(ny, nx, (h, w))
            _redraw_invalid(ny, nx, valid, tmask, vy, vx, lseed)
            cur = im.copy()
            P = np.pad(cur, ((r, r), (r, r), (0, 0)), mode="edge")
            K.vote(P, ho, tmask, ny, nx, np.ones((h, w), np.float32), _kernel(psz, 0.0), psz, cur)
        n_em = schedule.em_fine if li == 0 else schedule.em_coarse
        dist = np.zeros((h, w), np.float32)
        zero = np.zeros((h, w), np.float32)
        pass_no = 0
        for em in range(n_em):
            P = np.pad(cur, ((r, r), (r, r), (0, 0)), mode="edge")
            K.compute_dist(P, tmask, ny, nx, psz, dist, zero)
            pen, lam = _costs(ny, nx, dist, tmask, ho, psz, schedule, far, reach, lcost)
            dist[tmask] += pen[ny[tmask], nx[tmask]]
            if lam > 0:
                ty, tx = np.nonzero(tmask)
                dist[tmask] += lam * np.hypot(ny[tmask] - ty, nx[tmask] - tx).astype(np.float32)
            for _ in range(schedule.pm_first if em == 0 else schedule.pm_next):
                bounds, forward = _bounds(h, pass_no, psz), pass_no % 2 == 0
                K.patchmatch_pass(P, valid, pen, tmask, ny, nx, dist, psz, bounds, forward, lseed, pass_no, radius, lam)
                pass_no += 1
            weights = _weights(dist, tmask, schedule.quantile)
            kern = _kernel(psz, schedule.spatial if li == 0 else 0.0)
            if li < schedule.sharp_levels and em >= n_em - schedule.sharp_iters:
                K.vote(P, ho, tmask, ny, nx, dist, kern, psz, cur, True)
            else:
                K.vote(P, ho, tmask, ny, nx, weights, kern, psz, cur)
            if progress is not None:
                done += costs[li] / n_em
                progress(min(done / total, 1.0), f"synthesising level {nlev - li} of {nlev}")
    cur = np.ascontiguousarray(cur[..., :3])
    if blend:
        _match_colours(cur, levels[0][0][..., :3], levels[0][1], ny, nx, weights, psz)
    return cur


def _costs(
    ny, nx, dist, tmask, hole, psz: int, schedule: Schedule, far, reach: float, source_cost
) -> tuple[np.ndarray, float]:
    """Per-source cost map and per-px locality cost, in units of the median patch distance `dist`."""
    pen = _reuse_penalty(ny, nx, dist, tmask, hole, psz, schedule.diversity)
    scale = float(np.median(dist[tmask])) if tmask.any() else 0.0
    lam = 0.0
    if far is not None:
        if schedule.proximity > 0:
            pen += schedule.proximity * scale * far
        lam = schedule.locality * scale / reach
    if source_cost is not None:
        pen += scale * source_cost
    return pen, lam


def _at_level(cost: np.ndarray, li: int, shape: tuple[int, int]) -> np.ndarray:
    """A full-resolution per-pixel map, block-averaged down to pyramid level `li`."""
    if li == 0:
        return cost.astype(np.float32, copy=False)
    f = 2**li
    h, w = cost.shape
    ph, pw = -h % f, -w % f
    c = np.pad(cost.astype(np.float32), ((0, ph), (0, pw)), mode="edge")
    small = c.reshape(c.shape[0] // f, f, c.shape[1] // f, f).mean((1, 3))
    out = np.zeros(shape, np.float32)
    hh, ww = min(shape[0], small.shape[0]), min(shape[1], small.shape[1])
    out[:hh, :ww] = small[:hh, :ww]
    return out


def _reuse_penalty(ny, nx, dist, tmask, hole, psz: int, strength: float) -> np.ndarray:
    """A cost on source patches the fill already copies more than once (Kaspar et al. 2015).

    Without it one smooth patch that matches the blurry early estimate well gets copied all over a
    large hole, which then comes out flat or shows the same detail twice. The cost grows with how
    many times an area is already used, in units of the typical patch distance.
    """
    h, w = tmask.shape
    if strength <= 0:
        return np.zeros((h, w), np.float32)
    tgt = tmask & hole
    occ = np.bincount((ny[tgt] * w + nx[tgt]).ravel(), minlength=h * w).reshape(h, w).astype(np.float32)
    used = ndimage.uniform_filter(occ, psz, mode="constant")
    scale = float(np.median(dist[tmask])) if tmask.any() else 0.0
    return (strength * scale * np.maximum(used - 1.0, 0.0)).astype(np.float32)


def texture_features(img: np.ndarray, hole: np.ndarray, size: int = 5) -> np.ndarray:
    """Local mean of |dI/dx| and |dI/dy| (Newson et al. 2014), from known pixels only.

    Carried through the pyramid and voted like colour, they tell fur from a blurred background of
    the same hue at coarse scales, where plain colour cannot, so the fill does not collapse to smooth.
    """
    g = img[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    known = ~hole
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    okx = known[:, 1:] & known[:, :-1]
    oky = known[1:] & known[:-1]
    gx[:, :-1] = np.abs(np.diff(g, axis=1)) * okx
    gy[:-1] = np.abs(np.diff(g, axis=0)) * oky
    cx = np.zeros_like(g)
    cy = np.zeros_like(g)
    cx[:, :-1] = okx
    cy[:-1] = oky
    out = np.empty(g.shape + (2,), np.float32)
    for k, (v, c) in enumerate(((gx, cx), (gy, cy))):
        out[..., k] = ndimage.uniform_filter(v, size) / np.maximum(ndimage.uniform_filter(c, size), 1e-3)
    return out


def _match_colours(cur, img, hole, ny, nx, weights, psz: int) -> None:
    """Shift the fill by a membrane so that it meets the known pixels without a step (in place).

    The boundary difference is clamped and smoothed along the ring first, so one bright spot that
    the patches did not reproduce cannot tint the whole fill; the shift fades with distance
    from the edge (FADE px), so a wide canvas extension keeps the colours of the patches it copied.
    """
    rg = ring(hole, 3)
    if not rg.any():
        return
    ys, xs = np.nonzero(hole | rg)
    sl = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    r = psz // 2
    tmask = box_any(hole, r)
    proposal = np.zeros_like(cur)
    P = np.pad(cur, ((r, r), (r, r), (0, 0)), mode="edge")
    K.vote(P, rg, tmask, ny, nx, weights, _kernel(psz, 0.0), psz, proposal)
    rgs, hs = rg[sl], hole[sl]
    diff = np.where(rgs[..., None], np.clip(img[sl] - proposal[sl], -CLAMP, CLAMP), 0.0)
    num = ndimage.gaussian_filter(diff, (SMOOTH, SMOOTH, 0))
    den = ndimage.gaussian_filter(rgs.astype(np.float32), SMOOTH)[..., None]
    smooth = np.where(rgs[..., None], num / np.maximum(den, 1e-6), 0.0).astype(np.float32)
    corr = membrane(smooth, rgs)
    fade = 1.0 / (1.0 + (ndimage.distance_transform_edt(hs) / FADE) ** 2)
    cur[sl][hs] += corr[hs] * fade[hs][:, None]
