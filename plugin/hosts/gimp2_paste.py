"""GIMP 2.10's paste (gimpfu, Python 2.7): a paste plan (hosts/paste_plan.py) into the image in one undo group.

The twin of hosts/gimp3_paste.py, split from hosts/gimp2.py so that module stays GIMP 2.10's reads and
registration. Python 2.7 syntax, standard library and gimpfu only, type comments.
"""


import gimpfu
from gimpfu import gimp, pdb

from plugin.hosts import paste_plan, pixel_bytes
from plugin.hosts.operation import native_str

PARASITE_FLAGS = getattr(gimpfu, "PARASITE_PERSISTENT", 1) | getattr(gimpfu, "PARASITE_UNDOABLE", 2)
NORMAL_MODE = getattr(gimpfu, "LAYER_MODE_NORMAL", getattr(gimpfu, "NORMAL_MODE", 0))
WHITE_MASK = getattr(gimpfu, "ADD_MASK_WHITE", getattr(gimpfu, "ADD_WHITE_MASK", 0))


class Paster:
    """Applies a PastePlan in one undo group; on any error removes what it added."""

    def __init__(self, image, title, interactive):
        # type: (object, str, bool) -> None
        self.image = image
        self.title = title
        self.interactive = interactive
        self.added = []
        self.resized = None

    def apply(self, plan, values, source_layer):
        # type: (paste_plan.PastePlan, dict, object) -> object
        if plan.target == "text":
            return self._text(plan, values)
        if plan.target == "new-image":
            return self._new_image(plan)
        pdb.gimp_image_undo_group_start(self.image)
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
            pdb.gimp_image_undo_group_end(self.image)
        return self.image

    def _into_image(self, plan, source_layer):
        # type: (paste_plan.PastePlan, object) -> None
        shift_x = shift_y = 0
        if plan.canvas:
            left, top, right, bottom = plan.canvas
            old = (self.image.width, self.image.height)
            self.image.resize(old[0] + left + right, old[1] + top + bottom, left, top)
            self.resized = (old, left, top)
            shift_x, shift_y = left, top
        group = gimp.GroupLayer(self.image, native_str(plan.group_name))
        parent, position = None, 0
        if source_layer is not None:
            parent = pdb.gimp_item_get_parent(source_layer)
            position = pdb.gimp_image_get_item_position(self.image, source_layer)
        pdb.gimp_image_insert_layer(self.image, group, parent, position)
        self.added.append(group)
        for index, layer_plan in enumerate(plan.layers):
            self._add_layer(layer_plan, group, index, shift_x, shift_y)

    def _harmonized(self, plan, source_layer):
        # type: (paste_plan.PastePlan, object) -> None
        """Per variation a group right above the object (the first on top and shown), holding the harmonized
        object over its shadow layer; the object and the layers under it are not touched."""
        parent = pdb.gimp_item_get_parent(source_layer)
        for group_plan in plan.layers:  # each at the object's place, so the first ends on top
            group = gimp.GroupLayer(self.image, native_str(group_plan.name))
            position = pdb.gimp_image_get_item_position(self.image, source_layer)
            pdb.gimp_image_insert_layer(self.image, group, parent, position)
            self.added.append(group)
            for index, layer_plan in enumerate(group_plan.layers):
                self._add_layer(layer_plan, group, index)
            group.visible = group_plan.visible

    def _into_group(self, plan, result_layer):
        # type: (paste_plan.PastePlan, object) -> None
        """Refine Result: the new layers just above the result layer, in its group."""
        parent = pdb.gimp_item_get_parent(result_layer)
        position = pdb.gimp_image_get_item_position(self.image, result_layer)
        for index, layer_plan in enumerate(plan.layers):
            self._add_layer(layer_plan, parent, position + index, on_its_own=True)

    def _add_layer(self, layer_plan, parent, position, shift_x=0, shift_y=0, on_its_own=False):
        # type: (paste_plan.LayerPlan, object, int, int, int, bool) -> object
        """One planned layer made, inserted under parent at position, placed (shifted by a grown canvas)
        and filled; what every target that adds layers does for each of them. on_its_own: not inside a group
        this paste made, so the layer itself is removed again if the paste fails (from insertion on)."""
        layer = self._make_layer(self.image, layer_plan)
        pdb.gimp_image_insert_layer(self.image, layer, parent, position)
        if on_its_own:
            self.added.append(layer)
        layer.set_offsets(layer_plan.x + shift_x, layer_plan.y + shift_y)
        self._fill(layer, layer_plan)
        return layer

    def _selection(self, plan):
        # type: (paste_plan.LayerPlan) -> None
        """Replace the selection by the matte (soft edges kept): through a temporary channel that is
        selected and removed again, all inside the caller's undo group."""
        width, height = self.image.width, self.image.height
        channel = pdb.gimp_channel_new(self.image, width, height, "imagen-gimp subject", 0.0, (0, 0, 0))
        pdb.gimp_image_insert_channel(self.image, channel, None, 0)
        try:
            _write_region(channel, b"\0" * (width * height), width, height)  # nothing selected outside
            x0, y0 = max(0, plan.x), max(0, plan.y)
            x1, y1 = min(width, plan.x + plan.width), min(height, plan.y + plan.height)
            if x1 > x0 and y1 > y0:
                data = paste_plan.selection_bytes(plan)
                inside = b"".join(data[(y0 - plan.y + row) * plan.width + x0 - plan.x:
                                       (y0 - plan.y + row) * plan.width + x1 - plan.x]
                                  for row in range(y1 - y0))
                region = channel.get_pixel_rgn(x0, y0, x1 - x0, y1 - y0, True, False)
                region[x0:x1, y0:y1] = inside
                channel.flush()
            pdb.gimp_image_select_item(self.image, 2, channel)  # CHANNEL_OP_REPLACE
        finally:
            pdb.gimp_image_remove_channel(self.image, channel)

    def _new_image(self, plan):
        # type: (paste_plan.PastePlan) -> object
        image = gimp.Image(plan.size[0], plan.size[1], gimpfu.RGB)
        image.disable_undo()
        try:
            for index, layer_plan in enumerate(plan.layers):
                layer = self._make_layer(image, layer_plan)
                pdb.gimp_image_insert_layer(image, layer, None, index)
                layer.set_offsets(layer_plan.x, layer_plan.y)
                self._fill(layer, layer_plan)
        except Exception:
            pdb.gimp_image_delete(image)
            raise
        finally:
            image.enable_undo()
        if self.interactive:
            gimp.Display(image)
        return image

    def _text(self, plan, values):
        # type: (paste_plan.PastePlan, dict) -> object
        text = paste_plan.describe_text(self.title, plan.texts)
        gimp.message(native_str(text))
        if values.get("store-comment") and plan.texts:
            pdb.gimp_image_undo_group_start(self.image)
            try:
                self.image.attach_new_parasite(paste_plan.COMMENT_PARASITE, PARASITE_FLAGS,
                                               text.encode("utf-8") + b"\0")
            finally:
                pdb.gimp_image_undo_group_end(self.image)
        return self.image

    def _make_layer(self, image, plan):
        # type: (object, paste_plan.LayerPlan) -> object
        kind = gimpfu.GRAYA_IMAGE if image.base_type == gimpfu.GRAY else gimpfu.RGBA_IMAGE
        return gimp.Layer(image, native_str(plan.name), plan.width, plan.height, kind, 100.0, NORMAL_MODE)

    def _fill(self, layer, plan):
        # type: (object, paste_plan.LayerPlan) -> None
        pixels = pixel_bytes.from_rgba(paste_plan.read_file(plan.pixels_path), layer.bpp)
        _write_region(layer, pixels, plan.width, plan.height)
        if plan.mask_path:
            mask = layer.create_mask(WHITE_MASK)
            layer.add_mask(mask)
            _write_region(mask, paste_plan.read_file(plan.mask_path), plan.width, plan.height)
        layer.visible = plan.visible
        layer.attach_new_parasite(paste_plan.PARASITE_NAME, PARASITE_FLAGS, plan.parasite)
        layer.update(0, 0, plan.width, plan.height)

    def _roll_back(self):
        # type: () -> None
        """Leave the image as it was: remove added layers, shrink the canvas back."""
        for item in self.added:  # the group: its layers go with it
            if pdb.gimp_item_is_valid(item):
                pdb.gimp_image_remove_layer(self.image, item)
        if self.resized:
            (width, height), left, top = self.resized
            self.image.resize(width, height, -left, -top)


def _write_region(drawable, data, width, height):
    # type: (object, bytes, int, int) -> None
    region = drawable.get_pixel_rgn(0, 0, width, height, True, False)
    region[0:width, 0:height] = data
    drawable.flush()
