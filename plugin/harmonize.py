"""Harmonize: what is sent for a pasted object and its scene, and the two layers made from the answer.

The model gets the object alone (on neutral grey, at the scene's framing, so "where it is placed" is
unambiguous) and the scene with the object in place, last, because an answer takes the shape of the last
picture (Google's composition guidance). It re-renders the whole picture; only two things of it are kept:
  - the harmonized object: the answer inside the object's footprint, masked by the object's alpha;
  - the contact shadow: the answer where it is darker than the scene, near the object (within `shadow`
    pixels of its footprint, fading out before that), masked by how much darker.
Everything farther than `shadow` pixels from the footprint is the original, bit for bit, whatever the
model did there. NumPy and SciPy; the pipeline wraps the pieces into its ResultLayers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plugin.geometry import Rect
from plugin.ops import Harmonize, OperationError

GREY = 128  # the neutral backdrop of the object-alone picture
NOISE_FLOOR = 3.0  # a darkening below this many luma levels is the model's noise, not a shadow
FULL_SHADOW = 28.0  # luma levels darker at which the shadow layer shows fully
TAPER = 0.25  # the last quarter of the shadow's reach fades to nothing, so its edge never shows
MIN_SAMPLES = 64  # pixels needed far from the object to measure the model's overall drift


@dataclass
class Piece:
    """One layer of a variation: pixels at (x, y) of the region, its 8-bit mask, its role."""

    role: str  # "shadow" or "object"
    x: int
    y: int
    pixels: np.ndarray
    mask: np.ndarray


def scene_of(op: Harmonize, image: np.ndarray, references: list[np.ndarray]) -> np.ndarray:
    """The scene under the object (the one reference, the region's size); OperationError when the object
    or the scene is missing, with what to do."""
    if len(references) != 1 or references[0].shape != image.shape:
        raise OperationError(
            "scene",
            f"{op.title} needs the picture under the object at the region's size "
            f"({image.shape[1]}x{image.shape[0]}); give one scene",
        )
    if not (image[..., 3] > 0).any():
        raise OperationError(
            "object", "the object layer is empty (fully transparent) where it lies; choose the pasted layer itself"
        )
    scene = references[0]
    if not (scene[..., 3] > 0).any():
        raise OperationError(
            "scene",
            "there is nothing visible under the object; Harmonize blends a pasted layer "
            "into the visible layers below it",
        )
    return scene


def composite(obj: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """The object over the scene (straight alpha, as GIMP shows a Normal layer): the picture as it is now."""
    a = obj[..., 3:4].astype(np.float32) / 255.0
    sa = scene[..., 3:4].astype(np.float32) / 255.0
    out_a = a + sa * (1.0 - a)
    rgb = obj[..., :3] * a + scene[..., :3] * sa * (1.0 - a)
    rgb = np.divide(rgb, out_a, out=np.zeros_like(rgb), where=out_a > 0)
    out = np.dstack([rgb, out_a * 255.0])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def on_grey(obj: np.ndarray) -> np.ndarray:
    """The object alone on neutral grey, opaque, at the region's framing."""
    a = obj[..., 3:4].astype(np.float32) / 255.0
    rgb = obj[..., :3] * a + GREY * (1.0 - a)
    return np.dstack([np.clip(np.rint(rgb), 0, 255).astype(np.uint8), np.full(obj.shape[:2], 255, np.uint8)])


def footprint_box(alpha: np.ndarray) -> Rect:
    rows = np.flatnonzero((alpha > 0).any(axis=1))
    cols = np.flatnonzero((alpha > 0).any(axis=0))
    return Rect(int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def pieces(before: np.ndarray, alpha: np.ndarray, after: np.ndarray, reach: int) -> list[Piece]:
    """The shadow layer (first: it lies under the object) and the harmonized object, from the answer `after`
    (the region's size, RGBA) and the picture as it was (`before`, object in place)."""
    if after.shape != before.shape:
        raise ValueError(f"the answer is {after.shape}, the region {before.shape}")
    after = after.copy()
    after[..., 3] = 255
    box = footprint_box(alpha)
    height, width = alpha.shape
    weight, drift = shadow_weight(before, alpha, after, reach)
    area = _clip(Rect(box.x - reach, box.y - reach, box.width + 2 * reach, box.height + 2 * reach), width, height)
    shadow = after.astype(np.float32)
    shadow[..., :3] -= drift  # the model's overall colour drift, measured far away, is not the shadow's
    shadow = np.clip(np.rint(shadow), 0, 255).astype(np.uint8)
    return [
        Piece("shadow", area.x, area.y, _crop(shadow, area), _crop(weight, area)),
        Piece("object", box.x, box.y, _crop(after, box), _crop(alpha, box).copy()),
    ]


def shadow_weight(
    before: np.ndarray, alpha: np.ndarray, after: np.ndarray, reach: int
) -> tuple[np.ndarray, np.ndarray]:
    """(8-bit weight of the shadow, the answer's per-channel drift far from the object).

    Where the answer is darker than the picture was, by more than the model's noise, near the object: the
    model's contact shadow. Luma is smoothed a little first, so a pixel's shift of an edge is not a shadow;
    the model's overall drift (it re-renders everything, a little brighter or tinted) is measured beyond
    the reach and taken out. Zero beyond `reach` pixels from the footprint, and under the solid object.
    """
    from scipy import ndimage

    footprint = alpha > 0
    zero = np.zeros(alpha.shape, np.uint8)
    if reach <= 0:
        return zero, np.zeros(3, np.float32)
    distance = ndimage.distance_transform_edt(~footprint)
    near = distance <= reach
    seen = before[..., 3] > 0
    far = ~near & seen
    if far.sum() < MIN_SAMPLES:  # a region tight around the object: its outer ring then
        far = (distance > reach * (1 - TAPER)) & seen
    difference = after[..., :3].astype(np.float32) - before[..., :3].astype(np.float32)
    drift = np.median(difference[far], axis=0) if far.sum() >= MIN_SAMPLES else np.zeros(3, np.float32)
    darker = _luma(before) - (_luma(after) - float(_luma(drift[None, None, :])[0, 0]))
    darker = ndimage.gaussian_filter(darker, 1.5)
    strength = np.clip((darker - NOISE_FLOOR) / (FULL_SHADOW - NOISE_FLOOR), 0.0, 1.0)
    taper = np.clip((reach - distance) / max(1.0, reach * TAPER), 0.0, 1.0)
    weight = ndimage.gaussian_filter(strength * taper, 1.0)
    weight[~near | ~seen | (alpha == 255)] = 0.0
    return np.clip(np.rint(weight * 255), 0, 255).astype(np.uint8), drift.astype(np.float32)


def shown(before: np.ndarray, layers: list[Piece]) -> np.ndarray:
    """The region as GIMP shows it with a variation's group over it: each piece through its mask, bottom up."""
    from plugin.compose import blend

    out = before.copy()
    for piece in layers:
        h, w = piece.mask.shape
        window = out[piece.y : piece.y + h, piece.x : piece.x + w]
        out[piece.y : piece.y + h, piece.x : piece.x + w] = blend(window, piece.pixels, piece.mask)
    return out


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _clip(rect: Rect, width: int, height: int) -> Rect:
    x0, y0 = max(0, rect.x), max(0, rect.y)
    x1, y1 = min(width, rect.x + rect.width), min(height, rect.y + rect.height)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def _crop(array: np.ndarray, rect: Rect) -> np.ndarray:
    return array[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
