"""GIMP 2.10's write primitives (hosts/interface.py's Writer) through gimpfu: what hosts/paste_exec.py pastes
through.

Each method is one GIMP call's job; the order, the undo group and the roll back are paste_exec's, shared
with GIMP 3 (hosts/gimp3_paste.py). Python 2.7 syntax, standard library and gimpfu only, type comments.
"""

from __future__ import absolute_import

import gimpfu
from gimpfu import gimp, pdb

from plugin.hosts import pixel_bytes
from plugin.hosts.interface import Writer
from plugin.hosts.operation import native_str

PARASITE_FLAGS = getattr(gimpfu, "PARASITE_PERSISTENT", 1) | getattr(gimpfu, "PARASITE_UNDOABLE", 2)
NORMAL_MODE = getattr(gimpfu, "LAYER_MODE_NORMAL", getattr(gimpfu, "NORMAL_MODE", 0))
WHITE_MASK = getattr(gimpfu, "ADD_MASK_WHITE", getattr(gimpfu, "ADD_WHITE_MASK", 0))
CHANNEL_OP_REPLACE = 2


class Gimp2Writer(Writer):
    """One GIMP 2.10 image's primitives; interactive: a new image gets a window."""

    def __init__(self, image, interactive):
        # type: (object, bool) -> None
        self.image = image
        self.interactive = interactive

    def size(self):
        # type: () -> tuple
        return self.image.width, self.image.height

    def undo_group_start(self):
        # type: () -> None
        pdb.gimp_image_undo_group_start(self.image)

    def undo_group_end(self):
        # type: () -> None
        pdb.gimp_image_undo_group_end(self.image)

    def resize(self, width, height, offset_x, offset_y):
        # type: (int, int, int, int) -> None
        self.image.resize(width, height, offset_x, offset_y)

    def parent(self, item):
        # type: (object) -> object
        return pdb.gimp_item_get_parent(item)

    def position(self, item):
        # type: (object) -> int
        return pdb.gimp_image_get_item_position(self.image, item)

    def insert_group(self, name, parent, position):
        # type: (str, object, int) -> object
        group = gimp.GroupLayer(self.image, native_str(name))
        pdb.gimp_image_insert_layer(self.image, group, parent, position)
        return group

    def insert_layer(self, name, width, height, parent, position):
        # type: (str, int, int, object, int) -> object
        kind = gimpfu.GRAYA_IMAGE if self.image.base_type == gimpfu.GRAY else gimpfu.RGBA_IMAGE
        layer = gimp.Layer(self.image, native_str(name), width, height, kind, 100.0, NORMAL_MODE)
        pdb.gimp_image_insert_layer(self.image, layer, parent, position)
        return layer

    def set_offsets(self, layer, x, y):
        # type: (object, int, int) -> None
        layer.set_offsets(x, y)

    def write_pixels(self, layer, rgba):
        # type: (object, bytes) -> None
        _write_region(layer, pixel_bytes.from_rgba(rgba, layer.bpp), 0, 0, layer.width, layer.height)
        layer.update(0, 0, layer.width, layer.height)

    def add_mask(self, layer, values):
        # type: (object, bytes) -> None
        mask = layer.create_mask(WHITE_MASK)
        layer.add_mask(mask)
        _write_region(mask, values, 0, 0, layer.width, layer.height)

    def set_visible(self, item, visible):
        # type: (object, bool) -> None
        item.visible = visible

    def attach_parasite(self, item, name, data):
        # type: (object, str, bytes) -> None
        (item if item is not None else self.image).attach_new_parasite(name, PARASITE_FLAGS, data)

    def remove_layer(self, item):
        # type: (object) -> None
        if pdb.gimp_item_is_valid(item):
            pdb.gimp_image_remove_layer(self.image, item)

    def replace_selection(self, x, y, width, height, values):
        # type: (int, int, int, int, bytes) -> None
        """Through a temporary channel that is selected and removed again (inside the caller's undo group)."""
        image_width, image_height = self.size()
        channel = pdb.gimp_channel_new(self.image, image_width, image_height, "imagen-gimp subject", 0.0, (0, 0, 0))
        pdb.gimp_image_insert_channel(self.image, channel, None, 0)
        try:
            _write_region(channel, b"\0" * (image_width * image_height), 0, 0, image_width, image_height)
            if width > 0 and height > 0:
                _write_region(channel, values, x, y, width, height)
            pdb.gimp_image_select_item(self.image, CHANNEL_OP_REPLACE, channel)
        finally:
            pdb.gimp_image_remove_channel(self.image, channel)

    def new_image(self, width, height):
        # type: (int, int) -> Gimp2Writer
        image = gimp.Image(width, height, gimpfu.RGB)
        image.disable_undo()
        return Gimp2Writer(image, self.interactive)

    def display(self):
        # type: () -> None
        self.image.enable_undo()
        if self.interactive:
            gimp.Display(self.image)

    def delete_image(self):
        # type: () -> None
        pdb.gimp_image_delete(self.image)


def _write_region(drawable, data, x, y, width, height):
    # type: (object, bytes, int, int, int, int) -> None
    region = drawable.get_pixel_rgn(x, y, width, height, True, False)
    region[x:x + width, y:y + height] = data
    drawable.flush()
