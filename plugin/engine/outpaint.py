"""Canvas expansion: synthesise the new border area from the image itself.

The fill is built in two layers, so that neither can show a seam or a blotch:

* broad colour: a membrane (harmonic, Laplace) continuation of the photo's blurred border colours.
  It meets the border exactly, is as smooth as possible, and by the maximum principle can never be
  darker or brighter than the border it comes from: no dark blotch, no brightness step from patches
  that were copied from a brighter part of the sky. The border's gradient goes on for a few px
  (bounded), so a vignette does not turn round on the border line; the patches' own broad colour,
  made to meet the border (Poisson), may depart from the membrane only as much as the photo's
  broad colour varies there: a shoulder can go on, a smooth sky stays smooth;
* detail: in the BAND px next to the border, the photo's own detail mirrored across it (so the
  first pixels continue its texture and lines exactly), fading over MIRROR px into the detail of a
  patch-based synthesis (PatchMatch) whose sources lie near the border and near the target, and
  cost more when already used or of a rare colour (a badge, an eye, a lamp); then the photo's
  grain where the synthesis came out smoother (plugin.engine.grain).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from plugin.engine.grain import add_grain
from plugin.engine.patch_blend import membrane, ring
from plugin.engine.patch_fill import Schedule, synthesize

Progress = Callable[[float, str], None]

SIGMA = 8.0
"""Blur (px) that splits broad colour (membrane) from detail (patches) in the fill."""
SIGMA_BORDER = 3.0
"""Blur (px) of the photo and its reflection: the broad colour the membrane starts from at the border."""
BAND = 6
"""Depth (px) of the band next to the border where the patches overlap the photo: matched to the
border's brightness there, they jump to their own a few px further out (a step of up to 10 levels
in a graded sky). The band shows only the reflection, and no blur reaches into it."""
MIRROR = 6
"""Width (px) beyond the band over which the reflected border detail fades into the synthesised detail."""
GUARD = 1.0
"""How far the patches' broad colour may depart from the membrane, in multiples of the photo's own
broad-colour variation near the border."""
SLOPE_BASE = 6
"""Depth (px) inside the photo over which each border's brightness gradient is measured."""
SLOPE_REACH = 12.0
"""The gradient's continuation levels off after about this many px."""
SLOPE_CLAMP = 6.0
"""Most it may add, in 8-bit levels."""
NEAR = 1.5
"""Source patches come from within this many margin widths of the border."""
SALIENCY = 3.0
"""Cost, in typical patch distances, of copying the rarest colours (see `rarity`)."""
MAX_PIXELS = 4_000_000
"""Largest canvas synthesised at full size. Memory grows with the canvas (about 250 bytes a pixel),
so a bigger one is synthesised smaller, enlarged, and given back its fine detail along the border
(the photo's reflection) and its grain, strip by strip."""
SCHEDULE = Schedule(diversity=0.5, proximity=1.0, locality=1.0, em_coarse=8, pm_next=1)
"""Reuse of one source area costs, and so does distance from the border: the fill continues what is
next to the border and does not repeat a salient object (a badge, an eye) from further inside."""


def _blur_known(img: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of the known pixels only (normalised convolution)."""
    k = known.astype(np.float32)
    num = ndimage.gaussian_filter(img * k[..., None], (sigma, sigma, 0))
    den = ndimage.gaussian_filter(k, sigma)[..., None]
    return (num / np.maximum(den, 1e-6)).astype(np.float32)


def rarity(rgb: np.ndarray) -> np.ndarray:
    """How unusual each pixel's colour is in the photo, 0 (common) to 2 (rare), smoothed over a patch.

    A global colour-contrast saliency (Cheng et al. 2011, histogram form): a badge on a suit, an eye
    or a lamp has colours the rest of the picture hardly has, and copying one into the margin is
    what a viewer spots first.
    """
    q = 8
    smooth = ndimage.gaussian_filter(rgb.astype(np.float32), (1.5, 1.5, 0))
    idx = np.clip((smooth * (q / 256.0)).astype(np.int64), 0, q - 1)
    code = (idx[..., 0] * q + idx[..., 1]) * q + idx[..., 2]
    hist = np.bincount(code.ravel(), minlength=q**3).astype(np.float64).reshape(q, q, q)
    p = ndimage.gaussian_filter(hist, 0.7).ravel()
    r = ndimage.gaussian_filter(-np.log(p[code] / p.sum() + 1e-6), 3.0)
    mid, high = np.median(r), np.percentile(r, 95)
    return np.clip((r - mid) / max(high - mid, 1e-6), 0.0, 2.0).astype(np.float32)


def _reflect(rgb: np.ndarray, margins: tuple[int, int, int, int]) -> np.ndarray:
    """The photo mirrored across each border, its outermost line repeated (numpy's "symmetric").

    Mirroring about the outermost pixel instead ("reflect") makes every line that meets the border
    peak there, a sharper seam than the photo's own (seam measure 1.2 against 0.9 on the rocket).
    """
    left, top, right, bottom = margins
    h, w = rgb.shape[:2]
    return _reflect_window(rgb, (top, left), (0, h + top + bottom), (0, w + left + right))


def _reflect_window(
    rgb: np.ndarray, origin: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int]
) -> np.ndarray:
    """Rows and columns [start, stop) of the reflected canvas, the photo's corner at `origin` (y, x):
    a strip of a huge canvas costs only the strip."""
    h, w = rgb.shape[:2]
    yy = _mirror_index(np.arange(*rows) - origin[0], h)
    xx = _mirror_index(np.arange(*cols) - origin[1], w)
    return rgb[yy][:, xx].astype(np.float32)


def _mirror_index(i: np.ndarray, n: int) -> np.ndarray:
    """numpy's "symmetric" padding as indices: -1 -> 0, -2 -> 1, n -> n - 1, ..."""
    period = 2 * n
    i = np.mod(i, period)
    return np.where(i < n, i, period - 1 - i)


def _mirror_detail(reflected: np.ndarray) -> np.ndarray:
    """The reflection's fine detail, what it adds to the broad colour next to the border."""
    return reflected - ndimage.gaussian_filter(reflected, (SIGMA_BORDER, SIGMA_BORDER, 0))


def _mirror_share(dist: np.ndarray) -> np.ndarray:
    """HxWx1: the band is all reflection; beyond it the share falls smoothly to 0 over MIRROR px."""
    t = np.clip((dist - BAND) / MIRROR, 0.0, 1.0)
    return (1.0 - t * t * (3.0 - 2.0 * t))[..., None]


def _activity(low: np.ndarray, known: np.ndarray, f: int = 4) -> np.ndarray:
    """RMS of the photo's broad colour around its mean over ~4 SIGMA, carried into the hole as a
    membrane (HxWx1). Worked out at 1/f size: it only sets how much freedom the fill gets."""
    h, w = known.shape
    ph, pw = -h % f, -w % f
    k = np.pad(known, ((0, ph), (0, pw))).astype(np.float32)
    v = np.pad(low * known[..., None], ((0, ph), (0, pw), (0, 0)))
    n = k.reshape(k.shape[0] // f, f, k.shape[1] // f, f).sum((1, 3))
    small = v.reshape(v.shape[0] // f, f, v.shape[1] // f, f, 3).sum((1, 3)) / np.maximum(n, 1)[..., None]
    kn = n > 0
    wide = _blur_known(small, kn, 4 * SIGMA / f)
    act = np.sqrt(_blur_known(((small - wide) ** 2).sum(2, keepdims=True), kn, 2 * SIGMA / f))
    act = membrane(np.where(kn[..., None], act, 0.0).astype(np.float32), kn)
    return np.repeat(np.repeat(act, f, 0), f, 1)[:h, :w]


def _slope_continuation(canvas: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A short, bounded carrying-on of the photo's broad brightness gradient across each border.

    A membrane alone leaves the border's gradient there at once: where a vignette darkens towards
    the edge, the darkest line sits exactly on the border and reads as a frame. So each side's
    gradient (measured SLOPE_BASE px deep, smoothed along the side) goes on for about SLOPE_REACH px,
    then levels off, and never adds more than SLOPE_CLAMP levels: no overshoot, no blotch.
    """
    top, bottom, left, right = box
    H, W = canvas.shape[:2]
    # light blur across the side (a heavy one would flatten the very gradient it measures); the
    # slopes are smoothed along the side instead
    low = ndimage.gaussian_filter(canvas[top:bottom, left:right], (1.0, 1.0, 0))
    k = min(SLOPE_BASE, low.shape[0] - 1, low.shape[1] - 1)
    out = np.zeros_like(canvas)
    if k < 1:
        return out

    def reach(d: np.ndarray) -> np.ndarray:
        return SLOPE_REACH * (1.0 - np.exp(-d / SLOPE_REACH))

    # (slope along the side, px beyond it) per side, the slope spread to the corners by edge values
    cols = np.clip(np.arange(W) - left, 0, right - left - 1)
    rows = np.clip(np.arange(H) - top, 0, bottom - top - 1)
    if top > 0:
        s = ndimage.gaussian_filter1d((low[0] - low[k]) / k, SIGMA * 2, axis=0)[cols]
        d = (top - np.arange(top)).astype(np.float32)
        out[:top] += np.clip(reach(d)[:, None, None] * s[None], -SLOPE_CLAMP, SLOPE_CLAMP)
    if bottom < H:
        s = ndimage.gaussian_filter1d((low[-1] - low[-1 - k]) / k, SIGMA * 2, axis=0)[cols]
        d = (np.arange(bottom, H) - bottom + 1).astype(np.float32)
        out[bottom:] += np.clip(reach(d)[:, None, None] * s[None], -SLOPE_CLAMP, SLOPE_CLAMP)
    if left > 0:
        s = ndimage.gaussian_filter1d((low[:, 0] - low[:, k]) / k, SIGMA * 2, axis=0)[rows]
        d = (left - np.arange(left)).astype(np.float32)
        out[:, :left] += np.clip(reach(d)[None, :, None] * s[:, None], -SLOPE_CLAMP, SLOPE_CLAMP)
    if right < W:
        s = ndimage.gaussian_filter1d((low[:, -1] - low[:, -1 - k]) / k, SIGMA * 2, axis=0)[rows]
        d = (np.arange(right, W) - right + 1).astype(np.float32)
        out[:, right:] += np.clip(reach(d)[None, :, None] * s[:, None], -SLOPE_CLAMP, SLOPE_CLAMP)
    return out


def blend_fill(
    filled: np.ndarray, canvas: np.ndarray, hole: np.ndarray, reflected: np.ndarray, box: tuple[int, int, int, int]
) -> np.ndarray:
    """Broad colour from the membrane, detail from the reflection near the border, then the patches."""
    known = ~hole
    low = _blur_known(canvas, known, SIGMA_BORDER)
    base = membrane(np.where(known[..., None], low, 0.0).astype(np.float32), known)
    # the fill's own blur, from fill pixels only: a step against the photo must not leak in as detail.
    # Its first px (under the reflection anyway) are left out too: patches voted right at the border
    # are often darker or lighter, and a blur of that band would ring as a faint line beside it.
    dist = ndimage.distance_transform_edt(hole)
    inner = dist > BAND
    lf = _blur_known(filled, inner if inner.any() else hole, SIGMA)
    detail = filled - lf
    # the patches' own broad colour, made to meet the border (Poisson), may depart from the membrane
    # as much as the photo's broad colour varies near that part of the border: freely beside a
    # busy border (a shoulder going on), hardly at all in a smooth sky, where it would be a blotch
    rg = ring(hole, 2)
    corr = membrane(np.where(rg[..., None], low - lf, 0.0).astype(np.float32), rg)
    guard = np.clip(GUARD * _activity(low, known), 0.5, 48.0)
    base = base + np.clip(lf + corr - base, -guard, guard) + _slope_continuation(canvas, box)
    w = _mirror_share(dist)
    out = filled.copy()
    out[hole] = (base + w * _mirror_detail(reflected) + (1.0 - w) * detail)[hole]
    return out


def extend_canvas(
    rgb: np.ndarray, margins: tuple[int, int, int, int], seed: int = 0, progress: Progress | None = None
) -> np.ndarray:
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
    if H * W > MAX_PIXELS and (H, W) != (h, w):
        return _extend_large(rgb, (left, top, right, bottom), seed, progress)
    canvas = np.zeros((H, W, 3), np.float32)
    canvas[top : top + h, left : left + w] = rgb
    hole = np.ones((H, W), bool)
    hole[top : top + h, left : left + w] = False
    out = np.zeros((H, W, 3), np.uint8)
    out[top : top + h, left : left + w] = rgb
    if hole.any():
        near = NEAR * max(left, top, right, bottom)
        cost = np.zeros((H, W), np.float32)
        cost[top : top + h, left : left + w] = SALIENCY * rarity(rgb)
        filled = synthesize(canvas, hole, seed, progress, SCHEDULE, blend=False, near=near, source_cost=cost)
        filled = blend_fill(
            filled, canvas, hole, _reflect(rgb, (left, top, right, bottom)), (top, top + h, left, left + w)
        )
        add_grain(filled, hole, seed)
        out[hole] = np.clip(np.rint(filled[hole]), 0, 255).astype(np.uint8)
    if progress is not None:
        progress(1.0, "done")
    return out


def _extend_large(
    rgb: np.ndarray, margins: tuple[int, int, int, int], seed: int, progress: Progress | None
) -> np.ndarray:
    """extend_canvas for a canvas over MAX_PIXELS: synthesised at a scale that fits, then enlarged."""
    from PIL import Image

    left, top, right, bottom = margins
    h, w = rgb.shape[:2]
    H, W = h + top + bottom, w + left + right
    scale = float(np.sqrt(MAX_PIXELS / (H * W))) * 0.98
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small_margins = tuple(max(1, round(m * scale)) if m > 0 else 0 for m in margins)
    small = np.asarray(Image.fromarray(rgb).resize((sw, sh), Image.LANCZOS))
    filled = extend_canvas(small, small_margins, seed, progress)
    out = np.asarray(Image.fromarray(filled).resize((W, H), Image.LANCZOS)).copy()
    out[top : top + h, left : left + w] = rgb
    # each margin with BAND + MIRROR px of the photo beside it: the reflection's fine detail along
    # the border, then the grain; the strips do not overlap inside the margins
    reach = BAND + MIRROR
    strips = []
    if top:
        strips.append((slice(0, top + reach), slice(0, W)))
    if bottom:
        strips.append((slice(top + h - reach, H), slice(0, W)))
    if left:
        strips.append((slice(top, top + h), slice(0, left + reach)))
    if right:
        strips.append((slice(top, top + h), slice(left + w - reach, W)))
    for k, (ys, xs) in enumerate(strips):
        _finish_strip(out, rgb, margins, ys, xs, seed + k)
    return out


def _finish_strip(
    out: np.ndarray, rgb: np.ndarray, margins: tuple[int, int, int, int], ys: slice, xs: slice, seed: int
) -> None:
    """Add the reflection's detail next to the border and the photo's grain to one strip (in place)."""
    left, top = margins[:2]
    h, w = rgb.shape[:2]
    H, W = out.shape[:2]
    y0, y1 = max(0, ys.start), min(H, ys.stop)
    x0, x1 = max(0, xs.start), min(W, xs.stop)
    known = np.zeros((y1 - y0, x1 - x0), bool)
    ky0, ky1 = max(top, y0) - y0, min(top + h, y1) - y0
    kx0, kx1 = max(left, x0) - x0, min(left + w, x1) - x0
    if ky1 > ky0 and kx1 > kx0:
        known[ky0:ky1, kx0:kx1] = True
    hole = ~known
    if not hole.any():
        return
    mirror = _mirror_detail(_reflect_window(rgb, (top, left), (y0, y1), (x0, x1)))
    part = out[y0:y1, x0:x1].astype(np.float32)
    part += np.where(hole[..., None], _mirror_share(ndimage.distance_transform_edt(hole)) * mirror, 0.0)
    add_grain(part, hole, seed)
    out[y0:y1, x0:x1][hole] = np.clip(np.rint(part[hole]), 0, 255).astype(np.uint8)
