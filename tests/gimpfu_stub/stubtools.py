"""Helpers for tests that drive a gimpfu plug-in through the stub (not part of pygimp).

load_plugin() runs the 2.10 entry file as GIMP does (registration + main), call() runs a
procedure through pdb by argument name, snapshot() captures what a failed call must leave alone.
Python 2/3-compatible: the 2.7 suite uses it too.
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import hashlib
import os
import runpy
import sys

import gimp
import gimpenums as E
import gimpfu
import gimpshelf

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def load_plugin(entry=None):
    """Run imagen_gimp_2.py as GIMP 2.10 would (as __main__): it registers, main() installs."""
    entry = entry or os.path.join(REPO, "imagen_gimp_2.py")
    saved = list(sys.argv)
    try:
        runpy.run_path(entry, run_name="__main__")
    finally:
        sys.argv[:] = saved
    return gimp._stub.installed


def reset():
    """A fresh session: no images, messages or progress; remembered values cleared; procedures kept."""
    installed, run_proc = gimp._stub.installed, gimp._stub.run_proc
    gimp._stub.reset()
    gimp._stub.installed, gimp._stub.run_proc = installed, run_proc
    gimpshelf.shelf.clear()


def args_for(proc_name, **values):
    """Positional arguments after image and drawable: defaults, overridden by name (a choice by nick)."""
    params = gimpfu._registered_plugins_[proc_name][8][2:]
    names = [p[1] for p in params]
    for key in values:
        if key.replace("_", "-") not in names:
            raise KeyError("%s has no argument %s (it has %s)" % (proc_name, key, ", ".join(names)))
    args = []
    for param in params:
        value = values.get(param[1].replace("-", "_"), values.get(param[1], param[3]))
        if param[0] == gimpfu.PF_OPTION and not isinstance(value, int):
            value = list(_option_nicks(proc_name, param[1])).index(value)
        args.append(value)
    return args


def _option_nicks(proc_name, name):
    from plugin.hosts import procedures

    spec = procedures.PROCEDURE_BY_NAME[proc_name]
    return [choice[0] for choice in dict((p.name, p) for p in spec.params)[name].extra]


def call(proc_name, image, drawable, run_mode=E.RUN_NONINTERACTIVE, **values):
    """pdb.<proc>(image, drawable, ...) with arguments by name; returns what pdb returns."""
    procedure = getattr(gimp.pdb, proc_name.replace("-", "_"))
    return procedure(image, drawable, *args_for(proc_name, **values), run_mode=run_mode)


def image_from_rgba(width, height, data, name="Background", kind=E.RGBA_IMAGE, base=E.RGB):
    """A new image with one layer holding data (bytes of width*height*bpp)."""
    image = gimp.Image(width, height, base)
    layer = gimp.Layer(image, name, width, height, kind, 100.0, E.LAYER_MODE_NORMAL)
    image.insert_layer(layer)
    layer._pixels[:] = bytearray(data)
    image.active_layer = layer
    image.changes[:] = []
    return image, layer


def pixels(drawable):
    return bytes(drawable._pixels)


def digest(data):
    return hashlib.sha1(bytes(data)).hexdigest()


def walk(layers):
    return list(gimp._walk(layers))


def snapshot(image):
    """Everything a failed call must leave alone: size, layer tree, pixels, masks, parasites, selection."""
    layers = []
    for layer in walk(image.layers):
        layers.append((layer.name, layer.offsets, (layer.width, layer.height), layer.visible,
                       digest(layer._pixels), digest(layer.mask._pixels) if layer.mask else None,
                       layer.parasite_list(), layer.parent.name if layer.parent else None))
    return {"size": (image.width, image.height), "layers": layers, "parasites": image.parasite_list(),
            "selection": digest(image.selection._pixels), "undo_depth": image.undo_depth}


def new_images(before):
    return [image for image in gimp.image_list() if image not in before]
