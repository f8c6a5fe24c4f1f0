"""The region of interest, worked out once before a job is made, and where its results go.

A host (GIMP 3, GIMP 2.10, the command line) plans which pixels an action reads from the action
table's `reads` and `selection`, so a 6000x4000 layer costs no more than its selection; the job
carries just that region, and the pipeline works on what it is given without cropping again.
The same plan says where the answer goes back (Placement). Shared with GIMP's Python 2.7:
standard library only, 2.7 syntax, type comments.
"""

from __future__ import absolute_import

import collections

from plugin import actions, geometry
from plugin.errors import HostError

InputPlan = collections.namedtuple("InputPlan", "rect read_pixels read_selection transparent_outside")
"""rect: what to read, in image coordinates (None: nothing); transparent_outside: rect may leave the
layer (read with a transparent abyss); read_selection: also read the selection channel over rect."""

Placement = collections.namedtuple("Placement", "origin target")
"""Where a job's results go: origin is the region's top-left in image coordinates (the job folder's
`origin`); target is the action table's result ("layers", "canvas", "new-image", "text"), with
"new-image-or-layers" already decided. A result layer's x, y are relative to the region."""


def plan_input(action, operation, layer_rect, canvas_rect, selection_bounds):
    # type: (str, dict, geometry.Rect, geometry.Rect, geometry.Rect) -> InputPlan
    """Which pixels the action needs. selection_bounds is None when there is no selection.

    Raises HostError (nothing was touched) when the action cannot work with this layer and selection.
    """
    entry = actions.BY_NAME[action]
    if entry.reads in ("nothing", "references"):  # no input picture: references are read whole
        return InputPlan(None, False, False, False)
    if layer_rect.width <= 0 or layer_rect.height <= 0:
        raise HostError("%s: the layer is empty. Choose a layer with pixels." % entry.title)
    on_layer = None
    if selection_bounds is not None:
        on_layer = geometry.intersect(selection_bounds, layer_rect)
        if on_layer.width <= 0 or on_layer.height <= 0:
            on_layer = None
    if entry.selection == "needed":
        if selection_bounds is None:
            raise HostError("%s needs a selection: select the area to change (for example with the "
                            "Free Select tool), then run it again." % entry.title)
        if on_layer is None:
            raise HostError("%s: the selection does not touch the active layer. Select an area on "
                            "the layer, or pick the layer under the selection." % entry.title)
    if entry.reads == "object-and-scene":
        return InputPlan(object_region(entry.title, operation, layer_rect, canvas_rect), True, False, True)
    if entry.reads == "around-selection":
        bleed = int(operation.get("grow", 0)) + int(operation.get("feather", 0))
        rect = geometry.region_of_interest(on_layer, bleed, int(operation.get("context", 0)), layer_rect)
        return InputPlan(rect, True, True, False)
    if entry.reads == "canvas":
        # the new area is placed around the canvas, so the worker must see the canvas, not the layer
        return InputPlan(canvas_rect, True, False, True)
    if entry.reads == "selected-or-layer":
        rect = on_layer or layer_rect
        return InputPlan(rect, True, entry.selection == "used" and on_layer is not None, False)
    return InputPlan(layer_rect, True, entry.selection == "used" and on_layer is not None, False)


def object_region(title, operation, layer_rect, canvas_rect):
    # type: (str, dict, geometry.Rect, geometry.Rect) -> geometry.Rect
    """Harmonize: the object's box on the canvas grown by the context margin (at least the shadow's reach,
    so the shadow's whole area is seen), clipped to the canvas. HostError when the object is off the canvas."""
    on_canvas = geometry.intersect(layer_rect, canvas_rect)
    if on_canvas.width <= 0 or on_canvas.height <= 0:
        raise HostError("%s: the layer lies outside the canvas. Move the pasted object onto the picture." % title)
    margin = max(int(operation.get("context", 0)), int(operation.get("shadow", 0)))
    return geometry.intersect(geometry.expand(on_canvas, margin), canvas_rect)


def placement(action, plan, into_image=False):
    # type: (str, InputPlan, bool) -> Placement
    """Where the results of a job planned as `plan` go back."""
    result = actions.BY_NAME[action].result
    if result == "new-image-or-layers":
        result = "layers" if into_image else "new-image"
    origin = (plan.rect.x, plan.rect.y) if plan.rect is not None and result != "new-image" else (0, 0)
    return Placement(origin, result)


def place(where, x, y):
    # type: (Placement, int, int) -> tuple
    """A result layer's position: in the image for layers (the paste, hosts/paste_exec.py, then adds any canvas growth),
    in the new image for a new image (the region's own top-left is the new image's)."""
    return int(x) + where.origin[0], int(y) + where.origin[1]
