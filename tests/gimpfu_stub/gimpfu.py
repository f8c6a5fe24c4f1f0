"""Stub of GIMP 2.10's gimpfu: register(), the PF_* types, main(), fail(), and the run logic.

register/_query/_get_defaults/_run follow gimpfu.py of the gimp-2-10 branch (same checks, same
tuple layout, same last-values rule), so a plug-in registers and runs here as it does in GIMP.
Only the GTK dialog is replaced: an INTERACTIVE run asks `gimp._stub.dialog(proc_name, defaults)`
for the values (default: press OK on the defaults; raise CancelError to cancel).
"""
# ruff: noqa: F403, F405, UP004, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import string as _string

import gimp
import gimpcolor
from gimpenums import *

pdb = gimp.pdb


class error(RuntimeError):
    pass


class CancelError(RuntimeError):
    pass


PF_INT8 = PDB_INT8
PF_INT16 = PDB_INT16
PF_INT32 = PDB_INT32
PF_INT = PF_INT32
PF_FLOAT = PDB_FLOAT
PF_STRING = PDB_STRING
PF_VALUE = PF_STRING
PF_COLOR = PDB_COLOR
PF_COLOUR = PF_COLOR
PF_REGION = PDB_REGION
PF_DISPLAY = PDB_DISPLAY
PF_IMAGE = PDB_IMAGE
PF_LAYER = PDB_LAYER
PF_CHANNEL = PDB_CHANNEL
PF_DRAWABLE = PDB_DRAWABLE
PF_VECTORS = PDB_VECTORS

PF_TOGGLE = 1000
PF_BOOL = PF_TOGGLE
PF_SLIDER = 1001
PF_SPINNER = 1002
PF_ADJUSTMENT = PF_SPINNER
PF_FONT = 1003
PF_FILE = 1004
PF_BRUSH = 1005
PF_PATTERN = 1006
PF_GRADIENT = 1007
PF_RADIO = 1008
PF_TEXT = 1009
PF_PALETTE = 1010
PF_FILENAME = 1011
PF_DIRNAME = 1012
PF_OPTION = 1013

_type_mapping = {
    PF_INT8: PDB_INT8, PF_INT16: PDB_INT16, PF_INT32: PDB_INT32, PF_FLOAT: PDB_FLOAT,
    PF_STRING: PDB_STRING, PF_COLOR: PDB_COLOR, PF_REGION: PDB_REGION, PF_DISPLAY: PDB_DISPLAY,
    PF_IMAGE: PDB_IMAGE, PF_LAYER: PDB_LAYER, PF_CHANNEL: PDB_CHANNEL, PF_DRAWABLE: PDB_DRAWABLE,
    PF_VECTORS: PDB_VECTORS, PF_TOGGLE: PDB_INT32, PF_SLIDER: PDB_FLOAT, PF_SPINNER: PDB_INT32,
    PF_FONT: PDB_STRING, PF_FILE: PDB_STRING, PF_BRUSH: PDB_STRING, PF_PATTERN: PDB_STRING,
    PF_GRADIENT: PDB_STRING, PF_RADIO: PDB_STRING, PF_TEXT: PDB_STRING, PF_PALETTE: PDB_STRING,
    PF_FILENAME: PDB_STRING, PF_DIRNAME: PDB_STRING, PF_OPTION: PDB_INT32,
}

_obj_mapping = {
    PF_INT8: int, PF_INT16: int, PF_INT32: int, PF_FLOAT: float, PF_STRING: str,
    PF_COLOR: gimpcolor.RGB, PF_REGION: int, PF_DISPLAY: gimp.Display, PF_IMAGE: gimp.Image,
    PF_LAYER: gimp.Layer, PF_CHANNEL: gimp.Channel, PF_DRAWABLE: gimp.Drawable, PF_VECTORS: object,
    PF_TOGGLE: bool, PF_SLIDER: float, PF_SPINNER: int, PF_FONT: str, PF_FILE: str, PF_BRUSH: str,
    PF_PATTERN: str, PF_GRADIENT: str, PF_RADIO: str, PF_TEXT: str, PF_PALETTE: str, PF_FILENAME: str,
    PF_DIRNAME: str, PF_OPTION: int,
}

_registered_plugins_ = {}
_ALLOWED = set(getattr(_string, "letters", _string.ascii_letters) + _string.digits + "_" + "-")


def _letter_check(text):
    return all(ch in _ALLOWED for ch in text)


def register(proc_name, blurb, help, author, copyright, date, label, imagetypes, params, results, function,
             menu=None, domain=None, on_query=None, on_run=None):
    """This is called to register a new plug-in."""
    if not _letter_check(proc_name):
        raise error("procedure name contains illegal characters")
    for ent in params:
        if len(ent) < 4:
            raise error("parameter definition must contain at least 4 elements (%s given: %s)"
                        % (len(ent), ent))
        if type(ent[0]) is not int:
            raise error("parameter types must be integers")
        if not _letter_check(ent[1]):
            raise error("parameter name contains illegal characters")
        if ent[0] in (PF_SPINNER, PF_SLIDER, PF_RADIO, PF_OPTION) and len(ent) < 5:
            raise error("%s needs a fifth element (its range or choices)" % ent[1])  # the dialog would fail
    for ent in results:
        if len(ent) < 3:
            raise error("result definition must contain at least 3 elements (%s given: %s)"
                        % (len(ent), ent))
        if type(ent[0]) is not int:
            raise error("result types must be integers")
        if not _letter_check(ent[1]):
            raise error("result name contains illegal characters")
    prefixes = ("python-", "python_", "extension-", "extension_", "plug-in-", "plug_in_", "file-", "file_")
    if not proc_name.startswith(prefixes):
        proc_name = "python-fu-" + proc_name
    if menu is None:
        raise error("stub: give menu= (the label-path form is deprecated in 2.10)")
    _registered_plugins_[proc_name] = (blurb, help, author, copyright, date, label, imagetypes, PLUGIN,
                                       params, results, function, menu, domain, on_query, on_run)


def _query():
    for plugin in _registered_plugins_.keys():
        (blurb, help, author, copyright, date, label, imagetypes, plugin_type, params, results, function,
         menu, domain, on_query, on_run) = _registered_plugins_[plugin]

        def make_params(params):
            return [(_type_mapping[x[0]], x[1], x[2].replace("_", "")) for x in params]

        params = make_params(params)
        params.insert(0, (PDB_INT32, "run-mode",
                          "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1) }"))
        results = make_params(results)
        gimp.install_procedure(plugin, blurb, help, author, copyright, date, label, imagetypes, plugin_type,
                               params, results)
        if menu:
            gimp.menu_register(plugin, menu)
        if on_query:
            on_query()


def _get_defaults(proc_name):
    import gimpshelf

    params = _registered_plugins_[proc_name][8]
    key = "python-fu-save--" + proc_name
    if gimpshelf.shelf.has_key(key):
        return gimpshelf.shelf[key]
    return [x[3] for x in params]


def _set_defaults(proc_name, defaults):
    import gimpshelf

    gimpshelf.shelf["python-fu-save--" + proc_name] = defaults


def _interact(proc_name, start_params):
    """The dialog, minus GTK: gimp._stub.dialog gives the values the user would enter."""
    entry = _registered_plugins_[proc_name]
    params, function, on_run = entry[8], entry[10], entry[14]

    def run_script(run_params):
        params = start_params + tuple(run_params)
        _set_defaults(proc_name, params)
        return function(*params)

    params = params[len(start_params):]
    if len(params) == 0:
        return run_script([])
    defaults = list(_get_defaults(proc_name))[len(start_params):]
    if on_run:
        on_run()
    dialog = getattr(gimp._stub, "dialog", None)
    values = dialog(proc_name, defaults) if dialog else defaults
    return run_script(values)


def _run(proc_name, params):
    run_mode = params[0]
    func = _registered_plugins_[proc_name][10]

    if run_mode == RUN_NONINTERACTIVE:
        return func(*params[1:])

    script_params = _registered_plugins_[proc_name][8]

    min_args = 0
    if len(params) > 1:
        for i in range(1, len(params)):
            param_type = _obj_mapping[script_params[i - 1][0]]
            if not isinstance(params[i], param_type):
                break
        min_args = i

    if len(script_params) > min_args:
        start_params = params[:min_args + 1]
        if run_mode == RUN_WITH_LAST_VALS:
            default_params = _get_defaults(proc_name)
            params = tuple(start_params) + tuple(default_params[min_args:])
        else:
            params = start_params
    else:
        run_mode = RUN_NONINTERACTIVE

    if run_mode == RUN_INTERACTIVE:
        try:
            res = _interact(proc_name, tuple(params[1:]))
        except CancelError:
            return
    else:
        res = func(*params[1:])

    gimp.displays_flush()
    return res


def main():
    """This should be called after registering the plug-in."""
    gimp.main(None, None, _query, _run)


def fail(msg):
    """Display an error message and quit"""
    gimp.message(msg)
    raise error(msg)


def N_(message):
    return message
