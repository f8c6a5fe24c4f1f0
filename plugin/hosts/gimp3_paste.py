"""GIMP 3's paste: a PastePlan (hosts/paste_plan.py) as new layers in one undo group, a new image, or a
message; on any error what was added is removed again, so the user's image stays as it was."""

from __future__ import annotations

import time

import gi

gi.require_version("Babl", "0.1")
gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Babl, Gegl, Gimp  # noqa: E402

from plugin.hosts import paste_plan, timing  # noqa: E402

RGBA = "R'G'B'A u8"
GRAY = "Y u8"


class Paster:
    """Applies a PastePlan in one undo group; on any error removes what it added."""

    def __init__(self, image, run_mode, title: str, clock: timing.Stages | None = None):
        self.image = image
        self.run_mode = run_mode
        self.title = title
        self.clock = clock or timing.Stages()
        self.added = []
        self.resized = None

    def apply(self, plan: paste_plan.PastePlan, values: dict, source_layer):
        if plan.target == "text":
            return self._text(plan, values)
        if plan.target == "new-image":
            return self._new_image(plan)
        self.image.undo_group_start()
        try:
            if plan.target == "selection":
                self._selection(plan.layers[0])
            elif plan.target == "harmonized":
                self._harmonized(plan, source_layer)
            elif plan.target == "into-group":
                self._into_group(plan, source_layer)
            else:
                self._into_image(plan, source_layer)
            if plan.selection is not None:  # Run Again: the result's mask, in this undo step
                self._selection(plan.selection)
        except Exception:
            self._roll_back()
            raise
        finally:
            self.image.undo_group_end()
        return self.image

    def _into_image(self, plan: paste_plan.PastePlan, source_layer) -> None:
        shift_x = shift_y = 0
        if plan.canvas:
            left, top, right, bottom = plan.canvas
            old = (self.image.get_width(), self.image.get_height())
            self.image.resize(old[0] + left + right, old[1] + top + bottom, left, top)
            self.resized = (old, left, top)
            shift_x, shift_y = left, top
        started = time.perf_counter()
        group = Gimp.GroupLayer.new(self.image, plan.group_name)
        if source_layer is not None:
            parent = source_layer.get_parent()
            position = self.image.get_item_position(source_layer)
        else:
            parent, position = None, 0
        self.image.insert_layer(group, parent, position)
        self.added.append(group)
        self.clock.part("paste group", started)
        for index, layer_plan in enumerate(plan.layers):
            self._add_layer(layer_plan, group, index, shift_x, shift_y)

    def _harmonized(self, plan: paste_plan.PastePlan, source_layer) -> None:
        """Per variation a group right above the object (the first on top, the only one shown), holding the
        harmonized object over its shadow layer; the object and the layers under it are not touched."""
        parent = source_layer.get_parent()
        for group_plan in plan.layers:  # each at the object's place, so the first ends on top
            group = Gimp.GroupLayer.new(self.image, group_plan.name)
            self.image.insert_layer(group, parent, self.image.get_item_position(source_layer))
            self.added.append(group)
            for index, layer_plan in enumerate(group_plan.layers):
                self._add_layer(layer_plan, group, index)
            group.set_visible(group_plan.visible)

    def _into_group(self, plan: paste_plan.PastePlan, result_layer) -> None:
        """Refine Result: the new layers just above the result layer, in its group."""
        parent = result_layer.get_parent()
        position = self.image.get_item_position(result_layer)
        for index, layer_plan in enumerate(plan.layers):
            self._add_layer(layer_plan, parent, position + index, on_its_own=True)

    def _add_layer(
        self,
        layer_plan: paste_plan.LayerPlan,
        parent,
        position: int,
        shift_x: int = 0,
        shift_y: int = 0,
        on_its_own: bool = False,
    ) -> Gimp.Layer:
        """One planned layer made, inserted under parent at position, placed (shifted by a grown canvas)
        and filled; what every target that adds layers does for each of them. on_its_own: not inside a group
        this paste made, so the layer itself is removed again if the paste fails (from insertion on)."""
        started = time.perf_counter()
        layer = self._make_layer(self.image, layer_plan)
        self.image.insert_layer(layer, parent, position)
        if on_its_own:
            self.added.append(layer)
        layer.set_offsets(layer_plan.x + shift_x, layer_plan.y + shift_y)
        self.clock.part("paste new layer", started)
        self._fill(layer, layer_plan)
        return layer

    def _selection(self, plan: paste_plan.LayerPlan) -> None:
        """Replace the selection by the matte (soft edges kept): through a temporary channel that is
        selected and removed again, all inside the caller's undo group.

        The bytes go into the channel in its own encoding: in an 8-bit non-linear image a channel is
        "Y' u8", and selecting it copies its bytes as they are into the "Y u8" selection (GIMP 3.0.4 and
        3.2.6), so writing "Y u8" would lift every soft value (32 became 99). Its TRC (Y, Y', Y~) is kept and
        the depth is 8 bits, which a deeper channel scales exactly."""
        width, height = self.image.get_width(), self.image.get_height()
        channel = Gimp.Channel.new(self.image, "imagen-gimp selection", width, height, 0.0, Gegl.Color.new("black"))
        self.image.insert_channel(channel, None, 0)
        try:
            buffer = channel.get_buffer()
            raw = Babl.format_get_encoding(channel.get_format()).split(" ")[0] + " u8"  # its TRC, in bytes
            buffer.set(Gegl.Rectangle.new(0, 0, width, height), raw, bytes(width * height))
            area = Gegl.Rectangle.new(0, 0, width, height)
            area.intersect(Gegl.Rectangle.new(plan.x, plan.y, plan.width, plan.height), area)
            data = paste_plan.selection_bytes(plan)
            if area.width > 0 and area.height > 0:
                inside = b"".join(
                    data[
                        (area.y - plan.y + row) * plan.width + area.x - plan.x : (area.y - plan.y + row) * plan.width
                        + area.x
                        - plan.x
                        + area.width
                    ]
                    for row in range(area.height)
                )
                buffer.set(area, raw, inside)
            buffer.flush()
            self.image.select_item(Gimp.ChannelOps.REPLACE, channel)
        finally:
            self.image.remove_channel(channel)

    def _new_image(self, plan: paste_plan.PastePlan):
        image = Gimp.Image.new(plan.size[0], plan.size[1], Gimp.ImageBaseType.RGB)
        image.undo_disable()
        try:
            for index, layer_plan in enumerate(plan.layers):
                layer = self._make_layer(image, layer_plan)
                image.insert_layer(layer, None, index)
                layer.set_offsets(layer_plan.x, layer_plan.y)
                self._fill(layer, layer_plan)
        except Exception:
            image.delete()
            raise
        finally:
            image.undo_enable()
        if self.run_mode == Gimp.RunMode.INTERACTIVE:
            Gimp.Display.new(image)
        return image

    def _text(self, plan: paste_plan.PastePlan, values: dict):
        text = paste_plan.describe_text(self.title, plan.texts)
        Gimp.message(text)
        if values.get("store-comment") and plan.texts:
            self.image.undo_group_start()
            try:
                data = list(text.encode("utf-8") + b"\0")
                flags = Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE
                self.image.attach_parasite(Gimp.Parasite.new(paste_plan.COMMENT_PARASITE, flags, data))
            finally:
                self.image.undo_group_end()
        return self.image

    def _make_layer(self, image, plan: paste_plan.LayerPlan) -> Gimp.Layer:
        kind = (
            Gimp.ImageType.GRAYA_IMAGE
            if image.get_base_type() == Gimp.ImageBaseType.GRAY
            else Gimp.ImageType.RGBA_IMAGE
        )
        return Gimp.Layer.new(image, plan.name, plan.width, plan.height, kind, 100.0, Gimp.LayerMode.NORMAL)

    def _fill(self, layer: Gimp.Layer, plan: paste_plan.LayerPlan) -> None:
        area = Gegl.Rectangle.new(0, 0, plan.width, plan.height)
        started = time.perf_counter()
        buffer = layer.get_buffer()
        buffer.set(area, RGBA, paste_plan.read_file(plan.pixels_path))
        buffer.flush()
        self.clock.part("paste pixels", started)
        if plan.mask_path:
            started = time.perf_counter()
            mask = layer.create_mask(Gimp.AddMaskType.WHITE)
            layer.add_mask(mask)
            mask_buffer = mask.get_buffer()
            mask_buffer.set(area, GRAY, paste_plan.read_file(plan.mask_path))
            mask_buffer.flush()
            self.clock.part("paste mask", started)
        started = time.perf_counter()
        layer.set_visible(plan.visible)
        flags = Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE
        layer.attach_parasite(Gimp.Parasite.new(paste_plan.PARASITE_NAME, flags, list(plan.parasite)))
        layer.update(0, 0, plan.width, plan.height)
        self.clock.part("paste rest", started)

    def _roll_back(self) -> None:
        """Leave the image as it was: remove added layers, shrink the canvas back."""
        for item in self.added:  # the group (its layers go with it), or Refine Result's layers
            if item.is_valid():
                self.image.remove_layer(item)
        if self.resized:
            (width, height), left, top = self.resized
            self.image.resize(width, height, -left, -top)
