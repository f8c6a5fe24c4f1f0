"""`imagen-gimp harmonize SCENE --object OBJECT.png --at X,Y`: the command line's reading of a composite.

GIMP's host reads the pasted layer and the layers under it; here the object file (with alpha) is placed
with its top-left corner at X,Y on the scene, and the same region is planned (plugin/regions.py): the
object's box plus the context margin (at least the shadow's reach), clipped to the scene. The picture
written is the scene with the object in place and each variation's shadow and harmonized object over it.
NumPy only, like plugin/crop.py.
"""

from __future__ import annotations

import numpy as np

from plugin import errors, regions
from plugin.geometry import Rect
from plugin.ops import Harmonize


class PlacementError(errors.UserError):
    """--at is not two whole numbers, or puts the object off the scene."""

    kind = "operation"


def parse_at(text: str | None) -> tuple[int, int]:
    """'X,Y' -> (x, y), whole numbers (negative: the object starts left of or above the scene)."""
    try:
        x, y = (int(part.strip()) for part in (text or "").split(","))
    except ValueError:
        raise PlacementError(
            f"--at {text!r}: give the object's top-left corner on the scene as X,Y, for example --at 120,80"
        ) from None
    return x, y


def inputs(
    op: Harmonize, scene: np.ndarray, obj: np.ndarray, at: tuple[int, int]
) -> tuple[np.ndarray, list[np.ndarray], tuple[int, int], np.ndarray]:
    """(the object over the region, [the scene over the region], the region's origin, the whole picture with
    the object pasted: what the results are laid over)."""
    height, width = scene.shape[:2]
    placed = Rect(at[0], at[1], obj.shape[1], obj.shape[0])
    try:
        rect = regions.object_region(op.title, op.to_dict(), placed, Rect(0, 0, width, height))
    except errors.HostError as exc:
        raise PlacementError(
            f"--at {at[0]},{at[1]} puts the {obj.shape[1]}x{obj.shape[0]} object outside the "
            f"{width}x{height} scene; give a corner on the scene"
        ) from exc
    layer = np.zeros((height, width, 4), np.uint8)
    x0, y0 = max(0, at[0]), max(0, at[1])
    x1, y1 = min(width, at[0] + obj.shape[1]), min(height, at[1] + obj.shape[0])
    layer[y0:y1, x0:x1] = obj[y0 - at[1] : y1 - at[1], x0 - at[0] : x1 - at[0]]
    from plugin.harmonize import composite

    whole = composite(layer, scene)
    crop = (slice(rect.y, rect.y + rect.height), slice(rect.x, rect.x + rect.width))
    return layer[crop], [scene[crop]], (rect.x, rect.y), whole
