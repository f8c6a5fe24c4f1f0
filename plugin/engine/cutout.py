"""Offline subject matte without ML weights: cue maps -> trimap -> GrabCut -> guided-filter edges.

Why this pipeline: GrabCut (OpenCV's colour-GMM graph cut) separates subject and background well
once it is told roughly where each is, but it needs a seed. Without a selection the seed comes from
classical saliency cues that hold for ordinary photos: the subject differs in colour from the
border segments that look like background, it is sharper than a defocused backdrop, and it sits
towards the centre. A user's selection, when given, replaces those cues as a trimap or box. The
hard GrabCut labels are turned into a soft matte by a guided filter on the full-resolution image,
so hair and fur edges follow the picture instead of a staircase.

Everything is deterministic: OpenCV's RNG is seeded before k-means and GrabCut.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from scipy import ndimage

Progress = Callable[[float, str], None]

_WORK_SIDE = 320  # GrabCut runs at this longest side; the matte is refined at full size afterwards
_GRABCUT_ITERS = 5
_SEGMENTS = 8  # border segments per side for the background colour model
_BG_CLUSTERS = 8
_LOW = 0.5  # saliency below this fraction of the Otsu level starts as probable background


def _report(progress: Progress | None, fraction: float, stage: str) -> None:
    if progress:
        progress(fraction, stage)


def _border_segments(lab: np.ndarray, strip: int) -> list[np.ndarray]:
    """Pixels of the image border split into _SEGMENTS pieces per side (top, bottom, left, right)."""
    sides = [lab[:strip], lab[-strip:], lab[:, :strip].transpose(1, 0, 2), lab[:, -strip:].transpose(1, 0, 2)]
    segs = []
    for side in sides:
        length = side.shape[1]
        for i in range(_SEGMENTS):
            segs.append(side[:, i * length // _SEGMENTS : (i + 1) * length // _SEGMENTS].reshape(-1, 3))
    return segs


def _background_segments(lab: np.ndarray, detail: np.ndarray, strip: int) -> np.ndarray:
    """Which border segments show background: boolean, _SEGMENTS per side (top, bottom, left, right).

    A segment is background when its mean colour resembles most other border segments and it is
    not sharper than the picture on average. The subject touching the frame usually fails one of
    the two: it differs in colour, or it is the in-focus part of a shallow-depth photo.
    """
    segs = _border_segments(lab, strip)
    means = np.array([s.mean(axis=0) for s in segs])
    dist = np.linalg.norm(means[:, None] - means[None], axis=-1)
    typical = np.sort(dist, axis=1)[:, 1 : len(segs) // 2 + 1].mean(axis=1)
    keep = typical <= max(float(np.median(typical)) * 1.5, 8.0)
    sharpness = np.array([s[:, 0].mean() for s in _border_segments(detail[..., None].repeat(3, -1), strip)])
    soft = keep & (sharpness < 0.6 * float(detail.mean()))
    # Only trust focus when enough of the border is soft (a defocused backdrop); else colour alone.
    return soft if soft.sum() >= len(segs) // 4 else keep


def _segment_strip_mask(shape: tuple[int, int], chosen: np.ndarray, strip: int) -> np.ndarray:
    """Pixel mask of the chosen border segments."""
    h, w = shape
    mask = np.zeros((h, w), bool)
    for k in np.flatnonzero(chosen):
        side, i = divmod(int(k), _SEGMENTS)
        length = w if side < 2 else h
        a, b = i * length // _SEGMENTS, (i + 1) * length // _SEGMENTS
        if side == 0:
            mask[:strip, a:b] = True
        elif side == 1:
            mask[-strip:, a:b] = True
        elif side == 2:
            mask[a:b, :strip] = True
        else:
            mask[a:b, -strip:] = True
    return mask


def _background_colour_distance(lab: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Per-pixel Lab distance to the nearest background colour cluster, 0..1."""
    pixels = np.ascontiguousarray(pixels, np.float32)
    k = min(_BG_CLUSTERS, len(pixels))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, _, centres = cv2.kmeans(pixels, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    d = np.full(lab.shape[:2], np.inf, np.float32)
    for c in centres:
        np.minimum(d, np.linalg.norm(lab - c, axis=-1), out=d)
    return np.clip(d / (np.percentile(d, 99) + 1e-6), 0.0, 1.0)


def _detail(gray: np.ndarray) -> np.ndarray:
    """Absolute Laplacian at a fine scale: high where the picture is sharp."""
    return np.abs(cv2.Laplacian(cv2.GaussianBlur(gray, (0, 0), 0.7), cv2.CV_32F))


def _focus(detail: np.ndarray) -> np.ndarray:
    """Local fine-detail energy, 0..1: an in-focus subject is sharper than a defocused backdrop."""
    energy = cv2.GaussianBlur(detail, (0, 0), 0.03 * min(detail.shape))
    return np.clip(energy / (np.percentile(energy, 98) + 1e-6), 0.0, 1.0)


def _auto_trimap(rgb: np.ndarray) -> np.ndarray:
    """GrabCut labels without a selection.

    Saliency = (colour distance to the background model, focus) x centre prior. Generously, all
    but the clearly non-salient part starts as probable subject (like GrabCut's rectangle: the
    background model then sheds what it explains); the peak is sure subject, and the border
    segments judged to be background are sure background.
    """
    h, w = rgb.shape[:2]
    lab = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32), (0, 0), 1.0)
    detail = _detail(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32))
    strip = max(2, round(0.04 * min(h, w)))
    background = _segment_strip_mask((h, w), _background_segments(lab, detail, strip), strip)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    centre = np.exp(-(((xx - w / 2) / (0.5 * w)) ** 2 + ((yy - h / 2) / (0.5 * h)) ** 2))
    s = (0.6 * _background_colour_distance(lab, lab[background]) + 0.4 * _focus(detail)) * centre
    s = cv2.GaussianBlur(s, (0, 0), 2.0)
    s /= s.max() + 1e-6
    t, _ = cv2.threshold((s * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t /= 255.0
    labels = np.where(s > _LOW * t, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    labels[s > min(0.9, t + 0.5 * (1 - t))] = cv2.GC_FGD
    labels[background] = cv2.GC_BGD
    return labels


def _trimap_from_hint(hint: np.ndarray) -> np.ndarray:
    """GrabCut labels from a user selection.

    A box-like selection is GrabCut's classic rectangle (inside probable subject, outside sure
    background). A shaped selection is a trimap: only a band around its edge is uncertain.
    """
    inside = hint >= 128
    labels = np.full(hint.shape, cv2.GC_BGD, np.uint8)
    if not inside.any():
        return labels
    ys, xs = np.nonzero(inside)
    box_area = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    if inside.sum() >= 0.9 * box_area:
        labels[inside] = cv2.GC_PR_FGD
        return labels
    band = max(3, round(0.03 * max(hint.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    core = cv2.erode(inside.astype(np.uint8), kernel).astype(bool)
    near = cv2.dilate(inside.astype(np.uint8), kernel).astype(bool)
    labels[near] = cv2.GC_PR_BGD
    labels[inside] = cv2.GC_PR_FGD
    labels[core] = cv2.GC_FGD
    return labels


def _grabcut(rgb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Run GrabCut seeded by labels; returns a boolean subject mask. Falls back to the seed."""
    fg_seed = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if fg_seed.all() or not fg_seed.any() or (labels == cv2.GC_FGD).all():
        return fg_seed
    cv2.setRNGSeed(0)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    mask = labels.copy()
    try:
        cv2.grabCut(np.ascontiguousarray(rgb), mask, None, bgd, fgd, _GRABCUT_ITERS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # GrabCut refuses when one class has too few samples for its GMM
        return fg_seed
    return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))


def _clean(mask: np.ndarray, keep_near: np.ndarray | None) -> np.ndarray:
    """Drop specks: keep components that are large or touch the sure-subject seed; fill holes."""
    lab, n = ndimage.label(mask)
    if n == 0:
        return mask
    sizes = ndimage.sum(mask, lab, index=np.arange(1, n + 1))
    keep = sizes >= 0.05 * sizes.max()
    if keep_near is not None:
        touched = np.unique(lab[keep_near & mask])
        keep[touched[touched > 0] - 1] = True
    return ndimage.binary_fill_holes(keep[lab - 1] & mask)


def _guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s grey-guide guided filter: edges of the output follow edges of the guide."""

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(src)
    cov = box(guide * src) - mean_i * mean_p
    var = box(guide * guide) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    return box(a) * guide + box(b)


def subject_mask(rgb: np.ndarray, hint: np.ndarray | None = None, progress: Progress | None = None) -> np.ndarray:
    """HxW uint8 alpha matte of the main subject (255 = subject), soft edges.

    `hint` (HxW uint8) is the user's selection when there is one: a box or a rough outline whose
    edge is refined within a band. None detects the subject automatically (salient, centred,
    different from the border colours, in focus).
    """
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f"expected HxWx3 RGB, got {rgb.shape}")
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    if hint is not None and hint.shape != (h, w):
        raise ValueError(f"hint must be {h}x{w}, got {hint.shape}")
    scale = min(1.0, _WORK_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    _report(progress, 0.1, "finding the subject")
    if hint is None:
        labels = _auto_trimap(small)
    else:
        small_hint = cv2.resize(hint, size, interpolation=cv2.INTER_AREA) if scale < 1 else hint
        labels = _trimap_from_hint(small_hint)
    _report(progress, 0.3, "separating subject and background")
    mask = _clean(_grabcut(small, labels), labels == cv2.GC_FGD)
    _report(progress, 0.8, "refining edges")
    coarse = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    guide = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    radius = max(2, round(min(h, w) / 100))
    matte = _guided_filter(guide, coarse, radius, 1e-3)
    # Stretch so the matte is fully opaque inside and fully clear outside; only the edge stays soft.
    matte = np.clip((matte - 0.1) / 0.8, 0.0, 1.0)
    _report(progress, 1.0, "done")
    return (matte * 255 + 0.5).astype(np.uint8)
