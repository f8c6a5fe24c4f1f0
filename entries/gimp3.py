#!/usr/bin/env python3
# imagen-gimp entry (GIMP 3), written by install.sh. GIMP runs this file; it hands over to the
# installation named below. It is a plain file rather than a link so that it keeps working when
# GIMP copies it into a newer version's folder (3.0 -> 3.2). Run install.sh again to update it;
# `install.sh --uninstall` removes it.
import os
import sys

INSTALLATION = "@INSTALLATION@"
# GIMP asks a plug-in again for its procedures when this file changes; install.sh rewrites it when
# the code that registers them has changed (a checksum of it):
# registration: @REGISTRATION@
ENTRY = os.path.join(INSTALLATION, "imagen_gimp.py")

if not os.path.isfile(ENTRY):
    # GIMP shows a plug-in's stderr in its terminal: one line that says what to do, no traceback
    sys.stderr.write(
        "imagen-gimp: the installation this plug-in runs is gone (%s): run install.sh in "
        "the folder where imagen-gimp now is, then restart GIMP; or delete %s\n"
        % (INSTALLATION, os.path.dirname(os.path.abspath(__file__)))
    )
    sys.exit(1)

with open(ENTRY) as handle:
    CODE = compile(handle.read(), ENTRY, "exec")
# as if GIMP had run the installation's own entry: __file__ leads it back to its folder
exec(CODE, {"__name__": "__main__", "__file__": ENTRY})
