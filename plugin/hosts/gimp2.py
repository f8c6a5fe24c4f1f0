"""GIMP 2.10 I/O (gimpfu, Python 2.7): registers procedures.PROCEDURES; Gimp2Host reads pixel regions.

The twin of hosts/gimp3.py: only what gimpfu does differently lives here (PF_* parameters, pixel
regions, pdb calls, byte strings); every decision is in the shared modules. GIMP 2.10's Python is 2.7
without NumPy, so: Python 2.7 syntax, standard library and gimpfu only, type comments.
"""

from __future__ import absolute_import, division

import json
import os
import traceback

import gimpfu
from gimpfu import gimp, pdb

from plugin import actions, errors
from plugin.errors import HostError
from plugin.geometry import Rect, intersect
from plugin.hosts import gimp2_arguments as arguments
from plugin.hosts import gimp2_scene, job_client, paste_plan, pixel_bytes, procedures
from plugin.hosts.interface import Host
from plugin.hosts.operation import native_str, to_unicode
from plugin.link import jobs, worker_client

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
AUTHOR = "imagen-gimp contributors"
PARASITE_FLAGS = getattr(gimpfu, "PARASITE_PERSISTENT", 1) | getattr(gimpfu, "PARASITE_UNDOABLE", 2)
NORMAL_MODE = getattr(gimpfu, "LAYER_MODE_NORMAL", getattr(gimpfu, "NORMAL_MODE", 0))
WHITE_MASK = getattr(gimpfu, "ADD_MASK_WHITE", getattr(gimpfu, "ADD_WHITE_MASK", 0))
_run_state = {"interactive": False}


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------

def register_all():
    # type: () -> None
    """gimpfu.register() every procedure of procedures.PROCEDURES under the Imagen menu."""
    for spec in procedures.PROCEDURES:
        gimpfu.register(
            spec.name, spec.blurb,
            spec.blurb + ". Results come back as new layers; the existing layers are never changed.",
            AUTHOR, AUTHOR, "2026", spec.label, "RGB*, GRAY*" if spec.needs_image else "",
            arguments.pf_params(spec), arguments.pf_results(spec), make_function(spec),
            menu=procedures.MENU_PATH, on_run=_mark_interactive)
    gimpfu.register(
        procedures.SETUP_PROCEDURE, procedures.SETUP_BLURB,
        procedures.SETUP_BLURB + ". Costs nothing and shows no secret.",
        AUTHOR, AUTHOR, "2026", procedures.SETUP_LABEL, "", [], [(gimpfu.PF_STRING, "report", "One line per check")],
        check_setup, menu=procedures.MENU_PATH)


def check_setup():
    # type: () -> str
    """Filters > Imagen > Check Setup: the checks run in the venv; the report is shown as a message."""
    pdb.gimp_progress_init("Imagen: checking the setup", None)
    try:
        text, _passed = worker_client.check_setup(REPO)
    finally:
        pdb.gimp_progress_end()
    gimp.message(native_str(text))
    return native_str(text)


def make_function(spec):
    # type: (procedures.Procedure) -> object
    def imagen_procedure(image, drawable, *args):
        return run_procedure(spec, image, drawable, args)
    imagen_procedure.__name__ = str(spec.name.replace("-", "_"))
    return imagen_procedure


def _mark_interactive():
    # type: () -> None
    """gimpfu calls on_run only before its dialog: how we learn the run is INTERACTIVE."""
    _run_state["interactive"] = True


# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------

def run_procedure(spec, image, drawable, args):
    # type: (procedures.Procedure, object, object, tuple) -> object
    """Every procedure's function: errors become a message and a failed PDB call, image untouched."""
    interactive = _run_state["interactive"]
    _run_state["interactive"] = False
    title = spec.title
    job = None
    try:
        job = Gimp2Host(spec, image, drawable, arguments.read_values(spec, args), interactive)
        return job.run()
    except (HostError, errors.BugReported) as exc:
        _fail(to_unicode(exc.args[0] if exc.args else title))
    except Exception as exc:  # a bug here: say so and keep the traceback, rather than a bare "execution error"
        tail = u"\n".join(to_unicode(traceback.format_exc()).strip().splitlines()[-4:])
        _fail(errors.bug_message(title, "an internal error in the plug-in", errors.log_exception(exc), tail))
    finally:
        if job is not None:
            job.close()


def _fail(text):
    # type: (str) -> None
    """gimpfu's fail(): show the message, then raise so the PDB call returns an execution error."""
    message = native_str(text)
    gimp.message(message)
    raise gimpfu.error(message)


class Gimp2Host(Host):
    """One procedure call: read the region, run the worker, paste; a failure pastes nothing but
    the variations that were finished before it."""

    def __init__(self, spec, image, drawable, values, interactive):
        # type: (procedures.Procedure, object, object, dict, bool) -> None
        self.spec = spec
        self.action = spec.action
        self.title = spec.title
        self.image = image
        self.values = values
        self.interactive = interactive
        self.folder = None
        job_client.check_target(self.action, image is not None, isinstance(drawable, gimp.Layer),
                            bool(values.get("into-image")))
        # the layer the action reads (references: the active layer, unless names are typed)
        self.layer = drawable if spec.needs_image and isinstance(drawable, gimp.Layer) else None
        # Refine Result / Run Again: the active layer is a result; what it was made from lies under it
        self.result_layer = None
        if self.layer is not None and actions.BY_NAME[self.action].reads == "recipe":
            self.result_layer = self.layer
            self.layer = _under(image, self.layer) or self.layer

    def close(self):
        # type: () -> None
        jobs.remove_job(self.folder)
        pdb.gimp_progress_end()

    def run(self):
        # type: () -> object
        paste, self.folder = job_client.run_job(self.action, self.values, self, REPO)
        beside = self.result_layer if paste.target == "into-group" else self.layer
        return Paster(self.image, self.title, self.interactive).apply(paste, self.values, beside)

    # -- the Host side of run_job ---------------------------------------------------------

    def canvas_size(self):
        # type: () -> tuple
        return (self.image.width, self.image.height) if self.image is not None else None

    def layer_rect(self):
        # type: () -> Rect
        if self.layer is None:
            return None
        off_x, off_y = self.layer.offsets
        return Rect(off_x, off_y, self.layer.width, self.layer.height)

    def selection_bounds(self):
        # type: () -> Rect
        non_empty, x1, y1, x2, y2 = pdb.gimp_selection_bounds(self.image)
        if not non_empty:
            return None
        return Rect(x1, y1, x2 - x1, y2 - y1)

    def read_pixels(self, rect, transparent_outside):
        # type: (Rect, bool) -> bytes
        """RGBA of rect (image coordinates); transparent where the layer does not reach. Harmonize's object
        is read as shown: a layer mask, if it has one, multiplied into the alpha. Start afresh: the image as
        shown (the result over what it was made from)."""
        if self.result_layer is not None and self.values.get("afresh"):
            visible = pdb.gimp_layer_new_from_visible(self.image, self.image, "imagen-gimp visible")
            try:
                return _read_rgba(visible, rect)
            finally:
                pdb.gimp_item_delete(visible)
        data = _read_rgba(self.layer, rect)
        if actions.BY_NAME[self.action].reads != "object-and-scene":
            return data
        mask = self.layer.mask
        if mask is not None:
            values, inner = _read_region(mask, self.layer_rect(), rect)
            data = pixel_bytes.masked_alpha(data, pixel_bytes.pad_region(values, inner, rect, 1))
        return data

    def read_selection(self, rect):
        # type: (Rect) -> bytes
        """The selection over rect; 0 (not selected) off the canvas."""
        canvas = Rect(0, 0, self.image.width, self.image.height)
        data, inner = _read_region(self.image.selection, canvas, rect)
        return pixel_bytes.pad_region(data, inner, rect, 1)

    def selected_layer_names(self):
        # type: () -> list
        """GIMP 2.10 has one active layer; more references are chosen by typing their names."""
        return [to_unicode(self.layer.name)] if self.layer is not None else []

    def layer_names(self):
        # type: () -> list
        return [to_unicode(layer.name) for layer in _walk(self.image.layers)]

    def read_layer(self, name):
        # type: (str) -> tuple
        """A whole layer as RGBA; the worker scales it to the model's size."""
        layer = [item for item in _walk(self.image.layers) if to_unicode(item.name) == name][0]
        rect = Rect(layer.offsets[0], layer.offsets[1], layer.width, layer.height)
        data, _inner = _read_region(layer, rect, rect)
        return layer.width, layer.height, pixel_bytes.to_rgba(data, layer.bpp)

    def read_recipe(self):
        # type: () -> dict
        layer = self.result_layer or self.layer
        parasite = layer.parasite_find(paste_plan.PARASITE_NAME) if layer is not None else None
        if parasite is None:
            return None
        try:
            recipe = json.loads(to_unicode(parasite.data))
        except ValueError:
            return None
        return recipe if isinstance(recipe, dict) else None

    def read_layer_mask(self, rect):
        # type: (Rect) -> bytes
        layer = self.result_layer or self.layer
        if layer is None or layer.mask is None:
            return None
        off_x, off_y = layer.offsets
        data, inner = _read_region(layer.mask, Rect(off_x, off_y, layer.width, layer.height), rect)
        return pixel_bytes.pad_region(data, inner, rect, 1)

    def progress(self, fraction, text=None):
        # type: (float, str) -> None
        if fraction is None:
            gimp.progress_init(native_str(text or self.title))
            return
        if text:
            pdb.gimp_progress_set_text(native_str(text))
        gimp.progress_update(fraction)

    def message(self, text):
        # type: (str) -> None
        gimp.message(native_str(text))

    def read_scene(self, rect):
        # type: (Rect) -> bytes
        return gimp2_scene.read_below(self.image, self.layer, rect, _read_rgba)


def _under(image, layer):
    # type: (object, object) -> object
    """What a result layer was made from: the layer just below its group, else just below the layer."""
    group = pdb.gimp_item_get_parent(layer)
    item = group if group is not None else layer
    parent = pdb.gimp_item_get_parent(item)
    siblings = list(parent.layers if parent is not None else image.layers)
    position = pdb.gimp_image_get_item_position(image, item)
    for below in siblings[position + 1:]:
        if not isinstance(below, gimp.GroupLayer):
            return below
    return None


def _walk(layers):
    # type: (list) -> list
    """Every layer of a layer tree, top to bottom, groups before their children."""
    found = []
    for layer in layers:
        found.append(layer)
        if isinstance(layer, gimp.GroupLayer):
            found.extend(_walk(layer.layers))
    return found


def _read_rgba(drawable, rect):
    # type: (object, Rect) -> bytes
    """A drawable's RGBA over rect (image coordinates), transparent where it does not reach."""
    data, inner = _read_region(drawable, Rect(drawable.offsets[0], drawable.offsets[1], drawable.width,
                                              drawable.height), rect)
    return pixel_bytes.pad_region(pixel_bytes.to_rgba(data, drawable.bpp), inner, rect, 4)


def _read_region(drawable, drawable_rect, rect):
    # type: (object, Rect, Rect) -> tuple
    """The bytes of rect's overlap with the drawable (read through one pixel region), and that overlap."""
    inner = intersect(rect, drawable_rect)
    if inner.width <= 0 or inner.height <= 0:
        return b"", inner
    x, y = inner.x - drawable_rect.x, inner.y - drawable_rect.y
    region = drawable.get_pixel_rgn(x, y, inner.width, inner.height, False, False)
    return region[x:x + inner.width, y:y + inner.height], inner


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

class Paster(object):
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
            layer = self._make_layer(self.image, layer_plan)
            pdb.gimp_image_insert_layer(self.image, layer, group, index)
            layer.set_offsets(layer_plan.x + shift_x, layer_plan.y + shift_y)
            self._fill(layer, layer_plan)

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
                layer = self._make_layer(self.image, layer_plan)
                pdb.gimp_image_insert_layer(self.image, layer, group, index)
                layer.set_offsets(layer_plan.x, layer_plan.y)
                self._fill(layer, layer_plan)
            group.visible = group_plan.visible

    def _into_group(self, plan, result_layer):
        # type: (paste_plan.PastePlan, object) -> None
        """Refine Result: the new layers just above the result layer, in its group."""
        parent = pdb.gimp_item_get_parent(result_layer)
        position = pdb.gimp_image_get_item_position(self.image, result_layer)
        for index, layer_plan in enumerate(plan.layers):
            layer = self._make_layer(self.image, layer_plan)
            pdb.gimp_image_insert_layer(self.image, layer, parent, position + index)
            self.added.append(layer)
            layer.set_offsets(layer_plan.x, layer_plan.y)
            self._fill(layer, layer_plan)

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
