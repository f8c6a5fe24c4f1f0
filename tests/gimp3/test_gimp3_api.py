"""The plug-in calls nothing that the GIMP in each root marks deprecated (GIMP 3.2 deprecates 28
libgimp symbols, such as Drawable.brightness_contrast and GimpUi.DrawableChooser).

PyGObject does not warn when a deprecated function is called, so the console cannot show it: the
typelib of each root is asked instead (plain python3 in the root, no GIMP start), and the code that
runs inside GIMP is searched for those names.
"""

from __future__ import annotations

import json
import re

from . import rootfs

GIMP_SIDE = [
    "imagen_gimp.py",
    "entries/gimp3.py",
    "plugin/hosts/gimp3.py",
    "plugin/hosts/gimp3_arguments.py",
    "plugin/hosts/gimp3_paste.py",
    "ui/dialogs.py",
]
LIST_DEPRECATED = r"""
import json
import gi
gi.require_version("Gimp", "3.0"); gi.require_version("GimpUi", "3.0"); gi.require_version("Gtk", "3.0")
from gi.repository import Gimp, GimpUi
found = []
for space, module in (("Gimp", Gimp), ("GimpUi", GimpUi)):
    for name in dir(module):
        try:
            info = getattr(getattr(module, name), "__info__", None)
        except Exception:
            continue
        if info is None:
            continue
        if getattr(info, "is_deprecated", lambda: False)():
            found.append([space, name, None])
        for method in getattr(info, "get_methods", lambda: [])():
            if method.is_deprecated():
                found.append([space, name, method.get_name()])
print("DEPRECATED " + json.dumps(found))
"""


def test_gimp_side_code_calls_nothing_deprecated(gimp_root):
    done = gimp_root.sh("python3 -c " + rootfs._quote(LIST_DEPRECATED) + " 2>/dev/null", capture=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("DEPRECATED ")), None)
    assert line, done.stdout[-2000:] + done.stderr[-2000:]
    deprecated = json.loads(line.split(" ", 1)[1])
    if gimp_root.host.version == "3.2":
        assert ["Gimp", "Drawable", "brightness_contrast"] in deprecated  # the list is really read
    classes = {name for _space, name, method in deprecated if method is None}
    # a deprecated class's methods go with it (GimpUi.DrawableChooser.get_label is not dialog.get_label)
    methods = {method for _space, name, method in deprecated if method and name not in classes}
    used = []
    for relative in GIMP_SIDE:
        lines = (rootfs.REPO / relative).read_text().splitlines()
        text = "\n".join(line.split("#", 1)[0] for line in lines)  # code, not comments that name them
        used += [(relative, name) for name in re.findall(r"\bGimp(?:Ui)?\.(\w+)", text) if name in classes]
        used += [(relative, name) for name in re.findall(r"\.(\w+)\(", text) if name in methods]
    assert not used, f"GIMP {gimp_root.host.gimp} marks these deprecated: {sorted(set(used))}"
