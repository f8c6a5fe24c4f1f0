"""The procedure dialog: GIMP's auto-generated ProcedureDialog, arranged per action.

GimpUi.ProcedureDialog stores and restores the last values itself; we only group the fields so
the prompt comes first and the fine controls (mask, backend) sit in their own frames.
"""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gimp, GimpUi, Gtk  # noqa: E402

from plugin.hosts import common  # noqa: E402

MASK_FIELDS = ("grow", "feather", "context")
RUN_FIELDS = ("variations", "seed", "backend", "model")
SIZE_FIELDS = ("expand-mode", "aspect-ratio", "anchor", "left", "top", "right", "bottom")
REFERENCE_FIELDS = ("reference-layers", "kind", "description", "subject-type", "compute-control")
AREA_FIELDS = ("edit", "mask-mode", "classes", "dilation")
FRAMES = (("reference-frame", REFERENCE_FIELDS, "References (empty names = the selected layers)"),
          ("area-frame", AREA_FIELDS, "What the service finds and changes"),
          ("size-frame", SIZE_FIELDS, "New canvas size"),
          ("mask-frame", MASK_FIELDS, "Selection edge and context"),
          ("run-frame", RUN_FIELDS, "Variations and backend"))
SENSITIVE_IF = (  # field, the choice it depends on, the nicks that make it matter
    ("left", "expand-mode", ("margins",)), ("top", "expand-mode", ("margins",)),
    ("right", "expand-mode", ("margins",)), ("bottom", "expand-mode", ("margins",)),
    ("aspect-ratio", "expand-mode", ("aspect",)), ("anchor", "expand-mode", ("aspect",)),
    ("color", "mode", ("color",)), ("blur-radius", "mode", ("blur",)), ("image-path", "mode", ("image",)),
    ("prompt", "mode", ("prompt",)),
    ("description", "kind", ("subject", "style")), ("subject-type", "kind", ("subject",)),
    ("compute-control", "kind", ("scribble", "canny")),
    ("classes", "mask-mode", ("semantic",)),
    ("prompt", "edit", ("insert", "background")), ("negative-prompt", "edit", ("insert", "background")),
)


def run_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig, spec: common.Procedure,
               image: Gimp.Image | None = None) -> bool:
    """Show the dialog; True when the user pressed OK (the config then holds the values)."""
    GimpUi.init("imagen-gimp")
    title = common.TITLES[spec.action]
    dialog = GimpUi.ProcedureDialog.new(procedure, config, title)
    names = [param.name for param in spec.params]
    kinds = {param.name: param.kind for param in spec.params}
    framed = [name for _frame, fields, _label in FRAMES for name in fields]
    layout = [name for name in names if name not in framed]
    for name in names:
        if kinds[name] == "text":  # a multi-line box under a heading (a text view has no label)
            view = dialog.get_widget(name, Gtk.TextView)
            view.set_size_request(420, 72)
            view.set_wrap_mode(Gtk.WrapMode.WORD_CHAR)
            label = next(p.label for p in spec.params if p.name == name)
            dialog.get_label(name + "-label", label.replace("_", ""), False, False)
            dialog.fill_frame(name + "-frame", name + "-label", False, name)
            layout[layout.index(name)] = name + "-frame"
    for frame, fields, label in FRAMES:
        present = [name for name in fields if name in names]
        if present:
            box = dialog.fill_box(frame + "-box", present)
            dialog.get_label(frame + "-label", label, False, False)
            dialog.fill_frame(frame, frame + "-label", False, frame + "-box")
            box.set_spacing(4)
            layout.append(frame)
    dialog.fill(layout)
    for field, choice, nicks in SENSITIVE_IF:  # after fill: the widgets exist
        if field in names and choice in names:
            dialog.set_sensitive_if_in(field, None, choice, _choice_values(*nicks), True)
    ok = dialog.run()
    dialog.destroy()
    return ok


def _choice_values(*nicks: str) -> Gimp.ValueArray:
    values = Gimp.ValueArray.new(len(nicks))
    for nick in nicks:
        values.append(nick)
    return values
