"""A paste plan (hosts/paste_plan.py) applied through the host interface's write half, once for both GIMPs.

The order of the GIMP calls, the one undo group and the roll back live here; a Writer
(hosts/interface.py: Gimp3Writer, Gimp2Writer, the tests' FakeImage) only makes each call. On any
failure what this paste added is removed again and a grown canvas shrinks back, so the user's image
stays as it was: the user's own layers are never touched. GIMP's Python (2.7 for GIMP 2.10):
standard library only, 2.7 syntax, type comments.
"""

from __future__ import absolute_import

from plugin.hosts import paste_plan


def apply(writer, plan, values, beside):
    # type: (object, paste_plan.PastePlan, dict, object) -> object
    """Paste `plan` through `writer` (the call's image); returns the image holding the result (a new
    image for "new-image"). beside: the layer the results go above (the result layer for Refine Result,
    the object for Harmonize, else the layer read; None when nothing was read). A text result's message
    is the caller's; here only its comment is stored, when asked."""
    if plan.target == "text":
        if values.get("store-comment") and plan.texts:
            _store_comment(writer, plan)
        return writer.image
    if plan.target == "new-image":
        return _new_image(writer, plan)
    paste = _Paste(writer)
    writer.undo_group_start()
    try:
        if plan.target == "selection":
            paste.selection(plan.layers[0])
        elif plan.target == "harmonized":
            paste.harmonized(plan, beside)
        elif plan.target == "into-group":
            paste.into_group(plan, beside)
        else:
            paste.into_image(plan, beside)
        if plan.selection is not None:  # Run Again: the result's mask, in this undo step
            paste.selection(plan.selection)
    except Exception:
        paste.roll_back()
        raise
    finally:
        writer.undo_group_end()
    return writer.image


class _Paste(object):
    """One paste into the call's image: what it added (for the roll back) and how it grew the canvas."""

    def __init__(self, writer):
        # type: (object) -> None
        self.writer = writer
        self.added = []  # type: list
        self.resized = None  # type: object

    def into_image(self, plan, source_layer):
        # type: (paste_plan.PastePlan, object) -> None
        """A group above the layer read (on top without one), holding the layers; the canvas grown first
        (outpaint), the layers shifted with it."""
        writer = self.writer
        shift_x = shift_y = 0
        if plan.canvas:
            left, top, right, bottom = plan.canvas
            width, height = writer.size()
            writer.resize(width + left + right, height + top + bottom, left, top)
            self.resized = ((width, height), left, top)
            shift_x, shift_y = left, top
        parent, position = None, 0
        if source_layer is not None:
            parent, position = writer.parent(source_layer), writer.position(source_layer)
        group = writer.insert_group(plan.group_name, parent, position)
        self.added.append(group)
        for index, layer_plan in enumerate(plan.layers):
            add_layer(writer, layer_plan, group, index, shift_x, shift_y)

    def harmonized(self, plan, source_layer):
        # type: (paste_plan.PastePlan, object) -> None
        """Per variation a group right above the object (the first on top, the only one shown), holding the
        harmonized object over its shadow layer; the object and the layers under it are not touched."""
        writer = self.writer
        parent = writer.parent(source_layer)
        for group_plan in plan.layers:  # each at the object's place, so the first ends on top
            group = writer.insert_group(group_plan.name, parent, writer.position(source_layer))
            self.added.append(group)
            for index, layer_plan in enumerate(group_plan.layers):
                add_layer(writer, layer_plan, group, index)
            writer.set_visible(group, group_plan.visible)

    def into_group(self, plan, result_layer):
        # type: (paste_plan.PastePlan, object) -> None
        """Refine Result: the new layers just above the result layer, in its group. They lie outside any
        group this paste made, so each is kept for the roll back from its insertion on."""
        writer = self.writer
        parent, position = writer.parent(result_layer), writer.position(result_layer)
        for index, layer_plan in enumerate(plan.layers):
            add_layer(writer, layer_plan, parent, position + index, added=self.added)

    def selection(self, layer_plan):
        # type: (paste_plan.LayerPlan) -> None
        """The selection replaced by the plan's values (soft edges kept), cut to the image."""
        width, height = self.writer.size()
        data = paste_plan.selection_bytes(layer_plan)
        x0, y0 = max(0, layer_plan.x), max(0, layer_plan.y)
        x1, y1 = min(width, layer_plan.x + layer_plan.width), min(height, layer_plan.y + layer_plan.height)
        if x1 <= x0 or y1 <= y0:  # wholly outside: an empty rectangle, nothing selected
            x0 = y0 = x1 = y1 = 0
        row = layer_plan.width
        inside = b"".join(data[(y0 - layer_plan.y + r) * row + x0 - layer_plan.x:
                               (y0 - layer_plan.y + r) * row + x1 - layer_plan.x]
                          for r in range(y1 - y0))
        self.writer.replace_selection(x0, y0, x1 - x0, y1 - y0, inside)

    def roll_back(self):
        # type: () -> None
        """Leave the image as it was: remove what was added (a group takes its layers), shrink the canvas."""
        for item in self.added:
            self.writer.remove_layer(item)
        if self.resized:
            (width, height), left, top = self.resized
            self.writer.resize(width, height, -left, -top)


def add_layer(writer, layer_plan, parent, position, shift_x=0, shift_y=0, added=None):
    # type: (object, paste_plan.LayerPlan, object, int, int, int, list) -> object
    """One planned layer made, inserted under parent at position, placed (shifted by a grown canvas),
    filled, masked, shown or hidden and given its provenance: what every target that adds layers does for
    each of them. added: where a layer outside a pasted group is kept for the roll back."""
    layer = writer.insert_layer(layer_plan.name, layer_plan.width, layer_plan.height, parent, position)
    if added is not None:
        added.append(layer)
    writer.set_offsets(layer, layer_plan.x + shift_x, layer_plan.y + shift_y)
    writer.write_pixels(layer, paste_plan.read_file(layer_plan.pixels_path))
    if layer_plan.mask_path:
        writer.add_mask(layer, paste_plan.read_file(layer_plan.mask_path))
    writer.set_visible(layer, layer_plan.visible)
    writer.attach_parasite(layer, paste_plan.PARASITE_NAME, layer_plan.parasite)
    return layer


def _new_image(writer, plan):
    # type: (object, paste_plan.PastePlan) -> object
    """The layers in a new image (undo off while they are added), shown; deleted again on failure."""
    image = writer.new_image(plan.size[0], plan.size[1])
    try:
        for index, layer_plan in enumerate(plan.layers):
            add_layer(image, layer_plan, None, index)
    except Exception:
        image.delete_image()
        raise
    image.display()
    return image.image


def _store_comment(writer, plan):
    # type: (object, paste_plan.PastePlan) -> None
    """Describe's text as the image's comment (File > Image Properties), in one undo step."""
    text = paste_plan.describe_text(u"", plan.texts)  # with texts, the title is not part of it
    writer.undo_group_start()
    try:
        writer.attach_parasite(None, paste_plan.COMMENT_PARASITE, text.encode("utf-8") + b"\0")
    finally:
        writer.undo_group_end()
