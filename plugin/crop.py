"""The planned region cut from a whole picture, for callers that hold one (the CLI, scripts, tests).

GIMP's hosts read just the region; a caller with a whole picture plans it the same way
(plugin/regions.py) and cuts it out here, so run() is given the region and only the region and its
context are sent. NumPy only: the CLI's warm path imports this without SciPy or the clients.
"""

from __future__ import annotations

import numpy as np

from plugin import actions, regions
from plugin.errors import EmptySelectionError
from plugin.geometry import Rect
from plugin.ops import Operation

MIN_SIDE = 8
"""The smallest picture an action takes: below it neither a fill nor a model has anything to work with."""


def selection_bounds(selection: np.ndarray) -> Rect:
    """The bounding box of the selected (non-zero) pixels, as GIMP's selection bounds."""
    rows = np.flatnonzero(selection.any(axis=1))
    cols = np.flatnonzero(selection.any(axis=0))
    if rows.size == 0:
        raise EmptySelectionError()
    return Rect(int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def plan_region(
    op: Operation, image: np.ndarray | None, selection: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray | None, tuple[int, int]]:
    """For a caller holding a whole picture (the CLI, scripts): the region the action works on, planned
    as GIMP's hosts plan it (plugin/regions.py), as (pixels, selection, origin of the region in the
    picture). run() takes the region as it is given, so only the region and its context are sent, and
    a 6000x4000 photo costs no more than its selection."""
    if image is None or min(image.shape[:2]) < MIN_SIDE:  # the pipeline refuses it with the minimum
        return image, selection, (0, 0)
    selected = selection is not None and bool(selection.any())
    if not selected and actions.BY_NAME[op.action].selection == "needed":
        raise EmptySelectionError()
    height, width = image.shape[:2]
    whole = Rect(0, 0, width, height)
    plan = regions.plan_input(op.action, op.to_dict(), whole, whole, selection_bounds(selection) if selected else None)
    rect = plan.rect or whole
    crop = image[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
    crop_selection = None
    if plan.read_selection:
        crop_selection = selection[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
    return crop, crop_selection, (rect.x, rect.y)
