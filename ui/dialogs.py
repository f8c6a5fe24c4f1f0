"""The procedure dialog: GIMP's auto-generated ProcedureDialog, arranged per action.

GimpUi.ProcedureDialog stores and restores the last values itself; we only group the fields so
the prompt comes first and the fine controls (mask, backend) sit in their own frames, and add one
line under the backend that says what pressing OK will cost and where it runs.
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gimp, GimpUi, GObject, Gtk  # noqa: E402

from plugin import params, settings_file  # noqa: E402
from plugin.geometry import Rect  # noqa: E402
from plugin.hosts import gimp3_arguments, paste_plan, procedures  # noqa: E402
from ui import again_line  # noqa: E402
from ui import cost as costs  # noqa: E402

MASK_FIELDS = ("grow", "feather", "context")
RUN_FIELDS = ("variations", "seed", "backend", "tier", "max-size", "model", "new-tier", "new-model", "new-seed")
SIZE_FIELDS = ("expand-mode", "aspect-ratio", "anchor", "left", "top", "right", "bottom")
REFERENCE_FIELDS = ("reference-layers", "kind", "description", "subject-type", "compute-control")
SCENE_FIELDS = ("context", "shadow")  # Harmonize (the only action with a shadow): no selection, a scene
FRAMES = (
    ("reference-frame", REFERENCE_FIELDS, "References (empty names = the selected layers)"),
    ("size-frame", SIZE_FIELDS, "New canvas size"),
    ("scene-frame", SCENE_FIELDS, "Scene around the object"),
    ("mask-frame", MASK_FIELDS, "Selection edge and context"),
    ("run-frame", RUN_FIELDS, "Variations, model and cost"),
)
SENSITIVE_IF = (  # field, the choice it depends on, the nicks that make it matter
    ("left", "expand-mode", ("margins",)),
    ("top", "expand-mode", ("margins",)),
    ("right", "expand-mode", ("margins",)),
    ("bottom", "expand-mode", ("margins",)),
    ("aspect-ratio", "expand-mode", ("aspect",)),
    ("anchor", "expand-mode", ("aspect",)),
    ("color", "mode", ("color",)),
    ("blur-radius", "mode", ("blur",)),
    ("image-path", "mode", ("image",)),
    ("prompt", "mode", ("prompt",)),
    ("description", "kind", ("subject", "style")),
    ("subject-type", "kind", ("subject",)),
    ("compute-control", "kind", ("scribble", "canny")),
)


COST_FIELDS = (
    "variations",
    "backend",
    "mode",
    "tier",
    "max-size",
    "model",
    "factor",
    "aspect-ratio",
    "grow",
    "feather",
    "context",
    "expand-mode",
    "left",
    "top",
    "right",
    "bottom",
    "anchor",
    "shadow",
    "new-tier",
)
"""The values the cost line depends on (mode: Replace Background's; only 'prompt' needs a model; the
rest decide the tier and the size of what is sent)."""


def run_dialog(
    procedure: Gimp.Procedure, config: Gimp.ProcedureConfig, spec: procedures.Procedure, image: Gimp.Image | None = None
) -> bool:
    """Show the dialog; True when the user pressed OK (the config then holds the values)."""
    GimpUi.init("imagen-gimp")
    recipe = _recipe(image)
    if spec.action == "again" and recipe:
        prefill_again(config, spec, recipe)
    dialog, cost = build_dialog(procedure, config, spec, _geometry(image), recipe)
    try:
        return dialog.run()
    finally:
        if cost is not None:
            cost.close()
        dialog.destroy()


def prefill_again(config: Gimp.ProcedureConfig, spec: procedures.Procedure, recipe: dict) -> None:
    """Run Again opens with the result's recipe (ui.again_line.opening_values), not the last run's values."""
    names = [param.name for param in spec.params]
    for name, value in again_line.opening_values(recipe).items():
        if name in names:
            config.set_property(name, value)


def build_dialog(
    procedure: Gimp.Procedure,
    config: Gimp.ProcedureConfig,
    spec: procedures.Procedure,
    geometry: tuple | None = None,
    recipe: dict | None = None,
) -> tuple[GimpUi.ProcedureDialog, CostLine | None]:
    """The filled dialog, not shown yet, and its cost line (close() it before destroying the dialog)."""
    title = spec.title
    gimp3_arguments.prepare_config(config, spec)
    dialog = GimpUi.ProcedureDialog.new(procedure, config, title)
    names = [param.name for param in spec.params]
    framed = [name for _frame, fields, _label in FRAMES for name in fields]
    layout = [name for name in names if name not in framed]
    texts = {}  # text argument: the frame holding its box
    for param in spec.params:
        if param.kind == "text":
            texts[param.name] = _text_box(dialog, config, param)
            layout[layout.index(param.name)] = param.name + "-frame"
        elif param.kind == "choice":
            widget = dialog.get_widget(param.name, gimp3_arguments.choice_widget_type())
            if param.name == params.BACKEND.name and not settings_file.imagen_enabled():
                _leave_out(widget, config, param, params.offered_choices(param, False))
    cost = None
    used = set()
    for frame, fields, label in FRAMES:
        if frame == "scene-frame" and "shadow" not in names:
            continue
        present = [name for name in fields if name in names and name not in used]
        used.update(present)
        if present:
            box = dialog.fill_box(frame + "-box", present)
            dialog.get_label(frame + "-label", label, False, False)
            dialog.fill_frame(frame, frame + "-label", False, frame + "-box")
            box.set_spacing(4)
            layout.append(frame)
            if frame == "run-frame":
                setup = _cloud_setup()
                summary = AgainLine(config, names, recipe, setup) if spec.action == "again" else None
                if summary is not None:  # Run Again: the read-only line saying what will run, then the cost
                    box.pack_start(summary.label, False, False, 2)
                cost = CostLine(config, spec, names, setup, geometry, recipe)
                box.pack_start(cost.label, False, False, 2)
                if summary is not None:
                    cost = _Both(cost, summary)
    dialog.fill(layout)
    if spec.action == "again" and not again_line.has_edge(recipe or {}):  # no selection edge: nothing to change
        for name in ("grow", "feather"):
            dialog.get_widget(name, GObject.TYPE_NONE).set_sensitive(False)
    for field, choice, nicks in SENSITIVE_IF:  # after fill: the widgets exist
        if field in texts and choice in names:  # GIMP knows only its own widgets by name
            _sensitive_if_in(texts[field], config, choice, nicks)
        elif field in names and choice in names:
            dialog.set_sensitive_if_in(field, None, choice, _choice_values(*nicks), True)
    return dialog, cost


def _text_box(dialog: GimpUi.ProcedureDialog, config: Gimp.ProcedureConfig, param: params.Param) -> Gtk.Frame:
    """A multi-line box for a text argument, in a frame headed by its label (NAME-frame).

    Made here rather than by dialog.get_widget(name, Gtk.TextView): GIMP gives that text view no
    label, so it has no mnemonic and GIMP says so on the console. This heading's mnemonic (Alt+P
    for "_Prompt") moves the focus into the box.
    """
    view = Gtk.TextView.new_with_buffer(GimpUi.prop_text_buffer_new(config, param.name, -1))
    view.set_size_request(420, 72)
    view.set_wrap_mode(Gtk.WrapMode.WORD_CHAR)
    for side in ("top", "bottom", "left", "right"):  # as GIMP's own text view
        getattr(view, f"set_{side}_margin")(3)
    view.set_tooltip_text(param.blurb)
    heading = dialog.get_label(param.name + "-label", param.label, False, True)
    heading.set_mnemonic_widget(view)
    frame = dialog.fill_frame(param.name + "-frame", param.name + "-label", False, None)
    frame.add(view)
    view.show()
    return frame


def _leave_out(widget: Gtk.Widget, config: Gimp.ProcedureConfig, param: params.Param, offered: tuple) -> None:
    """Take the choices not offered (the Imagen (legacy) backend unless the settings enable it) out of a
    choice's combo box. The PDB argument keeps them, so a script's values still mean what they meant."""
    keep = {nick for nick, _value, _label in offered}
    combo = widget.get_widget() if isinstance(widget, GimpUi.Labeled) else widget  # the combo box in its label
    model = combo.get_model()
    strings = [i for i in range(model.get_n_columns()) if model.get_column_type(i) == GObject.TYPE_STRING]
    nicks = {nick for nick, _value, _label in param.extra}
    for row in list(model):
        named = {row[i] for i in strings} & nicks
        if named and not named & keep:
            model.remove(row.iter)
    if config.get_property(param.name) not in keep:  # the last run's value is no longer offered
        config.set_property(param.name, param.default)


def _sensitive_if_in(widget: Gtk.Widget, config: Gimp.ProcedureConfig, choice: str, nicks: tuple) -> None:
    """What dialog.set_sensitive_if_in does, for a widget GIMP did not make (a text box)."""

    def update(*_args) -> None:
        widget.set_sensitive(config.get_property(choice) in nicks)

    handler = config.connect("notify::" + choice, update)
    widget.connect("destroy", lambda *_args: config.disconnect(handler))  # the config outlives it
    update()


class _FollowingLine:
    """A wrapping label that follows some of the config's values (its notify signals) until close()."""

    NAME = ""

    def __init__(self, config: Gimp.ProcedureConfig, fields: list[str]):
        self.config, self.fields = config, fields
        self.label = Gtk.Label(xalign=0.0)
        self.label.set_line_wrap(True)
        self.label.set_max_width_chars(52)  # wrap instead of widening the dialog
        self.label.set_name(self.NAME)
        self.label.show()
        self.handlers = [config.connect("notify::" + name, self.update) for name in self.fields]
        self.update()

    def values(self) -> dict:
        return {name: self.config.get_property(name) for name in self.fields}

    def update(self, *_args) -> None:
        """Rewrite the label from the values (each line says its own)."""

    def close(self) -> None:
        """Stop following the config, which outlives the dialog."""
        for handler in self.handlers:
            self.config.disconnect(handler)
        self.handlers = []


class CostLine(_FollowingLine):
    """A label saying what pressing OK costs and where it runs (ui.cost.run_cost), kept current.

    The settings are read once (ui.cost.cloud_setup: no network, no key file); the label follows the
    config's notify signals, so it changes as the user turns the variations or picks a tier. geometry:
    (canvas size, layer Rect, selection Rect or None) of the image, for the size tier of the estimate.
    """

    NAME = "imagen-cost-line"

    def __init__(
        self,
        config: Gimp.ProcedureConfig,
        spec: procedures.Procedure,
        names: list[str],
        setup: costs.CloudSetup | None,
        geometry: tuple | None = None,
        recipe: dict | None = None,
    ):
        self.recipe = recipe  # Refine Result / Run Again: the result layer's
        self.action = spec.action
        self.setup = setup
        self.geometry = geometry
        super().__init__(config, [name for name in COST_FIELDS if name in names])

    def update(self, *_args) -> None:
        values = self.values()
        area = costs.area_of(self.action, values, *self.geometry) if self.geometry else None
        self.label.set_text(costs.run_cost(self.action, values, self.setup, area, self.recipe))


class AgainLine(_FollowingLine):
    """Run Again's read-only line (ui.again_line.summary), following the values that change it."""

    NAME = "imagen-again-line"
    FIELDS = ("new-tier", "new-model", "new-seed", "variations", "grow", "feather")

    def __init__(
        self, config: Gimp.ProcedureConfig, names: list[str], recipe: dict | None, setup: costs.CloudSetup | None
    ):
        self.recipe = recipe
        self.catalogue = setup.catalogue if setup is not None else None
        super().__init__(config, [name for name in self.FIELDS if name in names])

    def update(self, *_args) -> None:
        self.label.set_text("Runs: " + again_line.summary(self.recipe, self.values(), self.catalogue))


class _Both:
    """The cost line and Run Again's line, closed together (build_dialog returns one thing to close)."""

    def __init__(self, cost: CostLine | None, summary: AgainLine):
        self.cost, self.summary = cost, summary
        self.label = cost.label if cost is not None else summary.label

    @property
    def handlers(self) -> list:
        return (self.cost.handlers if self.cost is not None else []) + self.summary.handlers

    def close(self) -> None:
        if self.cost is not None:
            self.cost.close()
        self.summary.close()


def _geometry(image: Gimp.Image | None) -> tuple | None:
    """(canvas size, active layer's Rect, selection Rect or None): what the cost line sizes by."""
    if image is None:
        return None
    layers = [d for d in image.get_selected_drawables() if isinstance(d, Gimp.Layer)]
    if len(layers) != 1:
        return None
    layer = layers[0]
    _ok, off_x, off_y = layer.get_offsets()
    _ok, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    selection = Rect(x1, y1, x2 - x1, y2 - y1) if non_empty else None
    return (
        (image.get_width(), image.get_height()),
        Rect(off_x, off_y, layer.get_width(), layer.get_height()),
        selection,
    )


def _recipe(image: Gimp.Image | None) -> dict | None:
    """The selected layer's recipe (its provenance parasite), for Refine Result's and Run Again's cost line."""
    layers = image.get_selected_layers() if image is not None else []
    parasite = layers[0].get_parasite(paste_plan.PARASITE_NAME) if len(layers) == 1 else None
    return paste_plan.recipe_from_payload(parasite.get_data() if parasite is not None else None)


def _cloud_setup() -> costs.CloudSetup | None:
    """The settings for the cost line; a surprise in the user's files must not keep the dialog shut."""
    try:
        return costs.cloud_setup()
    except Exception as exc:  # noqa: BLE001 - the line then says what Automatic does in either case
        print(f"imagen-gimp: cannot read the settings for the cost line: {exc}", file=sys.stderr)
        return None


def _choice_values(*nicks: str) -> Gimp.ValueArray:
    values = Gimp.ValueArray.new(len(nicks))
    for nick in nicks:
        values.append(nick)
    return values
