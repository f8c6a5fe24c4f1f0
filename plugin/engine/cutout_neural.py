"""The subject matte: U-2-Net-p's guess, finished by GrabCut and a guided filter at full resolution.

Why both: the network knows what a subject is (a person, an animal, an object) where colour cues
alone keep a star field and lose a dark coat, but it sees only 320 x 320 and its map is soft and
loses thin parts. So its map becomes GrabCut's seed: confident subject and background are fixed,
the uncertain band between is decided by colour models learnt from the picture itself, and the
guided filter turns the hard labels into edges that follow the picture at full size. A selection,
when given, still marks the subject: outside it (grown a little) is background, inside it the
network and GrabCut decide. Without the model file the classical cut-out (cutout.py) runs, and the
note says so.
"""

from __future__ import annotations

import cv2
import numpy as np

from plugin import model_files
from plugin.engine import cutout, u2net

_WORK_SIDE = 512  # GrabCut's working size (longest side); the matte is refined at full size after
_SURE = 0.85  # network probability above which a pixel is taken as subject (after erosion)
_LIKELY = 0.3  # above which GrabCut starts it as probable subject (a dark part on a dark ground scores low)
_NONE = 0.08  # below which (after dilation of the rest) it is taken as background...
_FAR = 0.35  # ...but only this far (fraction of the longest side) from the network's subject


def _trimap(prob: np.ndarray, hint: np.ndarray | None) -> np.ndarray:
    """GrabCut labels from the network's probability (and the user's selection, when given)."""
    h, w = prob.shape
    band = max(2, round(0.015 * max(h, w)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    sure = cv2.erode((prob >= _SURE).astype(np.uint8), kernel).astype(bool)
    maybe = cv2.dilate((prob >= _NONE).astype(np.uint8), kernel).astype(bool)
    labels = np.where(prob >= _LIKELY, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    # the network misses parts whose colour runs into the background (a dark coat on a night sky, a
    # camera held at arm's length, a tripod's legs): GrabCut may still claim them anywhere near the
    # subject, so only far away is background sure. Chosen on the dark tuning cases (bench/):
    # 0.15 of the side lost a dark camera and its tripod on a dark ground that 0.35 keeps.
    reach = max(3, round(_FAR * max(h, w)))
    far = ~cv2.dilate(
        (prob >= 0.5).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    ).astype(bool)
    labels[~maybe & far] = cv2.GC_BGD
    labels[sure] = cv2.GC_FGD
    if hint is not None:
        outside = ~cv2.dilate((hint >= 128).astype(np.uint8), kernel).astype(bool)
        labels[outside] = cv2.GC_BGD
    return labels


def find_subject(
    rgb: np.ndarray, hint: np.ndarray | None = None, progress: cutout.Progress | None = None
) -> tuple[np.ndarray, str]:
    """(HxW uint8 matte, 255 = subject, soft edges; a note for the user, "" when the model ran)."""
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    files = model_files.paths("u2netp")
    if files is None:
        note = model_files.missing_note("U-2-Net-p cut-out", "cut-out (colour and focus cues, GrabCut)")
        return cutout.subject_mask(rgb, hint=hint, progress=progress), note
    h, w = rgb.shape[:2]
    if hint is not None and hint.shape != (h, w):
        raise ValueError(f"hint must be {h}x{w}, got {hint.shape}")
    cutout._report(progress, 0.1, "finding the subject")
    prob = _saliency_in(rgb, hint, files[0])
    scale = min(1.0, _WORK_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    small_prob = cv2.resize(prob, size, interpolation=cv2.INTER_AREA) if scale < 1 else prob
    small_hint = None if hint is None else (cv2.resize(hint, size, interpolation=cv2.INTER_AREA) if scale < 1 else hint)
    labels = _trimap(small_prob, small_hint)
    cutout._report(progress, 0.4, "separating subject and background")
    mask = cutout._clean(cutout._grabcut(small, labels), labels == cv2.GC_FGD)
    if not mask.any():  # GrabCut found no colour difference (a sliver, a flat crop): the network's own map
        mask = small_prob >= 0.5
    cutout._report(progress, 0.8, "refining edges")
    coarse = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    guide = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    matte = cutout._guided_filter(guide, coarse, max(2, round(min(h, w) / 150)), 1e-3)
    matte = np.clip((matte - 0.1) / 0.8, 0.0, 1.0)
    cutout._report(progress, 1.0, "done")
    return (matte * 255 + 0.5).astype(np.uint8), ""


def _saliency_in(rgb: np.ndarray, hint: np.ndarray | None, model: object) -> np.ndarray:
    """The network's map over the whole picture, or over the selection's box (so a small subject
    fills the network's view) and zero outside it."""
    if hint is None or not (hint >= 128).any():
        return u2net.saliency(rgb, model)
    ys, xs = np.nonzero(hint >= 128)
    h, w = hint.shape
    pad = max(4, round(0.05 * max(np.ptp(ys) + 1, np.ptp(xs) + 1)))
    y0, y1 = max(0, ys.min() - pad), min(h, ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(w, xs.max() + 1 + pad)
    prob = np.zeros((h, w), np.float32)
    prob[y0:y1, x0:x1] = u2net.saliency(np.ascontiguousarray(rgb[y0:y1, x0:x1]), model)
    return prob
