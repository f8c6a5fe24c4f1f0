"""GIMP 3 I/O: registers hosts/procedures.py's procedures; Gimp3Host is the host interface through gi.

Only GIMP calls live here (read the region, paste layers, progress, messages); every decision is in
the shared modules (job_client, regions, paste_plan) so the GIMP 2.10 adapter makes the same ones.
Imported by GIMP's own Python, which has no NumPy: pixels move as bytes.

Tested on GIMP 3.0.4 and 3.2.6, which both load the GI namespace Gimp 3.0; what differs between
them for this plug-in is in "GIMP 3.0 and 3.2" below.
"""

from __future__ import annotations

import os
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
gi.require_version("Babl", "0.1")
from gi.repository import Babl, Gegl, Gimp, GLib, GObject  # noqa: E402

from plugin import actions, errors, geometry  # noqa: E402
from plugin.errors import HostError  # noqa: E402
from plugin.geometry import Rect  # noqa: E402
from plugin.hosts import gimp3_arguments as arguments  # noqa: E402
from plugin.hosts import (  # noqa: E402
    gimp3_scene,  # noqa: E402
    job_client,
    paste_plan,
    pixel_bytes,
    procedures,
    timing,  # noqa: E402
)
from plugin.hosts.gimp3_paste import Gimp3Writer  # noqa: E402
from plugin.hosts.interface import Host  # noqa: E402
from plugin.link import worker_client  # noqa: E402

RW = GObject.ParamFlags.READWRITE
RGBA = "R'G'B'A u8"
GRAY = "Y u8"
# babl formats of a layer that read_pixels takes as they are and widens to RGBA itself (bytes per
# pixel): 8-bit, non-linear, in sRGB (a layer of another colour space has a format name with the
# space appended, and goes through babl like every other precision)
NATIVE_BPP = {"R'G'B'A u8": 4, "R'G'B' u8": 3, "Y'A u8": 2, "Y' u8": 1}
NATIVE_FORMAT = {bpp: name for name, bpp in NATIVE_BPP.items()}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


def procedure_names() -> list[str]:
    return [proc.name for proc in procedures.PROCEDURES] + [procedures.SETUP_PROCEDURE]


def create_procedure(plugin: Gimp.PlugIn, name: str) -> Gimp.Procedure:
    """One ImageProcedure with the arguments of procedures.PROCEDURES[name], under the Imagen menu."""
    if name == procedures.SETUP_PROCEDURE:
        return _setup_procedure(plugin)
    spec = procedures.PROCEDURE_BY_NAME[name]
    proc = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run, None)
    proc.set_image_types("RGB*, GRAY*" if spec.needs_image else "*")
    proc.set_sensitivity_mask(arguments.sensitivity(spec))
    proc.set_menu_label(spec.label)
    proc.add_menu_path(procedures.MENU_PATH)
    proc.set_documentation(
        spec.blurb, spec.blurb + ". Results come back as new layers; the existing layers are never changed.", name
    )
    proc.set_attribution("imagen-gimp", "imagen-gimp contributors", "2026")
    for param in spec.params:
        arguments.add_argument(proc, param)
    if procedures.returns_image(spec.action):
        proc.add_image_return_value("new-image", "New image", "The image holding the result", True, RW)
    return proc


def _setup_procedure(plugin: Gimp.PlugIn) -> Gimp.Procedure:
    """Filters > Imagen > Check Setup: runs without an image; reports each check with its fix."""
    proc = Gimp.ImageProcedure.new(plugin, procedures.SETUP_PROCEDURE, Gimp.PDBProcType.PLUGIN, run_check_setup, None)
    proc.set_image_types("*")
    mask = Gimp.ProcedureSensitivityMask
    proc.set_sensitivity_mask(mask.ALWAYS | mask.NO_IMAGE | mask.NO_DRAWABLES | mask.DRAWABLE | mask.DRAWABLES)
    proc.set_menu_label(procedures.SETUP_LABEL)
    proc.add_menu_path(procedures.MENU_PATH)
    proc.set_documentation(
        procedures.SETUP_BLURB,
        procedures.SETUP_BLURB + ". Costs nothing and shows no secret.",
        procedures.SETUP_PROCEDURE,
    )
    proc.set_attribution("imagen-gimp", "imagen-gimp contributors", "2026")
    proc.add_string_return_value("report", "Report", "One line per check: OK or PROBLEM with its fix", "", RW)
    return proc


def run_check_setup(procedure, run_mode, image, drawables, config, run_data):
    """Run the checks in the venv; show them (a dialog when interactive, else a message)."""
    Gimp.progress_init("Imagen: checking the setup")
    try:
        text, passed = worker_client.check_setup(REPO)
    finally:
        Gimp.progress_end()
    if run_mode == Gimp.RunMode.INTERACTIVE:
        from ui import setup_dialog  # GTK only when there is a display

        setup_dialog.show(text, passed)
    else:
        Gimp.message(text)
    values = procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
    values.remove(1)
    values.insert(1, GObject.Value(GObject.TYPE_STRING, text))
    return values


# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------


def run(procedure, run_mode, image, drawables, config, run_data):
    """Every procedure's run function: dialog, then the job; errors become a message + status."""
    spec = procedures.PROCEDURE_BY_NAME[procedure.get_name()]
    job = None
    try:
        if run_mode == Gimp.RunMode.INTERACTIVE and spec.params:  # nothing to ask: no dialog
            from ui import dialogs  # GTK only when there is a display

            if not dialogs.run_dialog(procedure, config, spec, image):
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
        job = Gimp3Host(spec, run_mode, image, list(drawables), arguments.read_values(config, spec))
        new_image = job_client.run_call(spec.action, job.values, job, REPO, job.clock)
    except (HostError, errors.BugReported) as exc:
        return _fail(procedure, str(exc), Gimp.PDBStatusType.EXECUTION_ERROR)
    except Exception as exc:  # a bug here: say so, keep the traceback, rather than GIMP's "no return values"
        tail = "\n".join(traceback.format_exc().strip().splitlines()[-4:])
        text = errors.bug_message(spec.title, "an internal error in the plug-in", errors.log_exception(exc), tail)
        return _fail(procedure, text, Gimp.PDBStatusType.EXECUTION_ERROR)
    finally:
        if job is not None:
            job.close()
    values = procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
    if procedures.returns_image(spec.action):
        values.remove(1)
        values.insert(1, GObject.Value(Gimp.Image, new_image))
    return values


def _fail(procedure, text, status):
    Gimp.message(text)
    return procedure.new_return_values(status, GLib.Error(text))


class Gimp3Host(Host):
    """One procedure call's reads (the call itself is job_client.run_call's, the paste Gimp3Writer's)."""

    def __init__(self, spec: procedures.Procedure, run_mode, image, drawables: list, values: dict):
        self.action = spec.action
        self.title = spec.title
        self.run_mode = run_mode
        self.image = image
        self.values = values
        self.selected = [drawable for drawable in drawables if isinstance(drawable, Gimp.Layer)]
        one_layer = len(drawables) == 1 and len(self.selected) == 1
        job_client.check_target(self.action, image is not None, one_layer, bool(values.get("into-image")))
        # the layer the action reads (or, for references, the first selected one: the group goes above it)
        given = self.selected[0] if spec.needs_image and self.selected else None
        self.layer, self.result_layer = job_client.source_layers(self.action, given, lambda it: _under(image, it))
        self.clock = timing.Stages()

    def close(self) -> None:
        Gimp.progress_end()

    def writer(self) -> Gimp3Writer:
        return Gimp3Writer(self.image, self.run_mode == Gimp.RunMode.INTERACTIVE, self.clock)

    # -- the Host interface (hosts/interface.py) ------------------------------------------

    def canvas_size(self) -> tuple | None:
        return (self.image.get_width(), self.image.get_height()) if self.image is not None else None

    def layer_rect(self) -> Rect | None:
        return _rect_of(self.layer) if self.layer is not None else None

    def selection_bounds(self) -> Rect | None:
        _ok, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(self.image)
        if not non_empty:
            return None
        return Rect(x1, y1, x2 - x1, y2 - y1)

    def read_pixels(self, rect: Rect, transparent_outside: bool) -> bytes:
        started = time.perf_counter()
        if self.result_layer is not None and self.values.get("afresh"):  # Start afresh: what the user sees
            visible = Gimp.Layer.new_from_visible(self.image, self.image, "imagen-gimp visible")
            try:
                data = read_rgba(visible, rect, transparent_outside)
            finally:
                visible.delete()
        else:
            data = read_rgba(self.layer, rect, transparent_outside)
            if actions.BY_NAME[self.action].reads == "object-and-scene":  # a pasted object cut out by a mask
                data = gimp3_scene.with_mask(self.layer, rect, data)
        self.clock.part("read pixels", started)
        return data

    def read_selection(self, rect: Rect) -> bytes:
        area = Gegl.Rectangle.new(rect.x, rect.y, rect.width, rect.height)
        started = time.perf_counter()
        data = self.image.get_selection().get_buffer().get(area, 1.0, GRAY, Gegl.AbyssPolicy.NONE)
        self.clock.part("read selection", started)
        return data

    def selected_layer_names(self) -> list[str]:
        return [layer.get_name() for layer in self.selected]

    def layer_names(self) -> list[str]:
        return [layer.get_name() for layer in _walk(self.image.get_layers())]

    def read_layer(self, name: str) -> tuple[int, int, bytes]:
        """A whole layer as RGBA (groups: what they show); the worker scales it to the model's size."""
        layer = next(layer for layer in _walk(self.image.get_layers()) if layer.get_name() == name)
        return layer.get_width(), layer.get_height(), read_rgba(layer, _rect_of(layer), True)

    def read_recipe(self) -> dict | None:
        layer = self.result_layer or self.layer
        parasite = layer.get_parasite(paste_plan.PARASITE_NAME) if layer is not None else None
        return paste_plan.recipe_from_payload(parasite.get_data() if parasite is not None else None)

    def read_layer_mask(self, rect: Rect) -> bytes | None:
        layer = self.result_layer or self.layer
        mask = layer.get_mask() if layer is not None else None
        if mask is None:
            return None
        return _buffer_get(mask, rect, _rect_of(layer), GRAY, Gegl.AbyssPolicy.NONE)

    def progress(self, fraction: float | None, text: str | None) -> None:
        if fraction is None:
            Gimp.progress_init(text or self.title)
            return
        if text:
            Gimp.progress_set_text(text)
        Gimp.progress_update(fraction)

    def message(self, text: str) -> None:
        Gimp.message(text)

    def read_scene(self, rect: Rect) -> bytes:
        started = time.perf_counter()
        data = gimp3_scene.read_below(self.image, self.layer, rect, read_rgba)
        self.clock.part("read scene", started)
        return data


def read_rgba(drawable, rect: Rect, transparent_outside: bool) -> bytes:
    """R'G'B'A u8 of rect (image coordinates) of a layer; transparent where the layer does not reach
    when transparent_outside, else the layer's edge pixels repeated.

    The layer's own 8-bit sRGB formats (NATIVE_BPP) are read as they are, in one call and only where
    the layer has pixels, and widened here: a babl conversion costs its first use in each plug-in
    process 0.5-2.5 s (babl's search for the fastest exact conversion path), far more than the bytes
    (milliseconds). Other precisions, colour spaces and indexed layers go through babl.
    """
    bpp = NATIVE_BPP.get(Babl.get_name(drawable.get_format()))
    layer_rect = _rect_of(drawable)
    if bpp is None:
        abyss = Gegl.AbyssPolicy.NONE if transparent_outside else Gegl.AbyssPolicy.CLAMP
        return _buffer_get(drawable, rect, layer_rect, RGBA, abyss)
    # plan_input never sends a rect past the layer without transparent_outside; were it to, babl's
    # clamp (the edge repeated) is what it gets, as before
    inner = geometry.intersect(rect, layer_rect) if transparent_outside else rect
    if inner.width <= 0 or inner.height <= 0:
        return bytes(rect.width * rect.height * 4)
    native = _buffer_get(drawable, inner, layer_rect, NATIVE_FORMAT[bpp], Gegl.AbyssPolicy.CLAMP)
    return pixel_bytes.pad_region(pixel_bytes.to_rgba(native, bpp), inner, rect, 4)


def _buffer_get(drawable, rect: Rect, layer_rect: Rect, babl_format: str, abyss) -> bytes:
    area = Gegl.Rectangle.new(rect.x - layer_rect.x, rect.y - layer_rect.y, rect.width, rect.height)
    return drawable.get_buffer().get(area, 1.0, babl_format, abyss)


def _rect_of(drawable) -> Rect:
    _ok, off_x, off_y = drawable.get_offsets()
    return Rect(off_x, off_y, drawable.get_width(), drawable.get_height())


def _under(image, layer):
    """What a result layer was made from: the layer just below its group (the group an action adds above
    its source layer), else just below the layer itself; None when nothing is below."""
    item = layer.get_parent() or layer
    parent = item.get_parent()
    siblings = parent.get_children() if parent is not None else image.get_layers()
    position = image.get_item_position(item)
    for below in siblings[position + 1 :]:
        if not below.is_group():
            return below
    return None


def _walk(layers):
    """Every layer of a layer tree, top to bottom, groups before their children."""
    for layer in layers:
        yield layer
        if layer.is_group():
            yield from _walk(layer.get_children())
