"""GIMP 2.10's procedure arguments: the PF_* declarations gimpfu registers, and the values it hands back
as the plain values operation.build_operation takes. Python 2.7 (GIMP 2.10's), gimpfu and the standard
library only.
"""

from __future__ import absolute_import

import gimpfu

from plugin import params, settings_file
from plugin.errors import HostError
from plugin.hosts import pixel_bytes, procedures
from plugin.hosts.operation import color_hex, to_unicode
from plugin.params import Param  # noqa: F401 (type comments)


def pf_params(spec):
    # type: (procedures.Procedure) -> list
    """image, drawable (gimpfu adds neither when menu= is given), then the procedure's arguments."""
    params = [(gimpfu.PF_IMAGE, "image", "Input image", None),
              (gimpfu.PF_DRAWABLE, "drawable", "Input drawable", None)]
    return params + [pf_param(param) for param in spec.params]


def pf_param(param):
    # type: (Param) -> tuple
    if param.kind == "text":
        return (gimpfu.PF_TEXT, param.name, param.label, param.default)
    if param.kind in ("string", "names"):
        return (gimpfu.PF_STRING, param.name, param.label, param.default)
    if param.kind == "int":
        low, high = param.extra
        return (gimpfu.PF_SPINNER, param.name, param.label, param.default, (low, high, 1))
    if param.kind == "float":
        low, high = param.extra
        return (gimpfu.PF_SLIDER, param.name, param.label, param.default, (low, high, 0.005))
    if param.kind == "bool":
        return (gimpfu.PF_TOGGLE, param.name, param.label, bool(param.default))
    if param.kind == "choice":  # read at each start: gimpfu's dialog, built from this, follows the settings
        offered = params.offered_choices(param, param.name != "backend" or settings_file.imagen_enabled())
        nicks = [choice[0] for choice in offered]
        labels = tuple(choice[2] for choice in offered)
        return (gimpfu.PF_OPTION, param.name, param.label, nicks.index(param.default), labels)
    if param.kind == "color":
        return (gimpfu.PF_COLOR, param.name, param.label, pixel_bytes.hex_rgb(param.default))
    if param.kind == "file":
        return (gimpfu.PF_FILE, param.name, param.label, param.default)
    raise ValueError("unknown parameter kind %r" % (param.kind,))


def pf_results(spec):
    # type: (procedures.Procedure) -> list
    if procedures.returns_image(spec.action):
        return [(gimpfu.PF_IMAGE, "new-image", "The image holding the result")]
    return []


def read_values(spec, args):
    # type: (procedures.Procedure, tuple) -> dict
    """gimpfu's arguments as the plain values operation.build_operation takes (keyed by PDB name)."""
    if len(args) != len(spec.params):
        raise HostError("%s: expected %d arguments after the drawable, got %d"
                        % (spec.title, len(spec.params), len(args)))
    values = {}
    for param, raw in zip(spec.params, args):  # noqa: B905 (no strict= in 2.7)
        values[param.name] = plain_value(param, raw)
    return values


def plain_value(param, raw):
    # type: (Param, object) -> object
    if param.kind in ("text", "string", "names", "file"):
        return to_unicode(raw)
    if param.kind == "float":
        return param.default if raw is None else float(raw)
    if param.kind == "int":
        return param.default if raw is None else int(round(float(raw)))  # gtk spin buttons give floats
    if param.kind == "bool":
        return bool(raw)
    if param.kind == "choice":
        return pixel_bytes.choice_nick(param, raw)
    if param.kind == "color":
        return color_hex(raw, param.default)
    return raw
