#!/usr/bin/env python
"""GIMP 2.10 entry (Python-Fu, Python 2.7): registers the Imagen procedures, nothing else.

GIMP runs it through the entry install.sh writes into ~/.config/GIMP/2.10/plug-ins/ (from
entries/gimp2.py), which names this folder and runs this file with __file__ set to it; a symlink
to this file works too. We put the repository on sys.path and leave the work to
plugin/hosts/gimp2.py, which shares all its logic with the GIMP 3 adapter. The pixels go to the
worker in the repository's venv (Python 3), so GIMP's own Python needs nothing but gimpfu.
"""

import os
import sys

REPO = os.path.dirname(os.path.realpath(__file__))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from gimpfu import main  # noqa: E402

from plugin.hosts import gimp2  # noqa: E402

gimp2.register_all()

if __name__ == "__main__":
    main()
