"""A stand-in for plugin.link.worker in pure Python 2/3 (no NumPy), so the 2.7 suite can run whole calls.

It speaks the worker's protocol (plugin/link/jobfiles.py): JSON progress lines, result.json, layer files,
exit codes. Results are simple and checkable: the selected pixels painted magenta (mask = the
selection), the canvas border filled grey (outpaint), a nearest-neighbour upscale, a 32x24 picture
for generate. A prompt FAULT:crash, FAULT:user or FAULT:garbage picks a failure; FAULT:partial
makes only the first variation, with the pipeline's note about the missing ones.
Run as: python -m fake_worker JOB_FOLDER (tests/py27 on the path: IMAGEN_GIMP_WORKER_PATH).
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import json
import os
import sys

from plugin.link import jobfiles

TITLES = {"generate": "Generate Image", "insert": "Inpaint", "remove": "Remove Object",
          "outpaint": "Expand Canvas", "background": "Replace Background", "edit": "Edit with Prompt",
          "upscale": "Upscale", "describe": "Describe Image", "customize": "Generate from References"}
MAGENTA = bytearray(b"\xff\x00\xff\xff")


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as handle:
        return bytearray(handle.read())


def painted(pixels, selection):
    out = bytearray(pixels)
    if selection is None:
        return out
    for index, value in enumerate(selection):
        if value:
            out[index * 4:index * 4 + 4] = MAGENTA
    return out


def upscaled(pixels, width, height, factor):
    out = bytearray()
    for y in range(height * factor):
        row = pixels[(y // factor) * width * 4:(y // factor + 1) * width * 4]
        for x in range(width * factor):
            out += row[(x // factor) * 4:(x // factor) * 4 + 4]
    return out


def outpainted(pixels, width, height, margins):
    left, top, right, bottom = margins
    new_w, new_h = width + left + right, height + top + bottom
    out, mask = bytearray(b"\x80\x80\x80\xff" * (new_w * new_h)), bytearray(b"\xff" * (new_w * new_h))
    for y in range(height):
        start = ((y + top) * new_w + left)
        out[start * 4:(start + width) * 4] = pixels[y * width * 4:(y + 1) * width * 4]
        mask[start:start + width] = bytearray(width)
    return out, mask, new_w, new_h


def layers_for(op, job, folder):
    """[(x, y, width, height, pixels, mask)] for one variation."""
    width, height = job["width"], job["height"]
    pixels = read(folder, jobfiles.INPUT_FILE) if job["width"] else None
    selection = read(folder, jobfiles.SELECTION_FILE) if job.get("has_selection") else None
    action = op["action"]
    if action == "generate":
        return 0, 0, 32, 24, bytearray(b"\x20\x40\x60\xff" * (32 * 24)), None
    if action == "customize":  # the first reference's top-left pixel, all over: checkable
        first = read(folder, job["references"][0])[:4]
        return 0, 0, 32, 24, bytearray(first * (32 * 24)), None
    if action == "upscale":
        factor = int(op["factor"])
        return 0, 0, width * factor, height * factor, upscaled(pixels, width, height, factor), None
    if action == "outpaint":
        margins = [op[side] for side in ("left", "top", "right", "bottom")]
        out, mask, new_w, new_h = outpainted(pixels, width, height, margins)
        return -margins[0], -margins[1], new_w, new_h, out, mask
    return 0, 0, width, height, painted(pixels, selection), selection


def main(folder):
    job = jobfiles.read_job(folder)
    op = job["operation"]
    prompt = op.get("prompt") or ""
    emit({"progress": 0.0, "stage": "reading the job"})
    if prompt == "FAULT:crash":  # one layer written, then a crash: the host must not paste it
        with open(os.path.join(folder, "layer-0.rgba"), "wb") as handle:
            handle.write(b"\x80" * 16)
        jobfiles.write_json(os.path.join(folder, jobfiles.RESULT_FILE), {"layers": [
            {"name": "partial", "x": 0, "y": 0, "width": 2, "height": 2, "pixels": "layer-0.rgba"}],
            "complete": False})
        emit({"progress": 0.5, "stage": "half way"})
        raise RuntimeError("injected crash")
    if prompt == "FAULT:user":
        emit({"error": "injected problem: change the setting", "kind": "config"})
        return jobfiles.EXIT_USER
    if prompt == "FAULT:garbage":
        sys.stdout.write("this is not JSON\n")
        return jobfiles.EXIT_OK
    result = {"layers": [], "texts": [], "notes": ["fake worker"], "backend": "fake", "model": "fake-1",
              "canvas": None, "complete": False}
    if op["action"] == "describe":
        result["texts"] = ["a fake caption, %s" % u"caf\u00e9"] * int(op.get("variations", 1))
    else:
        seed = op.get("seed") or 1
        wanted = int(op.get("variations", 1))
        made = 1 if prompt == "FAULT:partial" else wanted
        if made < wanted:
            note = "%d of %d variations did not come back (see notes above)." % (wanted - made, wanted)
            result["notes"].append(note)
        for index in range(made):
            x, y, width, height, pixels, mask = layers_for(op, job, folder)
            name = "layer-%d.rgba" % index
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(bytes(pixels))
            mask_name = None
            if mask is not None:
                mask_name = "layer-%d-mask.gray" % index
                with open(os.path.join(folder, mask_name), "wb") as handle:
                    handle.write(bytes(mask))
            provenance = {"action": op["action"], "backend": "fake", "model": "fake-1", "seed": seed + index,
                          "prompt": prompt, "access_token": "must-not-leak"}
            title = "%s #%d (seed %d)" % (TITLES[op["action"]], index + 1, seed + index)
            result["layers"].append({"name": title,
                                     "x": x, "y": y, "width": width, "height": height, "pixels": name,
                                     "mask": mask_name, "provenance": provenance})
            emit({"progress": (index + 1.0) / op.get("variations", 1), "stage": "variation %d" % (index + 1)})
        if op["action"] == "outpaint":
            result["canvas"] = [op[side] for side in ("left", "top", "right", "bottom")]
    result["complete"] = True
    jobfiles.write_json(os.path.join(folder, jobfiles.RESULT_FILE), result)
    emit({"done": True, "layers": len(result["layers"])})
    return jobfiles.EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
