"""GIMP 3's procedure arguments: how each parameter of the action table is declared to the PDB, read back
from a ProcedureConfig, and what differs between GIMP 3.0 and 3.2 for them (ui/dialogs.py calls these)."""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
gi.require_version("Babl", "0.1")
from gi.repository import Babl, Gegl, Gimp, GObject  # noqa: E402

from plugin import actions  # noqa: E402
from plugin.hosts import procedures  # noqa: E402
from plugin.params import Param  # noqa: E402

RW = GObject.ParamFlags.READWRITE
RGBA = "R'G'B'A u8"


def sensitivity(spec: procedures.Procedure) -> int:
    """One layer for most actions; references may be several selected layers (or none, when typed)."""
    mask = Gimp.ProcedureSensitivityMask
    if actions.BY_NAME[spec.action].reads == "references":
        return mask.DRAWABLE | mask.DRAWABLES | mask.NO_DRAWABLES
    return mask.DRAWABLE if spec.needs_image else mask.ALWAYS | mask.NO_IMAGE


def add_argument(proc: Gimp.Procedure, param: Param) -> None:
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


def read_values(config: Gimp.ProcedureConfig, spec: procedures.Procedure) -> dict:
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


def prepare_config(config: Gimp.ProcedureConfig, spec: procedures.Procedure) -> None:
    """Store "" for string arguments that read back as None, before a dialog shows them (3.0.4)."""
    for param in spec.params:
        if param.kind in ("text", "string", "names") and config.get_property(param.name) is None:
            config.set_property(param.name, "")


def _color_hex(color: Gegl.Color | None, default: str) -> str:
    if color is None:
        return default
    data = color.get_bytes(Babl.format(RGBA)).get_data()
    return f"#{data[0]:02x}{data[1]:02x}{data[2]:02x}"
