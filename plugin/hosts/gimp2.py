"""GIMP 2.10 I/O (gimpfu, Python 2.7): registers procedures.PROCEDURES; Gimp2Host reads pixel regions.

The twin of hosts/gimp3.py: only what gimpfu does differently lives here (PF_* parameters, pixel
regions, pdb calls, byte strings); every decision is in the shared modules. GIMP 2.10's Python is 2.7
without NumPy, so: Python 2.7 syntax, standard library and gimpfu only, type comments.
"""

from __future__ import absolute_import, division

import os
import traceback

import gimpfu
from gimpfu import gimp, pdb

from plugin import actions, errors
from plugin.errors import HostError
from plugin.geometry import Rect, intersect
from plugin.hosts import gimp2_arguments as arguments
from plugin.hosts import gimp2_scene, job_client, paste_plan, pixel_bytes, procedures
from plugin.hosts.gimp2_paste import Gimp2Writer
from plugin.hosts.interface import Host
from plugin.hosts.operation import native_str, to_unicode
from plugin.link import worker_client

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
AUTHOR = "imagen-gimp contributors"
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
        return job_client.run_call(spec.action, job.values, job, REPO)
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
    """One procedure call's reads (the call itself is job_client.run_call's, the paste Gimp2Writer's)."""

    def __init__(self, spec, image, drawable, values, interactive):
        # type: (procedures.Procedure, object, object, dict, bool) -> None
        self.action = spec.action
        self.title = spec.title
        self.image = image
        self.values = values
        self.interactive = interactive
        job_client.check_target(self.action, image is not None, isinstance(drawable, gimp.Layer),
                                bool(values.get("into-image")))
        # the layer the action reads (references: the active layer, unless names are typed)
        given = drawable if spec.needs_image and isinstance(drawable, gimp.Layer) else None
        self.layer, self.result_layer = job_client.source_layers(self.action, given, lambda it: _under(image, it))

    def close(self):
        # type: () -> None
        pdb.gimp_progress_end()

    def writer(self):
        # type: () -> Gimp2Writer
        return Gimp2Writer(self.image, self.interactive)

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
        return paste_plan.recipe_from_payload(parasite.data if parasite is not None else None)

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

