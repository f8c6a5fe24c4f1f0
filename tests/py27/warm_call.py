"""One GIMP 2.10 call as GIMP makes it: this Python (a real 2.7 in tests/test_py27_warm.py), the entry file,
the gimpfu stub, and whatever worker the adapter finds (the project's real .venv, warm by default).

    python2.7 warm_call.py OUT.json

Makes a noisy gradient image with a rectangular selection, runs Remove Object on the local backend in
non-interactive mode, and writes what a user would see to OUT.json: success, the messages shown, the
layers added (names, sizes, group), and digests of the source layer's pixels before and after.
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file runs under 2.7)

import hashlib
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for path in (REPO, os.path.join(REPO, "tests", "gimpfu_stub")):
    if path not in sys.path:
        sys.path.insert(0, path)

import gimp  # noqa: E402  (the stub, found through the path set above)
import gimpenums as E  # noqa: E402
import stubtools  # noqa: E402

W, H = 96, 64
SELECTION = (40, 20, 16, 14)


def noisy_gradient():
    data = bytearray()
    seed = 12345
    for y in range(H):
        for x in range(W):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            grain = (seed >> 16) % 24
            data += bytearray([(x * 2 + grain) % 256, (y * 3 + grain) % 256, (x + y + grain) % 256, 255])
    return bytes(data)


def digest(layer):
    return hashlib.sha256(bytes(layer._pixels)).hexdigest()


def main(out_path):
    report = {"python": "%d.%d.%d" % sys.version_info[:3]}
    try:
        stubtools.load_plugin()
        image, layer = stubtools.image_from_rgba(W, H, noisy_gradient())
        gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, *SELECTION)
        report["before"] = digest(layer)
        try:
            stubtools.call("python-fu-imagen-remove", image, layer, backend="local")
            report["ok"] = True
        except gimp.error:
            report["ok"] = False
        report["after"] = digest(layer)
        report["messages"] = [m.decode("utf-8") if isinstance(m, bytes) else m for m in gimp._stub.messages]
        report["traceback"] = gimp._stub.last_traceback
        groups = [item for item in image.layers if isinstance(item, gimp.GroupLayer)]
        report["groups"] = [group.name for group in groups]
        report["layers"] = [{"name": item.name, "width": item.width, "height": item.height,
                             "offsets": list(item.offsets), "mask": item.mask is not None,
                             "changed_inside": _changed(item, layer)}
                            for group in groups for item in group.layers]
        report["image_layers"] = [item.name for item in image.layers]
    except Exception:
        report["ok"] = False
        report["traceback"] = traceback.format_exc()
    with open(out_path, "w") as handle:
        json.dump(report, handle)
    return 0


def _changed(result, source):
    """How many pixels of the result differ from the source under it (the fill did something)."""
    ox, oy = result.offsets
    changed = 0
    for y in range(result.height):
        for x in range(result.width):
            i = (y * result.width + x) * 4
            j = ((y + oy) * W + (x + ox)) * 4
            if bytes(result._pixels[i:i + 3]) != bytes(source._pixels[j:j + 3]):
                changed += 1
    return changed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
