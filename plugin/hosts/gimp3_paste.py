"""GIMP 3's write primitives (hosts/interface.py's Writer) through gi: what hosts/paste_exec.py pastes through.

Each method is one GIMP call's job; the order, the undo group and the roll back are paste_exec's, shared
with GIMP 2.10 (hosts/gimp2_paste.py). Stage parts are timed for bench/ (hosts/timing.py).
"""

from __future__ import annotations

import time

import gi

gi.require_version("Babl", "0.1")
gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Babl, Gegl, Gimp  # noqa: E402

from plugin.hosts import timing  # noqa: E402
from plugin.hosts.interface import Writer  # noqa: E402

RGBA = "R'G'B'A u8"
GRAY = "Y u8"
PARASITE_FLAGS = Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE


class Gimp3Writer(Writer):
    """One GIMP 3 image's primitives; interactive: a new image gets a window."""

    def __init__(self, image, interactive: bool, clock: timing.Stages | None = None):
        self.image = image
        self.interactive = interactive
        self.clock = clock or timing.Stages()

    def size(self) -> tuple[int, int]:
        return self.image.get_width(), self.image.get_height()

    def undo_group_start(self) -> None:
        self.image.undo_group_start()

    def undo_group_end(self) -> None:
        self.image.undo_group_end()

    def resize(self, width: int, height: int, offset_x: int, offset_y: int) -> None:
        self.image.resize(width, height, offset_x, offset_y)

    def parent(self, item):
        return item.get_parent()

    def position(self, item) -> int:
        return self.image.get_item_position(item)

    def insert_group(self, name: str, parent, position: int):
        started = time.perf_counter()
        group = Gimp.GroupLayer.new(self.image, name)
        self.image.insert_layer(group, parent, position)
        self.clock.part("paste group", started)
        return group

    def insert_layer(self, name: str, width: int, height: int, parent, position: int) -> Gimp.Layer:
        started = time.perf_counter()
        grey = self.image.get_base_type() == Gimp.ImageBaseType.GRAY
        kind = Gimp.ImageType.GRAYA_IMAGE if grey else Gimp.ImageType.RGBA_IMAGE
        layer = Gimp.Layer.new(self.image, name, width, height, kind, 100.0, Gimp.LayerMode.NORMAL)
        self.image.insert_layer(layer, parent, position)
        self.clock.part("paste new layer", started)
        return layer

    def set_offsets(self, layer, x: int, y: int) -> None:
        layer.set_offsets(x, y)

    def write_pixels(self, layer, rgba: bytes) -> None:
        started = time.perf_counter()
        width, height = layer.get_width(), layer.get_height()
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), RGBA, rgba)
        buffer.flush()
        layer.update(0, 0, width, height)
        self.clock.part("paste pixels", started)

    def add_mask(self, layer, values: bytes) -> None:
        started = time.perf_counter()
        mask = layer.create_mask(Gimp.AddMaskType.WHITE)
        layer.add_mask(mask)
        mask_buffer = mask.get_buffer()
        mask_buffer.set(Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()), GRAY, values)
        mask_buffer.flush()
        self.clock.part("paste mask", started)

    def set_visible(self, item, visible: bool) -> None:
        item.set_visible(visible)

    def attach_parasite(self, item, name: str, data: bytes) -> None:
        started = time.perf_counter()
        (item or self.image).attach_parasite(Gimp.Parasite.new(name, PARASITE_FLAGS, list(data)))
        self.clock.part("paste rest", started)

    def remove_layer(self, item) -> None:
        if item.is_valid():
            self.image.remove_layer(item)

    def replace_selection(self, x: int, y: int, width: int, height: int, values: bytes) -> None:
        """Through a temporary channel that is selected and removed again (inside the caller's undo group).

        The bytes go into the channel in its own encoding: in an 8-bit non-linear image a channel is
        "Y' u8", and selecting it copies its bytes as they are into the "Y u8" selection (GIMP 3.0.4 and
        3.2.6), so writing "Y u8" would lift every soft value (32 became 99). Its TRC (Y, Y', Y~) is kept and
        the depth is 8 bits, which a deeper channel scales exactly."""
        image_width, image_height = self.size()
        channel = Gimp.Channel.new(
            self.image, "imagen-gimp selection", image_width, image_height, 0.0, Gegl.Color.new("black")
        )
        self.image.insert_channel(channel, None, 0)
        try:
            buffer = channel.get_buffer()
            raw = Babl.format_get_encoding(channel.get_format()).split(" ")[0] + " u8"  # its TRC, in bytes
            buffer.set(Gegl.Rectangle.new(0, 0, image_width, image_height), raw, bytes(image_width * image_height))
            if width > 0 and height > 0:
                buffer.set(Gegl.Rectangle.new(x, y, width, height), raw, values)
            buffer.flush()
            self.image.select_item(Gimp.ChannelOps.REPLACE, channel)
        finally:
            self.image.remove_channel(channel)

    def new_image(self, width: int, height: int) -> Gimp3Writer:
        image = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
        image.undo_disable()
        return Gimp3Writer(image, self.interactive, self.clock)

    def display(self) -> None:
        self.image.undo_enable()
        if self.interactive:
            Gimp.Display.new(self.image)

    def delete_image(self) -> None:
        self.image.delete()
