#!/usr/bin/env python3
"""GIMP 3 entry: registers the Imagen procedures, nothing else.

GIMP runs it through the entry install.sh writes into each GIMP 3.x folder
(plug-ins/imagen_gimp/imagen_gimp.py, from entries/gimp3.py), which names this folder and runs this
file with __file__ set to it; a symlink to this file works too. We put the repository on sys.path
and leave the work to plugin/hosts/gimp3.py. Heavy imports stay out of this file: GIMP runs it at
every start to query the procedures.
"""

import os
import sys

REPO = os.path.dirname(os.path.realpath(__file__))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import gi  # noqa: E402

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp  # noqa: E402

from plugin.hosts import gimp3  # noqa: E402


class ImagenPlugIn(Gimp.PlugIn):
    """The Filters > Imagen procedures (see plugin/hosts/procedures.py for the list)."""

    def do_set_i18n(self, name):
        return False, None, None

    def do_query_procedures(self):
        return gimp3.procedure_names()

    def do_create_procedure(self, name):
        return gimp3.create_procedure(self, name)


if __name__ == "__main__":
    Gimp.main(ImagenPlugIn.__gtype__, sys.argv)
