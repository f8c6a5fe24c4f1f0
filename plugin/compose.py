"""Results -> full-resolution patches blended through the user's feathered selection.

This is what makes any backend safe: whatever a model returns, pixels where the blend mask is 0
are copied from the input, bit for bit.
"""

from __future__ import annotations

import numpy as np

RING_WIDTH = 6  # px of untouched surroundings used to match a result's colour


def match_answer(picture: np.ndarray, action: str, image: np.ndarray | None, mask: np.ndarray | None) -> np.ndarray:
    """An answer matched to the picture sent where the action table asks for it (match_colour), the mask
    marking the change; as it came without a mask or at another size."""
    from plugin.actions import BY_NAME

    if not BY_NAME[action].colour_matched or mask is None or image is None or picture.shape != image.shape:
        return picture
    return match_colour(picture, image, mask > 0)


def match_colour(result: np.ndarray, original: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Shift the result's colour so it meets its surroundings without a step.

    Models often return the kept area slightly brighter or tinted; the mean difference on a thin
    ring just outside the changed area is removed from the whole result (a brightness/colour
    offset, texture untouched). Returns a new uint8 array.
    """
    if not change.any() or change.all():
        return result
    from scipy import ndimage  # here, not above: the CLI's warm path blends without SciPy

    ring = ndimage.binary_dilation(change, iterations=RING_WIDTH) & ~change
    ring &= original[..., 3] > 0
    if ring.sum() < 16:
        return result
    difference = original[ring][:, :3].astype(np.float32) - result[ring][:, :3].astype(np.float32)
    offset = np.median(difference, axis=0)
    if np.abs(offset).max() < 0.5:
        return result
    corrected = result.astype(np.float32)
    corrected[..., :3] += offset
    return np.clip(np.rint(corrected), 0, 255).astype(np.uint8)


def blend(original: np.ndarray, result: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """original * (1 - m) + result * m with an 8-bit mask m, exact where m == 0 (and m == 255).

    Straight (not premultiplied) RGBA, as GIMP composites a layer through its layer mask.
    """
    if original.shape != result.shape or original.shape[:2] != mask.shape:
        raise ValueError(f"blend sizes differ: {original.shape}, {result.shape}, {mask.shape}")
    m = mask.astype(np.uint32)[..., None]
    mixed = (original.astype(np.uint32) * (255 - m) + result.astype(np.uint32) * m + 127) // 255
    out = mixed.astype(np.uint8)
    keep = mask == 0
    out[keep] = original[keep]
    return out


def paste(canvas: np.ndarray, patch: np.ndarray, x: int, y: int) -> np.ndarray:
    """A copy of `canvas` with `patch` written at (x, y); used to show a result in the CLI."""
    out = canvas.copy()
    out[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return out
