"""The tests' host: hosts/interface.py's Host over a 60x40 RGBA picture with a 10x10 selection, no GIMP."""

from __future__ import annotations

from plugin.geometry import Rect
from plugin.hosts import procedures
from plugin.hosts.interface import Host


def values_for(action: str, **overrides) -> dict:
    """A dialog's values for `action`: its parameters' defaults, with overrides (underscores for dashes)."""
    proc = procedures.PROCEDURE_BY_ACTION[action]
    values = {param.name: param.default for param in proc.params}
    values.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return values


class FakeHost(Host):
    """Records what job_client.run_job reads and says, so tests can check the calls."""

    def __init__(self):
        self.selection = Rect(20, 10, 10, 10)
        self.calls = []
        self.recipe = None  # the active layer's parasite, parsed (Refine Result, Run Again)
        self.mask = None  # the active layer's mask: a Rect of 255 (0 elsewhere), or None for no mask

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
        sel = self.selection
        return bytes(
            255
            if sel.x <= rect.x + i % rect.width < sel.x + sel.width
            and sel.y <= rect.y + i // rect.width < sel.y + sel.height
            else 0
            for i in range(rect.width * rect.height)
        )

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
        box = self.mask
        return bytes(
            255
            if box.x <= rect.x + i % rect.width < box.x + box.width
            and box.y <= rect.y + i // rect.width < box.y + box.height
            else 0
            for i in range(rect.width * rect.height)
        )
