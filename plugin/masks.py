"""Selection -> masks: the soft blend weight, the hard mask a backend sees, and the working size.

Two masks, as the peers taught: a backend gets a hard mask (255 = change), while the result is
blended back through a soft weight that keeps the user's own soft selection edges, grows by
`grow` pixels and fades out over `feather` pixels *outwards*, so the selected object itself is
always fully replaced and nothing beyond grow + feather is ever touched.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from plugin.crop import selection_bounds as bounds  # noqa: F401  (one definition, NumPy only)
from plugin.errors import EmptySelectionError
from plugin.geometry import Rect, fit_within
from plugin.geometry import region_of_interest as _roi

CORE_LEVEL = 128  # a selection value from which a pixel counts as selected


def blend_weight(selection: np.ndarray, grow: int, feather: int) -> np.ndarray:
    """Float32 weight 0..1 of the result, same shape as `selection` (uint8, 0..255).

    1 on the selection grown by `grow` px, a smooth fall-off to 0 over the next `feather` px,
    and never less than the user's own soft selection value.
    """
    if selection.ndim != 2:
        raise ValueError(f"a selection is one channel; got shape {selection.shape}")
    soft = selection.astype(np.float32) / 255.0
    core = selection >= CORE_LEVEL
    if not core.any():
        core = selection > 0
    if not core.any():
        raise EmptySelectionError()
    if grow == 0 and feather == 0:
        return soft
    distance = ndimage.distance_transform_edt(~core).astype(np.float32)
    if feather > 0:
        ramp = np.clip(1.0 - (distance - grow) / float(feather), 0.0, 1.0)
        ramp = ramp * ramp * (3.0 - 2.0 * ramp)  # smoothstep: no visible edge at either end
    else:
        ramp = (distance <= grow).astype(np.float32)
    ramp[distance <= grow] = 1.0
    return np.maximum(ramp, soft)


def weight_to_u8(weight: np.ndarray) -> np.ndarray:
    """Quantise a weight to the 8-bit mask that is both blended with and stored as a layer mask."""
    return np.clip(np.rint(weight * 255.0), 0, 255).astype(np.uint8)


def region_of_interest(mask_bounds: Rect, context: int, width: int, height: int) -> Rect:
    """The mask's bounds plus `context` px of surroundings, clipped to the image."""
    return _roi(mask_bounds, 0, context, Rect(0, 0, width, height))


def working_size(
    width: int, height: int, max_side: int | None, max_pixels: int | None, min_side: int | None = None
) -> tuple[int, int]:
    """The size a backend works at: scaled down to its limits, or up to its minimum, aspect kept."""
    w, h = fit_within(width, height, max_side, max_pixels)
    if min_side and max(w, h) < min_side:
        scale = min_side / max(w, h)
        w, h = max(1, round(w * scale)), max(1, round(h * scale))
    return w, h


def resize_rgba(rgba: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize RGBA with premultiplied alpha, so transparent pixels do not darken the edges."""
    if (rgba.shape[1], rgba.shape[0]) == size:
        return rgba
    image = Image.fromarray(rgba, "RGBA").convert("RGBa")
    resample = Image.Resampling.LANCZOS
    return np.asarray(image.resize(size, resample).convert("RGBA"))


def resize_mask(mask: np.ndarray, size: tuple[int, int], hard: bool = False) -> np.ndarray:
    """Resize a one-channel uint8 mask; `hard` keeps it 0/255 (what backends are sent)."""
    if (mask.shape[1], mask.shape[0]) != size:
        mask = np.asarray(Image.fromarray(mask, "L").resize(size, Image.Resampling.BILINEAR))
    if hard:
        return np.where(mask > 0, 255, 0).astype(np.uint8)
    return mask
