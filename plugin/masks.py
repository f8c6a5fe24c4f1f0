"""Selection -> masks: the soft blend weight, the hard mask a backend sees, the region around them.

Two masks, as the peers taught: a backend gets a hard mask (255 = change), while the result is
blended back through a soft weight that keeps the user's own soft selection edges, grows by
`grow` pixels and fades out over `feather` pixels *outwards*, so the selected object itself is
always fully replaced and nothing beyond grow + feather is ever touched.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from plugin.crop import selection_bounds as bounds  # noqa: F401  (one definition, NumPy only)
from plugin.errors import EmptySelectionError
from plugin.geometry import Rect
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
