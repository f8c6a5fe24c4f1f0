"""The job folder: how a host hands one edit to the worker and reads the results back.

Both sides import this file: the GIMP hosts (GIMP 3's Python 3 and GIMP 2.10's Python 2.7, no
NumPy) and the worker (the project's venv). So: standard library only, Python 2.7-compatible
syntax, type comments instead of annotations.

Layout of a job folder:
    job.json          {"version": 1, "operation": {...ops.Operation.to_dict()...},
                       "width": W, "height": H, "origin": [x, y], "has_selection": bool,
                       "references": ["ref-0.rgba", ...], "reference_sizes": [[w, h], ...]}
    input.rgba        W*H*4 bytes, R'G'B'A u8, row-major (absent for generate)
    selection.gray    W*H bytes, 0..255 (absent when there is no selection)
    ref-N.rgba        other layers the action uses (customization, background image)
    host.lock         empty; the host process holds an exclusive flock on it while the job lives, so
                      a folder whose lock nobody holds is a leftover (a cancelled, SIGKILLed plug-in)
                      that the next job removes (plugin/link/jobs.py sweep_stale_jobs)
The worker writes, and rewrites after every variation so partial results survive a failure:
    result.json       {"layers": [{"name", "x", "y", "width", "height", "pixels", "mask",
                                    "provenance": {...}}], "texts": [...], "notes": [...],
                       "backend": "local", "model": "", "compute_seconds": 1.2,
                       "canvas": [left, top, right, bottom] or null, "complete": bool}
    layer-N.rgba, layer-N-mask.gray
x, y of a layer are relative to the job's origin (the host adds `origin`).
The worker prints one JSON object per line on stdout:
    {"progress": 0.42, "stage": "filling the hole"}   as work goes on
    {"error": "message for the user", "kind": "config"} on a failure it understood
and exits 0 (done), 2 (the user can fix it: message printed), 1 (a bug; traceback on stderr).
"""

from __future__ import absolute_import

import json
import os

JOB_FILE = "job.json"
INPUT_FILE = "input.rgba"
SELECTION_FILE = "selection.gray"
RESULT_FILE = "result.json"
LOCK_FILE = "host.lock"
VERSION = 1

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER = 2


def write_job(folder, operation, width, height, origin, pixels, selection, references=None):
    # type: (str, dict, int, int, tuple, bytes, bytes, list) -> None
    """Write a job folder. `references` is a list of (width, height, rgba bytes)."""
    references = references or []
    if pixels is not None and len(pixels) != width * height * 4:
        raise ValueError("pixel data is %d bytes, expected %d" % (len(pixels), width * height * 4))
    if selection is not None and len(selection) != width * height:
        raise ValueError("selection data is %d bytes, expected %d" % (len(selection), width * height))
    if pixels is not None:
        _write_bytes(os.path.join(folder, INPUT_FILE), pixels)
    if selection is not None:
        _write_bytes(os.path.join(folder, SELECTION_FILE), selection)
    ref_names = []
    ref_sizes = []
    for index, (ref_w, ref_h, ref_data) in enumerate(references):
        name = "ref-%d.rgba" % index
        _write_bytes(os.path.join(folder, name), ref_data)
        ref_names.append(name)
        ref_sizes.append([ref_w, ref_h])
    job = {
        "version": VERSION,
        "operation": operation,
        "width": width,
        "height": height,
        "origin": [int(origin[0]), int(origin[1])],
        "has_selection": selection is not None,
        "references": ref_names,
        "reference_sizes": ref_sizes,
    }
    write_json(os.path.join(folder, JOB_FILE), job)


def read_job(folder):
    # type: (str) -> dict
    with open(os.path.join(folder, JOB_FILE)) as handle:
        job = json.load(handle)
    if job.get("version") != VERSION:
        raise ValueError("job version %r is not %d" % (job.get("version"), VERSION))
    return job


def read_result(folder):
    # type: (str) -> dict
    """The worker's results so far; an empty result when it wrote none."""
    path = os.path.join(folder, RESULT_FILE)
    if not os.path.exists(path):
        return {"layers": [], "texts": [], "notes": [], "complete": False}
    with open(path) as handle:
        return json.load(handle)


def read_layer_pixels(folder, layer):
    # type: (str, dict) -> tuple
    """(rgba bytes, mask bytes or None) of one result layer."""
    pixels = _read_bytes(os.path.join(folder, layer["pixels"]))
    mask = None
    if layer.get("mask"):
        mask = _read_bytes(os.path.join(folder, layer["mask"]))
    if len(pixels) != layer["width"] * layer["height"] * 4:
        raise ValueError("result layer %s has the wrong size" % layer["pixels"])
    return pixels, mask


def parse_message(line):
    # type: (str) -> dict
    """One line of the worker's stdout as a dict; anything that is not JSON becomes a log line."""
    line = line.strip()
    if not line:
        return {}
    try:
        message = json.loads(line)
    except ValueError:
        return {"log": line}
    if not isinstance(message, dict):
        return {"log": line}
    return message


def write_json(path, data):
    # type: (str, dict) -> None
    """Write atomically, so a reader never sees half a file."""
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    _replace(temporary, path)


def _replace(source, target):
    # type: (str, str) -> None
    replace = getattr(os, "replace", None)  # Python 3; on 2.7 rename over an existing file works on POSIX
    if replace is not None:
        replace(source, target)
    else:
        os.rename(source, target)


def _write_bytes(path, data):
    # type: (str, bytes) -> None
    with open(path, "wb") as handle:
        handle.write(data)


def _read_bytes(path):
    # type: (str) -> bytes
    with open(path, "rb") as handle:
        return handle.read()


def text(value):
    # type: (object) -> str
    """A value as text, bytes decoded (GIMP 2.10's str stays a str)."""
    if isinstance(value, bytes) and not isinstance(value, str):
        return value.decode("utf-8")
    if isinstance(value, (type(u""), str)):
        return value
    return str(value)
