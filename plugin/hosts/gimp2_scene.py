"""GIMP 2.10: what lies under a layer, merged, for reading only (Harmonize's scene), and a layer's mask
multiplied into its alpha (the pasted object). The twin of hosts/gimp3_scene.py.

The scene is read from a duplicate of the image: the layer and everything above it are removed from the
copy, the copy is cropped to the region and its visible layers merged; the user's image, its undo history
and its layers are never touched. Python 2.7 syntax, gimpfu only.
"""

from __future__ import absolute_import

from gimpfu import pdb

from plugin.geometry import Rect

CLIP_TO_IMAGE = 1


def read_below(image, layer, rect, read_region):
    # type: (object, object, object, object) -> bytes
    """RGBA of the visible layers under `layer`, merged, over rect; transparent where nothing is.

    read_region(drawable, rect) gives the drawable's RGBA over rect (image coordinates)."""
    path = _path(image, layer)
    copy = pdb.gimp_image_duplicate(image)
    try:
        pdb.gimp_image_undo_disable(copy)
        _remove_from(copy, path)
        if not [item for item in _leaves(copy.layers) if _shown(item)]:
            return bytes(bytearray(rect.width * rect.height * 4))
        pdb.gimp_image_crop(copy, rect.width, rect.height, rect.x, rect.y)
        merged = pdb.gimp_image_merge_visible_layers(copy, CLIP_TO_IMAGE)
        return read_region(merged, Rect(0, 0, rect.width, rect.height))
    finally:
        pdb.gimp_image_delete(copy)


def _path(image, layer):
    # type: (object, object) -> list
    path = []
    item = layer
    while item is not None:
        path.insert(0, pdb.gimp_image_get_item_position(image, item))
        item = pdb.gimp_item_get_parent(item)
    return path


def _remove_from(copy, path):
    # type: (object, list) -> None
    siblings = list(copy.layers)
    doomed = []
    for depth, position in enumerate(path):
        last = depth == len(path) - 1
        doomed += siblings[:position + 1] if last else siblings[:position]
        if not last:
            siblings = list(siblings[position].layers)
    for item in doomed:
        pdb.gimp_image_remove_layer(copy, item)


def _leaves(layers):
    # type: (list) -> list
    found = []
    for layer in layers:
        if pdb.gimp_item_is_group(layer):
            found.extend(_leaves(layer.layers))
        else:
            found.append(layer)
    return found


def _shown(layer):
    # type: (object) -> bool
    item = layer
    while item is not None:
        if not pdb.gimp_item_get_visible(item):
            return False
        item = pdb.gimp_item_get_parent(item)
    return True
