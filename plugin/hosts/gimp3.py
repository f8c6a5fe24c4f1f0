"""GIMP 3 I/O: registers the procedures from common.PROCEDURES and does the pixel work through gi.

Only GIMP calls live here (read the region, paste layers, progress, messages); every decision
is in common.py so the GIMP 2.10 adapter can share it. Imported by GIMP's own Python, which has
no NumPy: pixels move as bytes.

Tested on GIMP 3.0.4 and 3.2.6, which both load the GI namespace Gimp 3.0; what differs between
them for this plug-in is in "GIMP 3.0 and 3.2" below.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
gi.require_version("Babl", "0.1")
from gi.repository import Babl, Gegl, Gimp, GLib, GObject  # noqa: E402

from plugin import geometry  # noqa: E402
from plugin.geometry import Rect  # noqa: E402
from plugin.hosts import common  # noqa: E402
from plugin.hosts.common import HostError  # noqa: E402

RW = GObject.ParamFlags.READWRITE
RGBA = "R'G'B'A u8"
GRAY = "Y u8"
# babl formats of a layer that read_pixels takes as they are and widens to RGBA itself (bytes per
# pixel): 8-bit, non-linear, in sRGB (a layer of another colour space has a format name with the
# space appended, and goes through babl like every other precision)
NATIVE_BPP = {"R'G'B'A u8": 4, "R'G'B' u8": 3, "Y'A u8": 2, "Y' u8": 1}
NATIVE_FORMAT = {bpp: name for name, bpp in NATIVE_BPP.items()}
RETURNS_IMAGE = ("generate", "upscale", "customize")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------

def procedure_names() -> list[str]:
    return [proc.name for proc in common.PROCEDURES] + [common.SETUP_PROCEDURE]


def create_procedure(plugin: Gimp.PlugIn, name: str) -> Gimp.Procedure:
    """One ImageProcedure with the arguments of common.PROCEDURES[name], under the Imagen menu."""
    if name == common.SETUP_PROCEDURE:
        return _setup_procedure(plugin)
    spec = common.PROCEDURE_BY_NAME[name]
    proc = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run, None)
    proc.set_image_types("RGB*, GRAY*" if spec.needs_image else "*")
    proc.set_sensitivity_mask(_sensitivity(spec))
    proc.set_menu_label(spec.label)
    proc.add_menu_path(common.MENU_PATH)
    proc.set_documentation(spec.blurb, spec.blurb + ". Results come back as new layers; the "
                           "existing layers are never changed.", name)
    proc.set_attribution("imagen-gimp", "imagen-gimp contributors", "2026")
    for param in spec.params:
        _add_argument(proc, param)
    if spec.action in RETURNS_IMAGE:
        proc.add_image_return_value("new-image", "New image", "The image holding the result", True, RW)
    return proc


def _setup_procedure(plugin: Gimp.PlugIn) -> Gimp.Procedure:
    """Filters > Imagen > Check Setup: runs without an image; reports each check with its fix."""
    proc = Gimp.ImageProcedure.new(plugin, common.SETUP_PROCEDURE, Gimp.PDBProcType.PLUGIN, run_check_setup, None)
    proc.set_image_types("*")
    mask = Gimp.ProcedureSensitivityMask
    proc.set_sensitivity_mask(mask.ALWAYS | mask.NO_IMAGE | mask.NO_DRAWABLES | mask.DRAWABLE | mask.DRAWABLES)
    proc.set_menu_label(common.SETUP_LABEL)
    proc.add_menu_path(common.MENU_PATH)
    proc.set_documentation(common.SETUP_BLURB, common.SETUP_BLURB + ". Costs nothing and shows no secret.",
                           common.SETUP_PROCEDURE)
    proc.set_attribution("imagen-gimp", "imagen-gimp contributors", "2026")
    proc.add_string_return_value("report", "Report", "One line per check: OK or PROBLEM with its fix", "", RW)
    return proc


def run_check_setup(procedure, run_mode, image, drawables, config, run_data):
    """Run the checks in the venv; show them (a dialog when interactive, else a message)."""
    Gimp.progress_init("Imagen: checking the setup")
    try:
        text, passed = common.check_setup(REPO)
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


def _sensitivity(spec: common.Procedure) -> int:
    """One layer for most actions; references may be several selected layers (or none, when typed)."""
    mask = Gimp.ProcedureSensitivityMask
    if spec.action == "customize":
        return mask.DRAWABLE | mask.DRAWABLES | mask.NO_DRAWABLES
    return mask.DRAWABLE if spec.needs_image else mask.ALWAYS | mask.NO_IMAGE


def _add_argument(proc: Gimp.Procedure, param: common.Param) -> None:
    label = param.label
    blurb = param.blurb
    if param.kind in ("text", "string", "names"):
        proc.add_string_argument(param.name, label, blurb, param.default, RW)
    elif param.kind == "int":
        low, high = param.extra
        proc.add_int_argument(param.name, label, blurb, low, high, param.default, RW)
    elif param.kind == "float":
        low, high = param.extra
        proc.add_double_argument(param.name, label, blurb, low, high, param.default, RW)
    elif param.kind == "bool":
        proc.add_boolean_argument(param.name, label, blurb, param.default, RW)
    elif param.kind == "choice":
        choice = Gimp.Choice.new()
        for index, (nick, _value, choice_label) in enumerate(param.extra):
            choice.add(nick, index, choice_label, "")
        proc.add_choice_argument(param.name, label, blurb, choice, param.default, RW)
    elif param.kind == "color":
        Gegl.init(None)  # babl must be ready before a Gegl.Color exists (query time too)
        proc.add_color_argument(param.name, label, blurb, False, Gegl.Color.new(param.default), RW)
    elif param.kind == "file":
        proc.add_file_argument(param.name, label, blurb, Gimp.FileChooserAction.OPEN, True, None, RW)
    else:
        raise ValueError(f"unknown parameter kind {param.kind!r}")


def read_values(config: Gimp.ProcedureConfig, spec: common.Procedure) -> dict:
    """The config's values as plain Python (choice nick, '#rrggbb', file path)."""
    values = {}
    for param in spec.params:
        value = config.get_property(param.name)
        if param.kind == "color":
            value = _color_hex(value, param.default)
        elif param.kind == "file":
            value = value.get_path() if value is not None else ""
        values[param.name] = value
    return values


# ---------------------------------------------------------------------------------------------
# GIMP 3.0 and 3.2: what differs for this plug-in (ui/dialogs.py calls these)
# ---------------------------------------------------------------------------------------------
# - 3.2 shows a choice argument with up to three options as radio buttons (GimpIntRadioFrame),
#   whose frame has no mnemonic, and prints "no mnemonic for property ..." for it; 3.0 shows every
#   choice as a combo box. The dialogs ask both for a combo box (choice_widget_type).
# - In both, an empty string argument reads back as None; 3.0.4's entry then prints
#   "Gtk-CRITICAL: gtk_entry_buffer_set_text: assertion 'chars != NULL' failed" (3.2 copes).
#   prepare_config stores "" instead before a dialog is built.
# - 3.2 deprecates Drawable filters (brightness_contrast, levels, threshold, ...) and
#   GimpUi.DrawableChooser; this plug-in uses none of them (tests/gimp3 checks the typelib).

def choice_widget_type() -> type:
    """The widget the dialogs ask for a choice argument: a combo box in 3.0 and in 3.2."""
    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk  # only where a dialog is built: GIMP queries without GTK

    return Gtk.ComboBox


def prepare_config(config: Gimp.ProcedureConfig, spec: common.Procedure) -> None:
    """Store "" for string arguments that read back as None, before a dialog shows them (3.0.4)."""
    for param in spec.params:
        if param.kind in ("text", "string", "names") and config.get_property(param.name) is None:
            config.set_property(param.name, "")


def _color_hex(color: Gegl.Color | None, default: str) -> str:
    if color is None:
        return default
    data = color.get_bytes(Babl.format(RGBA)).get_data()
    return f"#{data[0]:02x}{data[1]:02x}{data[2]:02x}"


# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------

def run(procedure, run_mode, image, drawables, config, run_data):
    """Every procedure's run function: dialog, then the job; errors become a message + status."""
    spec = common.PROCEDURE_BY_NAME[procedure.get_name()]
    job = None
    try:
        if run_mode == Gimp.RunMode.INTERACTIVE:
            from ui import dialogs  # GTK only when there is a display

            if not dialogs.run_dialog(procedure, config, spec, image):
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
        job = Job(spec, run_mode, image, list(drawables), read_values(config, spec))
        new_image = job.run()
    except HostError as exc:
        return _fail(procedure, str(exc), Gimp.PDBStatusType.EXECUTION_ERROR)
    except Exception:  # a bug: show the traceback rather than GIMP's "no return values"
        title = common.TITLES[spec.action]
        text = f"{title} failed with an internal error; the image was not changed.\n{traceback.format_exc()}"
        return _fail(procedure, text, Gimp.PDBStatusType.EXECUTION_ERROR)
    finally:
        if job is not None:
            job.close()
    values = procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
    if spec.action in RETURNS_IMAGE:
        values.remove(1)
        values.insert(1, GObject.Value(Gimp.Image, new_image))
    return values


def _fail(procedure, text, status):
    Gimp.message(text)
    return procedure.new_return_values(status, GLib.Error(text))


class Job:
    """One procedure call: read the region, run the worker, paste; a failure pastes nothing but
    the variations that were finished before it."""

    def __init__(self, spec: common.Procedure, run_mode, image, drawables: list, values: dict):
        self.spec = spec
        self.action = spec.action
        self.title = common.TITLES[spec.action]
        self.run_mode = run_mode
        self.image = image
        self.values = values
        self.folder = None
        self.selected = [drawable for drawable in drawables if isinstance(drawable, Gimp.Layer)]
        one_layer = len(drawables) == 1 and len(self.selected) == 1
        common.check_target(self.action, image is not None, one_layer, bool(values.get("into-image")))
        # the layer the action reads (or, for references, the first selected one: the group goes above it)
        self.layer = self.selected[0] if spec.needs_image and self.selected else None
        self.clock = _Stages()

    def close(self) -> None:
        common.remove_job(self.folder)
        Gimp.progress_end()

    # -- reading --------------------------------------------------------------------------

    def run(self):
        clock = self.clock
        clock.mark("start")
        paste, self.folder = common.run_job(self.action, self.values, self, REPO, clock.mark)
        image = Paster(self.image, self.run_mode, self.title, clock).apply(paste, self.values, self.layer)
        clock.mark("paste")
        clock.report(self.title)
        return image

    # -- the host protocol of common.run_job ----------------------------------------------

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
        data = read_rgba(self.layer, rect, transparent_outside)
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

    def progress(self, fraction: float | None, text: str | None) -> None:
        if fraction is None:
            Gimp.progress_init(text or self.title)
            return
        if text:
            Gimp.progress_set_text(text)
        Gimp.progress_update(fraction)

    def message(self, text: str) -> None:
        Gimp.message(text)


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
    return common.pad_region(common.to_rgba(native, bpp), inner, rect, 4)


def _buffer_get(drawable, rect: Rect, layer_rect: Rect, babl_format: str, abyss) -> bytes:
    area = Gegl.Rectangle.new(rect.x - layer_rect.x, rect.y - layer_rect.y, rect.width, rect.height)
    return drawable.get_buffer().get(area, 1.0, babl_format, abyss)


def _rect_of(drawable) -> Rect:
    _ok, off_x, off_y = drawable.get_offsets()
    return Rect(off_x, off_y, drawable.get_width(), drawable.get_height())


def _walk(layers):
    """Every layer of a layer tree, top to bottom, groups before their children."""
    for layer in layers:
        yield layer
        if layer.is_group():
            yield from _walk(layer.get_children())


def _process_age() -> float:
    """Seconds since this process started (Linux; else 0): the plug-in's start-up, imports included."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            return round(float(uptime.read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK"), 3)
    except (OSError, ValueError, IndexError):
        return 0.0


class _Stages:
    """Seconds per stage, printed to stderr when IMAGEN_GIMP_TIMING is set (bench, debugging)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.parts: dict[str, float] = {"process age": _process_age()}

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self.last, 4)
        self.last = now

    def part(self, name: str, started: float) -> None:
        """Seconds since `started` added to a part of a stage (reported under "parts")."""
        self.parts[name] = round(self.parts.get(name, 0.0) + time.perf_counter() - started, 4)

    def report(self, title: str) -> None:
        if os.environ.get("IMAGEN_GIMP_TIMING"):
            record = {"action": title, **self.seconds, "parts": self.parts}
            sys.stderr.write("imagen-gimp timing " + json.dumps(record) + "\n")


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

class Paster:
    """Applies a PastePlan in one undo group; on any error removes what it added."""

    def __init__(self, image, run_mode, title: str, clock: _Stages | None = None):
        self.image = image
        self.run_mode = run_mode
        self.title = title
        self.clock = clock or _Stages()
        self.added = []
        self.resized = None

    def apply(self, plan: common.PastePlan, values: dict, source_layer):
        if plan.target == "text":
            return self._text(plan, values)
        if plan.target == "new-image":
            return self._new_image(plan)
        self.image.undo_group_start()
        try:
            self._into_image(plan, source_layer)
        except Exception:
            self._roll_back()
            raise
        finally:
            self.image.undo_group_end()
        return self.image

    def _into_image(self, plan: common.PastePlan, source_layer) -> None:
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
            started = time.perf_counter()
            layer = self._make_layer(self.image, layer_plan)
            self.image.insert_layer(layer, group, index)
            layer.set_offsets(layer_plan.x + shift_x, layer_plan.y + shift_y)
            self.clock.part("paste new layer", started)
            self._fill(layer, layer_plan)

    def _new_image(self, plan: common.PastePlan):
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

    def _text(self, plan: common.PastePlan, values: dict):
        text = common.describe_text(self.title, plan.texts)
        Gimp.message(text)
        if values.get("store-comment") and plan.texts:
            self.image.undo_group_start()
            try:
                data = list(text.encode("utf-8") + b"\0")
                flags = Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE
                self.image.attach_parasite(Gimp.Parasite.new(common.COMMENT_PARASITE, flags, data))
            finally:
                self.image.undo_group_end()
        return self.image

    def _make_layer(self, image, plan: common.LayerPlan) -> Gimp.Layer:
        kind = Gimp.ImageType.GRAYA_IMAGE if image.get_base_type() == Gimp.ImageBaseType.GRAY \
            else Gimp.ImageType.RGBA_IMAGE
        return Gimp.Layer.new(image, plan.name, plan.width, plan.height, kind, 100.0, Gimp.LayerMode.NORMAL)

    def _fill(self, layer: Gimp.Layer, plan: common.LayerPlan) -> None:
        area = Gegl.Rectangle.new(0, 0, plan.width, plan.height)
        started = time.perf_counter()
        buffer = layer.get_buffer()
        buffer.set(area, RGBA, common.read_file(plan.pixels_path))
        buffer.flush()
        self.clock.part("paste pixels", started)
        if plan.mask_path:
            started = time.perf_counter()
            mask = layer.create_mask(Gimp.AddMaskType.WHITE)
            layer.add_mask(mask)
            mask_buffer = mask.get_buffer()
            mask_buffer.set(area, GRAY, common.read_file(plan.mask_path))
            mask_buffer.flush()
            self.clock.part("paste mask", started)
        started = time.perf_counter()
        layer.set_visible(plan.visible)
        flags = Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE
        layer.attach_parasite(Gimp.Parasite.new(common.PARASITE_NAME, flags, list(plan.parasite)))
        layer.update(0, 0, plan.width, plan.height)
        self.clock.part("paste rest", started)

    def _roll_back(self) -> None:
        """Leave the image as it was: remove added layers, shrink the canvas back."""
        for item in self.added:  # the group: its layers go with it
            if item.is_valid():
                self.image.remove_layer(item)
        if self.resized:
            (width, height), left, top = self.resized
            self.image.resize(width, height, -left, -top)

