"""The tests' host: hosts/interface.py's Host over a 60x40 RGBA picture with a 10x10 selection, and its
Writer (FakeImage: the image as a tree of layers, every undo group and change recorded), no GIMP."""

from __future__ import annotations

from plugin.geometry import Rect
from plugin.hosts import procedures
from plugin.hosts.interface import Host, Writer


def values_for(action: str, **overrides) -> dict:
    """A dialog's values for `action`: its parameters' defaults, with overrides (underscores for dashes)."""
    proc = procedures.PROCEDURE_BY_ACTION[action]
    values = {param.name: param.default for param in proc.params}
    values.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return values


def box_bytes(box, rect) -> bytes:
    """A one-channel mask over `rect`: 255 inside `box` (image coordinates), 0 elsewhere."""
    return bytes(
        255
        if box.x <= rect.x + i % rect.width < box.x + box.width
        and box.y <= rect.y + i // rect.width < box.y + box.height
        else 0
        for i in range(rect.width * rect.height)
    )


class FakeHost(Host):
    """Records what job_client.run_job reads and says, so tests can check the calls."""

    def __init__(self):
        self.selection = Rect(20, 10, 10, 10)
        self.calls = []
        self.recipe = None  # the active layer's parasite, parsed (Refine Result, Run Again)
        self.mask = None  # the active layer's mask: a Rect of 255 (0 elsewhere), or None for no mask
        self.image = FakeImage(60, 40)
        self.layer = self.image.add("Photo", 60, 40)  # the user's layer: the paste must never change it

    def writer(self):
        return self.image

    def canvas_size(self):
        return (60, 40)

    def layer_rect(self):
        return Rect(0, 0, 60, 40)

    def selection_bounds(self):
        return self.selection

    def read_pixels(self, rect, transparent_outside):
        self.calls.append(("pixels", tuple(rect)))
        return bytes(v for i in range(rect.width * rect.height) for v in (i * 7 % 256, i % 199, 90, 255))

    def read_selection(self, rect):
        self.calls.append(("selection", tuple(rect)))
        return box_bytes(self.selection, rect)

    def selected_layer_names(self):
        return ["Photo"]

    def layer_names(self):
        return ["Photo", "Mug", "Sketch"]

    def read_layer(self, name):
        self.calls.append(("layer", name))
        width, height = {"Photo": (60, 40), "Mug": (30, 50), "Sketch": (20, 20)}[name]
        colour = {"Photo": b"\x10\x20\x30\xff", "Mug": b"\xc8\x10\x10\xff", "Sketch": b"\0\0\0\xff"}[name]
        return width, height, colour * (width * height)

    def progress(self, fraction, text):
        self.calls.append(("progress", fraction))

    def message(self, text):
        self.calls.append(("message", text))

    def read_scene(self, rect):
        """The layers below: a flat blue-grey picture, transparent right of x = 50 (nothing there)."""
        self.calls.append(("scene", tuple(rect)))
        return b"".join(
            b"\x50\x60\x70\xff" if rect.x + i % rect.width < 50 else b"\0\0\0\0"
            for i in range(rect.width * rect.height)
        )

    def read_recipe(self):
        self.calls.append(("recipe",))
        return dict(self.recipe) if self.recipe is not None else None

    def read_layer_mask(self, rect):
        self.calls.append(("mask", tuple(rect)))
        if self.mask is None:
            return None
        return box_bytes(self.mask, rect)


class FakeLayer:
    """A layer (or a group: children) of a FakeImage."""

    def __init__(self, name: str, width: int, height: int, group: bool = False):
        self.name, self.width, self.height = name, width, height
        self.children = [] if group else None
        self.offsets = (0, 0)
        self.pixels = self.mask = None
        self.visible = True
        self.parasites = {}

    def tree(self) -> tuple:
        """(name, offsets, visible, children's trees) for comparing whole images."""
        kids = tuple(child.tree() for child in self.children) if self.children is not None else None
        return (self.name, self.offsets, self.visible, kids)


class FakeImage(Writer):
    """hosts/interface.py's Writer over a tree of FakeLayers. Records each undo group and whether a change
    was made outside one; fail=(primitive, n) makes the n-th call of that primitive raise."""

    def __init__(self, width: int, height: int, fail: tuple | None = None, interactive: bool = False):
        self.image = self
        self.width, self.height = width, height
        self.layers = []
        self.parasites = {}
        self.selection = bytes(width * height)
        self.fail = fail
        self.counts = {}
        self.depth = 0
        self.undo_groups = 0
        self.outside_group = []  # changes made outside an undo group (with undo on)
        self.undo_enabled = True
        self.interactive = interactive
        self.shown = self.deleted = False
        self.new_images = []

    def add(self, name: str, width: int, height: int) -> FakeLayer:
        """A layer the user made (no undo, no primitive), on top."""
        layer = FakeLayer(name, width, height)
        layer.pixels = bytes([7, 8, 9, 255]) * (width * height)
        self.layers.insert(0, layer)
        return layer

    def tree(self) -> tuple:
        return ((self.width, self.height), tuple(layer.tree() for layer in self.layers))

    def walk(self, layers=None):
        for layer in self.layers if layers is None else layers:
            yield layer
            if layer.children is not None:
                yield from self.walk(layer.children)

    def _call(self, name: str, changes: bool = True) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
        if self.fail == (name, self.counts[name]):
            raise RuntimeError(f"injected failure in {name}")
        if changes and self.undo_enabled and self.depth == 0:
            self.outside_group.append(name)

    def _siblings(self, parent) -> list:
        return self.layers if parent is None else parent.children

    def size(self):
        return (self.width, self.height)

    def undo_group_start(self):
        self._call("undo_group_start", changes=False)
        self.undo_groups += self.depth == 0
        self.depth += 1

    def undo_group_end(self):
        assert self.depth > 0, "an undo group ended that was not started"
        self.depth -= 1

    def resize(self, width, height, offset_x, offset_y):
        self._call("resize")
        self.width, self.height = width, height
        for layer in self.walk():
            layer.offsets = (layer.offsets[0] + offset_x, layer.offsets[1] + offset_y)

    def parent(self, item):
        return next((layer for layer in self.walk() if layer.children and item in layer.children), None)

    def position(self, item):
        return self._siblings(self.parent(item)).index(item)

    def insert_group(self, name, parent, position):
        self._call("insert_group")
        group = FakeLayer(name, 0, 0, group=True)
        self._siblings(parent).insert(position, group)
        return group

    def insert_layer(self, name, width, height, parent, position):
        self._call("insert_layer")
        layer = FakeLayer(name, width, height)
        layer.pixels = bytes(width * height * 4)
        self._siblings(parent).insert(position, layer)
        return layer

    def set_offsets(self, layer, x, y):
        self._call("set_offsets")
        layer.offsets = (x, y)

    def write_pixels(self, layer, rgba):
        self._call("write_pixels")
        assert len(rgba) == layer.width * layer.height * 4
        layer.pixels = rgba

    def add_mask(self, layer, values):
        self._call("add_mask")
        assert len(values) == layer.width * layer.height
        layer.mask = values

    def set_visible(self, item, visible):
        self._call("set_visible")
        item.visible = visible

    def attach_parasite(self, item, name, data):
        self._call("attach_parasite")
        (item.parasites if item is not None else self.parasites)[name] = bytes(data)

    def remove_layer(self, item):
        self._call("remove_layer")
        parent = self.parent(item)
        if item in self._siblings(parent):
            self._siblings(parent).remove(item)

    def replace_selection(self, x, y, width, height, values):
        self._call("replace_selection")
        assert 0 <= x and 0 <= y and x + width <= self.width and y + height <= self.height
        assert len(values) == width * height
        selection = bytearray(self.width * self.height)
        for row in range(height):
            start = (y + row) * self.width + x
            selection[start : start + width] = values[row * width : (row + 1) * width]
        self.selection = bytes(selection)

    def new_image(self, width, height):
        self._call("new_image", changes=False)
        image = FakeImage(width, height, self.fail, self.interactive)
        image.counts = self.counts  # one count per primitive across the call
        image.undo_enabled = False
        self.new_images.append(image)
        return image

    def display(self):
        self.undo_enabled = True
        self.shown = self.interactive

    def delete_image(self):
        self.deleted = True
