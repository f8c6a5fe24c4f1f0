"""GIMP 3: what lies under a layer, merged, for reading only (Harmonize's scene), and a layer as shown
through its mask (the pasted object).

The scene is read from a duplicate of the image (GEGL shares the tiles until they are written, so this
costs little): the layer and everything above it are removed from the copy, the copy is cropped to the
region and its visible layers merged; the user's image, its undo history and its layers are never touched.
"""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from plugin.geometry import Rect, intersect  # noqa: E402
from plugin.hosts import pixel_bytes  # noqa: E402


def read_below(image, layer, rect: Rect, read_rgba) -> bytes:
    """RGBA of the visible layers under `layer`, merged, over rect; transparent where nothing is."""
    path = _path(image, layer)
    copy = image.duplicate()
    try:
        copy.undo_disable()
        _remove_from(copy, path)
        if not any(_shown(item) for item in _leaves(copy.get_layers())):
            return bytes(rect.width * rect.height * 4)
        copy.crop(rect.width, rect.height, rect.x, rect.y)
        merged = copy.merge_visible_layers(Gimp.MergeType.CLIP_TO_IMAGE)
        return read_rgba(merged, Rect(0, 0, rect.width, rect.height), True)
    finally:
        copy.delete()


def with_mask(layer, rect: Rect, rgba: bytes) -> bytes:
    """The layer's RGBA over rect with its mask (if it has one) multiplied into the alpha."""
    mask = layer.get_mask()
    if mask is None:
        return rgba
    _ok, off_x, off_y = layer.get_offsets()
    layer_rect = Rect(off_x, off_y, layer.get_width(), layer.get_height())
    inner = intersect(rect, layer_rect)
    if inner.width <= 0 or inner.height <= 0:
        return rgba
    area = Gegl.Rectangle.new(inner.x - off_x, inner.y - off_y, inner.width, inner.height)
    values = mask.get_buffer().get(area, 1.0, "Y u8", Gegl.AbyssPolicy.NONE)
    return pixel_bytes.masked_alpha(rgba, pixel_bytes.pad_region(values, inner, rect, 1))


def _path(image, layer) -> list:
    """Positions from the top level down to the layer (its index in each parent)."""
    path = []
    item = layer
    while item is not None:
        path.insert(0, image.get_item_position(item))
        item = item.get_parent()
    return path


def _remove_from(copy, path: list) -> None:
    """In the copy: the layer and, at every level up, everything above it."""
    siblings = copy.get_layers()
    doomed = []
    for depth, position in enumerate(path):
        last = depth == len(path) - 1
        doomed += siblings[: position + 1] if last else siblings[:position]
        if not last:
            siblings = siblings[position].get_children()
    for item in doomed:
        copy.remove_layer(item)


def _leaves(layers):
    for layer in layers:
        if layer.is_group():
            yield from _leaves(layer.get_children())
        else:
            yield layer


def _shown(layer) -> bool:
    item = layer
    while item is not None:
        if not item.get_visible():
            return False
        item = item.get_parent()
    return True
