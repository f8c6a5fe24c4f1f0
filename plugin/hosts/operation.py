"""The dialog's values (keyed by PDB argument name) as the job's operation, and text as each Python
wants it. GIMP's Python (2.7 for GIMP 2.10): standard library only, 2.7 syntax, type comments."""

from __future__ import absolute_import

from plugin import actions, geometry
from plugin.errors import HostError
from plugin.hosts.procedures import PROCEDURE_BY_ACTION, choice_value, field_name
from plugin.link.jobfiles import text


def build_operation(action, values, canvas_size=None):
    # type: (str, dict, tuple) -> dict
    """The operation dict for job.json from the dialog's values.

    Choices become their values, seed 0 becomes None (random), host-only values are dropped and
    Expand's aspect ratio + anchor become margins for `canvas_size`. Range checks are the worker's
    job (ops.from_dict), so every entry point gives the same message.
    """
    proc = PROCEDURE_BY_ACTION[action]
    operation = {"action": action}
    for param in proc.params:
        if param.host_only:
            continue
        value = values.get(param.name, param.default)
        if param.kind == "choice":
            value = choice_value(param, value)
        elif param.kind in ("string", "text", "file", "color"):
            value = "" if value is None else text(value)
        elif param.kind == "names":
            value = split_names(value)
        elif param.kind == "float":
            value = float(value)
        if param.name == "seed":
            value = int(value) or None
        operation[field_name(param.name)] = value
    operation.update(actions.BY_NAME[action].fixed)
    if action == "outpaint":
        operation.update(_outpaint_margins(proc, values, canvas_size))
    return operation


def split_names(value, known=()):
    # type: (object, tuple) -> list
    """'Sketch, mug photo' -> ['Sketch', 'mug photo']: typed layer names, in order, each once.

    A comma inside one of the `known` names ('Copy, 2') does not split it.
    """
    pieces = to_unicode(value).replace("\n", ",").split(",")
    names = []
    start = 0
    while start < len(pieces):
        end = next((end for end in range(len(pieces), start + 1, -1)
                    if ",".join(pieces[start:end]).strip() in known), start + 1)
        name = ",".join(pieces[start:end]).strip()
        if name and name not in names:
            names.append(name)
        start = end
    return names


def _outpaint_margins(proc, values, canvas_size):
    # type: (object, dict, tuple) -> dict
    params = dict((param.name, param) for param in proc.params)
    mode = choice_value(params["expand-mode"], values.get("expand-mode", params["expand-mode"].default))
    if mode == "margins":
        margins = [int(values.get(side, 0)) for side in ("left", "top", "right", "bottom")]
        left, top, right, bottom = geometry.expanded_canvas(0, 0, margins=margins)
    else:
        if not canvas_size:
            raise HostError("Expand Canvas needs an image to expand")
        ratio_param = params["aspect-ratio"]
        ratio = choice_value(ratio_param, values.get("aspect-ratio", ratio_param.default))
        aspect = [int(part) for part in ratio.split(":")]
        anchor = choice_value(params["anchor"], values.get("anchor", "center"))
        left, top, right, bottom = geometry.expanded_canvas(
            canvas_size[0], canvas_size[1], aspect=aspect, anchor=anchor)
        if not (left or top or right or bottom):
            raise HostError("The image already has the aspect ratio %s: choose another ratio, or "
                            "set Expand to 'By margins in pixels'." % ratio)
    return {"left": left, "top": top, "right": right, "bottom": bottom}


def to_unicode(value):
    # type: (object) -> str
    """Text as unicode, also from Python 2's byte strings (GIMP 2.10's UTF-8 str, which text() keeps)."""
    if value is None:
        return u""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, type(u"")):
        return value
    return type(u"")(value)


def native_str(value):
    # type: (str) -> str
    """Text as the host's str: UTF-8 bytes on Python 2 (pygimp would encode unicode as ASCII), str on 3."""
    if isinstance(value, bytes) and bytes is not str:
        return value.decode("utf-8", "replace")
    if isinstance(value, type(u"")) and bytes is str:
        return value.encode("utf-8")
    return value


def color_hex(value, default):
    # type: (object, str) -> str
    """A colour as '#rrggbb' from what hosts hand over: '#hex', (r, g, b) as 0-255 or 0-1, or .r/.g/.b."""
    if value is None:
        return default
    if isinstance(value, (bytes, type(u""))):
        return to_unicode(value)
    if hasattr(value, "r"):
        channels = (value.r, value.g, value.b)
    else:
        channels = tuple(value)[:3]
    if all(isinstance(c, int) for c in channels):
        ints = channels
    else:
        ints = [int(round(float(c) * 255)) for c in channels]
    return u"#%02x%02x%02x" % tuple(max(0, min(255, c)) for c in ints)
